"""The simulation against inventory theory: analytic base-stock results with normal demand and
the exact stationary (s, S) result with Poisson demand, each inside the simulation's interval."""

import math
from statistics import NormalDist

import numpy as np
import pytest
from sim_networks import single_stage

from chainlab.simulation import SimOptions, simulate
from chainlab.simulation.kpis import interval, t_quantile

Z = NormalDist()


def normal_loss(x: float, mean: float, sd: float) -> float:
    """E[(D - x)+] for D ~ N(mean, sd^2): sd * L((x - mean) / sd), L the standard loss."""
    if sd == 0:
        return max(0.0, mean - x)
    z = (x - mean) / sd
    return sd * (Z.pdf(z) - z * (1 - Z.cdf(z)))


@pytest.mark.parametrize("engine", ["numpy", "simpy"])
@pytest.mark.parametrize("S, L", [(430, 3), (560, 4)])
def test_base_stock_normal_demand_matches_the_loss_function(engine, S, L):
    # daily review, lead time L days: end-of-day inventory level is S - D(L+1)
    mu, sigma = 100.0, 20.0
    net = single_stage(days=400, mean=mu, sd=sigma, lead=L,
                       policy={"policy": "base_stock", "order_up_to": S})
    r = simulate(net, options=SimOptions(replications=16, warmup_days=L + 5, engine=engine,
                                         workers=1, confidence=0.99))
    k = r.kpis

    def n(k_periods):  # E[(D_k - S)+]
        return normal_loss(S, mu * k_periods, sigma * math.sqrt(k_periods))

    expected = {
        "avg_inventory": S - mu * (L + 1) + n(L + 1),  # E[(S - D_{L+1})+]
        "backorders": n(L + 1),                          # E[(D_{L+1} - S)+]
        # units short per day = E[(D_{L+1} - S)+] - E[(D_L - S)+] (exact, periodic review)
        "fill_rate": 1 - (n(L + 1) - n(L)) / mu,
    }
    for name, value in expected.items():
        lo, hi = k.at[name, "ci_low"], k.at[name, "ci_high"]
        assert lo <= value <= hi, f"{name}: analytic {value:.4f} outside [{lo:.4f}, {hi:.4f}]"
    assert r.engine == engine


def test_poisson_s_S_matches_the_exact_markov_chain():
    # review every day, no lead time: after ordering, y = S if last night's level <= s, else
    # that level; y lives on s+1..S and the chain is solved exactly
    lam, s, S = 5.0, 3, 12
    net = single_stage(days=1000, mean=lam, sd=None, distribution="poisson", lead=0,
                       policy={"policy": "s_S", "reorder_point": s, "order_up_to": S})
    K = 60
    pmf = np.array([math.exp(-lam) * lam ** k / math.factorial(k) for k in range(K)])
    ys = np.arange(s + 1, S + 1)
    P = np.zeros((len(ys), len(ys)))
    for i, y in enumerate(ys):
        for d in range(K):
            x = y - d
            P[i, (x if x > s else S) - (s + 1)] += pmf[d]
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(abs(w - 1))])
    pi /= pi.sum()
    d = np.arange(K)
    on_hand = sum(p * (pmf * np.maximum(y - d, 0)).sum() for p, y in zip(pi, ys))
    short = sum(p * (pmf * np.maximum(d - y, 0)).sum() for p, y in zip(pi, ys))

    r = simulate(net, options=SimOptions(replications=16, warmup_days=20, workers=1,
                                         confidence=0.99))
    k = r.kpis
    for name, value in (("avg_inventory", on_hand), ("backorders", short),
                        ("fill_rate", 1 - short / lam)):
        assert k.at[name, "ci_low"] <= value <= k.at[name, "ci_high"], (name, value)


def test_t_quantiles_and_intervals():
    # reference values of Student's t, 0.975 quantile
    for df, t in ((1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281),
                  (29, 2.0452), (100, 1.9840)):
        assert t_quantile(0.975, df) == pytest.approx(t, abs=1e-4)
    mean, _, hi, sd = interval([1.0, 2.0, 3.0, float("nan")])
    assert mean == 2.0 and sd == 1.0
    assert hi - mean == pytest.approx(4.3027 / math.sqrt(3), abs=1e-3)
    assert math.isnan(interval([5.0])[1])
