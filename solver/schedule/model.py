"""The CP-SAT model of a :class:`~chainlab.solver.schedule.problem.Problem`, and its solve.

Variables, per operation ``j``: start ``S_j`` and end ``C_j`` (shared by its modes); per mode
``m`` a presence literal ``x_jm`` (exactly one is true: alternative resources) and an optional
interval ``[S_j, C_j)`` of size ``p_jm``, or ``p_jm + sum_w y_jmw (b_w - a_w)`` when the
operation is preemptible (``y_jmw``: it pauses over window ``w``).

Constraints, per resource ``r``:

- ``AddNoOverlap`` of the intervals on ``r``;
- its unavailable windows are fixed intervals in a second ``AddNoOverlap`` with the intervals
  of the non-preemptible operations on ``r``; a preemptible one is, for each window ``[a, b)``,
  exactly one of before (``C <= a``), after (``S >= b``) or across it (``S < a``, ``C >= b``,
  and then ``y = 1`` adds ``b - a`` to its length);
- sequence-dependent setups by ``AddCircuit`` over a depot node and the operations on ``r``:
  arc literal ``z_ij`` (``i`` directly before ``j``) enforces ``S_j >= C_i + s_ij``, a self
  loop ``not x_jm`` drops an operation running elsewhere, and ``sum z_ij c_ij`` is the setup
  cost. A circuit rather than setup-extended intervals because the changeover depends on both
  neighbours: an interval widened by a setup must know its predecessor, which is exactly what
  the circuit's arc literals decide, and they price the changeover in the objective for free.
  Resources without setups keep the plain ``AddNoOverlap`` (the job-shop case).

Across resources: ``S_after >= C_before + lag``; due dates: ``T_j >= C_j - d_j``, ``T_j >= 0``,
or ``C_j <= d_j`` when hard. Objectives: ``C_max``, ``sum w_j T_j``, ``sum s_ij z_ij``, or the
weighted mix of those and the setup cost.

The best dispatching-rule schedule is a complete hint (starts, modes, arcs, pauses), so the
search has a feasible schedule from its first second; a solution callback keeps every
incumbent; the solve runs in a thread so that Ctrl+C (``KeyboardInterrupt`` in the caller)
stops the search and returns the incumbent with its bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from chainlab.models.errors import ChainlabError
from chainlab.solver.result import Status
from chainlab.solver.schedule.dispatch import Placed, best_dispatch, meets_hard_dues, score
from chainlab.solver.schedule.problem import Objective, Problem
from chainlab.solver.schedule.result import Schedule, ScheduleOptions


@dataclass
class _ModeVars:
    resource: str
    duration: int
    present: cp_model.IntVar | int
    interval: cp_model.IntervalVar
    pauses: dict[int, cp_model.IntVar] = field(default_factory=dict)  # window index -> y


@dataclass
class _Vars:
    start: dict[str, cp_model.IntVar] = field(default_factory=dict)
    end: dict[str, cp_model.IntVar] = field(default_factory=dict)
    modes: dict[str, list[_ModeVars]] = field(default_factory=dict)
    sides: dict[tuple[str, int, int], tuple] = field(default_factory=dict)  # before/after/across
    arcs: dict[str, dict[tuple[int, int], cp_model.IntVar]] = field(default_factory=dict)
    nodes: dict[str, list[str]] = field(default_factory=dict)  # resource -> ops (node k+1)
    tardiness: dict[str, cp_model.IntVar] = field(default_factory=dict)
    makespan: cp_model.IntVar | None = None
    setup_time: cp_model.LinearExpr | int = 0
    setup_cost: cp_model.LinearExpr | float = 0


def horizon(problem: Problem, dispatched: dict[str, Placed]) -> int:
    """An upper bound on any end worth considering: everything one after the other after the
    last release, window and lag, with the worst setup each time; at least the rule's
    makespan."""
    ops = problem.operations
    worst_setup = max((s.time for s in problem.setups), default=0)
    last_window = max((b for w in problem.unavailable.values() for _, b in w), default=0)
    h = (max([o.release for o in ops] + [last_window])
         + sum(max(m.duration for m in o.modes) for o in ops)
         + len(ops) * worst_setup + sum(max(0, p.min_lag) for p in problem.precedences))
    return max(h, max((p.end for p in dispatched.values()), default=0))


def build(problem: Problem, options: ScheduleOptions, h: int
          ) -> tuple[cp_model.CpModel, _Vars]:
    m = cp_model.CpModel()
    v = _Vars()
    on: dict[str, list[tuple[str, _ModeVars]]] = {r: [] for r in problem.resources}
    for o in problem.operations:
        s = m.new_int_var(o.release, h, f"S[{o.id}]")
        c = m.new_int_var(o.release, h, f"C[{o.id}]")
        v.start[o.id], v.end[o.id] = s, c
        v.modes[o.id] = []
        lits = []
        for k, md in enumerate(o.modes):
            lit = 1 if len(o.modes) == 1 else m.new_bool_var(f"x[{o.id},{md.resource}]")
            windows = problem.windows(md.resource)
            pauses: dict[int, cp_model.IntVar] = {}
            size: cp_model.LinearExpr | int = md.duration
            if o.preemptible and windows:
                for w, (a, b) in enumerate(windows):
                    if a >= h:
                        break
                    pauses[w] = m.new_bool_var(f"y[{o.id},{k},{w}]")
                lengths = {w: windows[w][1] - windows[w][0] for w in pauses}
                size = m.new_int_var(md.duration, md.duration + sum(lengths.values()),
                                     f"len[{o.id},{k}]")
                m.add(size == md.duration + sum(lengths[w] * y for w, y in pauses.items()))
            if isinstance(lit, int):
                iv = m.new_interval_var(s, size, c, f"I[{o.id},{md.resource}]")
            else:
                iv = m.new_optional_interval_var(s, size, c, lit, f"I[{o.id},{md.resource}]")
                lits.append(lit)
            mv = _ModeVars(md.resource, md.duration, lit, iv, pauses)
            v.modes[o.id].append(mv)
            on[md.resource].append((o.id, mv))
            for w, y in pauses.items():
                a, b = windows[w]
                before = m.new_bool_var(f"before[{o.id},{k},{w}]")
                after = m.new_bool_var(f"after[{o.id},{k},{w}]")
                m.add(c <= a).only_enforce_if(before)
                m.add(s >= b).only_enforce_if(after)
                m.add(s <= a - 1).only_enforce_if(y)
                m.add(c >= b).only_enforce_if(y)
                if isinstance(lit, int):
                    m.add_exactly_one(before, after, y)
                else:
                    m.add(before + after + y == lit)
                v.sides[(o.id, k, w)] = (before, after, y)
        if lits:
            m.add_exactly_one(lits)
        hard = o.hard_due or (options.hard_due_dates and o.due is not None)
        if o.due is not None:
            if hard:
                m.add(c <= o.due)
            t = m.new_int_var(0, max(0, h - o.due), f"T[{o.id}]")
            m.add(t >= c - o.due)
            v.tardiness[o.id] = t
    for p in problem.precedences:
        m.add(v.start[p.after] >= v.end[p.before] + p.min_lag)
    setup_time, setup_cost = [], []
    for r, items in on.items():
        windows = problem.windows(r)
        m.add_no_overlap([mv.interval for _, mv in items])
        fixed = [mv.interval for oid, mv in items if not problem.by_id[oid].preemptible]
        if windows and fixed:
            m.add_no_overlap(fixed + [m.new_fixed_size_interval_var(a, b - a, f"off[{r},{a}]")
                                      for a, b in windows if a < h])
        if problem.has_setups(r) and len(items) > 1:
            _circuit(m, v, problem, r, items, setup_time, setup_cost)
    v.setup_time = sum(setup_time)
    v.setup_cost = sum(setup_cost)
    v.makespan = m.new_int_var(0, h, "Cmax")
    m.add_max_equality(v.makespan, list(v.end.values()))
    m.minimize(_objective(problem, options, v))
    return m, v


def _circuit(m, v: _Vars, problem: Problem, r: str, items, setup_time: list,
             setup_cost: list) -> None:
    ops = problem.by_id
    arcs: dict[tuple[int, int], cp_model.IntVar] = {}
    optional = False
    for k, (oid, mv) in enumerate(items, start=1):
        arcs[(0, k)] = m.new_bool_var(f"first[{r},{oid}]")
        arcs[(k, 0)] = m.new_bool_var(f"last[{r},{oid}]")
        if not isinstance(mv.present, int):
            arcs[(k, k)] = mv.present.Not()
            optional = True
        for k2, (oid2, mv2) in enumerate(items, start=1):
            if k2 == k:
                continue
            z = m.new_bool_var(f"z[{r},{oid},{oid2}]")
            arcs[(k, k2)] = z
            st, sc = problem.setup(r, ops[oid].product, ops[oid2].product)
            m.add(v.start[oid2] >= v.end[oid] + st).only_enforce_if(z)
            if st:
                setup_time.append(st * z)
            if sc:
                setup_cost.append(sc * z)
    if optional:
        empty = m.new_bool_var(f"empty[{r}]")
        arcs[(0, 0)] = empty
        for _, mv in items:
            if not isinstance(mv.present, int):
                m.add_implication(empty, mv.present.Not())
    m.add_circuit([(a, b, lit) for (a, b), lit in arcs.items()])
    v.arcs[r] = arcs
    v.nodes[r] = [oid for oid, _ in items]


def _objective(problem: Problem, options: ScheduleOptions, v: _Vars):
    ops = problem.by_id
    tard = [(ops[o].weight, t) for o, t in v.tardiness.items() if ops[o].weight]
    if all(float(w).is_integer() for w, _ in tard):
        tard = [(int(w), t) for w, t in tard]
    weighted_tardiness = sum(w * t for w, t in tard)
    if options.objective is Objective.MAKESPAN:
        return v.makespan
    if options.objective is Objective.TARDINESS:
        return weighted_tardiness
    if options.objective is Objective.SETUP:
        return v.setup_time
    w = options.weights
    terms = []
    for key, expr in (("makespan", v.makespan), ("tardiness", weighted_tardiness),
                      ("setup_time", v.setup_time), ("setup_cost", v.setup_cost)):
        f = w.get(key, 0.0)
        if f:
            terms.append((int(f) if float(f).is_integer() else f) * expr)
    return sum(terms)


def _hint(m: cp_model.CpModel, problem: Problem, v: _Vars, placed: dict[str, Placed]) -> None:
    for o in problem.operations:
        p = placed[o.id]
        m.add_hint(v.start[o.id], p.start)
        m.add_hint(v.end[o.id], p.end)
        for k, mv in enumerate(v.modes[o.id]):
            chosen = mv.resource == p.resource
            if not isinstance(mv.present, int):
                m.add_hint(mv.present, chosen)
            for w, y in mv.pauses.items():
                a, b = problem.windows(mv.resource)[w]
                before, after, across = v.sides[(o.id, k, w)]
                m.add_hint(before, chosen and p.end <= a)
                m.add_hint(after, chosen and p.start >= b)
                m.add_hint(across, chosen and p.start < a and p.end >= b)
        if o.id in v.tardiness:
            m.add_hint(v.tardiness[o.id], max(0, p.end - o.due))
    for r, arcs in v.arcs.items():
        nodes = v.nodes[r]
        seq = sorted((placed[o].start, k) for k, o in enumerate(nodes, start=1)
                     if placed[o].resource == r)
        on = set()
        if seq:
            chain = [0] + [k for _, k in seq] + [0]
            on.update(zip(chain, chain[1:], strict=False))
        else:
            on.add((0, 0))
        for k, o in enumerate(nodes, start=1):
            if placed[o].resource != r:
                on.add((k, k))
        for (a, b), lit in arcs.items():
            if a == b and a != 0:
                continue  # the self loop is the mode's presence literal, hinted above
            m.add_hint(lit, (a, b) in on)
    m.add_hint(v.makespan, max(p.end for p in placed.values()))


class _Incumbents(cp_model.CpSolverSolutionCallback):
    """Keeps the values of every new incumbent and reports it."""

    def __init__(self, problem: Problem, v: _Vars, on_progress: Callable | None, t0: float):
        super().__init__()
        self.problem, self.v, self.on_progress, self.t0 = problem, v, on_progress, t0
        self.placed: dict[str, Placed] | None = None
        self.incumbent: float | None = None
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1
        self.incumbent = self.objective_value
        self.placed = read_solution(self.problem, self.v, self.value_of)
        if self.on_progress is not None:
            self.on_progress({"incumbent": self.incumbent, "bound": self.best_objective_bound,
                              "seconds": time.perf_counter() - self.t0,
                              "solutions": self.count})

    def value_of(self, var) -> int:
        return self.value(var) if not isinstance(var, int) else var


def read_solution(problem: Problem, v: _Vars, value) -> dict[str, Placed]:
    """Placements from variable values (``value(var) -> int``); the setup before each
    operation from the circuit arcs, or nothing on resources without setups."""
    ops = problem.by_id
    out: dict[str, Placed] = {}
    prev: dict[str, str | None] = {}
    for r, arcs in v.arcs.items():
        nodes = v.nodes[r]
        for (a, b), lit in arcs.items():
            if a != b and b != 0 and value(lit):
                prev[nodes[b - 1]] = nodes[a - 1] if a else None
    for o in problem.operations:
        mv = next(x for x in v.modes[o.id] if isinstance(x.present, int) or value(x.present))
        p = prev.get(o.id)
        st, sc = problem.setup(mv.resource, ops[p].product, o.product) if p else (0, 0.0)
        out[o.id] = Placed(mv.resource, value(v.start[o.id]), value(v.end[o.id]), st, sc, p)
    if not v.arcs:
        return _with_sequence(problem, out)
    return _with_sequence(problem, out, skip=set(v.arcs))


def _with_sequence(problem: Problem, placed: dict[str, Placed], skip: set[str] = frozenset()
                   ) -> dict[str, Placed]:
    """Fill ``previous`` (and the setup, zero-time ones with a cost included) on resources
    whose order the circuit did not give, by start time."""
    by_res: dict[str, list[str]] = {}
    for oid, p in placed.items():
        if p.resource not in skip:
            by_res.setdefault(p.resource, []).append(oid)
    ops = problem.by_id
    for oids in by_res.values():
        oids.sort(key=lambda o: (placed[o].start, placed[o].end, o))
        for a, b in zip(oids, oids[1:], strict=False):
            p = placed[b]
            st, sc = problem.setup(p.resource, ops[a].product, ops[b].product)
            placed[b] = Placed(p.resource, p.start, p.end, st, sc, a)
    return placed


def solve(problem: Problem, options: ScheduleOptions | None = None,
          on_progress: Callable[[dict], None] | None = None, time_unit: str = "unit"
          ) -> Schedule:
    """Schedule ``problem``: the best dispatching rule's schedule, improved by CP-SAT until
    proven optimal, the time limit, the gap or Ctrl+C (the incumbent is returned, with
    ``interrupted``)."""
    options = options or ScheduleOptions()
    t0 = time.perf_counter()
    rule, placed0 = best_dispatch(problem, options.objective, options.weights)
    value0 = score(problem, placed0, options.objective, options.weights)
    feasible0 = meets_hard_dues(problem, placed0) and not (
        options.hard_due_dates and any(p.end > problem.by_id[o].due for o, p in placed0.items()
                                       if problem.by_id[o].due is not None))
    h = horizon(problem, placed0)
    if options.objective is Objective.MAKESPAN and feasible0:
        # an optimal schedule ends no later than the rule's: every end fits in its makespan
        h = max(p.end for p in placed0.values())
    model, v = build(problem, options, h)
    if options.hint and feasible0:
        _hint(model, problem, v, placed0)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, int(options.workers))
    prm.random_seed = int(options.seed)
    # Ctrl+C is Python's: it interrupts the join below, which stops the search (CP-SAT's own
    # handler would be installed from the solving thread, where Python cannot take part)
    prm.catch_sigint_signal = False
    if options.time_limit is not None:
        prm.max_time_in_seconds = float(options.time_limit)
    if options.relative_gap:
        prm.relative_gap_limit = float(options.relative_gap)
    cb = _Incumbents(problem, v, on_progress, t0)
    done: dict = {}

    finished = threading.Event()

    def run():
        try:
            done["status"] = solver.solve(model, cb)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            done["error"] = e
        finally:
            finished.set()

    worker = threading.Thread(target=run, name="cp-sat", daemon=True)
    interrupted = False
    worker.start()
    while not finished.is_set():
        try:  # an Event, not join(): a join cut by KeyboardInterrupt may forget the thread
            finished.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            solver.stop_search()
    worker.join()
    if "error" in done:
        raise done["error"]
    st = done["status"]
    seconds = time.perf_counter() - t0
    kw = dict(problem=problem, objective=options.objective, seconds=seconds,
              dispatch_rule=rule, dispatch_value=value0, interrupted=interrupted,
              solutions=cb.count, time_unit=time_unit)
    if st == cp_model.MODEL_INVALID:
        raise ChainlabError(f"schedule {problem.name}: CP-SAT rejected the model "
                            f"({model.validate()})")
    if st == cp_model.INFEASIBLE:
        return Schedule(status=Status.INFEASIBLE, value=None, bound=None, **kw)
    bound = solver.best_objective_bound
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.OPTIMAL if st == cp_model.OPTIMAL else Status.FEASIBLE
        placed = cb.placed if cb.placed is not None else read_solution(problem, v, solver.value)
        value = cb.incumbent if cb.incumbent is not None else solver.objective_value
        return Schedule(status=status, value=_num(value), bound=_num(bound), placed=placed, **kw)
    if feasible0:  # stopped before the search's first solution: the rule's schedule stands
        return Schedule(status=Status.FEASIBLE, value=_num(value0), bound=_num(bound),
                        placed=placed0, source="dispatch", **kw)
    return Schedule(status=Status.TIME_LIMIT, value=None, bound=_num(bound), **kw)


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)
