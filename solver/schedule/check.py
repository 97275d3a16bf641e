"""An independent check of a schedule against every rule of its problem.

It shares nothing with the CP-SAT model but the problem's own lookups: the tests use it as the
oracle that each schedule (the solver's and every dispatching rule's) is feasible, and users can
run it on a schedule they edited by hand.
"""

from __future__ import annotations

from chainlab.solver.schedule.dispatch import Placed
from chainlab.solver.schedule.problem import Problem


def check_schedule(problem: Problem, placed: dict[str, Placed], *,
                   hard_due_dates: bool = False) -> list[str]:
    """Every violated rule, as a sentence naming the operations (empty: feasible)."""
    bad: list[str] = []
    ops = problem.by_id
    missing = set(ops) - set(placed)
    if missing:
        bad.append(f"not scheduled: {', '.join(sorted(missing))}")
    for oid, p in placed.items():
        o = ops[oid]
        mode = next((m for m in o.modes if m.resource == p.resource), None)
        if mode is None:
            bad.append(f"{oid} runs on {p.resource}, not one of its resources")
            continue
        if p.start < o.release:
            bad.append(f"{oid} starts at {p.start}, before its release {o.release}")
        windows = problem.windows(p.resource)
        if o.preemptible:
            inside = [(a, b) for a, b in windows if a < p.end and p.start < b]
            for a, b in inside:
                if not (p.start < a and b <= p.end):
                    bad.append(f"{oid} [{p.start}, {p.end}) starts or ends inside the "
                               f"unavailable window [{a}, {b}) of {p.resource}")
            work = (p.end - p.start) - sum(b - a for a, b in inside)
            if work != mode.duration:
                bad.append(f"{oid} works {work} of its {mode.duration} between its start "
                           f"and end on {p.resource}")
        else:
            if p.end - p.start != mode.duration:
                bad.append(f"{oid} lasts {p.end - p.start}, not {mode.duration}")
            for a, b in windows:
                if a < p.end and p.start < b:
                    bad.append(f"{oid} [{p.start}, {p.end}) overlaps the unavailable window "
                               f"[{a}, {b}) of {p.resource}")
        if o.due is not None and (o.hard_due or hard_due_dates) and p.end > o.due:
            bad.append(f"{oid} ends at {p.end}, after its hard due time {o.due}")
    for pr in problem.precedences:
        if pr.before in placed and pr.after in placed:
            if placed[pr.after].start < placed[pr.before].end + pr.min_lag:
                bad.append(f"{pr.after} starts at {placed[pr.after].start}, before {pr.before} "
                           f"ends ({placed[pr.before].end}) plus the lag {pr.min_lag}")
    by_res: dict[str, list[str]] = {}
    for oid, p in placed.items():
        by_res.setdefault(p.resource, []).append(oid)
    for r, oids in by_res.items():
        oids.sort(key=lambda o: (placed[o].start, placed[o].end))
        for a, b in zip(oids, oids[1:], strict=False):
            st, _ = problem.setup(r, ops[a].product, ops[b].product)
            if placed[b].start < placed[a].end + st:
                bad.append(f"on {r}, {b} starts at {placed[b].start} but {a} ends at "
                           f"{placed[a].end} and the changeover takes {st}")
    return bad
