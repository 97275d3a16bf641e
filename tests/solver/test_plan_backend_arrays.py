"""Backends on hand-made arrays: ranged rows, free and fixed columns, negative bounds,
integers without an upper bound, a constant in the objective (shapes the planning model
does not produce but the interface allows)."""

import numpy as np
import pandas as pd
import pytest
from plan_testing import AVAILABLE

from chainlab.solver import SolveOptions, Status, backends, solve_lp
from chainlab.solver.backends import Capability
from chainlab.solver.lp import INF, LinearProgram


def small_mip():
    """min x0 + 2 x1 - x2 + 3
    s.t. 2 <= x0 + x1 <= 5 (ranged), x1 - x2 = 1, x0 + x2 >= -4,
    x0 in [-3, 10], x1 >= 0 (no upper bound), x2 fixed at 0.5, x3 free (in no row).
    x2 = 0.5 forces x1 = 1.5: feasible as an LP, infeasible with x1 integer."""
    lp = LinearProgram()
    x = lp.add_variables("x", pd.DataFrame({"i": range(4)}), lower=[-3, 0, 0.5, -INF],
                         upper=[10, INF, 0.5, INF], integer=False)
    r = lp.add_rows("r", pd.DataFrame({"k": range(3)}), [2, 1, -4], [5, 1, INF])
    lp.add_terms(r.start + np.array([0, 0, 1, 1, 2, 2]), x.start + np.array([0, 1, 1, 2, 0, 2]),
                 [1, 1, 1, -1, 1, 1])
    lp.add_cost("c", x.pos(), [1, 2, -1, 0])
    lp.add_constant("k", 3.0)
    return lp


LP_BACKENDS = [b for b in AVAILABLE
               if Capability.LP in backends.backend_class(b).capabilities]


@pytest.mark.parametrize("backend", LP_BACKENDS)
def test_ranged_rows_free_and_fixed_columns(backend):
    a = small_mip().arrays()
    # x2 = 0.5, x1 = 1.5, x0 + x1 >= 2 -> x0 >= 0.5, x0 >= -4.5: x0 = 0.5
    # objective 0.5 + 3 - 0.5 + 3 = 6
    r = solve_lp(a, SolveOptions(backend=backend))
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(6.0, rel=1e-6)
    assert r.x[:3] == pytest.approx([0.5, 1.5, 0.5], abs=1e-5)


@pytest.mark.parametrize("backend", [b for b in LP_BACKENDS
                                     if Capability.MIP in backends.backend_class(b).capabilities])
def test_integers_that_cannot_be_met(backend):
    lp = small_mip()
    a = lp.arrays()
    a = type(a)(**{**a.__dict__, "integer": np.array([True, True, False, False])})
    r = solve_lp(a, SolveOptions(backend=backend))
    assert r.status is Status.INFEASIBLE
