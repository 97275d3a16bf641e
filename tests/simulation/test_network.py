"""Whole networks: unit conservation in every replication, plan execution, disruptions."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sim_networks import START, single_stage

from chainlab.simulation import LaneDelay, PlanReleases, SimOptions, SiteOutage, SupplyCut, simulate


def assert_conserved(result):
    """units in (start stock, bought, made) = units out (consumed, delivered) + stock at the
    end (on hand, in transit, in production), per product and replication"""
    b = result.balance
    assert len(b) > 0
    scale = b[["initial", "bought", "made", "delivered"]].abs().max(axis=1) + 1.0
    assert (b["imbalance"].abs() <= 1e-9 * scale).all(), b[b["imbalance"].abs() > 1e-9 * scale]


def test_conservation_tiny_policy(tiny):
    r = simulate(tiny, options=SimOptions(replications=4, workers=1))
    assert_conserved(r)
    assert r.replenishment == "policy"
    # every unit bought of RM1 and made into FG1 used 2 RM1 each
    b = r.balance
    np.testing.assert_allclose(b.xs("RM1", level="product")["consumed"],
                               2 * b.xs("FG1", level="product")["made"])


def test_conservation_acme_with_disruptions(acme):
    dis = (SiteOutage("PLANT2", dt.date(2027, 3, 1), dt.date(2027, 3, 14)),
           SupplyCut("SUP4", dt.date(2027, 2, 1), dt.date(2027, 2, 28), scale=0.3),
           LaneDelay(dt.date(2027, 4, 1), dt.date(2027, 4, 20), origin="PLANT1", extra_days=5))
    r = simulate(acme, options=SimOptions(replications=2, workers=1, disruptions=dis))
    assert_conserved(r)
    base = simulate(acme, options=SimOptions(replications=2, workers=1))
    assert_conserved(base)
    assert r.kpi("fill_rate") < base.kpi("fill_rate")
    assert set(r.kpis.index) >= {"fill_rate", "otif", "avg_inventory", "total_cost",
                                 "backorders", "cycle_service_level", "stockout_days"}
    # every stock point of the result is keyed like the network
    assert set(r.sites.index.get_level_values("site")) <= set(acme.sites.index)


def tiny_plan(net) -> PlanReleases:
    """A hand-made plan for tiny: make 100 FG1 a week, ship them by truck, buy RM1."""
    prod = pd.DataFrame({"plant": "PLANT1", "product": "FG1", "period": range(4),
                         "quantity": 100.0})
    ships = pd.DataFrame({
        "lane": ["SUP1>PLANT1/RM1@truck"] * 4 + ["PLANT1>DC1@truck"] * 4 + ["DC1>C1@truck"] * 4,
        "product": ["RM1"] * 4 + ["FG1"] * 8, "period": list(range(4)) * 3,
        "quantity": [200.0] * 4 + [100.0] * 4 + [60.0] * 4})
    return PlanReleases(prod, ships, network=net.name)


def test_plan_execution_releases_what_the_plan_says(tiny):
    plan = tiny_plan(tiny)
    r = simulate(tiny, plan=plan, options=SimOptions(replications=3, workers=1))
    assert r.replenishment == "plan"
    assert_conserved(r)
    b = r.balance
    # everything planned is released: 4 x 200 RM1 bought, FG1 made as components allow
    np.testing.assert_allclose(b.xs("RM1", level="product")["bought"], 800.0)
    made = b.xs("FG1", level="product")["made"]
    assert (made > 0).all() and (made <= 400.0 + 1e-9).all()
    # a plan folder works the same
    assert r.kpis.loc["fill_rate", "mean"] == pytest.approx(
        simulate(tiny, plan=plan, replications=3, workers=1).kpi("fill_rate"))


def test_plan_folder_and_solver_plan(tiny, tmp_path):
    plan = tiny_plan(tiny)
    plan.production.to_csv(tmp_path / "production.csv", index=False)
    plan.shipments.to_csv(tmp_path / "shipments.csv", index=False)
    a = simulate(tiny, plan=tmp_path, replications=2, workers=1)
    b = simulate(tiny, plan=plan, replications=2, workers=1)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    solver = pytest.importorskip("chainlab.solver")
    if not hasattr(solver, "plan"):
        pytest.skip("solver.plan is not there yet")
    p = solver.plan(tiny)
    r = simulate(tiny, plan=p, replications=2, workers=1)
    assert_conserved(r)
    assert r.replenishment == "plan"


def daily_fill(r) -> np.ndarray:
    return r.service["fill_rate"].to_numpy(dtype=float)


def test_outage_lowers_service_in_its_window_only():
    # base stock, 3 days lead time: after the site is back and one lead time has passed, the
    # inventory level is again S - D(L+1) with the same draws (common random numbers)
    net = single_stage(days=120, lead=3, policy={"policy": "base_stock", "order_up_to": 460})
    opts = SimOptions(replications=4, seed=9, workers=1)
    base = simulate(net, options=opts)
    start, end = 40, 49
    out = simulate(net, options=opts.replace(disruptions=(SiteOutage(
        "DC", START + dt.timedelta(days=start), START + dt.timedelta(days=end)),)))
    fb, fo = daily_fill(base), daily_fill(out)
    np.testing.assert_array_equal(fb[:start], fo[:start])
    assert (fo[start:end + 1] == 0).all() and (fb[start:end + 1] > 0.8).all()
    recovered = end + 1 + 3 + 1
    np.testing.assert_allclose(fb[recovered:], fo[recovered:], rtol=1e-9, atol=1e-12)
    assert out.kpi("stockout_days") >= base.kpi("stockout_days") + 10


def test_supply_cut_and_lane_delay_act_in_their_window():
    net = single_stage(days=120, lead=3, policy={"policy": "base_stock", "order_up_to": 460})
    opts = SimOptions(replications=4, seed=9, workers=1)
    base = daily_fill(simulate(net, options=opts))
    w0, w1 = START + dt.timedelta(days=40), START + dt.timedelta(days=46)
    for d in (SupplyCut("SUP", w0, w1, scale=0.0), LaneDelay(w0, w1, origin="SUP",
                                                              extra_days=4)):
        f = daily_fill(simulate(net, options=opts.replace(disruptions=(d,))))
        np.testing.assert_array_equal(base[:41], f[:41])
        assert f[41:60].mean() < base[41:60].mean() - 0.05
        np.testing.assert_allclose(base[70:], f[70:], rtol=1e-9, atol=1e-12)


def test_lost_sales_and_costs(tiny):
    r = simulate(tiny, options=SimOptions(replications=3, workers=1, unmet="lost"))
    assert r.kpi("backorders") == 0 and r.kpi("lost_sales") > 0
    k = r.kpis["mean"]
    parts = ["holding_cost", "transport_cost", "purchase_cost", "production_cost",
             "backlog_cost", "lost_sales_cost", "fixed_cost"]
    assert k["total_cost"] == pytest.approx(sum(k[p] for p in parts))
    assert k["fixed_cost"] == pytest.approx(100.0 * 4)  # DC1: 100 per week, 4 weeks


def test_weekly_bucket_demand_arrives_daily():
    net = single_stage(days=70, bucket="week", mean=700.0, sd=70.0, lead=2,
                       policy={"policy": "base_stock", "order_up_to": 700})
    r = simulate(net, options=SimOptions(replications=8, workers=1))
    assert r.kpi("demand") == pytest.approx(10 * 700.0, rel=0.03)
    assert len(r.service) == 10 and len(r.series) == 10


def test_capacity_changes_of_the_network_act_like_disruptions(tiny):
    # the table scenarios write: a DC at 0 is the same as a SiteOutage of that window
    net = single_stage(days=80, lead=3, policy={"policy": "base_stock", "order_up_to": 460})
    w0, w1 = START + dt.timedelta(days=30), START + dt.timedelta(days=36)
    opts = SimOptions(replications=3, seed=2, workers=1)
    outage = simulate(net, options=opts.replace(disruptions=(SiteOutage("DC", w0, w1),)))
    changed = net.copy()
    changed.capacity_changes = pd.DataFrame(
        {"end": [w1], "scale": [0.0]},
        index=pd.MultiIndex.from_tuples([("DC", "", "", w0)],
                                        names=["site", "resource", "product", "start"]))
    pd.testing.assert_frame_equal(simulate(changed, options=opts).replications,
                                  outage.replications)
    # a plant's resource at 0 for the whole horizon: nothing is made
    t = tiny.copy()
    t.capacity_changes = pd.DataFrame(
        {"end": [tiny.calendar.end - dt.timedelta(days=1)], "scale": [0.0]},
        index=pd.MultiIndex.from_tuples([("PLANT1", "LINE1", "", tiny.calendar.start)],
                                        names=["site", "resource", "product", "start"]))
    r = simulate(t, replications=2, workers=1)
    assert (r.balance.xs("FG1", level="product")["made"] == 0).all()
    assert_conserved(r)
