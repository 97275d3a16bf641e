"""The ``cvrp`` and ``vrptw`` families of ``benchmarks/instances.py`` (CONTRACTS §4).

Each file is read by :func:`~solver.routing.readers.read_instance`, routed by
:func:`~solver.routing.solve.route` (the code users run), and its routes are verified by the
independent checker (:mod:`solver.routing.check`, which reads the file again on its own). The
JSON line: family, instance, status, objective (total distance in the family's convention),
bound (None: local search proves none), seconds, backend, vehicles, plus known_value and gap
((objective - known) / known) where the optimum is known, and ``checked`` (the checker's
verdict; a violation turns the status into ``error``).
"""

from __future__ import annotations

import time
from pathlib import Path

from chainlab.solver.routing.check import check_routes, read_instance_data
from chainlab.solver.routing.readers import read_instance
from chainlab.solver.routing.solve import RoutingOptions, route

BACKEND = "ortools-routing"
DEFAULT_TIME_LIMIT = 10.0


def solve(family: str, path, backend: str | None = None, time_limit: float | None = None,
          capacity: float | None = None) -> dict:
    """One instance's JSON line; never raises (status ``error`` and a message instead).
    ``backend`` and ``capacity`` do not apply (OR-Tools routing is the one backend)."""
    t0 = time.perf_counter()
    out = {"family": family, "instance": Path(path).stem, "status": "error", "objective": None,
           "bound": None, "seconds": None, "backend": BACKEND, "vehicles": None}
    try:
        if family not in ("cvrp", "vrptw"):
            raise ValueError(f"family {family!r} is not cvrp or vrptw")
        if backend not in (None, BACKEND, "ortools"):
            raise ValueError(f"backend {backend!r}: routing runs on OR-Tools only")
        problem = read_instance(path)
        if family == "vrptw" and not problem.has_time_windows:
            raise ValueError(f"{Path(path).name} has no time windows; use family cvrp")
        out["instance"] = problem.name
        res = route(problem, RoutingOptions(time_limit=time_limit or DEFAULT_TIME_LIMIT))
        out.update(status=res.status.value, objective=res.objective, vehicles=res.vehicles)
        if res.known_value is not None:
            out["known_value"] = res.known_value
            out["gap"] = res.gap
        if res.has_solution:
            rep = check_routes(read_instance_data(path),
                               [(r.vehicle_type, [problem.ids[i] for i in r.stops])
                                for r in res.routes], claimed_distance=res.objective)
            out["checked"] = rep.feasible
            if not rep.feasible:
                out["status"] = "error"
                out["error"] = f"checker: {rep}"
    except Exception as e:  # one line per instance whatever happens; the message says what
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - t0, 4)
    return out
