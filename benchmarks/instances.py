"""Solve published benchmark instances with chainlab's own solvers (CONTRACTS §4).

    python benchmarks/instances.py FAMILY PATH... [--backend B] [--time-limit S] [--capacity N]

Each file is read into a chainlab network by its family's reader and solved by the same code
users run (``solver.plan`` for transportation and lot sizing, ``solver.design`` for facility
location, ``solver.schedule`` for job shop: objective = makespan); one JSON line per instance: family, instance, status (optimal, feasible, infeasible,
time_limit, error), objective, bound, seconds, backend (plus known_value and rel_error where the
file states its optimum). Exit status 1 when any instance ends in ``error``, 2 for bad usage.

Families are registered in :data:`FAMILIES` as ``"module:function"``, imported only when used, so
a package adds its own family without this file importing it. The function is called as
``fn(family, path, backend=..., time_limit=..., capacity=...)`` and returns the JSON line as a
dict, or a list of them for a file holding several instances (never raising: status ``error``
and an ``error`` message instead).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: family -> "module:solve function"
FAMILIES: dict[str, str] = {
    "transportation": "chainlab.solver.instances:solve",
    "lotsizing": "chainlab.solver.instances:solve",
    "cflp": "chainlab.solver.orlib:solve",
    "uflp": "chainlab.solver.orlib:solve",
    "sscflp": "chainlab.solver.orlib:solve",
    "jobshop": "chainlab.solver.schedule.jobshop:solve_jobshop",
    "cvrp": "chainlab.solver.routing.instances:solve",
    "vrptw": "chainlab.solver.routing.instances:solve",
    "gsm": "chainlab.solver.inventory.instances:solve",
    "ssm": "chainlab.solver.inventory.instances:solve",
}


def solver_of(family: str):
    """The solve function registered for ``family``."""
    module, fn = FAMILIES[family].split(":")
    return getattr(importlib.import_module(module), fn)


def solve_one(family: str, path: Path, backend: str | None = None,
              time_limit: float | None = None, capacity: float | None = None) -> dict:
    """One instance's JSON line (status ``error`` if the family's code cannot even load)."""
    try:
        fn = solver_of(family)
    except (ImportError, AttributeError) as e:
        return {"family": family, "instance": path.stem, "status": "error", "objective": None,
                "bound": None, "seconds": 0.0, "backend": backend,
                "error": f"family {family!r} is not available here ({e})"}
    return fn(family, path, backend=backend, time_limit=time_limit, capacity=capacity)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", help=f"one of: {', '.join(FAMILIES)}")
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--capacity", type=float, default=None,
                    help="fills the 'capacity' placeholder of OR-Library capa/capb/capc")
    a = ap.parse_args(argv)
    if a.family not in FAMILIES:
        ap.error(f"unknown family {a.family!r}; known: {', '.join(FAMILIES)}")  # exit 2
    worst = 0
    for path in a.paths:
        rows = solve_one(a.family, path, a.backend, a.time_limit, a.capacity)
        for row in rows if isinstance(rows, list) else [rows]:
            sys.stdout.write(json.dumps(row, default=str) + "\n")
            sys.stdout.flush()
            if row["status"] == "error":
                worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
