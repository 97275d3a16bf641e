"""Publishing plans: versions, idempotency, atomicity, carried firm orders, paging, statuses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from chainlab.ledger import OrderFilter, OrderStatus, TransitionError
from chainlab.models import NotFoundError, ValidationError

DATA = Path(__file__).parents[1] / "data"


def orders(*rows):
    """Planned orders from (type, product, from, to, quantity, release, due) tuples."""
    return pd.DataFrame(rows, columns=["type", "product", "from_site", "to_site", "quantity",
                                       "release_date", "due_date"])


A = orders(("transfer", "FG1", "PLANT1", "DC1", 100.0, "2027-01-04", "2027-01-11"),
           ("production", "FG1", "PLANT1", "PLANT1", 50.0, "2027-01-04", "2027-01-04"),
           ("purchase", "RM1", "SUP1", "PLANT1", 30.0, "2027-01-04", "2027-01-11"))


def count(led, table):
    with led.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_publish_plan_folder_makes_a_current_version(tiny_led, tiny):
    r = tiny_led.publish(DATA / "tiny_plan", network=tiny, name="week 1")
    assert (r.plan_version, r.orders, r.carried, r.created) == (1, 9, 0, True)
    plan = tiny_led.plan()
    assert (plan.id, plan.name, plan.current, plan.order_count) == (1, "week 1", True, 9)
    assert plan.source.endswith("tiny_plan")
    got = tiny_led.orders().orders
    assert [o.number for o in got] == list(range(1, 10))
    assert {o.status for o in got} == {OrderStatus.PLANNED}
    assert got[3].quantity == Decimal(390) and got[3].due_date == dt.date(2027, 1, 11)


def test_same_plan_twice_is_idempotent(tiny_led, tiny):
    first = tiny_led.publish(DATA / "tiny_plan", network=tiny)
    again = tiny_led.publish(DATA / "tiny_plan")  # master data already there
    assert (again.plan_version, again.created) == (first.plan_version, False)
    assert again.content_hash == first.content_hash
    assert count(tiny_led, "plan_versions") == 1 and count(tiny_led, "planned_orders") == 9


def test_new_plan_is_a_new_version_and_the_old_stays_complete(tiny_led):
    v1 = tiny_led.publish_orders(A)
    B = A.assign(quantity=A.quantity * 2)
    v2 = tiny_led.publish_orders(B)
    assert (v2.plan_version, v2.previous, v2.created) == (2, 1, True)
    assert tiny_led.plan().id == 2
    old = tiny_led.orders(v1.plan_version).orders
    # numbered in (type, product, from, to, dates) order
    assert [(o.type.value, o.quantity) for o in old] == [
        ("production", Decimal(50)), ("purchase", Decimal(30)), ("transfer", Decimal(100))]
    assert not tiny_led.plan(1).current
    assert [p.id for p in tiny_led.plans()] == [2, 1]
    # back to the first plan: a new version (the world moved on), not a pointer flip
    v3 = tiny_led.publish_orders(A)
    assert (v3.plan_version, v3.created) == (3, True)


def test_firm_and_released_orders_survive_republishing(tiny_led):
    tiny_led.publish_orders(A)
    n_production, n_purchase, n_transfer = [o.number for o in tiny_led.orders().orders]
    tiny_led.set_order_status(n_transfer, "firm", actor="erp")
    tiny_led.set_order_status(n_production, "released")
    tiny_led.set_order_status(n_purchase, "closed")
    # the new plan wants 120 of the transfer (same key as the firm 100), a later production
    new = orders(("transfer", "FG1", "PLANT1", "DC1", 120.0, "2027-01-04", "2027-01-11"),
                 ("production", "FG1", "PLANT1", "PLANT1", 40.0, "2027-01-11", "2027-01-11"),
                 ("purchase", "RM1", "SUP1", "PLANT1", 30.0, "2027-01-04", "2027-01-11"))
    r = tiny_led.publish_orders(new)
    assert (r.carried, r.orders) == (2, 5)
    got = {(o.number, o.type.value, o.status.value, o.quantity, o.carried_from)
           for o in tiny_led.orders().orders}
    assert got == {
        (n_transfer, "transfer", "firm", Decimal(100), 1),      # kept, same number
        (n_production, "production", "released", Decimal(50), 1),
        (4, "production", "planned", Decimal(40), None),
        (5, "purchase", "planned", Decimal(30), None),          # the closed one is not kept
        (6, "transfer", "planned", Decimal(20), None),          # 120 - firm 100
    }
    # carried again into a third version, still pointing at where it came from
    tiny_led.publish_orders(new.assign(quantity=new.quantity + 1))
    kept = tiny_led.order(n_transfer)
    assert (kept.plan_version_id, kept.status, kept.carried_from) == (3, OrderStatus.FIRM, 1)


def test_status_moves_forward_only_and_is_journaled(tiny_led):
    tiny_led.publish_orders(A)
    assert tiny_led.set_order_status(1, "firm").status is OrderStatus.FIRM
    assert tiny_led.set_order_status(1, "firm").status is OrderStatus.FIRM  # no-op
    with pytest.raises(TransitionError, match="forward only"):
        tiny_led.set_order_status(1, "planned")
    assert tiny_led.set_order_status(1, "closed").status is OrderStatus.CLOSED
    with pytest.raises(NotFoundError, match="order 99"):
        tiny_led.set_order_status(99, "firm")
    assert count(tiny_led, "order_events") == 2


def test_bad_orders_publish_nothing(tiny_led):
    tiny_led.publish_orders(A)
    bad = pd.concat([A, orders(("transfer", "NOPE", "PLANT1", "DC9", 1.0, "2027-01-04",
                                "2027-01-04"),
                               ("transfer", "FG1", "PLANT1", "DC1", 1.0, "2027-01-11",
                                "2027-01-04"))], ignore_index=True)
    with pytest.raises(ValidationError) as e:
        tiny_led.publish_orders(bad)
    text = str(e.value)
    assert "product 'NOPE'" in text and "to_site 'DC9'" in text and "release <= due" in text
    assert tiny_led.plan().id == 1 and count(tiny_led, "plan_versions") == 1
    assert count(tiny_led, "planned_orders") == 3


def test_no_plan_yet(led):
    with pytest.raises(NotFoundError, match="no plan has been published"):
        led.plan()
    assert led.plans() == []


def test_publish_without_master_data_says_what_to_do(led):
    with pytest.raises(NotFoundError, match="network"):
        led.publish(DATA / "tiny_plan")


def test_paging_keeps_to_its_version_and_filters(tiny_led):
    many = orders(*[("transfer", "FG1", "PLANT1", "DC1", float(i + 1), "2027-01-04",
                     f"2027-01-{4 + i % 3 * 7:02d}") for i in range(25)])
    tiny_led.publish_orders(many)
    page = tiny_led.orders(limit=10)
    assert [o.number for o in page.orders] == list(range(1, 11))
    tiny_led.publish_orders(many.assign(quantity=many.quantity * 3))  # current moves on
    seen = [o.quantity for o in page.orders]
    while page.next_cursor:
        page = tiny_led.orders(cursor=page.next_cursor, limit=10)
        assert page.plan_version_id == 1
        seen += [o.quantity for o in page.orders]
    assert sorted(seen) == [Decimal(i + 1) for i in range(25)]
    f = OrderFilter(due_from=dt.date(2027, 1, 11), due_to=dt.date(2027, 1, 11),
                    product="FG1", status=OrderStatus.PLANNED)
    got = tiny_led.orders(1, f, limit=100).orders
    assert [o.quantity for o in got] == [Decimal(i + 1) for i in range(25) if i % 3 == 1]
    with pytest.raises(ValidationError, match="belongs to plan version 1"):
        tiny_led.orders(2, cursor=tiny_led.orders(1, limit=1).next_cursor)
    with pytest.raises(ValidationError, match="cursor"):
        tiny_led.orders(1, cursor="garbage!")
    assert [o.number for o in tiny_led.iter_orders(1, f)] == [o.number for o in got]


def test_master_data_sync_is_idempotent_and_deactivates(tiny_led, tiny):
    r = tiny_led.sync(tiny)
    assert (r.items_added, r.items_updated, r.locations_added, r.revaluations) == (0, 0, 0, ())
    smaller = tiny.copy()
    smaller.sites = smaller.sites.drop(index="C2")
    assert tiny_led.sync(smaller).locations_deactivated == 1
    codes = [a.account for a in tiny_led.trial_balance().accounts]
    assert codes == ["COGS", "GRNI", "INV:DC1", "INV:PLANT1", "INV_ADJ", "OPENING", "REVAL",
                     "TRANSIT", "WIP"]
