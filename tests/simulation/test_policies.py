"""Policies by hand, and SimPy-style traces of tiny cases with an exact answer."""

import pytest
from sim_networks import single_stage

from chainlab.simulation import SimOptions, simulate
from chainlab.simulation.policies import BaseStock, LotForLot, MinMax, ReorderQuantity


def test_order_quantities():
    assert BaseStock(100).order(30) == 70 and BaseStock(100).order(120) == 0
    assert MinMax(20, 100).order(20) == 80 and MinMax(20, 100).order(21) == 0
    assert ReorderQuantity(20, 50).order(21) == 0
    assert ReorderQuantity(20, 50).order(20) == 50
    assert ReorderQuantity(20, 50).order(-35) == 100  # the fewest Qs that lift IP above r
    assert LotForLot().order(-7) == 7 and LotForLot().order(3) == 0


def test_fixed_demand_trace_by_hand():
    # demand 10 a day, base stock 25, 2 days' transit, start with 25 on hand.
    # day 0: IP 25, no order; demand -> 15. day 1: order 10 (arrives day 3); demand -> 5.
    # day 2: order 10 (day 4); demand: 5 filled, 5 owed -> -5. day 3: 10 arrive, 5 to the
    # customer owed, 5 left; order 10; demand: 5 filled, 5 owed. From then on the same.
    net = single_stage(days=8, mean=10, sd=None, lead=2,
                       policy={"policy": "base_stock", "order_up_to": 25})
    r = simulate(net, options=SimOptions(replications=1, workers=1))
    s = r.series.xs(("DC", "P"), level=("site", "product"))
    assert s["inventory"].tolist() == [15, 5, 0, 0, 0, 0, 0, 0]
    assert s["backlog"].tolist() == [0, 0, 5, 5, 5, 5, 5, 5]
    assert r.service["filled"].tolist() == [10, 10, 5, 5, 5, 5, 5, 5]
    k = r.kpis["mean"]
    assert k["fill_rate"] == pytest.approx(50 / 80)
    assert k["otif"] == pytest.approx(2 / 8)  # only full, on-time lines count
    assert k["stockout_days"] == 6
    b = r.balance.loc[(0, "P")]
    # bought days 1..7 (7 x 10), 2 still on the lane at the end
    assert (b["bought"], b["in_transit"], b["delivered"]) == (70, 20, 75)
    assert r.kpi("purchase_cost") == 700 and r.kpi("transport_cost") == 70 + 0.5 * 75


def test_r_Q_and_review_period_trace():
    # (r, Q) = (20, 30) reviewed every 3 days, no transit: orders on days 0, 3, 6 only
    net = single_stage(days=9, mean=10, sd=None, lead=0, on_hand=25,
                       policy={"policy": "r_Q", "reorder_point": 20, "order_quantity": 30,
                               "review_days": 3})
    r = simulate(net, options=SimOptions(replications=1, workers=1))
    inv = r.series.xs(("DC", "P"), level=("site", "product"))["inventory"].tolist()
    # day 0: IP 25 > 20, no order -> 15; day 1: 5; day 2: 0 and 5 owed; day 3: IP -5 -> order
    # 30, arrives at once: 5 to the customer, 25 - 10 -> 15; days 4, 5 as days 1, 2; and again
    assert inv == [15, 5, 0, 15, 5, 0, 15, 5, 0]
    assert r.balance.loc[(0, "P"), "bought"] == 60
