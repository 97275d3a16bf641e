"""OR-Tools through MathOpt: HiGHS, SCIP, GLOP, PDLP and CP-SAT.

The model goes to MathOpt as one ``ModelProto`` filled from the arrays in bulk (packed repeated
fields), and is solved by MathOpt's core ``solve`` on the proto, so no Python object is made per
variable or coefficient. MathOpt (not pywraplp) because it returns the incumbent and bound when
HiGHS stops at the time limit; pywraplp returned no solution there.

Never run in a process that has imported ``pulp`` (it loads highspy's library globally and
OR-Tools' HiGHS then segfaults): ``conflicts`` makes the planner use a worker process then.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
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


class _MathOpt(Backend):
    library = "ortools"
    conflicts = ("pulp",)
    #: mathopt.SolverType member name
    solver_type: str

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec("ortools") is not None

    def solve(self, lp: LPArrays, options: SolveOptions, progress=None,
              stopper: Stopper | None = None) -> RawResult:
        try:
            from ortools.math_opt import model_parameters_pb2, result_pb2
            from ortools.math_opt.core.python import solver as core
            from ortools.math_opt.python import parameters as mp
            from ortools.util.python import solve_interrupter
        except ImportError as e:  # pragma: no cover - guarded by is_available
            raise SolverError(f"OR-Tools MathOpt is not importable: {e}") from None
        start = time.perf_counter()
        model = to_proto(lp)
        params = self.parameters(mp, lp, options)
        interrupter = None
        if stopper is not None:
            interrupter = solve_interrupter.SolveInterrupter()
            stopper.on_stop(interrupter.interrupt)
        handoff = time.perf_counter() - start
        if progress is not None:
            progress(Progress(Phase.SOLVE, handoff))
        try:
            with stdout_to_stderr():
                raw = core.solve(
                    model, getattr(mp.SolverType, self.solver_type).value,
                    mp_init_args(), params.to_proto(),
                    model_parameters_pb2.ModelSolveParametersProto(),
                    None, _callback_registration(), None,
                    interrupter.pybind_interrupter if interrupter is not None else None)
        except Exception as e:  # StatusNotOk and friends become ours at the boundary
            raise SolverError(f"OR-Tools {self.solver} failed: {e}") from e
        result = result_pb2.SolveResultProto.FromString(raw) if isinstance(raw, bytes) else raw
        return replace(self.read(result, lp, time.perf_counter() - start), handoff=handoff)

    def parameters(self, mp, lp: LPArrays, o: SolveOptions):
        p = mp.SolveParameters(enable_output=bool(o.verbose))
        if o.time_limit is not None:
            p.time_limit = dt.timedelta(seconds=float(o.time_limit))
        if o.threads:
            p.threads = int(o.threads)
        if lp.is_mip:
            p.relative_gap_tolerance = float(o.gap)
            p.absolute_gap_tolerance = 1e-9
        algo = {Method.SIMPLEX: mp.LPAlgorithm.DUAL_SIMPLEX, Method.BARRIER: mp.LPAlgorithm.BARRIER,
                Method.PDLP: mp.LPAlgorithm.FIRST_ORDER}.get(o.method)
        if algo is not None and not lp.is_mip and self.solver_type in ("HIGHS", "GLOP"):
            p.lp_algorithm = algo
        elif o.method is Method.AUTO and not lp.is_mip and self.solver_type == "HIGHS" \
                and lp.n_vars > 50_000:
            p.lp_algorithm = mp.LPAlgorithm.BARRIER
        return p

    def read(self, r, lp: LPArrays, seconds: float) -> RawResult:
        from ortools.math_opt import result_pb2 as R

        reason = r.termination.reason
        detail = R.TerminationReasonProto.Name(reason).removeprefix("TERMINATION_REASON_")
        if r.termination.detail:
            detail += f": {r.termination.detail}"
        x = duals = None
        if len(r.solutions):
            sol = r.solutions[0]
            ps = sol.primal_solution
            if sol.HasField("primal_solution") and \
                    ps.feasibility_status == 2:  # SOLUTION_STATUS_FEASIBLE
                x = np.zeros(lp.n_vars)
                x[np.asarray(ps.variable_values.ids, dtype=np.int64)] = np.asarray(
                    ps.variable_values.values, dtype=float)
            for s in r.solutions:
                if s.HasField("dual_solution") and s.dual_solution.feasibility_status == 2 \
                        and not lp.is_mip:
                    duals = np.zeros(lp.n_rows)
                    dv = s.dual_solution.dual_values
                    duals[np.asarray(dv.ids, dtype=np.int64)] = np.asarray(dv.values, dtype=float)
                    break
        obj = finite_or_none(r.solutions[0].primal_solution.objective_value) \
            if x is not None else None
        bound = finite_or_none(r.termination.objective_bounds.dual_bound)
        if reason == R.TERMINATION_REASON_OPTIMAL:
            if x is None and lp.n_vars == 0:
                x, obj = np.zeros(0), lp.offset
            return RawResult(Status.OPTIMAL, x, duals, obj, bound if bound is not None else obj,
                             detail, seconds)
        if reason in (R.TERMINATION_REASON_INFEASIBLE,
                      R.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED):
            return RawResult(Status.INFEASIBLE, detail=detail, seconds=seconds)
        if reason == R.TERMINATION_REASON_UNBOUNDED:
            return RawResult(Status.UNBOUNDED, detail=detail, seconds=seconds)
        if reason in (R.TERMINATION_REASON_FEASIBLE, R.TERMINATION_REASON_NO_SOLUTION_FOUND):
            if x is not None:
                return RawResult(Status.FEASIBLE, x, None, obj, bound, detail, seconds)
            return RawResult(Status.TIME_LIMIT, detail=detail, seconds=seconds)
        raise SolverError(f"OR-Tools {self.solver} stopped without an answer: {detail}")


def mp_init_args():
    from ortools.math_opt.python import init_arguments

    return init_arguments.StreamableSolverInitArguments().to_proto()


def _callback_registration():
    from ortools.math_opt import callback_pb2

    return callback_pb2.CallbackRegistrationProto()


def to_proto(lp: LPArrays):
    """A MathOpt ``ModelProto`` from the arrays, filled field by field in bulk."""
    from ortools.math_opt import model_pb2

    m = model_pb2.ModelProto()
    v = m.variables
    v.ids.extend(range(lp.n_vars))
    v.lower_bounds.extend(lp.lower.tolist())
    v.upper_bounds.extend(lp.upper.tolist())
    v.integers.extend(lp.integer.tolist())
    if lp.var_names is not None:
        v.names.extend(lp.var_names)
    nz = np.flatnonzero(lp.cost)
    m.objective.offset = lp.offset
    m.objective.linear_coefficients.ids.extend(nz.tolist())
    m.objective.linear_coefficients.values.extend(lp.cost[nz].tolist())
    c = m.linear_constraints
    c.ids.extend(range(lp.n_rows))
    c.lower_bounds.extend(lp.row_lower.tolist())
    c.upper_bounds.extend(lp.row_upper.tolist())
    if lp.row_names is not None:
        c.names.extend(lp.row_names)
    a = m.linear_constraint_matrix
    a.row_ids.extend(np.repeat(np.arange(lp.n_rows), np.diff(lp.a_start)).tolist())
    a.column_ids.extend(lp.a_index.tolist())
    a.coefficients.extend(lp.a_value.tolist())
    return m


class OrtoolsHighs(_MathOpt):
    name = "ortools-highs"
    solver = "HiGHS"
    solver_type = "HIGHS"
    capabilities = C.LP | C.MIP | C.DUALS | C.TIME_LIMIT | C.GAP | C.IN_PROCESS | C.INTERRUPT


class OrtoolsScip(_MathOpt):
    name = "ortools-scip"
    solver = "SCIP"
    solver_type = "GSCIP"
    # no DUALS: MathOpt's SCIP returns no dual solution; no INTERRUPT: its interrupter makes
    # SCIP log errors, so a SCIP solve with a time limit runs in a worker process instead
    capabilities = C.LP | C.MIP | C.TIME_LIMIT | C.GAP | C.IN_PROCESS


class OrtoolsGlop(_MathOpt):
    name = "ortools-glop"
    solver = "GLOP"
    solver_type = "GLOP"
    capabilities = C.LP | C.DUALS | C.TIME_LIMIT | C.IN_PROCESS | C.INTERRUPT


class OrtoolsPdlp(_MathOpt):
    name = "ortools-pdlp"
    solver = "PDLP"
    solver_type = "PDLP"
    capabilities = C.LP | C.DUALS | C.TIME_LIMIT | C.IN_PROCESS | C.INTERRUPT | C.APPROXIMATE

    def parameters(self, mp, lp, o):
        p = super().parameters(mp, lp, o)
        # PDLP stops at relative error 1e-4 by default; ask for about 1e-8
        p.pdlp.termination_criteria.simple_optimality_criteria.eps_optimal_relative = 1e-8
        p.pdlp.termination_criteria.simple_optimality_criteria.eps_optimal_absolute = 1e-8
        return p


class OrtoolsCpsat(_MathOpt):
    name = "ortools-cpsat"
    solver = "CP-SAT"
    solver_type = "CP_SAT"
    capabilities = (C.MIP | C.TIME_LIMIT | C.GAP | C.IN_PROCESS | C.INTERRUPT
                    | C.INTEGER_ONLY)
