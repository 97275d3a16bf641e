"""chainlab against a peer: the same serial two-stage base-stock system in stockpyl.

The two models time a period differently. stockpyl orders at the end of a period, after its
demand; chainlab reviews at the start of a day, before the day's demand, and an upstream stock
point serves an order with what arrived that morning. The systems coincide when the
customer-facing stage's transit is one period shorter in chainlab (L - 1) and the upstream
stage's is the same (L): then the downstream inventory level is the same, period by period.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sim_networks import START, serial_two_stage

from chainlab.simulation import SimOptions, simulate
from chainlab.simulation.kpis import interval

stockpyl_network = pytest.importorskip("stockpyl.supply_chain_network")
stockpyl_sim = pytest.importorskip("stockpyl.sim")

S_UP, S_DOWN = 300.0, 215.0
L_UP, L_DOWN = 3, 2  # stockpyl's shipment lead times


def stockpyl_run(periods: int, seed=None, demand_list=None):
    kw = ({"demand_type": "D", "demand_list": list(demand_list)} if demand_list is not None
          else {"demand_type": "N", "mean": 100.0, "standard_deviation": 20.0})
    net = stockpyl_network.serial_system(
        num_nodes=2, node_order_in_system=[2, 1], local_holding_cost=[1.0, 1.0],
        stockout_cost=[0.0, 10.0], shipment_lead_time=[L_UP, L_DOWN], policy_type="BS",
        base_stock_level=[S_UP, S_DOWN], **kw)
    stockpyl_sim.simulation(net, periods, rand_seed=seed, progress_bar=False)
    sv = net.nodes_by_index[1].state_vars[:periods]
    level = np.array([next(iter(s.inventory_level.values())) for s in sv])
    cum = np.array([next(iter(s.demand_cumul.values())) for s in sv])
    met = np.array([next(iter(s.demand_met_from_stock.values())) for s in sv])
    return level, np.diff(np.r_[0.0, cum]), met


def chainlab_net(days: int):
    return serial_two_stage(days=days, S_up=S_UP, S_down=S_DOWN, lead_up=L_UP,
                            lead_down=L_DOWN - 1)


def test_same_demand_same_inventory_level_every_period():
    days = 40
    demand = np.round(np.random.default_rng(1).normal(100, 30, days))
    level_sp, _, _ = stockpyl_run(days, demand_list=demand)
    net = chainlab_net(days)
    net.demand = pd.DataFrame({"customer": "C", "product": "P", "quantity": demand,
                               "date": [START + dt.timedelta(days=i) for i in range(days)],
                               "sd": np.nan, "distribution": "fixed"})
    r = simulate(net, options=SimOptions(replications=1, workers=1))
    s = r.series.xs(("DC", "P"), level=("site", "product"))
    level_cl = (s["inventory"] - s["backlog"]).to_numpy()
    assert (level_sp < 0).any(), "the case should have stockouts to compare"
    np.testing.assert_allclose(level_cl, level_sp, atol=1e-9)


def test_fill_rates_agree_within_their_intervals():
    periods, warmup = 120, 10
    fr_sp = []
    for rep in range(5):
        _, demand, met = stockpyl_run(periods, seed=rep + 1)
        fr_sp.append(met[warmup:].sum() / demand[warmup:].sum())
    m_sp, lo_sp, hi_sp, _ = interval(fr_sp)
    r = simulate(chainlab_net(periods), options=SimOptions(replications=12, warmup_days=warmup,
                                                           workers=1))
    k = r.kpis.loc["fill_rate"]
    assert 0.75 < m_sp < 0.95  # a case with real shortages
    assert k["ci_low"] <= hi_sp and lo_sp <= k["ci_high"], (
        f"chainlab {k['mean']:.4f} [{k['ci_low']:.4f}, {k['ci_high']:.4f}] vs stockpyl "
        f"{m_sp:.4f} [{lo_sp:.4f}, {hi_sp:.4f}]")
