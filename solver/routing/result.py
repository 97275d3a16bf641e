"""Typed results of a routing solve: one :class:`Route` per vehicle used, and the
:class:`RoutingResult` that holds them with the solve's status.

Every number is recomputed from the problem's own data (real distances in the family's
convention, not OR-Tools' scaled integers): ``distance`` = sum of d_ij along the route,
``arrival`` = the earliest feasible service start at each stop given the departure time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from chainlab.solver.result import Status


@dataclass(frozen=True)
class Route:
    """Vehicle ``vehicle`` (of type ``vehicle_type``) leaves ``depot`` at ``start``, serves
    ``stops`` (node indices) starting service at ``arrivals``, and is back at ``end``."""

    vehicle: int
    vehicle_type: str
    depot: int
    stops: tuple[int, ...]
    arrivals: tuple[float, ...]
    start: float
    end: float
    load: float
    distance: float
    cost: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class RoutingResult:
    """What a routing solve found. ``objective`` is the total distance in the family's
    convention (the published instances' objective); ``cost`` adds fixed and time costs.
    OR-Tools' local search proves no bound, so ``bound`` is None and ``gap`` is None unless a
    known optimum was given (then ``gap`` = (objective - known) / known)."""

    name: str
    status: Status
    routes: tuple[Route, ...]
    objective: float | None
    cost: float | None
    seconds: float
    stopped_by: str = ""  # "time_limit", "interrupt", "solution_limit" or "" (search ended)
    known_value: float | None = None
    unserved: tuple[int, ...] = ()
    ids: tuple[str, ...] = field(default=(), repr=False)
    solutions: int = 0  # improving solutions seen

    @property
    def has_solution(self) -> bool:
        return self.status.has_solution

    @property
    def vehicles(self) -> int:
        return len(self.routes)

    @property
    def bound(self) -> float | None:
        return None

    @property
    def gap(self) -> float | None:
        if self.known_value is None or self.objective is None:
            return None
        return (self.objective - self.known_value) / max(abs(self.known_value), 1e-12)

    def summary(self) -> dict:
        """The JSON-ready summary (CONTRACTS §4 fields and the routing ones)."""
        return {"instance": self.name, "status": self.status.value,
                "objective": self.objective, "bound": None, "cost": self.cost,
                "vehicles": self.vehicles, "seconds": round(self.seconds, 3),
                "stopped_by": self.stopped_by, "known_value": self.known_value,
                "gap": self.gap, "unserved": [self.ids[i] if self.ids else i
                                              for i in self.unserved]}

    def routes_table(self) -> pd.DataFrame:
        """One row per route: route, vehicle, type, depot, stops (ids joined by ' '), load,
        distance, start, end, duration, cost."""
        rows = []
        for r_no, r in enumerate(self.routes, 1):
            rows.append({"route": r_no, "vehicle": r.vehicle, "vehicle_type": r.vehicle_type,
                         "depot": self._id(r.depot),
                         "stops": " ".join(self._id(i) for i in r.stops),
                         "n_stops": len(r.stops), "load": r.load, "distance": r.distance,
                         "start": r.start, "end": r.end, "duration": r.duration,
                         "cost": r.cost})
        return pd.DataFrame(rows, columns=["route", "vehicle", "vehicle_type", "depot", "stops",
                                           "n_stops", "load", "distance", "start", "end",
                                           "duration", "cost"])

    def stops_table(self) -> pd.DataFrame:
        """One row per visit: route, sequence (1..), stop id, arrival (service start)."""
        rows = [{"route": r_no, "sequence": s, "stop": self._id(i), "arrival": t}
                for r_no, r in enumerate(self.routes, 1)
                for s, (i, t) in enumerate(zip(r.stops, r.arrivals), 1)]
        return pd.DataFrame(rows, columns=["route", "sequence", "stop", "arrival"])

    def to_json(self) -> str:
        d = self.summary()
        d["routes"] = [dict(asdict(r), depot=self._id(r.depot),
                            stops=[self._id(i) for i in r.stops]) for r in self.routes]
        return json.dumps(d, indent=2, default=str)

    def write(self, folder) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.routes_table().to_csv(folder / "routes.csv", index=False, lineterminator="\n")
        self.stops_table().to_csv(folder / "route_stops.csv", index=False, lineterminator="\n")
        (folder / "routing.json").write_text(self.to_json() + "\n", encoding="utf-8")
        return folder

    def _id(self, i: int) -> str:
        return self.ids[i] if self.ids else str(i)

    def __repr__(self) -> str:
        head = f"<RoutingResult {self.name} {self.status.value}"
        if self.objective is not None:
            head += f", distance {self.objective:,.4g}, {self.vehicles} vehicles"
        if self.gap is not None:
            head += f", gap {self.gap:.2%} to known {self.known_value:g}"
        return head + f" ({self.seconds:.2f}s)>"
