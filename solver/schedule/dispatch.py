"""Dispatching rules: a feasible schedule in milliseconds, the CP-SAT search's first hint.

A serial schedule-generation scheme: repeatedly take, among the operations whose predecessors
are all scheduled, the one a priority rule prefers, and append it to the resource (of its
alternatives) on which it ends earliest: after the resource's last operation and its setup,
after its release and its predecessors' ends plus lags, and moved past unavailable windows it
may not overlap. Appending (never inserting into a gap) keeps setups exact, so every schedule
it returns satisfies every constraint but hard due dates.

Rules: ``edd`` (earliest due date), ``mwkr`` (most work remaining along the precedence chain),
``spt`` (shortest processing time); :func:`best_dispatch` runs each and keeps the best for the
objective.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainlab.solver.schedule.problem import (
    Objective,
    Problem,
    earliest_start,
    stretched_end,
    topological_order,
)

RULES = ("edd", "mwkr", "spt")


@dataclass(frozen=True)
class Placed:
    """Where and when one operation runs, and the changeover before it."""

    resource: str
    start: int
    end: int
    setup_time: int = 0
    setup_cost: float = 0.0
    previous: str | None = None  # the operation before it on its resource


def dispatch(problem: Problem, rule: str = "edd") -> dict[str, Placed]:
    """One schedule by priority ``rule`` (see :data:`RULES`)."""
    if rule not in RULES:
        raise ValueError(f"unknown dispatching rule {rule!r}; one of {', '.join(RULES)}")
    ops = problem.by_id
    preds: dict[str, list[tuple[str, int]]] = {o: [] for o in ops}
    succs: dict[str, list[str]] = {o: [] for o in ops}
    for p in problem.precedences:
        preds[p.after].append((p.before, p.min_lag))
        succs[p.before].append(p.after)
    shortest = {o.id: min(m.duration for m in o.modes) for o in problem.operations}
    tail: dict[str, int] = {}
    for oid in reversed(topological_order(problem)):
        tail[oid] = shortest[oid] + max((tail[s] for s in succs[oid]), default=0)
    big = 1 << 60

    def priority(oid: str):
        o = ops[oid]
        if rule == "edd":
            return (o.due if o.due is not None else big, -tail[oid], oid)
        if rule == "mwkr":
            return (-tail[oid], o.due if o.due is not None else big, oid)
        return (shortest[oid], o.due if o.due is not None else big, oid)

    free = {r: 0 for r in problem.resources}
    last: dict[str, str | None] = dict.fromkeys(free)
    left = {o: len(preds[o]) for o in ops}
    ready = sorted((o for o in ops if left[o] == 0), key=priority)
    out: dict[str, Placed] = {}
    while ready:
        oid = ready.pop(0)
        o = ops[oid]
        after = max([o.release] + [out[b].end + lag for b, lag in preds[oid]])
        best: Placed | None = None
        for m in o.modes:
            prev = last[m.resource]
            st, sc = problem.setup(m.resource, ops[prev].product, o.product) if prev else (0, 0.)
            windows = problem.windows(m.resource)
            t = earliest_start(max(after, free[m.resource] + st), m.duration, windows,
                               o.preemptible)
            end = stretched_end(t, m.duration, windows) if o.preemptible else t + m.duration
            cand = Placed(m.resource, t, end, st, sc, prev)
            if best is None or (cand.end, cand.setup_cost) < (best.end, best.setup_cost):
                best = cand
        out[oid] = best
        free[best.resource] = best.end
        last[best.resource] = oid
        for s in succs[oid]:
            left[s] -= 1
            if left[s] == 0:
                ready.append(s)
        ready.sort(key=priority)
    return out


def score(problem: Problem, placed: dict[str, Placed], objective: Objective,
          weights: dict[str, float]) -> float:
    """The objective value of a schedule (the same terms the CP-SAT model minimises)."""
    terms = schedule_terms(problem, placed)
    if objective is Objective.MAKESPAN:
        return terms["makespan"]
    if objective is Objective.TARDINESS:
        return terms["tardiness"]
    if objective is Objective.SETUP:
        return terms["setup_time"]
    return sum(weights.get(k, 0.0) * v for k, v in terms.items())


def schedule_terms(problem: Problem, placed: dict[str, Placed]) -> dict[str, float]:
    """Makespan, total weighted tardiness, total setup time and total setup cost."""
    ops = problem.by_id
    return {
        "makespan": max((p.end for p in placed.values()), default=0),
        "tardiness": sum(ops[o].weight * max(0, p.end - ops[o].due)
                         for o, p in placed.items() if ops[o].due is not None),
        "setup_time": sum(p.setup_time for p in placed.values()),
        "setup_cost": sum(p.setup_cost for p in placed.values()),
    }


def meets_hard_dues(problem: Problem, placed: dict[str, Placed]) -> bool:
    ops = problem.by_id
    return all(p.end <= ops[o].due for o, p in placed.items() if ops[o].hard_due)


def best_dispatch(problem: Problem, objective: Objective, weights: dict[str, float]
                  ) -> tuple[str, dict[str, Placed]]:
    """The rule whose schedule scores best (meeting hard due dates first) and that schedule."""
    runs = [(r, dispatch(problem, r)) for r in RULES]
    return min(runs, key=lambda rs: (not meets_hard_dues(problem, rs[1]),
                                     score(problem, rs[1], objective, weights)))
