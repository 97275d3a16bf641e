"""Order sizes and production lead times, each on a network small enough to solve by hand
(the optimum is worked out in each test's docstring); every plan passes the plan checker."""

import plan_nets as nets
import pytest
from plan_testing import solve

from chainlab.solver import Status


def setups(**production) -> nets.Network:
    """Plant K makes FG with a setup cost of 100 per period made, nothing per unit; holding
    costs 1 per unit and period; FG is worth 50; C wants 10 in each of 3 periods."""
    return nets.net(3, [{"id": "K", "kind": "plant"}, {"id": "C", "kind": "customer"}],
                    [{"id": "FG", "standard_cost": 50, "holding_cost": 1}],
                    [{"origin": "K", "destination": "C", "cost_per_unit": 0}],
                    [("C", "FG", t, 10) for t in range(3)],
                    production=[{"plant": "K", "product": "FG", "unit_cost": 0,
                                 "setup_cost": 100, **production}])


def test_maximum_lot():
    """One lot of 30 (130, see test_setup_costs_make_one_lot) is over max_lot 20: two setups
    are needed, 20 + 10 with 10 held for one period: 2 x 100 + 10 = 210 (backlog at 25 a unit
    and period costs more than a setup)."""
    p = solve(setups(max_lot=20))
    assert p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(210.0, rel=1e-9)
    assert p.production["quantity"].max() == pytest.approx(20)
    assert p.costs["setup"] == pytest.approx(200)


def test_lot_multiple():
    """Lots of 25: 50 in period 0 (one setup, 40 + 30 + 20 held = 190) beats 25 in periods 0
    and 2 (200 + 15 + 5 + 20 = 240) and 25 + 25 in 0 and 1 (200 + 65)."""
    p = solve(setups(lot_multiple=25))
    assert p.objective == pytest.approx(190.0, rel=1e-9)
    assert p.production[["period", "quantity"]].values.tolist() == [[0, 50.0]]


def line(setup_hours: float) -> nets.Network:
    """Plant K makes FG at 1 per unit on LINE (1 hour per unit, 10 hours per period, each
    setup takes ``setup_hours``) for customer C, who wants 12 in period 0 of 2; FG is worth 10
    (backlog 5 per unit and period)."""
    return nets.net(2, [{"id": "K", "kind": "plant"}, {"id": "C", "kind": "customer"}],
                    [{"id": "FG", "standard_cost": 5, "price": 10}],
                    [{"origin": "K", "destination": "C", "cost_per_unit": 0}],
                    [("C", "FG", 0, 12)],
                    production=[{"plant": "K", "product": "FG", "unit_cost": 1,
                                 "resource": "LINE", "hours_per_unit": 1,
                                 "setup_hours": setup_hours}],
                    resources=[{"plant": "K", "resource": "LINE", "hours_per_period": 10}])


def test_setup_hours_take_capacity():
    """Without setup hours: 10 in period 0, 2 in period 1 (2 late): 12 + 2 x 5 = 22. With 4
    hours per setup each period makes at most 6: 6 + 6, 6 late: 12 + 6 x 5 = 42."""
    assert solve(line(0.0)).objective == pytest.approx(22.0, rel=1e-9)
    p = solve(line(4.0))
    assert p.objective == pytest.approx(42.0, rel=1e-9)
    assert p.production["quantity"].tolist() == pytest.approx([6, 6])
    assert p.production["hours"].tolist() == pytest.approx([10, 10])
    used = p.capacity.query("kind == 'resource'")["used"].tolist()
    assert used == pytest.approx([10, 10])


def bom_lead(production_lead_days: float) -> nets.Network:
    """``plan_nets.bom_lead`` (RM bought at 1 with a week's lead time, 2 RM make an FG at 3,
    K -> C costs 2 and takes a week, C wants 10 in period 3 of 4) with a production lead time:
    an order's components are used when it is released, its output is in stock lead later."""
    n = nets.bom_lead()
    prod = n.production.reset_index()
    prod["lead_time_days"] = production_lead_days
    return nets.net(4, n.sites.reset_index().to_dict("records"),
                    n.products.reset_index().to_dict("records"),
                    n.lanes.reset_index(drop=True).to_dict("records"),
                    [("C", "FG", 3, 10)],
                    supply=n.supply.reset_index().to_dict("records"),
                    production=prod.to_dict("records"),
                    bom=n.bom.reset_index().to_dict("records"))


def test_production_lead_time_one_week():
    """RM ordered in 0 is at K in 1; the order released in 1 uses it and delivers FG in 2,
    which reaches C in 3: the same 20 + 30 + 20 = 70 as without a lead time, with the
    production released in 1 and due in 2."""
    p = solve(bom_lead(7))
    assert p.objective == pytest.approx(70.0, rel=1e-9)
    assert p.production[["release_period", "period", "quantity"]].values.tolist() == [
        [1, 2, 10.0]]


def test_production_lead_time_too_long():
    """With two weeks the order would have to be released in 0, before any RM is at K: FG
    could reach C in period 4 at the earliest, after the horizon. Nothing is made; the 10 are
    owed at the end: backlog 0.5 x 20 + lost sale 5 x 20 per unit = 1,100."""
    p = solve(bom_lead(14))
    assert p.objective == pytest.approx(1100.0, rel=1e-9)
    assert p.production.empty


def buying(**offer) -> nets.Network:
    """Supplier S sells FG at 2 into DC D (no cost, no lead time); D ships to C at 1; holding
    1 per unit and period at D; FG is worth 5 (backlog 2.5, lost sale 25); C wants 10 in
    each of 2 periods."""
    return nets.net(2, [{"id": "S", "kind": "supplier"}, {"id": "D", "kind": "dc"},
                        {"id": "C", "kind": "customer"}],
                    [{"id": "FG", "standard_cost": 5, "holding_cost": 1}],
                    [{"origin": "S", "destination": "D", "cost_per_unit": 0},
                     {"origin": "D", "destination": "C", "cost_per_unit": 1}],
                    [("C", "FG", 0, 10), ("C", "FG", 1, 10)],
                    supply=[{"supplier": "S", "product": "FG", "unit_cost": 2, **offer}])


def test_supplier_minimum_order():
    """10 + 10 (60) is under the minimum order of 25: one order of 25 in period 0, 15 then 5
    held: 50 + 20 + 20 = 90 (one order in period 1 costs 50 + 20 + 10 x 2.5 late + 5 held =
    100)."""
    assert solve(buying()).objective == pytest.approx(60.0, rel=1e-9)
    p = solve(buying(min_order=25))
    assert p.is_mip and p.objective == pytest.approx(90.0, rel=1e-9)
    assert p.purchases[["period", "quantity"]].values.tolist() == [[0, 25.0]]


def test_supplier_order_multiple():
    """Orders in 15s: 15 + 15 (purchase 60, transport 20, held 5 then 10) = 95 beats 30 at
    once (60 + 20 + 20 + 10 = 110) and 30 in period 1 (60 + 20 + 25 late + 10 held = 115)."""
    p = solve(buying(order_multiple=15))
    assert p.objective == pytest.approx(95.0, rel=1e-9)
    assert p.purchases[["period", "quantity"]].values.tolist() == [[0, 15.0], [1, 15.0]]


def direct(unit: str = "ea", integer: str = "") -> nets.Network:
    """``plan_nets.direct`` (S sells FG at 2, shipped to C at 1; FG worth 5: backlog 2.5, lost
    sale 25 per unit) with C wanting 10.5 and FG counted in ``unit``."""
    return nets.net(1, [{"id": "S", "kind": "supplier"}, {"id": "C", "kind": "customer"}],
                    [{"id": "FG", "standard_cost": 5, "unit": unit,
                      "integer_quantities": integer}],
                    [{"origin": "S", "destination": "C", "cost_per_unit": 1}],
                    [("C", "FG", 0, 10.5)],
                    supply=[{"supplier": "S", "product": "FG", "unit_cost": 2}])


@pytest.mark.parametrize("unit, integer, whole", [("ea", "", True), ("kg", "", False),
                                                  ("kg", "yes", True), ("ea", "no", False)])
def test_integer_quantities_per_product(unit, integer, whole):
    """Planned per product (integer_quantities=None): in whole units only 10 of the 10.5 can
    be delivered, the half unit is owed at the end: 10 x 3 + 0.5 x (2.5 + 25) = 43.75;
    in any quantity 10.5 x 3 = 31.5. Whole units by default for a unit that counts pieces."""
    p = solve(direct(unit, integer), integer_quantities=None)
    assert p.objective == pytest.approx(43.75 if whole else 31.5, rel=1e-9)
    assert p.is_mip is whole
    # the network's setting counts only when the plan asks for it
    assert solve(direct(unit, integer)).objective == pytest.approx(31.5, rel=1e-9)


def test_end_inventory_at_the_safety_stock():
    """D starts empty with a safety stock of 10 and nothing to deliver. Free, the plan pays
    the soft floor (0.05 x 10 = 0.5 per unit short): 5. Made to end at the safety stock it
    makes 10 (1 each), moves them to D (1 each) and holds them (0.1 each): 21."""
    n = nets.stock_at_dc(safety=10, on_hand=0)
    assert solve(n).objective == pytest.approx(5.0, rel=1e-9)
    p = solve(n, end_inventory="safety")
    assert p.objective == pytest.approx(21.0, rel=1e-9)
    assert p.inventory.query("site == 'D'")["quantity"].tolist() == pytest.approx([10])
