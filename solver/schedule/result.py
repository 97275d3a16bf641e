"""Options and result of a detailed schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chainlab.models.files import atomic_folder
from chainlab.solver.result import Status
from chainlab.solver.schedule.dispatch import Placed, schedule_terms
from chainlab.solver.schedule.problem import Objective, Problem

#: columns of :attr:`Schedule.operations`, in order
OPERATION_COLUMNS = ["resource", "operation", "job", "product", "start", "end", "setup_time",
                     "setup_cost", "previous", "due", "tardiness"]

DEFAULT_WEIGHTS = {"makespan": 1.0, "tardiness": 1.0, "setup_time": 1.0, "setup_cost": 0.0}


@dataclass(frozen=True)
class ScheduleOptions:
    """How to schedule.

    ``weights`` are the factors of :attr:`Objective.MIX` on makespan, weighted tardiness, setup
    time (all in time units) and setup cost (currency). ``hard_due_dates`` makes every due date
    hard (an operation's own ``hard_due`` always is). ``time_limit`` in seconds (None: until
    proven optimal or stopped by Ctrl+C); ``workers`` CP-SAT search threads; ``hint`` starts the
    search from the best dispatching-rule schedule; ``relative_gap`` stops when within it.
    """

    objective: Objective = Objective.MAKESPAN
    time_limit: float | None = None
    workers: int = 2
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    hard_due_dates: bool = False
    hint: bool = True
    relative_gap: float = 0.0
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "objective", Objective(self.objective))
        unknown = set(self.weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown objective weight(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(DEFAULT_WEIGHTS)}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit {self.time_limit} must be > 0 seconds")


@dataclass
class Schedule:
    """A schedule: where and when each operation runs, with what the solver proved.

    ``status``: optimal (proven), feasible (a schedule, stopped at the time limit, a gap or
    Ctrl+C: ``gap`` says how far from the ``bound`` it may be), infeasible, or time_limit (no
    schedule: only possible with hard due dates no dispatching rule meets). ``source`` is
    ``cp-sat``, or ``dispatch`` when the search found nothing better than the rule's schedule
    before it was stopped.
    """

    problem: Problem
    status: Status
    objective: Objective
    value: float | None
    bound: float | None
    seconds: float
    placed: dict[str, Placed] = field(default_factory=dict)
    source: str = "cp-sat"
    dispatch_rule: str | None = None
    dispatch_value: float | None = None
    interrupted: bool = False
    solutions: int = 0
    time_unit: str = "unit"

    @property
    def gap(self) -> float | None:
        if self.value is None or self.bound is None:
            return None
        if self.status is Status.OPTIMAL:
            return 0.0
        return abs(self.value - self.bound) / max(abs(self.value), 1e-9)

    @property
    def makespan(self) -> int | None:
        return max((p.end for p in self.placed.values()), default=0) if self.placed else None

    @property
    def operations(self) -> pd.DataFrame:
        """One row per operation (:data:`OPERATION_COLUMNS`), by resource and start."""
        ops = self.problem.by_id
        rows = []
        for oid, p in self.placed.items():
            o = ops[oid]
            rows.append({"resource": p.resource, "operation": oid, "job": o.job,
                         "product": o.product, "start": p.start, "end": p.end,
                         "setup_time": p.setup_time, "setup_cost": p.setup_cost,
                         "previous": p.previous, "due": o.due,
                         "tardiness": None if o.due is None else max(0, p.end - o.due)})
        df = pd.DataFrame(rows, columns=OPERATION_COLUMNS)
        return df.sort_values(["resource", "start", "end", "operation"]).reset_index(drop=True)

    @property
    def kpis(self) -> dict:
        """Makespan, weighted and plain tardiness, tardy operations, setups (count, time, cost)
        and utilisation per resource: working time over the time it is available between 0
        and the makespan."""
        if not self.placed:
            return {}
        terms = schedule_terms(self.problem, self.placed)
        ops = self.problem.by_id
        mk = terms["makespan"]
        util = {}
        for r in self.problem.resources:
            work = 0
            for oid, p in self.placed.items():
                if p.resource == r:
                    work += next(m.duration for m in ops[oid].modes if m.resource == r)
            down = sum(max(0, min(b, mk) - a) for a, b in self.problem.windows(r) if a < mk)
            util[r] = round(work / (mk - down), 6) if mk - down > 0 else 0.0
        late = [o for o, p in self.placed.items() if ops[o].due is not None and p.end > ops[o].due]
        return {
            "makespan": mk,
            "weighted_tardiness": terms["tardiness"],
            "tardiness": sum(self.placed[o].end - ops[o].due for o in late),
            "tardy_operations": len(late),
            "setups": sum(1 for p in self.placed.values()
                          if p.setup_time > 0 or p.setup_cost > 0),
            "setup_time": terms["setup_time"],
            "setup_cost": terms["setup_cost"],
            "utilisation": util,
            "time_unit": self.time_unit,
        }

    def summary(self) -> dict:
        return {"problem": self.problem.name, "status": self.status.value,
                "objective_kind": self.objective.value, "objective": self.value,
                "bound": self.bound, "gap": self.gap, "seconds": round(self.seconds, 3),
                "source": self.source, "dispatch_rule": self.dispatch_rule,
                "dispatch_objective": self.dispatch_value, "interrupted": self.interrupted,
                "solutions": self.solutions, "kpis": self.kpis}

    def to_folder(self, path) -> Path:
        """``operations.csv`` and ``kpis.json``, written atomically."""
        path = Path(path)
        with atomic_folder(path) as tmp:
            self.operations.to_csv(tmp / "operations.csv", index=False, lineterminator="\n")
            (tmp / "kpis.json").write_text(json.dumps(self.summary(), indent=2, default=str)
                                           + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return (f"<Schedule {self.problem.name!r} {self.status.value}, {self.objective.value} "
                f"{self.value}, bound {self.bound}, {len(self.placed)} operations>")
