"""Tiny networks solved by hand: the exact optimum, the plan's numbers, its duals."""

import plan_nets as nets
import pytest
from plan_testing import solve

from chainlab.solver import Status


def test_direct_purchase():
    p = solve(nets.direct())
    assert p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(30.0, rel=1e-9)
    assert p.costs["purchase"] == pytest.approx(20.0) and p.costs["transport"] == pytest.approx(10)
    cols = ["supplier", "product", "destination", "period", "quantity"]
    assert p.purchases[cols].values.tolist() == [["S", "FG", "C", 0, 10.0]]


def test_capacity_forces_backlog_and_its_dual():
    # 15 wanted in period 0, 10 hours/period: 5 wait one period at 0.5 x 10 = 5 per unit
    p = solve(nets.line())
    assert p.objective == pytest.approx(15 * 1 + 5 * 5, rel=1e-9)
    b = p.backlog.set_index("period")
    assert b.loc[0, "backlog"] == pytest.approx(5) and b.loc[1, "backlog"] == pytest.approx(0)
    assert b.loc[0, "on_time"] == pytest.approx(10) and b.loc[1, "delivered"] == pytest.approx(5)
    # one more hour in period 0 saves one period of backlog: 5.00
    top = p.bottlenecks()
    assert len(top) == 1 and (top[0].site, top[0].item, top[0].period) == ("K", "LINE", 0)
    assert top[0].value == pytest.approx(5.0)
    assert "LINE at K" in str(top[0]) and "saves 5.00 USD" in str(top[0])


def test_capacity_with_lost_sales():
    p = solve(nets.line(), unmet="lost")
    assert p.objective == pytest.approx(10 * 1 + 5 * 50, rel=1e-9)
    assert p.backlog["lost"].sum() == pytest.approx(5)
    assert p.bottlenecks()[0].value == pytest.approx(49.0)


def test_explicit_penalties():
    p = solve(nets.line(), backlog_penalty=2.0)
    assert p.objective == pytest.approx(15 + 5 * 2)
    p = solve(nets.line(), unmet="lost", lost_sales_penalty=0.5)  # cheaper to lose all 15
    assert p.objective == pytest.approx(15 * 0.5)


def test_prebuild_and_hold():
    # 20 wanted in period 1, 10 per period: build 10 in period 0 and hold them (0.5 each)
    p = solve(nets.line(demand=[(1, 20)], holding=0.5, price=100))
    assert p.objective == pytest.approx(20 + 10 * 0.5, rel=1e-9)
    assert p.production["quantity"].tolist() == pytest.approx([10, 10])
    inv = p.inventory.set_index("period")["quantity"]
    assert inv.loc[0] == pytest.approx(10) and inv.loc[1] == pytest.approx(0)


def test_storage_limit_binds():
    # pre-building is capped at 5 by max_stock: 5 of the 20 are lost (50 each)
    p = solve(nets.line(demand=[(1, 20)], max_stock=5), unmet="lost")
    assert p.objective == pytest.approx(15 + 5 * 50, rel=1e-9)
    storage = [b for b in p.bottlenecks() if b.kind == "storage"]
    assert storage and storage[0].period == 0 and storage[0].value == pytest.approx(49.0)


def test_bom_and_lead_times():
    # RM ordered in 0 ships in 1, FG made in 1 or 2 arrives by 3: 20 RM + 10 FG made + 10 moved
    p = solve(nets.bom_lead())
    assert p.objective == pytest.approx(20 * 1 + 10 * 3 + 10 * 2, rel=1e-9)
    assert (p.purchases["ship_period"] == p.purchases["period"] + 1).all()
    assert (p.shipments.query("origin == 'K'")["arrival"] <= 3).all()


def test_demand_before_anything_can_arrive_waits():
    # 5 more wanted in period 0; the earliest FG reaches C is period 2: 2 periods x 5 x 10
    p = solve(nets.bom_lead(demand=[(0, 5), (3, 10)]))
    assert p.objective == pytest.approx(70 + (10 + 15 + 10) + 2 * 5 * 10, rel=1e-9)


def test_setup_costs_make_one_lot():
    # one setup (100) in period 0 for all 30; holding 20 + 10
    p = solve(nets.setups())
    assert p.is_mip and p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(130.0, rel=1e-9)
    assert p.production["quantity"].tolist() == pytest.approx([30])
    assert p.costs["setup"] == pytest.approx(100)


def test_minimum_lot():
    # at least 35 when made: 35 in period 0, holding 25 + 15 + 5
    p = solve(nets.setups(min_lot=35))
    assert p.objective == pytest.approx(145.0, rel=1e-9)


@pytest.mark.parametrize("demand, expected", [(20, 60.0), (40, 90.0)])
def test_lane_fixed_cost(demand, expected):
    # lane A: 1/unit + 50 fixed; lane B: 3/unit -> B below 25 units, A above
    p = solve(nets.two_lanes(demand))
    assert p.objective == pytest.approx(expected, rel=1e-9)


def test_minimum_shipment():
    # lane A would be cheaper for 30 but needs 35 at least: B it is
    p = solve(nets.two_lanes(30, min_shipment=35))
    assert p.objective == pytest.approx(90.0, rel=1e-9)
    assert set(p.shipments["lane"]) == {"K>C@B"}


def test_dc_throughput():
    p = solve(nets.through_dc(), unmet="lost")
    assert p.objective == pytest.approx(10 + 5 * 50, rel=1e-9)
    top = p.bottlenecks()[0]
    assert (top.kind, top.site) == ("throughput", "D") and top.value == pytest.approx(49)


def test_safety_stock_is_a_soft_floor():
    # default penalty 0.05 x 10 = 0.5 per unit short, cheaper than making and moving 10
    p = solve(nets.stock_at_dc())
    assert p.objective == pytest.approx(5.0)
    assert p.inventory["below_safety"].sum() == pytest.approx(10)
    # at 5 per unit short, stocking up costs 10 x (1 + 1 + 0.1) = 21 < 50
    p = solve(nets.stock_at_dc(), safety_stock_penalty=5.0)
    assert p.objective == pytest.approx(21.0)


def test_end_inventory_initial():
    n = nets.stock_at_dc(safety=0, on_hand=10, demand=[("C", "FG", 0, 10)])
    assert solve(n).objective == pytest.approx(10 * 1 + 10 * 0.0)
    # must end with the 10 it started with: make 10, move 10, hold them
    p = solve(n, end_inventory="initial")
    assert p.objective == pytest.approx(10 + 10 * 2 + 10 * 0.1)


def test_tiny_network(tiny):
    p = solve(tiny)
    assert p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(2858.0, rel=1e-9)
    assert p.costs["site_fixed"] == pytest.approx(100 * 4)
    # dates at every period, and the purchase ordered a supplier lead time before it ships
    assert (p.purchases["ship_period"] - p.purchases["period"] == 1).all()
    assert set(p.production["date"]) <= {"2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25"}
