"""A DC's customer deliveries of a plan as a routing problem.

Stops: the plan's shipments from the DC to customers that leave in one bucket (``shipments``
rows with ``origin`` = the DC, a customer ``destination`` and that ``period``), summed over
products per customer (load in product units). A customer whose load is more than the largest
vehicle carries is split into full loads plus the rest (stops ``CUST#1``, ``CUST#2``, ... at
the same place).

Distances: great-circle kilometres between the sites' ``lat``/``lon`` times a detour factor
(road / crow-fly, default 1.2). Time in minutes: speed in km/h, ``service_minutes`` at every
stop; no time windows (the plan has none); ``max_hours`` bounds a route's duration.

Vehicles come from the network's optional ``vehicles.csv`` (one row per vehicle type and DC):

| column | meaning |
|---|---|
| ``depot``* | the DC's site id |
| ``type``* | vehicle type name |
| ``count``* | vehicles of this type at the DC |
| ``capacity``* | units per route |
| ``fixed_cost`` | per vehicle used (default 0) |
| ``cost_per_km`` | default 1.0 |
| ``cost_per_hour`` | per hour of route duration (default 0) |
| ``speed_kmh`` | default 60 |
| ``max_hours`` | longest route (blank = no limit) |

or, for a DC without rows there, from one default :class:`VehicleSpec` (the CLI's options).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chainlab.models import Issue, Network, ValidationError
from chainlab.solver.routing.problem import Metric, RoutingProblem, VehicleType


@dataclass(frozen=True)
class VehicleSpec:
    """One vehicle type at a DC, in the units of ``vehicles.csv`` (km, hours, currency)."""

    type: str = "truck"
    count: int = 10
    capacity: float = 2000.0
    fixed_cost: float = 0.0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    speed_kmh: float = 60.0
    max_hours: float | None = None

    def vehicle_type(self, depot: int) -> VehicleType:
        """As a :class:`VehicleType` in km and minutes."""
        return VehicleType(self.type, int(self.count), float(self.capacity), depot,
                           fixed_cost=float(self.fixed_cost),
                           cost_per_distance=float(self.cost_per_km),
                           cost_per_time=float(self.cost_per_hour) / 60.0,
                           speed=float(self.speed_kmh) / 60.0,
                           max_duration=None if self.max_hours is None
                           else 60.0 * float(self.max_hours))


VEHICLE_COLUMNS = {"depot": str, "type": str, "count": int, "capacity": float,
                   "fixed_cost": float, "cost_per_km": float, "cost_per_hour": float,
                   "speed_kmh": float, "max_hours": float}
REQUIRED = ("depot", "type", "count", "capacity")


def read_vehicles(folder, net: Network) -> dict[str, list[VehicleSpec]]:
    """``vehicles.csv`` of a network folder: DC id -> its vehicle types ({} when the file is
    absent). Errors name the row and column and say what would fix them."""
    path = Path(folder) / "vehicles.csv"
    if not path.is_file():
        return {}
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise _bad(None, missing[0], f"no such column; the file needs {', '.join(REQUIRED)}")
    unknown = [c for c in df.columns if c not in VEHICLE_COLUMNS]
    if unknown:
        raise _bad(None, unknown[0], f"unknown column; the columns are "
                                     f"{', '.join(VEHICLE_COLUMNS)}")
    kinds = net.sites["kind"].astype(str)
    out: dict[str, list[VehicleSpec]] = {}
    for row_no, rec in enumerate(df.to_dict("records"), start=2):
        vals = {}
        for col, raw in rec.items():
            raw = raw.strip()
            if raw == "":
                if col in REQUIRED:
                    raise _bad(row_no, col, "empty; give a value")
                continue
            try:
                v = VEHICLE_COLUMNS[col](raw) if VEHICLE_COLUMNS[col] is not int else int(
                    float(raw))
            except ValueError:
                raise _bad(row_no, col, f"{raw!r} is not a number") from None
            if isinstance(v, float) and (not math.isfinite(v) or v < 0):
                raise _bad(row_no, col, f"{raw!r} must be a finite number >= 0")
            vals[col] = v
        depot = vals.pop("depot")
        if depot not in kinds.index or kinds[depot] != "dc":
            raise _bad(row_no, "depot", f"{depot!r} is not a DC of sites.csv; use a DC's id")
        if vals["count"] < 0 or vals.get("speed_kmh", 1) <= 0:
            raise _bad(row_no, "count" if vals["count"] < 0 else "speed_kmh",
                       "count must be >= 0 and speed_kmh > 0")
        if any(v.type == vals["type"] for v in out.get(depot, [])):
            raise _bad(row_no, "type", f"{vals['type']!r} appears twice for DC {depot}; one "
                                       f"row per type and DC")
        out.setdefault(depot, []).append(VehicleSpec(**vals))
    return out


def _bad(row, column, message) -> ValidationError:
    return ValidationError([Issue("vehicles.csv", message, row=row, column=column)])


def dc_deliveries(net: Network, shipments: pd.DataFrame, site: str, period: int) -> pd.Series:
    """Units shipped from DC ``site`` to each customer in bucket ``period`` (ship period),
    summed over products; customers in sites.csv order."""
    need = {"origin", "destination", "period", "quantity"}
    if not need <= set(shipments.columns):
        raise ValidationError([Issue("shipments.csv", f"needs the columns "
                                                      f"{', '.join(sorted(need))} (a plan "
                                                      f"folder from `chainlab plan --out`)")])
    kinds = net.sites["kind"].astype(str)
    sh = shipments[(shipments["origin"].astype(str) == site)
                   & (pd.to_numeric(shipments["period"]) == period)]
    sh = sh[sh["destination"].astype(str).map(kinds).eq("customer")]
    q = sh.groupby(sh["destination"].astype(str))["quantity"].sum()
    q = q[q > 1e-9]
    order = [c for c in net.sites.index.astype(str) if c in q.index]
    return q.reindex(order)


def delivery_problem(net: Network, site: str, loads: pd.Series, fleet: list[VehicleSpec],
                     service_minutes: float = 20.0, detour: float = 1.2,
                     name: str | None = None) -> RoutingProblem:
    """The routing problem of delivering ``loads`` (customer -> units) from DC ``site``."""
    sites = net.sites
    if site not in sites.index or str(sites.loc[site, "kind"]) != "dc":
        raise ValidationError([Issue("sites.csv", f"{site!r} is not a DC; DCs: "
                              f"{', '.join(sites.index[sites['kind'].astype(str) == 'dc'])}")])
    if not fleet or not any(v.count for v in fleet):
        raise _bad(None, "count", f"DC {site} has no vehicles; add rows for it (or give "
                                  f"--vehicles without rows)")
    biggest = max(v.capacity for v in fleet if v.count)
    if biggest <= 0:
        raise _bad(None, "capacity", f"DC {site}: every vehicle has capacity 0")
    ids, lon, lat, q = [site], [], [], [0.0]
    for s in [site, *loads.index]:
        la, lo = sites.loc[s, "lat"], sites.loc[s, "lon"]
        if pd.isna(la) or pd.isna(lo):
            raise ValidationError([Issue("sites.csv", f"site {s} has no lat/lon; routing needs "
                                                      f"both for the DC and every customer it "
                                                      f"delivers to", column="lat")])
        lat.append(float(la))
        lon.append(float(lo))
    x, y = [lon[0]], [lat[0]]
    for k, (cust, units) in enumerate(loads.items(), start=1):
        parts = max(1, math.ceil(units / biggest - 1e-9))
        for p in range(parts):
            ids.append(cust if parts == 1 else f"{cust}#{p + 1}")
            q.append(min(biggest, units - p * biggest))
            x.append(lon[k])
            y.append(lat[k])
    service = (0.0,) + (float(service_minutes),) * (len(ids) - 1)
    return RoutingProblem(
        name=name or f"{site} deliveries", ids=tuple(ids), x=tuple(x), y=tuple(y),
        demand=tuple(q), vehicles=tuple(v.vehicle_type(0) for v in fleet if v.count),
        metric=Metric.GEO, detour=float(detour), service=service,
        meta={"site": site, "units": "km, minutes"})


def problem_data(problem: RoutingProblem) -> dict:
    """The plain data the independent checker reads (``problem.json``)."""
    return {"name": problem.name, "ids": list(problem.ids), "x": list(problem.x),
            "y": list(problem.y), "demand": list(problem.demand),
            "service": None if problem.service is None else list(problem.service),
            "ready": None if problem.ready is None else list(problem.ready),
            "due": None if problem.due is None else list(problem.due),
            "metric": problem.metric.value, "scale": problem.scale, "detour": problem.detour,
            "vehicles": [{"name": k.name, "count": k.count, "capacity": k.capacity,
                          "depot": problem.ids[k.depot], "speed": k.speed,
                          "max_duration": k.max_duration} for k in problem.vehicles]}
