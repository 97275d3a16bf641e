"""HiGHS through its own Python binding (highspy): the whole model in one ``passModel`` call.

highspy is imported with the default (local) symbol binding, which coexists with OR-Tools'
embedded HiGHS in one process; ``pulp`` instead loads highspy globally, which is why the PuLP
backends run in a worker process (see :mod:`solver.backends.pulp_backend`).

Ctrl+C keeps what the solve found: in the main thread HiGHS runs in a thread of its own while
this one waits, so a ``KeyboardInterrupt`` arrives here at once; it asks HiGHS to stop at its
next interrupt check (``kCallbackMipInterrupt`` and the simplex/IPM ones, through highspy's
``HandleUserInterrupt``) and the solve answers like a time limit: the incumbent, ``FEASIBLE``,
with its bound. Interrupted before any incumbent exists, the ``KeyboardInterrupt`` goes on.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from dataclasses import replace

import numpy as np

from chainlab.models.errors import SolverError
from chainlab.solver.backends.base import (
    Backend,
    Capability,
    RawResult,
    Stopper,
    finite_or_none,
    stdout_to_stderr,
)
from chainlab.solver.lp import LPArrays
from chainlab.solver.options import Method, SolveOptions
from chainlab.solver.result import Phase, Progress, Status

C = Capability

#: models with more columns than this are solved with interior point + crossover when the
#: method is ``auto`` (measured: 3-5x faster than dual simplex on the benchmark's L network)
IPM_ABOVE = 50_000


class HighsBackend(Backend):
    name = "highs"
    library = "highspy"
    solver = "HiGHS"
    capabilities = (C.LP | C.MIP | C.DUALS | C.TIME_LIMIT | C.GAP | C.PROGRESS | C.IN_PROCESS
                    | C.INTERRUPT)

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec("highspy") is not None

    def solve(self, lp: LPArrays, options: SolveOptions, progress=None,
              stopper: Stopper | None = None) -> RawResult:
        try:
            import highspy
        except ImportError as e:  # pragma: no cover - guarded by is_available
            raise SolverError(f"highspy is not importable: {e}") from None
        start = time.perf_counter()
        try:
            h = to_highs(lp, options)
            _callbacks(h, lp, progress, start)
            h.HandleUserInterrupt = True
            if stopper is not None:
                stopper.on_stop(h.cancelSolve)
            handoff = time.perf_counter() - start
            if progress is not None:
                progress(Progress(Phase.SOLVE, handoff))
            with stdout_to_stderr():
                interrupted = _run(h)
            raw = replace(_result(h, lp, highspy, time.perf_counter() - start), handoff=handoff)
            if interrupted:
                if not raw.status.has_solution:
                    raise KeyboardInterrupt
                raw = replace(raw, detail=f"{raw.detail}; {INTERRUPTED}")
            return raw
        except (SolverError, KeyboardInterrupt):
            raise
        except Exception as e:  # library errors become ours at the boundary
            raise SolverError(f"HiGHS failed: {type(e).__name__}: {e}") from e


def to_highs(lp: LPArrays, options: SolveOptions):
    """A ``highspy.Highs`` holding ``lp`` (passed in one ``passModel``), options set."""
    import highspy

    with stdout_to_stderr(quiet=not options.verbose):  # the first Highs() prints a banner
        h = highspy.Highs()
    _options(h, lp, options)
    model = highspy.HighsLp()
    model.num_col_ = lp.n_vars
    model.num_row_ = lp.n_rows
    model.col_cost_ = lp.cost
    model.offset_ = lp.offset
    model.col_lower_ = lp.lower
    model.col_upper_ = lp.upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    model.a_matrix_.num_col_ = lp.n_vars
    model.a_matrix_.num_row_ = lp.n_rows
    model.a_matrix_.start_ = lp.a_start.astype(np.int32)
    model.a_matrix_.index_ = lp.a_index.astype(np.int32)
    model.a_matrix_.value_ = lp.a_value
    if lp.is_mip:
        model.integrality_ = [highspy.HighsVarType.kInteger if i
                              else highspy.HighsVarType.kContinuous for i in lp.integer]
    if h.passModel(model) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel returned an error)")
    return h


def _options(h, lp: LPArrays, o: SolveOptions) -> None:
    h.setOptionValue("output_flag", bool(o.verbose))
    h.setOptionValue("log_to_console", bool(o.verbose))
    if o.time_limit is not None:
        h.setOptionValue("time_limit", float(o.time_limit))
    h.setOptionValue("mip_rel_gap", float(o.gap))
    if o.threads:
        h.setOptionValue("threads", int(o.threads))
    method = lp_method(lp, o)
    if method is not None:
        h.setOptionValue("solver", method)
        if method == "ipm":
            h.setOptionValue("run_crossover", "on")  # a basic solution: exact duals


def lp_method(lp: LPArrays, o: SolveOptions) -> str | None:
    """HiGHS's ``solver`` option for an LP (None for a MILP)."""
    if lp.is_mip:
        return None
    method = o.method
    if method is Method.AUTO:
        method = Method.BARRIER if lp.n_vars > IPM_ABOVE else Method.SIMPLEX
    return {Method.SIMPLEX: "simplex", Method.BARRIER: "ipm", Method.PDLP: "pdlp"}[method]


#: what a result's ``detail`` says when Ctrl+C stopped its solve
INTERRUPTED = "interrupted (Ctrl+C): the best solution found is kept"


def _run(h) -> bool:
    """Run the solve of ``h``; whether Ctrl+C interrupted it. Outside the main thread (which
    alone receives KeyboardInterrupt) it is a plain ``run``; in it, HiGHS runs in its own
    thread and this one waits, turning Ctrl+C into HiGHS's user interrupt (the solve then
    ends at its next interrupt check, keeping its incumbent)."""
    if threading.current_thread() is not threading.main_thread():
        h.run()
        return False
    interrupted = False
    h.startSolve()
    while True:
        try:
            done, _ = h.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            h.cancelSolve()
            continue
        if done:
            return interrupted


def _callbacks(h, lp: LPArrays, progress, start: float) -> None:
    if progress is None or not lp.is_mip:
        return

    def report(e):
        out = e.data_out
        progress(Progress(Phase.SOLVE, time.perf_counter() - start,
                          finite_or_none(out.mip_primal_bound), finite_or_none(out.mip_dual_bound)))

    h.cbMipImprovingSolution += report
    h.cbMipLogging += report


def _result(h, lp: LPArrays, highspy, seconds: float) -> RawResult:
    ms = h.getModelStatus()
    info = h.getInfo()
    S = highspy.HighsModelStatus
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = duals = None
    if has_x:
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        if not lp.is_mip and sol.dual_valid:
            duals = np.asarray(sol.row_dual, dtype=float)
    obj = finite_or_none(info.objective_function_value) if has_x else None
    if lp.is_mip:
        bound = finite_or_none(info.mip_dual_bound)
    else:
        bound = obj if ms == S.kOptimal else None
    detail = h.modelStatusToString(ms)
    if ms == S.kOptimal or (ms == S.kModelEmpty):
        if x is None and lp.n_vars == 0:
            x, obj = np.zeros(0), lp.offset
            duals = np.zeros(lp.n_rows)
        return RawResult(Status.OPTIMAL, x, duals, obj, bound if bound is not None else obj,
                         detail, seconds)
    if ms == S.kInfeasible or ms == S.kUnboundedOrInfeasible:
        return RawResult(Status.INFEASIBLE, detail=detail, seconds=seconds)
    if ms == S.kUnbounded:
        return RawResult(Status.UNBOUNDED, detail=detail, seconds=seconds)
    if ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit,
              S.kObjectiveBound, S.kObjectiveTarget, S.kMemoryLimit):
        if x is not None:
            return RawResult(Status.FEASIBLE, x, None, obj, bound, detail, seconds)
        return RawResult(Status.TIME_LIMIT, detail=detail, seconds=seconds)
    raise SolverError(f"HiGHS stopped without an answer: {detail}")
