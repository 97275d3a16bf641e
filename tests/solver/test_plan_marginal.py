"""Marginal values of MILP plans: the duals of the LP left with the integer decisions fixed."""

import numpy as np
import plan_nets as nets
import pytest
from plan_testing import AVAILABLE, solve

from chainlab.solver import backends
from chainlab.solver.backends import Capability
from chainlab.solver.synthetic import generate

#: backends that solve MILPs and give LP duals
DUAL_MIP = [b for b in AVAILABLE
            if Capability.MIP | Capability.DUALS in backends.backend_class(b).capabilities]


@pytest.mark.parametrize("backend", DUAL_MIP)
def test_setup_fixed_marginal_values_by_hand(backend):
    # K1 set up (100) makes 10 at 1, K2 the other 5 at 5: 135 < 10 x 5 + 5 x 50 lost.
    # With the setup fixed, one more hour on K1 replaces a unit from K2: 5 - 1 = 4; K2's line
    # has slack: 0; one more unit of demand comes from K2: 5. (The LP relaxation, which pays
    # for a tenth of the setup per unit made on K1, would say 0, 6 and 11.)
    p = solve(nets.two_plants(), unmet="lost", backend=backend)
    assert p.is_mip and p.objective == pytest.approx(135.0, rel=1e-9)
    price = p.capacity.set_index("site")["shadow_price"]
    assert price["K1"] == pytest.approx(4.0, abs=1e-7)
    assert price["K2"] == pytest.approx(0.0, abs=1e-7)
    assert p.backlog["marginal_cost"].tolist() == pytest.approx([5.0], abs=1e-7)
    top = p.bottlenecks()
    assert [(b.site, b.item, round(b.value, 6)) for b in top] == [("K1", "LINE", 4.0)]
    assert "marginal values from the LP with the integer decisions fixed" in p.detail
    assert p.duals_seconds > 0 and p.summary()["duals_seconds"] >= 0
    assert "duals" in repr(p)


@pytest.mark.parametrize("backend", DUAL_MIP)
def test_lane_in_use_marginal_value_by_hand(backend):
    # lane A (1 per unit + 50 used) carries its capacity of 30, lane B (3) the other 10: 110.
    # One more unit of A's capacity replaces a unit on B: 3 - 1 = 2. The row ship <= M use
    # (M = A's capacity) binds as well, and must not take that value from the capacity row.
    p = solve(nets.two_lanes(40, capacity=30), backend=backend)
    assert p.objective == pytest.approx(110.0, rel=1e-9)
    top = p.bottlenecks()
    assert [(b.kind, b.item, round(b.value, 6)) for b in top] == [("lane", "K>C@A", 2.0)]
    assert p.backlog["marginal_cost"].tolist() == pytest.approx([3.0], abs=1e-7)


def test_holding_instead_of_a_second_setup():
    # one setup in period 0 for all 30 (see test_plan_hand): a unit more demand in period t is
    # made with that setup and held t periods
    p = solve(nets.setups())
    assert p.backlog["marginal_cost"].tolist() == pytest.approx([0.0, 1.0, 2.0], abs=1e-7)


def test_duals_off_leaves_nan():
    p = solve(nets.two_plants(), unmet="lost", duals=False)
    assert p.capacity["shadow_price"].isna().all() and p.backlog["marginal_cost"].isna().all()
    assert p.bottlenecks() == [] and p.duals_seconds == 0.0
    assert "marginal values" not in p.detail
    assert p.objective == pytest.approx(135.0, rel=1e-9)


@pytest.mark.skipif("ortools-scip" not in AVAILABLE, reason="needs ortools")
def test_backend_without_duals_leaves_nan():
    p = solve(nets.two_plants(), unmet="lost", backend="ortools-scip")
    assert p.objective == pytest.approx(135.0, rel=1e-9)
    assert p.capacity["shadow_price"].isna().all() and p.bottlenecks() == []
    assert "no marginal values: ortools-scip gives no duals" in p.detail


def test_all_integer_model_has_nothing_to_price():
    p = solve(nets.two_plants(), unmet="lost", integer_quantities=True)
    assert p.objective == pytest.approx(135.0, rel=1e-9)
    assert p.capacity["shadow_price"].isna().all()
    assert "every variable is integer" in p.detail


def test_lp_plan_is_unchanged_by_the_option():
    a, b = solve(nets.line()), solve(nets.line(), duals=False)
    assert not a.is_mip and a.duals_seconds == 0.0 == b.duals_seconds
    assert a.detail == b.detail and "marginal values" not in a.detail
    assert a.capacity["shadow_price"].tolist() == b.capacity["shadow_price"].tolist()
    assert a.bottlenecks()[0].value == pytest.approx(5.0)


def test_synthetic_milp_has_bottlenecks():
    p = solve(generate("XS", seed=2, mip=True), gap=0.0)
    assert p.is_mip and len(p.bottlenecks()) > 0
    assert np.isfinite(p.capacity["shadow_price"]).all()
    assert (p.capacity["shadow_price"] >= -1e-7).all()  # capacity is never worth less than 0
