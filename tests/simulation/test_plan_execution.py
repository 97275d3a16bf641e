"""Executing a plan with the demand it was made for (no noise, fixed transit times).

Oracle: the plan's own tables. Where the plan's timing is exact in days (daily buckets, or
weekly buckets with whole-week transit times and no capacity spread over the week), the
simulation must reproduce the plan: units filled from stock per period = the plan's on-time
deliveries, and end-of-period stock and backlog = the plan's. Where a weekly plan rounds a
3-day transit to 0 weeks, the end-of-week positions still match, but stock arrives late in the
week; the fill rate, which counts only units filled on the day they were demanded, shows it,
while the period fill rate (filled within the week demanded) keeps the plan's promise.
"""

import numpy as np
import pandas as pd
import pytest
from sim_networks import plan_chain

from chainlab.simulation import SimOptions, simulate

solver = pytest.importorskip("chainlab.solver")


def execute(net):
    plan = solver.plan(net)
    assert plan.has_solution
    sim = simulate(net, plan=plan, options=SimOptions(replications=1, workers=1))
    assert sim.replenishment == "plan"
    return plan, sim


def assert_positions_match(plan, sim):
    """End-of-period stock of every stock point and customer backlog, plan vs simulation."""
    inv = pd.concat({"plan": plan.inventory.set_index(["site", "product", "period"])["quantity"],
                     "sim": sim.series["inventory"]}, axis=1)
    assert inv["sim"].notna().all() and inv["plan"].notna().all()
    np.testing.assert_allclose(inv["sim"], inv["plan"], atol=1e-6)
    np.testing.assert_allclose(sim.series["backlog"].groupby("period").sum(),
                               plan.backlog.groupby("period")["backlog"].sum(), atol=1e-6)


@pytest.mark.parametrize("lead_in, lead_out", [(1.0, 2.0), (0.0, 0.0)])
def test_a_daily_plan_is_reproduced_day_by_day(lead_in, lead_out):
    # the line and the supplier bind, so the plan builds stock ahead of the peaks
    net = plan_chain("day", 28, lead_in, lead_out, hours=22.0, supply_capacity=25.0)
    plan, sim = execute(net)
    assert (plan.capacity.query("kind == 'resource'")["utilisation"] > 1 - 1e-6).any()
    on_time = plan.backlog.groupby("period")["on_time"].sum().to_numpy()
    np.testing.assert_allclose(sim.service["filled"].to_numpy(), on_time, atol=1e-6)
    np.testing.assert_allclose(sim.service["demand"].to_numpy(),
                               plan.backlog.groupby("period")["demand"].sum(), atol=1e-6)
    assert_positions_match(plan, sim)


def test_a_weekly_plan_with_whole_week_transit_times_is_reproduced():
    # starting stock covers only part of week 0: the plan and the simulation owe the same
    net = plan_chain("week", 8, 7.0, 7.0, hours=None, supply_capacity=None)
    plan, sim = execute(net)
    assert plan.backlog["backlog"].sum() > 0
    on_time = plan.backlog.groupby("period")["on_time"].sum().to_numpy()
    np.testing.assert_allclose(sim.service["filled"].to_numpy(), on_time, atol=1e-6)
    assert sim.kpi("fill_rate") == pytest.approx(on_time.sum() / plan.backlog["demand"].sum())
    assert sim.kpi("period_fill_rate") == pytest.approx(sim.kpi("fill_rate"))
    assert_positions_match(plan, sim)


def test_a_weekly_plan_on_3_day_lanes_delivers_in_the_week_but_not_on_the_day():
    # 3 days round to 0 weeks in the plan: what is bought in week t is made and at the DC in
    # week t. Executed, it reaches the plant on day 3 and the DC on day 6: every unit of week
    # t's demand is delivered within week t (no backlog at any week's end, as planned), but
    # from week 1 on only day 6's demand, 1/7 of the week, is filled from stock on its day.
    net = plan_chain("week", 8, 3.0, 3.0, hours=None, supply_capacity=None)
    plan, sim = execute(net)
    assert plan.backlog["on_time"].sum() == pytest.approx(plan.backlog["demand"].sum())
    assert_positions_match(plan, sim)
    s = sim.service.iloc[1:]
    np.testing.assert_allclose(s["filled"], s["demand"] / 7, rtol=1e-9)
    assert sim.kpi("fill_rate") < 0.3
    # the planner's measure, delivered within the week demanded, is what the plan promised
    assert sim.kpi("period_fill_rate") == pytest.approx(1.0)
