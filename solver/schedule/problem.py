"""A detailed scheduling problem: operations on resources, in integer time units.

Time is an integer count of one unit throughout (minutes for schedules made from a plan, the
instance's own unit for job-shop benchmarks); ``0`` is the start of the horizon.

- An :class:`Operation` runs on exactly one of its :class:`Mode` s (a resource and the time it
  takes there: alternative resources), not before its ``release``; its ``due`` time is soft
  (weighted tardiness ``w_j * max(0, C_j - d_j)``) unless ``hard_due``.
- A :class:`Precedence` says ``S_after >= C_before + min_lag`` (a component made on one line
  and used on another, or the next step of a job).
- Per resource, ``unavailable`` windows ``[a, b)`` (shifts, holidays, maintenance). An operation
  never overlaps one, unless it is ``preemptible``: then it pauses over the window and resumes
  after it (its elapsed length grows by the window's length); it still never starts or ends
  inside one.
- A :class:`Setup` is the changeover on a resource from one product to the next: time (it
  separates the two operations) and cost. Same product to same product costs nothing unless
  given. The first operation on a resource needs no setup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from chainlab.models.errors import ValidationError


class Objective(StrEnum):
    """What the schedule minimises."""

    #: the end of the last operation, C_max
    MAKESPAN = "makespan"
    #: total weighted tardiness, sum_j w_j max(0, C_j - d_j)
    TARDINESS = "tardiness"
    #: total setup time
    SETUP = "setup"
    #: ``ScheduleOptions.weights`` times (makespan, tardiness, setup time, setup cost)
    MIX = "mix"


@dataclass(frozen=True)
class Mode:
    """One way to run an operation: on ``resource``, taking ``duration`` (>= 1) time units."""

    resource: str
    duration: int


@dataclass(frozen=True)
class Operation:
    """One operation (a production order, a job's step).

    ``job`` groups operations for reporting (the order or job it belongs to); ``product`` is
    what setups are keyed by. ``weight`` is w_j of the tardiness objective.
    """

    id: str
    modes: tuple[Mode, ...]
    job: str = ""
    product: str = ""
    release: int = 0
    due: int | None = None
    weight: float = 1.0
    hard_due: bool = False
    preemptible: bool = False


@dataclass(frozen=True)
class Precedence:
    """``start(after) >= end(before) + min_lag`` (time units, may be negative: an overlap)."""

    before: str
    after: str
    min_lag: int = 0


@dataclass(frozen=True)
class Setup:
    """Changeover on ``resource`` (``None``: every resource) from ``from_product`` to
    ``to_product``: ``time`` units between the two operations and ``cost`` per changeover."""

    from_product: str
    to_product: str
    time: int = 0
    cost: float = 0.0
    resource: str | None = None


@dataclass(frozen=True)
class Problem:
    """Operations, precedences, setups and resource calendars (see the module docstring)."""

    operations: tuple[Operation, ...]
    precedences: tuple[Precedence, ...] = ()
    setups: tuple[Setup, ...] = ()
    unavailable: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    name: str = "schedule"

    def __post_init__(self):
        object.__setattr__(self, "operations", tuple(self.operations))
        object.__setattr__(self, "precedences", tuple(self.precedences))
        object.__setattr__(self, "setups", tuple(self.setups))
        object.__setattr__(self, "unavailable",
                           {r: merge_windows(w, r) for r, w in dict(self.unavailable).items()})
        self._check()

    # ------------------------------------------------------------------ lookups

    @cached_property
    def by_id(self) -> dict[str, Operation]:
        return {o.id: o for o in self.operations}

    @property
    def resources(self) -> list[str]:
        """Every resource an operation may run on, in first-seen order."""
        return list(dict.fromkeys(m.resource for o in self.operations for m in o.modes))

    def windows(self, resource: str) -> tuple[tuple[int, int], ...]:
        return self.unavailable.get(resource, ())

    @cached_property
    def setup_table(self) -> dict[tuple[str | None, str, str], tuple[int, float]]:
        """(resource or None, from, to) -> (time, cost)."""
        return {(s.resource, s.from_product, s.to_product): (s.time, s.cost) for s in self.setups}

    def has_setups(self, resource: str) -> bool:
        """Whether any changeover on ``resource`` takes time or costs money."""
        return any((s.resource in (None, resource)) and (s.time > 0 or s.cost > 0)
                   for s in self.setups)

    # ------------------------------------------------------------------ checks

    def _check(self) -> None:
        seen: set[str] = set()
        for o in self.operations:
            if o.id in seen:
                raise ValidationError(f"operation {o.id!r} appears twice; operation IDs must be "
                                      f"unique")
            seen.add(o.id)
            if not o.modes:
                raise ValidationError(f"operation {o.id!r} has no resource to run on; give it at "
                                      f"least one (resource, duration)")
            if len({m.resource for m in o.modes}) != len(o.modes):
                raise ValidationError(f"operation {o.id!r} lists a resource twice among its "
                                      f"alternatives")
            for m in o.modes:
                if int(m.duration) != m.duration or m.duration < 1:
                    raise ValidationError(f"operation {o.id!r} on {m.resource}: duration "
                                          f"{m.duration} must be a whole number >= 1 time unit")
            if o.release < 0 or int(o.release) != o.release:
                raise ValidationError(f"operation {o.id!r}: release {o.release} must be a whole "
                                      f"number >= 0")
            if o.due is not None and int(o.due) != o.due:
                raise ValidationError(f"operation {o.id!r}: due {o.due} must be a whole number")
            if o.hard_due and o.due is None:
                raise ValidationError(f"operation {o.id!r} has a hard due date but no due time")
            if not o.weight >= 0:
                raise ValidationError(f"operation {o.id!r}: weight {o.weight} must be >= 0")
        for p in self.precedences:
            for side in (p.before, p.after):
                if side not in seen:
                    raise ValidationError(f"precedence {p.before!r} -> {p.after!r}: no operation "
                                          f"{side!r}; precedences link existing operations")
            if p.before == p.after:
                raise ValidationError(f"precedence {p.before!r} -> itself; drop it")
        for s in self.setups:
            if s.time < 0 or int(s.time) != s.time or not s.cost >= 0:
                raise ValidationError(f"setup {s.from_product!r} -> {s.to_product!r}"
                                      f"{'' if s.resource is None else ' on ' + s.resource}: "
                                      f"time {s.time} must be a whole number >= 0 and cost "
                                      f"{s.cost} >= 0")
        topological_order(self)  # raises on a cycle

    def setup(self, resource: str, a: str, b: str) -> tuple[int, float]:
        """(time, cost) of changing ``resource`` over from product ``a`` to ``b``: the
        resource's own row, else the all-resource row, else nothing."""
        t = self.setup_table
        for key in ((resource, a, b), (None, a, b)):
            if key in t:
                return t[key]
        return 0, 0.0


def merge_windows(windows: Iterable[tuple[int, int]], resource: str = ""
                  ) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint ``[a, b)`` windows (overlapping or touching ones merged)."""
    out: list[list[int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in windows):
        if b <= a:
            raise ValidationError(f"resource {resource!r}: unavailable window [{a}, {b}) must "
                                  f"end after it starts")
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def topological_order(problem: Problem) -> list[str]:
    """Operation IDs with every ``before`` ahead of its ``after`` (Kahn); raises
    :class:`ValidationError` naming an operation on a cycle."""
    succ: dict[str, list[str]] = {o.id: [] for o in problem.operations}
    indeg = dict.fromkeys(succ, 0)
    for p in problem.precedences:
        succ[p.before].append(p.after)
        indeg[p.after] += 1
    order = [o for o in succ if indeg[o] == 0]
    i = 0
    while i < len(order):
        for n in succ[order[i]]:
            indeg[n] -= 1
            if indeg[n] == 0:
                order.append(n)
        i += 1
    if len(order) < len(succ):
        stuck = next(o for o in succ if indeg[o] > 0)
        raise ValidationError(f"precedences form a cycle through operation {stuck!r}; an "
                              f"operation cannot (indirectly) wait for itself")
    return order


def stretched_end(start: int, duration: int, windows: tuple[tuple[int, int], ...]) -> int:
    """End of a preemptible operation started at ``start`` (outside every window) that works
    ``duration`` units, pausing over each window it meets."""
    cur, left = start, duration
    for a, b in windows:
        if b <= cur:
            continue
        if cur + left <= a:
            break
        left -= a - cur
        cur = b
    return cur + left


def earliest_start(t: int, duration: int, windows: tuple[tuple[int, int], ...],
                   preemptible: bool) -> int:
    """The first time ``>= t`` at which the operation may start: not inside a window and, if
    not preemptible, not running into one."""
    moved = True
    while moved:
        moved = False
        for a, b in windows:
            hits = (a <= t < b) if preemptible else (a < t + duration and t < b)
            if hits:
                t, moved = b, True
    return t
