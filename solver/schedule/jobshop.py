"""The classic job-shop benchmark format, read into a scheduling :class:`Problem`.

Comment lines start with ``#``; the first other line is ``jobs machines``; then one line per
job listing its (machine, processing time) pairs in the job's order, machines numbered from 0.
Each pair becomes an operation ``J{j}.{k}`` on resource ``M{machine}``, each job a chain of
precedences; the makespan is minimised by the same :func:`schedule` users run.
``instances.json`` beside the file, when there, gives the proven optimum (``optimum``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from chainlab.models.errors import ChainlabError, ValidationError
from chainlab.solver.schedule.model import solve
from chainlab.solver.schedule.problem import Mode, Objective, Operation, Precedence, Problem
from chainlab.solver.schedule.result import ScheduleOptions


def read_jobshop(path) -> Problem:
    """A job-shop instance file as a problem (errors name the file and line)."""
    path = Path(path)
    lines = [(i, ln.split()) for i, ln in enumerate(path.read_text(encoding="utf-8")
                                                   .splitlines(), start=1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ValidationError(f"{path.name}: no data; the first line should be 'jobs machines'")
    (i0, head), rows = lines[0], lines[1:]
    try:
        n_jobs, n_machines = (int(x) for x in head[:2])
        if len(head) != 2:
            raise ValueError
    except ValueError:
        raise ValidationError(f"{path.name} line {i0}: expected 'jobs machines', two whole "
                              f"numbers, got {' '.join(head)!r}") from None
    if len(rows) != n_jobs:
        raise ValidationError(f"{path.name}: {n_jobs} jobs announced, {len(rows)} job lines "
                              f"found; one line per job")
    ops, precs = [], []
    for j, (i, row) in enumerate(rows):
        try:
            nums = [int(x) for x in row]
        except ValueError:
            raise ValidationError(f"{path.name} line {i}: job {j} has a value that is not a "
                                  f"whole number") from None
        if len(nums) % 2:
            raise ValidationError(f"{path.name} line {i}: job {j} needs (machine, time) pairs; "
                                  f"it has an odd count of numbers")
        for k in range(len(nums) // 2):
            mach, dur = nums[2 * k], nums[2 * k + 1]
            if not 0 <= mach < n_machines:
                raise ValidationError(f"{path.name} line {i}: job {j} step {k}: machine {mach} "
                                      f"is not in 0..{n_machines - 1}")
            if dur < 1:
                raise ValidationError(f"{path.name} line {i}: job {j} step {k}: processing "
                                      f"time {dur} must be >= 1")
            ops.append(Operation(f"J{j}.{k}", (Mode(f"M{mach}", dur),), job=f"J{j}"))
            if k:
                precs.append(Precedence(f"J{j}.{k - 1}", f"J{j}.{k}"))
    return Problem(tuple(ops), tuple(precs), name=path.stem)


def known_optimum(path) -> float | None:
    """The proven optimum of ``path`` from ``instances.json`` beside it, if listed."""
    index = Path(path).parent / "instances.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for e in entries if isinstance(entries, list) else []:
        if e.get("name") == Path(path).stem and e.get("optimum") is not None:
            return float(e["optimum"])
    return None


def solve_jobshop(family: str, path, backend: str | None = None, time_limit: float | None = None,
                  capacity: float | None = None, workers: int = 2) -> dict:
    """One CONTRACTS §4 JSON line: minimum makespan of the instance at ``path`` (``backend``
    must be ``cp-sat`` or None; ``capacity`` is not used)."""
    path = Path(path)
    row = {"family": family, "instance": path.stem, "status": "error", "objective": None,
           "bound": None, "seconds": 0.0, "backend": "cp-sat"}
    t0 = time.perf_counter()
    try:
        if backend not in (None, "cp-sat", "ortools-cpsat"):
            raise ValidationError(f"backend {backend!r}: job shop is solved by CP-SAT only; "
                                  f"leave out --backend")
        s = solve(read_jobshop(path), ScheduleOptions(objective=Objective.MAKESPAN,
                                                      time_limit=time_limit, workers=workers))
    except (ChainlabError, OSError) as e:
        row.update(seconds=round(time.perf_counter() - t0, 3), error=str(e))
        return row
    row.update(status=s.status.value, objective=s.value, bound=s.bound, seconds=round(s.seconds, 3),
               gap=s.gap)
    known = known_optimum(path)
    if known is not None:
        row["known_value"] = known
        if s.value is not None:
            row["rel_error"] = (s.value - known) / known
    return row
