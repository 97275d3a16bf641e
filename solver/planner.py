"""``plan()``: network + demand -> :class:`Plan`, and ``solve_lp()``, the solve step on its own.

The steps: prepare the sets (:mod:`solver.data`), build the model as arrays
(:mod:`solver.model`), solve with a backend (here, or in a worker process that is killed at the
limit), for a MILP solve the LP left with its integer decisions fixed for the marginal values,
read the solution into tables (:mod:`solver.solution`), and, when the model is infeasible,
diagnose it with an elastic re-solve (:mod:`solver.diagnose`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from chainlab.models import Network
from chainlab.models.errors import BackendUnavailable, SolverError
from chainlab.solver import backends, worker
from chainlab.solver.backends.base import Capability, RawResult, Stopper
from chainlab.solver.data import prepare
from chainlab.solver.lp import LPArrays
from chainlab.solver.model import PlanModel, build
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Plan, Progress, Status
from chainlab.solver.solution import clean, tables

ProgressFn = Callable[[Progress], None]


def plan(net: Network, demand=None, options: SolveOptions | None = None, *,
         progress: ProgressFn | None = None, **option_changes) -> Plan:
    """A production-distribution plan for ``net`` over its calendar.

    ``demand``: None (the network's ``demand.csv``), a DataFrame with customer, product,
    period (or date) and quantity, or a CRM demand model (``models.demand.DemandModel``,
    whose ``expected_demand()`` is planned). ``options``
    and/or keyword changes to them (``plan(net, backend="ortools-highs", time_limit=30)``).
    ``progress`` is called with a :class:`Progress` at each phase and whenever the solver
    reports a new incumbent or bound.

    Returns a :class:`Plan` whatever the solver found (optimal, feasible at a limit,
    infeasible with a diagnosis, time limit); raises :class:`~models.ValidationError` for bad
    input and :class:`~models.errors.SolverError` when a backend fails.
    """
    options = options or SolveOptions()
    if option_changes:
        options = options.replace(**option_changes)
    start = time.perf_counter()

    def report(phase, **kw):
        if progress is not None:
            progress(Progress(phase, time.perf_counter() - start, **kw))

    backend_cls = backends.backend_class(options.backend)
    if not backend_cls.is_available():
        backends.get(options.backend)  # raises with the list of available backends
    report("prepare")
    data = prepare(net, demand, options)
    report("build")
    model = build(data, options)
    lp = model.lp.arrays()
    build_seconds = time.perf_counter() - start
    report("solve", message=f"{lp.n_vars:,} variables, {lp.n_rows:,} constraints, "
                            f"{lp.nnz:,} nonzeros" + (", MILP" if lp.is_mip else ""))

    def solve_progress(p: Progress):
        report("solve", incumbent=p.incumbent, bound=p.bound, message=p.message)

    raw = solve_lp(lp, options, progress=solve_progress)
    raw = polish(lp, raw, options)
    duals_seconds = 0.0
    if options.duals and lp.is_mip and raw.status.has_solution:
        report("duals")
        t = time.perf_counter()
        raw = marginal_values(model, lp, raw, options)
        duals_seconds = time.perf_counter() - t
    report("read")
    diagnosis = None
    if raw.status is Status.INFEASIBLE and options.diagnose:
        from chainlab.solver.diagnose import diagnose

        report("diagnose")
        diagnosis = diagnose(data, options)
    result = make_plan(model, lp, raw, options, backend_cls.name, build_seconds, diagnosis,
                       duals_seconds)
    report("done", incumbent=result.objective, bound=result.bound)
    return result


def solve_lp(lp: LPArrays, options: SolveOptions, progress: ProgressFn | None = None
             ) -> RawResult:
    """Solve a model given as arrays with ``options.backend``, enforcing the time limit from
    outside too: in this process through the backend's interrupt, in a worker process (for
    backends that cannot run here, or ``options.isolate``) by killing it."""
    cls = backends.backend_class(options.backend)
    check_capabilities(cls, lp)
    hard = None if options.time_limit is None else options.time_limit + options.grace
    interruptible = Capability.INTERRUPT in cls.capabilities
    if options.isolate or not cls.can_run_here() or (hard is not None and not interruptible):
        ref = options.backend if options.backend and ":" in options.backend else cls.name
        raw = worker.run(ref, lp, options, progress, hard_limit=hard)
    else:
        stopper = Stopper() if interruptible else None
        timer = None
        if hard is not None:
            timer = threading.Timer(hard, stopper.stop)
            timer.daemon = True
            timer.start()
        try:
            raw = cls().solve(lp, options, progress, stopper)
        finally:
            if timer is not None:
                timer.cancel()
        if stopper is not None and stopper.stopped:
            raw = replace(raw, detail=f"{raw.detail}; stopped from outside {hard:.1f} s "
                                      f"after the start")
    if raw.status is Status.OPTIMAL and raw.x is not None and lp.n_vars and raw.x.shape != (
            lp.n_vars,):
        raise BackendUnavailable(f"{cls.name} returned {raw.x.shape} values for "
                                 f"{lp.n_vars} variables")
    return raw


def polish(lp: LPArrays, raw: RawResult, options: SolveOptions) -> RawResult:
    """A MILP solution whose integer variables are only integral to the solver's tolerance
    (setup = 1e-7 allowing a sliver of production) is re-solved as an LP with the integers
    fixed to their rounded values, so that the tables agree with each other exactly."""
    if not (lp.is_mip and raw.status.has_solution and raw.x is not None):
        return raw
    xi = raw.x[lp.integer]
    if not len(xi) or np.abs(xi - np.round(xi)).max() <= 1e-9:
        return raw
    fixed = lp.with_integers_fixed(raw.x)
    name = options.backend
    if Capability.LP not in backends.backend_class(name).capabilities:
        name = backends.DEFAULT
    lp_raw = solve_lp(fixed, options.replace(backend=name, time_limit=None))
    if lp_raw.status is not Status.OPTIMAL:
        return raw
    return replace(raw, x=lp_raw.x, objective=lp_raw.objective,
                   detail=raw.detail + "; continuous part re-solved with integers rounded",
                   seconds=raw.seconds + lp_raw.seconds)


def marginal_values(model: PlanModel, lp: LPArrays, raw: RawResult, options: SolveOptions
                    ) -> RawResult:
    """``raw`` (a MILP solution of ``model``'s arrays ``lp``) with row duals: those of the LP
    left when its integer decisions are fixed at their values
    (:meth:`~solver.model.PlanModel.pricing_lp`), solved with the same backend and options.

    They price capacity and demand *given* those decisions (which setups run, which lanes are
    used): one more hour on a line saves what it saves with the same setups, and capacity that
    would pay only with another setup is worth nothing here. ``raw`` comes back without duals
    (NaN marginal values), and ``detail`` says why, when the backend gives no duals, every
    variable is integer (nothing is left to price), or the fixed LP is not solved."""
    if not (lp.is_mip and raw.status.has_solution and raw.x is not None) or \
            raw.duals is not None:
        return raw
    cls = backends.backend_class(options.backend)

    def without(why: str) -> RawResult:
        return replace(raw, detail=f"{raw.detail}; no marginal values: {why}")

    if (Capability.LP | Capability.DUALS) not in cls.capabilities:
        return without(f"{cls.name} gives no duals")
    if lp.integer.all():
        return without("every variable is integer")
    try:
        lp_raw = solve_lp(model.pricing_lp(lp, raw.x), options)
    except SolverError as e:  # the plan stands without them
        return without(f"the LP with the integer decisions fixed failed: {e}")
    if lp_raw.status is not Status.OPTIMAL:
        return without(f"the LP with the integer decisions fixed ended {lp_raw.status.value}"
                       f" ({lp_raw.detail})")
    if lp_raw.duals is None:
        return without(f"{cls.name} gave no duals for the LP with the integer decisions fixed")
    return replace(raw, duals=lp_raw.duals,
                   detail=f"{raw.detail}; marginal values from the LP with the integer "
                          f"decisions fixed")


def check_capabilities(cls, lp: LPArrays) -> None:
    """Refuse a backend that cannot solve this kind of model, saying which would."""
    caps = cls.capabilities
    if lp.is_mip and Capability.MIP not in caps:
        n = int(lp.integer.sum())
        raise BackendUnavailable(
            f"backend {cls.name!r} solves LPs only, and this model has {n:,} integer variables "
            f"(setup costs, minimum lots, lane fixed costs or minimum shipments, or "
            f"integer_quantities); use one of: {', '.join(_with(Capability.MIP))}")
    if Capability.INTEGER_ONLY in caps and not lp.integer.all():
        n = int((~lp.integer).sum())
        raise BackendUnavailable(
            f"backend {cls.name!r} needs every variable integer, and this model has {n:,} "
            f"continuous ones; plan with integer_quantities=True, or use another backend")


def _with(cap: Capability) -> list[str]:
    out = []
    for n in backends.available():
        c = backends.backend_class(n).capabilities
        if cap in c and Capability.INTEGER_ONLY not in c:
            out.append(n)
    return out


def make_plan(model, lp: LPArrays, raw: RawResult, options: SolveOptions, backend: str,
              build_seconds: float, diagnosis=None, duals_seconds: float = 0.0) -> Plan:
    """Assemble the :class:`Plan` from a model and what the backend returned."""
    net = model.data.net
    if raw.x is not None and raw.status.has_solution:
        t = tables(model, lp, raw)
        costs = model.lp.costs_by_category(clean(raw.x, lp))
    else:
        t = _empty_tables(model, lp)
        costs = {}
    objective = raw.objective if raw.status.has_solution else None
    bound = raw.bound
    if raw.status is Status.OPTIMAL and not lp.is_mip and bound is None:
        bound = objective
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
        gap = 0.0 if gap < 1e-12 else gap
    size = {"variables": lp.n_vars, "constraints": lp.n_rows, "nonzeros": lp.nnz,
            "integers": int(lp.integer.sum())}
    return Plan(status=raw.status, objective=objective, bound=bound, gap=gap, backend=backend,
                build_seconds=build_seconds, solve_seconds=raw.seconds,
                handoff_seconds=raw.handoff, duals_seconds=duals_seconds, network=net.name,
                currency=net.currency, calendar=net.calendar, costs=costs, size=size,
                is_mip=lp.is_mip, detail=raw.detail, diagnosis=diagnosis, options=options, **t)


def _empty_tables(model, lp: LPArrays) -> dict:
    zero = RawResult(Status.OPTIMAL, x=np.zeros(lp.n_vars), duals=None)
    t = tables(model, lp, zero)
    return {k: v.iloc[0:0] for k, v in t.items()}
