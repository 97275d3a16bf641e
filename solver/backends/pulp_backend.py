"""PuLP: its bundled CBC (``pulp-cbc``) and HiGHS through highspy (``pulp-highs``).

These backends only ever run in a worker process (:mod:`solver.worker`), never in the caller's:

- ``import pulp`` loads highspy's library with global symbol binding, after which every solve
  with OR-Tools' HiGHS in that process segfaulted (5 of 5 on this machine). Keeping pulp out of
  the caller's process makes that impossible rather than unlikely; this module does not import
  pulp at import time, and :meth:`_Pulp.solve` refuses to run outside a worker.
- PuLP's CBC has overrun a 120 s limit by 49 s and never returned on another MILP: the worker
  is killed at the limit plus a grace period.
- PuLP labels a time-limited feasible answer "Optimal": the status is read from
  ``prob.sol_status`` (integer feasible vs optimal), not from the label.

PuLP has no bulk interface, so the model is built one variable and one row at a time from
the CSR arrays (the benchmark's baseline is a plain PuLP build of the same model).
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from dataclasses import replace

import numpy as np

from chainlab.models.errors import SolverError
from chainlab.solver.backends.base import Backend, Capability, RawResult, Stopper
from chainlab.solver.lp import LPArrays
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Phase, Progress, Status
from chainlab.solver.worker import WORKER_ENV

C = Capability



class _Pulp(Backend):
    library = "pulp"
    capabilities = C.LP | C.MIP | C.DUALS | C.TIME_LIMIT | C.GAP

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec("pulp") is not None

    def make_solver(self, pulp, options: SolveOptions, lp: LPArrays):  # pragma: no cover
        raise NotImplementedError

    def solve(self, lp: LPArrays, options: SolveOptions, progress=None,
              stopper: Stopper | None = None) -> RawResult:
        if os.environ.get(WORKER_ENV) != "1":
            raise SolverError(f"{self.name} runs only in a worker process (importing pulp here "
                              f"would crash OR-Tools' HiGHS in this process); use "
                              f"solver.solve_lp or solver.plan")
        import pulp

        start = time.perf_counter()
        prob, xs, rows, infeasible = build_problem(pulp, lp)
        if infeasible:
            return RawResult(Status.INFEASIBLE, detail=infeasible,
                             seconds=time.perf_counter() - start)
        handoff = time.perf_counter() - start
        if progress is not None:
            progress(Progress(Phase.SOLVE, handoff, message=f"{self.name}: model built"))
        try:
            prob.solve(self.make_solver(pulp, options, lp))
        except pulp.PulpSolverError as e:
            raise SolverError(f"{self.name} failed: {e}") from e
        return replace(read(pulp, prob, xs, rows, lp, time.perf_counter() - start),
                       handoff=handoff)


def build_problem(pulp, lp: LPArrays):
    """The arrays as a ``pulp.LpProblem``, one element at a time (PuLP has no bulk API).

    Returns (problem, variables, rows, reason) with rows = [(lower row, upper row)] per matrix
    row and ``reason`` a message when an empty row already makes the model infeasible."""
    prob = pulp.LpProblem("chainlab", pulp.LpMinimize)
    xs = []
    for j in range(lp.n_vars):
        lo, up = lp.lower[j], lp.upper[j]
        xs.append(pulp.LpVariable(f"x{j}", None if math.isinf(lo) else float(lo),
                                  None if math.isinf(up) else float(up),
                                  pulp.LpInteger if lp.integer[j] else pulp.LpContinuous))
    nz = np.flatnonzero(lp.cost)
    obj = pulp.LpAffineExpression([(xs[j], float(lp.cost[j])) for j in nz])
    obj.constant = float(lp.offset)
    prob.setObjective(obj)
    rows = []
    idx, val, st = lp.a_index.tolist(), lp.a_value.tolist(), lp.a_start.tolist()
    for i in range(lp.n_rows):
        s, e = st[i], st[i + 1]
        lo, up = float(lp.row_lower[i]), float(lp.row_upper[i])
        if s == e:
            if lo > 1e-9 or up < -1e-9:
                return prob, xs, rows, f"row {i} has no terms and needs {lo} <= 0 <= {up}"
            rows.append((None, None))
            continue
        expr = pulp.LpAffineExpression([(xs[k], v) for k, v in zip(idx[s:e], val[s:e])])
        if lo == up:
            c = pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", lo)
            prob.addConstraint(c)
            rows.append((c, None))
            continue
        cl = cu = None
        if not math.isinf(lo):
            cl = pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}_lo", lo)
            prob.addConstraint(cl)
        if not math.isinf(up):
            cu = pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}", up)
            prob.addConstraint(cu)
        rows.append((cl, cu))
    return prob, xs, rows, None


def read(pulp, prob, xs, rows, lp: LPArrays, seconds: float) -> RawResult:
    """Status from ``sol_status`` (not the 'Optimal' label), values, duals of LPs."""
    ss = prob.sol_status
    detail = f"{pulp.LpStatus.get(prob.status, prob.status)} / " \
             f"{pulp.LpSolution.get(ss, ss)}"
    # the "Optimal" label is not to be trusted at a time limit, but "Infeasible" is a proof
    if ss == pulp.LpSolutionInfeasible or (ss == pulp.LpSolutionNoSolutionFound
                                           and prob.status == pulp.LpStatusInfeasible):
        return RawResult(Status.INFEASIBLE, detail=detail, seconds=seconds)
    if ss == pulp.LpSolutionUnbounded:
        return RawResult(Status.UNBOUNDED, detail=detail, seconds=seconds)
    if ss not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return RawResult(Status.TIME_LIMIT, detail=detail, seconds=seconds)
    x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs], dtype=float)
    obj = float(lp.cost @ x + lp.offset) if prob.objective is None else float(
        pulp.value(prob.objective))
    duals = None
    if not lp.is_mip and ss == pulp.LpSolutionOptimal:
        duals = np.zeros(lp.n_rows)
        for i, (a, b) in enumerate(rows):
            for c in (a, b):
                if c is not None and c.pi is not None:
                    duals[i] += c.pi
    if ss == pulp.LpSolutionOptimal:
        return RawResult(Status.OPTIMAL, x, duals, obj, obj, detail, seconds)
    return RawResult(Status.FEASIBLE, x, None, obj, None, detail, seconds)


class PulpCbc(_Pulp):
    name = "pulp-cbc"
    solver = "CBC"

    def make_solver(self, pulp, o: SolveOptions, lp: LPArrays):
        return pulp.PULP_CBC_CMD(msg=bool(o.verbose), timeLimit=o.time_limit, gapRel=o.gap,
                                 threads=o.threads)


class PulpHighs(_Pulp):
    name = "pulp-highs"
    solver = "HiGHS"

    @classmethod
    def is_available(cls) -> bool:
        return super().is_available() and importlib.util.find_spec("highspy") is not None

    def make_solver(self, pulp, o: SolveOptions, lp: LPArrays):
        from chainlab.solver.backends.highs import lp_method

        kw = {} if o.threads is None else {"threads": o.threads}
        method = lp_method(lp, o)
        if method is not None:
            kw["solver"] = method
        return pulp.HiGHS(msg=bool(o.verbose), timeLimit=o.time_limit, gapRel=o.gap, **kw)
