"""The solve step that planning, network design and diagnosis share.

A model given as arrays (:class:`~solver.lp.LPArrays`) goes to a backend with
:func:`solve_lp`: here, interrupted from outside at the time limit, or in a worker process
(:mod:`solver.worker`) that is killed then. A MILP solution is :func:`polish` ed (its
continuous part re-solved with the integers rounded) and, for a plan, given
:func:`marginal_values` (the duals of the LP left with its integer decisions fixed).
:func:`check_capabilities` refuses a backend that cannot solve the model.

:class:`Run` is one solve from its start, as :func:`solver.plan` and :func:`solver.design` drive
it: the backend checked before any work, the clock, the :class:`~solver.result.Progress`
reports of each :class:`~solver.result.Phase`, the solve itself and, for an infeasible model,
the diagnosis; :meth:`Run.info` gives the :class:`~solver.result.SolveInfo` of the result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from chainlab.models.errors import BackendUnavailable, SolverError
from chainlab.solver import backends, worker
from chainlab.solver.backends.base import Backend, Capability, RawResult, Stopper
from chainlab.solver.lp import LPArrays
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Diagnosis, Phase, Progress, SolveInfo, Status

ProgressFn = Callable[[Progress], None]


class Run:
    """One solve, from the moment it is asked for: the backend of ``options`` checked (an
    unavailable one raises, naming those that are), the clock started, and the first
    :class:`Progress` (``Phase.PREPARE``) reported to ``progress``."""

    def __init__(self, options: SolveOptions, progress: ProgressFn | None = None):
        self.options = options
        self.progress = progress
        self.start = time.perf_counter()
        self.backend = backends.backend_class(options.backend)
        if not self.backend.is_available():
            backends.get(options.backend)  # raises with the list of available backends
        self.build_seconds = 0.0
        self.duals_seconds = 0.0
        self.report(Phase.PREPARE)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def report(self, phase: Phase, **kw) -> None:
        """A :class:`Progress` of ``phase`` (incumbent, bound, message in ``kw``)."""
        if self.progress is not None:
            self.progress(Progress(phase, self.elapsed(), **kw))

    def solve(self, lp: LPArrays, message: str,
              pricing: Callable[[LPArrays, np.ndarray], LPArrays] | None = None) -> RawResult:
        """Solve the built model ``lp`` (the build ends here; ``message`` says its size): the
        backend's own progress goes on as ``Phase.SOLVE``, a MILP solution is polished and,
        with ``pricing`` (:meth:`~solver.model.PlanModel.pricing_lp`), given its marginal
        values (``Phase.DUALS``); ends at ``Phase.READ``."""
        self.build_seconds = self.elapsed()
        self.report(Phase.SOLVE, message=message)

        def solver_progress(p: Progress):
            self.report(Phase.SOLVE, incumbent=p.incumbent, bound=p.bound, message=p.message)

        raw = solve_lp(lp, self.options, progress=solver_progress)
        raw = polish(lp, raw, self.options)
        if pricing is not None and lp.is_mip and raw.status.has_solution:
            self.report(Phase.DUALS)
            t = time.perf_counter()
            raw = marginal_values(pricing, lp, raw, self.options)
            self.duals_seconds = time.perf_counter() - t
        self.report(Phase.READ)
        return raw

    def diagnose(self, raw: RawResult, diagnose: Callable[[], Diagnosis]) -> Diagnosis | None:
        """``diagnose()`` when the model is infeasible and the options ask for a diagnosis
        (``Phase.DIAGNOSE``), else None."""
        if raw.status is not Status.INFEASIBLE or not self.options.diagnose:
            return None
        self.report(Phase.DIAGNOSE)
        return diagnose()

    def info(self, lp: LPArrays, raw: RawResult) -> SolveInfo:
        """What this solve of ``lp`` established (see :func:`solve_info`)."""
        return solve_info(lp, raw, self.backend.name, self.build_seconds, self.duals_seconds)

    def done(self, result):
        """Report ``Phase.DONE`` with ``result`` 's objective and bound; returns ``result``."""
        self.report(Phase.DONE, incumbent=result.objective, bound=result.bound)
        return result


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / |objective| (0 below 1e-12), the gap a MIP solve closes; None
    until both are known."""
    if objective is None or bound is None:
        return None
    gap = abs(objective - bound) / max(abs(objective), 1e-9)
    return 0.0 if gap < 1e-12 else gap


def solve_info(lp: LPArrays, raw: RawResult, backend: str, build_seconds: float,
               duals_seconds: float = 0.0) -> SolveInfo:
    """The :class:`SolveInfo` of ``raw``, the backend's answer for ``lp``: no objective without
    a solution, an LP's optimum as its own bound, the relative gap between them (0 below
    1e-12), and the model's size."""
    objective = raw.objective if raw.status.has_solution else None
    bound = raw.bound
    if raw.status is Status.OPTIMAL and not lp.is_mip and bound is None:
        bound = objective
    gap = relative_gap(objective, bound)
    size = {"variables": lp.n_vars, "constraints": lp.n_rows, "nonzeros": lp.nnz,
            "integers": int(lp.integer.sum())}
    return SolveInfo(status=raw.status, objective=objective, bound=bound, gap=gap,
                     backend=backend, build_seconds=build_seconds, solve_seconds=raw.seconds,
                     handoff_seconds=raw.handoff, duals_seconds=duals_seconds, size=size,
                     is_mip=lp.is_mip, detail=raw.detail)


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
    lp_raw = solve_lp(fixed, options.replace(backend=with_fallback(options.backend,
                                                                   Capability.LP),
                                             time_limit=None))
    if lp_raw.status is not Status.OPTIMAL:
        return raw
    return replace(raw, x=lp_raw.x, objective=lp_raw.objective,
                   detail=raw.detail + "; continuous part re-solved with integers rounded",
                   seconds=raw.seconds + lp_raw.seconds)


def marginal_values(pricing: Callable[[LPArrays, np.ndarray], LPArrays], lp: LPArrays,
                    raw: RawResult, options: SolveOptions) -> RawResult:
    """``raw`` (a MILP solution of the arrays ``lp``) with row duals: those of the LP
    ``pricing(lp, raw.x)`` (the model's :meth:`~solver.model.PlanModel.pricing_lp`: its integer
    decisions fixed at their values), solved with the same backend and options.

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
        lp_raw = solve_lp(pricing(lp, raw.x), options)
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


def with_fallback(name: str | None, capability: Capability) -> str | None:
    """``name`` if its backend has ``capability``, else the default backend: for the LPs
    solved after a MILP (polishing, duals), which a MILP-only backend cannot take."""
    if capability not in backends.backend_class(name).capabilities:
        return backends.DEFAULT
    return name


def check_capabilities(cls: type[Backend], lp: LPArrays) -> None:
    """Refuse a backend that cannot solve this kind of model, saying which would."""
    caps = cls.capabilities
    if lp.is_mip and Capability.MIP not in caps:
        n = int(lp.integer.sum())
        raise BackendUnavailable(
            f"backend {cls.name!r} solves LPs only, and this model has {n:,} integer variables "
            f"(setup costs, minimum lots, lane fixed costs or minimum shipments, or "
            f"integer_quantities); use one of: {', '.join(backends_with(Capability.MIP))}")
    if Capability.INTEGER_ONLY in caps and not lp.integer.all():
        n = int((~lp.integer).sum())
        raise BackendUnavailable(
            f"backend {cls.name!r} needs every variable integer, and this model has {n:,} "
            f"continuous ones; plan with integer_quantities=True, or use another backend")


def backends_with(cap: Capability) -> list[str]:
    """The available backends that have ``cap`` and take continuous variables."""
    out = []
    for n in backends.available():
        c = backends.backend_class(n).capabilities
        if cap in c and Capability.INTEGER_ONLY not in c:
            out.append(n)
    return out


__all__ = ["ProgressFn", "Run", "backends_with", "check_capabilities", "marginal_values",
           "polish", "solve_info", "solve_lp", "with_fallback"]
