"""An infeasible plan says what cannot be met and what binds it."""

import plan_nets as nets
import pytest
from plan_testing import solve

from chainlab.solver import Status


def test_capacity_shortfall_is_named_with_its_binding_line():
    p = solve(nets.line(), unmet="none")
    assert p.status is Status.INFEASIBLE and not p.has_solution
    d = p.diagnosis
    assert [(s.customer, s.product, s.period) for s in d.shortfalls] == [("C", "FG", 0)]
    assert d.shortfalls[0].quantity == pytest.approx(5)
    assert [(b.kind, b.site, b.item, b.period) for b in d.binding] == [("resource", "K", "LINE", 0)]
    # one more hour meets one more unit (to the 1e-3 tie-break that favours early demand)
    assert d.binding[0].value == pytest.approx(1.0, rel=1e-3)
    assert "one more hour meets 1.00 more units of demand" in str(d)
    assert "C cannot get 5 of FG" in repr(p)


def test_lead_time_shortfall_says_when_the_earliest_arrival_is():
    p = solve(nets.bom_lead(demand=[(0, 5), (3, 10)]), unmet="none")
    (s,) = p.diagnosis.shortfalls
    assert (s.period, s.quantity) == (0, pytest.approx(5))
    assert "before 2027-01-18 (period 2)" in s.reason


def test_unreachable_customer():
    # the network itself may not have such demand (validation refuses it); a demand table
    # handed to plan() may
    n, demand = nets.unreachable()
    p = solve(n, demand, unmet="none")
    (s,) = p.diagnosis.shortfalls
    assert (s.customer, s.quantity) == ("C2", pytest.approx(7))
    assert s.reason == "no lane brings FG to C2 from a site that can have it"


def test_end_inventory_that_cannot_be_rebuilt():
    n = nets.stock_at_dc(safety=0, on_hand=10, demand=[("C", "FG", 0, 10)])
    n.lanes = n.lanes.drop(index=["K>D"])  # D cannot be restocked
    p = solve(n, end_inventory="initial", unmet="none")
    assert p.status is Status.INFEASIBLE
    assert p.diagnosis.shortfalls == ()
    assert p.diagnosis.violations == ("D can end with at most 0 of FG, below its starting "
                                      "stock 10 (end_inventory=initial)",)


def test_storage_that_cannot_hold_the_starting_stock():
    n = nets.stock_at_dc(safety=0, on_hand=10)
    n.inventory.loc[("D", "FG"), "max_stock"] = 4
    n.lanes = n.lanes.drop(index=["D>C"])
    p = solve(n)
    assert p.status is Status.INFEASIBLE
    assert p.diagnosis.violations == ("D must hold 10 of FG at the end of period 0, above its "
                                      "max_stock 4",)


def test_no_diagnosis_when_asked_not_to():
    p = solve(nets.line(), unmet="none", diagnose=False)
    assert p.status is Status.INFEASIBLE and p.diagnosis is None
