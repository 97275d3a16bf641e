"""Single-echelon policies against textbook numbers (Snyder & Shen, Fundamentals of Supply Chain
Theory, as asserted in stockpyl's tests; see tests/data/inventory/README.md), stockpyl's loss
functions as a peer, and a seeded Monte Carlo of the policy as an independent check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainlab.solver.inventory.demand import Family, NegBinomial, Normal, Poisson, over
from chainlab.solver.inventory.single import (
    Item,
    Measure,
    PolicyKind,
    base_stock,
    base_stock_cost,
    base_stock_fill_rate,
    optimal_base_stock,
    reorder_fill_rate,
    reorder_point,
    size,
)

# --- textbook optima (the critical ratio p / (p + h) is an alpha target) ---------------------


@pytest.mark.parametrize("h,p,dist,S_star,g_star", [
    (0.18, 0.7, Normal(50, 8), 56.603955927433887, 1.997605193176645),          # Ex 4.1
    (43, 79, Normal(900, 60), 922.7214038234755, 2718.196781782411),            # Pr 4.1
    (0.18, 0.7, Normal(5 * 50, 8 * math.sqrt(5)), 264.7668943741548, 4.466781004149578),  # Ex 4.4
    (1, 4, Poisson(6), 8, 3.570106945770946),                                   # Ex 4.7
    (200, 270, Poisson(18), 19, 786.0884409351115),                             # Pr 4.8(a)
    (0.08, 1.25, Poisson(5 * 18), 105, 1.5450188691551778),                     # SCMO 4.19, L=4
])
def test_newsvendor_optimum_matches_textbook(h, p, dist, S_star, g_star):
    S, g = optimal_base_stock(h, p, dist)
    assert S == pytest.approx(S_star, rel=1e-9)
    assert g == pytest.approx(g_star, rel=1e-7)


def test_newsvendor_cost_at_other_levels():
    assert base_stock_cost(40, 0.18, 0.7, Normal(50, 8)) == pytest.approx(7.356131552870388)
    assert base_stock_cost(60, 0.18, 0.7, Normal(50, 8)) == pytest.approx(2.156131552870387)
    assert base_stock_cost(5, 1, 4, Poisson(6)) == pytest.approx(6.590296024616344)
    assert base_stock_cost(13, 200, 270, Poisson(18)) == pytest.approx(1445.751062891969)


def test_ex_4_4_as_a_base_stock_with_lead_time():
    # N(50, 8) per period, L = 4, review every period: protection interval 5 periods
    item = Item(mean=50, sd=8, lead_time=4)
    pol = base_stock(item, 0.7 / 0.88, Measure.ALPHA)
    assert pol.level == pytest.approx(264.7668943741548, rel=1e-9)
    assert pol.safety_stock == pytest.approx(264.7668943741548 - 250, rel=1e-9)


# --- loss functions against stockpyl ----------------------------------------------------------

def test_loss_functions_equal_stockpyl():
    lf = pytest.importorskip("stockpyl.loss_functions")
    for x in (30.0, 50.0, 61.5):
        n, _ = lf.normal_loss(x, 50, 8)
        assert Normal(50, 8).loss(x) == pytest.approx(n, rel=1e-9)
    for x in (0, 3, 6, 11):
        n, _ = lf.poisson_loss(x, 6)
        assert Poisson(6).loss(x) == pytest.approx(n, rel=1e-9)
    # negative binomial with r = 4, p = 0.4: mean r(1-p)/p = 6, variance r(1-p)/p^2 = 15
    nb = NegBinomial(6.0, 15.0)
    for x in (0, 4, 9):
        n, _ = lf.negative_binomial_loss(x, 4, 0.4)
        assert nb.loss(x) == pytest.approx(n, rel=1e-8)


def test_random_lead_time_adds_variance():
    d = over(4, 10, 3, Family.NORMAL, periods_sd=1.5)
    assert d.mean == 40
    assert d.var == pytest.approx(4 * 9 + 100 * 2.25)
    assert isinstance(over(2, 3, 1, Family.AUTO), Poisson)
    assert isinstance(over(2, 3, 5, Family.AUTO), NegBinomial)
    assert isinstance(over(10, 30, 5, Family.AUTO), Normal)


# --- fill rate: the formula hits the target and a simulation confirms it ---------------------

def _simulate_base_stock(S, mean, sd, L, R, periods=400_000, seed=7):
    """Periodic-review base-stock with backorders: order S - IP every R periods, arriving L
    periods later; fill rate = demand met from on-hand stock / demand."""
    rng = np.random.default_rng(seed)
    d = np.maximum(rng.normal(mean, sd, periods), 0.0)
    net = S  # net stock = on hand - backorders
    pipeline = np.zeros(periods + L + 1)
    filled = 0.0
    ip = S
    for t in range(periods):
        net += pipeline[t]
        if t % R == 0:
            q = S - ip
            pipeline[t + L] += q
            ip += q
        filled += min(max(net, 0.0), d[t])
        net -= d[t]
        ip -= d[t]
    return filled / d.sum()


def test_base_stock_fill_rate_target_met_by_simulation():
    item = Item(mean=20, sd=6, lead_time=3, review=2)
    pol = base_stock(item, 0.95, Measure.BETA)
    assert pol.beta == pytest.approx(0.95, abs=1e-6)
    assert base_stock_fill_rate(item, pol.level - 1) < 0.95
    simulated = _simulate_base_stock(pol.level, 20, 6, 3, 2, periods=200_000)
    assert simulated == pytest.approx(0.95, abs=0.006)


def test_alpha_is_a_quantile_and_beta_needs_less_at_high_targets():
    item = Item(mean=100, sd=30, lead_time=2)
    a = base_stock(item, 0.95, Measure.ALPHA)
    assert a.alpha == pytest.approx(0.95, abs=1e-9)
    b = base_stock(item, 0.95, Measure.BETA)
    assert b.level < a.level and b.safety_stock < a.safety_stock


def test_discrete_demand_gives_integer_levels_meeting_target():
    item = Item(mean=3, sd=math.sqrt(3), lead_time=2, family=Family.POISSON, holding_cost=1.0)
    pol = base_stock(item, 0.9, Measure.BETA)
    assert pol.level == int(pol.level)
    assert pol.beta >= 0.9 > base_stock_fill_rate(item, pol.level - 1)
    assert pol.safety_stock_cost == pytest.approx(pol.level - 9)


def test_reorder_point_fill_rate_and_s_S():
    item = Item(mean=1300 / 52, sd=150 / math.sqrt(52), lead_time=4.33, review=1 / 7)
    pol = reorder_point(item, 300, 0.99, Measure.BETA)
    assert pol.kind is PolicyKind.R_Q and pol.order_quantity == 300
    assert reorder_fill_rate(item, pol.level, 300) == pytest.approx(0.99, abs=1e-6)
    ss = size(item, PolicyKind.S_S, 0.99, Measure.BETA, order_quantity=300)
    assert ss.order_up_to == pytest.approx(ss.level + 300)
    assert ss.level == pytest.approx(pol.level)
    # a larger order quantity needs less protection for the same fill rate
    assert reorder_point(item, 600, 0.99).level < pol.level


def test_bad_targets_are_refused():
    item = Item(mean=1, sd=1, lead_time=1)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        base_stock(item, 1.0)
    with pytest.raises(ValueError, match="lead_time"):
        Item(mean=1, sd=1, lead_time=-1)
    with pytest.raises(ValueError, match="order quantity"):
        size(item, PolicyKind.R_Q, 0.9)
