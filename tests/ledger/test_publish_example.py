"""The bundled example (its first weeks) planned in whole units, with a production lead time and a lot multiple,
published and read back from the ledger: every order is one an ERP can execute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from chainlab.ledger.types import OrderType
from chainlab.models import Calendar, Network
from chainlab.solver import plan
from chainlab.solver.data import whole_units

ACME = Path(__file__).parents[2] / "scenarios" / "examples" / "acme"
#: a production lead time of a week on every line, and FG11 made in lots of 50
LEAD_DAYS, LOT = 7.0, 50.0


#: weeks planned: the first 8 of the example's 26 keep the whole-unit MILP (16,000 integers
#: over 26 weeks) quick to a first plan
WEEKS = 8


@pytest.fixture(scope="module")
def example():
    """The example's first weeks with those two changes, planned with integer orders per
    product (any incumbent within 5% will do: the checks hold for every feasible plan)."""
    net = Network.from_folder(ACME).copy()
    net.calendar = Calendar(net.calendar.bucket, net.calendar.start, WEEKS)
    net.production["lead_time_days"] = LEAD_DAYS
    net.production.loc[("PLANT1", "FG11"), "lot_multiple"] = LOT
    p = plan(net, integer_quantities=None, gap=0.05, time_limit=120, duals=False)
    assert p.has_solution, p.detail
    return net, p


def test_published_orders_are_whole_lots_released_a_lead_time_early(led, example):
    net, p = example
    led.publish(p, network=net, name="acme whole units")
    orders = list(led.iter_orders())
    assert orders
    whole = dict(zip(net.products.index, whole_units(net.products)))
    assert not whole["RM4"] and whole["FG01"]  # kg is measured, ea counted
    for o in orders:
        if whole[o.product]:
            assert o.quantity == o.quantity.to_integral_value(), o
    made = [o for o in orders if o.type is OrderType.PRODUCTION]
    assert made
    for o in made:
        assert o.due_date - o.release_date == dt.timedelta(days=LEAD_DAYS), o
        assert o.release_date >= net.calendar.start
    fg11 = [o for o in made if o.product == "FG11"]
    assert fg11 and all(o.quantity % Decimal(int(LOT)) == 0 for o in fg11)
    # the plan's own table says the same
    prod = p.production
    assert (prod["period"] - prod["release_period"] == 1).all()
