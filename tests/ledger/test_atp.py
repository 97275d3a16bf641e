"""Available-to-promise against hand-computed tables: receipts, promises, backward
consumption, lead times, sourcing, tiers and quotas, expiry, cancellation, ship-complete, on
SQLite and PostgreSQL.

The network (built here, every number chosen so the tables can be worked out by hand):

    PLANT --2d--> EAST --1d, 1.00/unit--> C1      EAST --2d--> C2
    PLANT --5d--> WEST --3d, 0.50/unit--> C1      (WEST is cheaper for C1 but farther)

Today is Monday 2027-01-04. On hand: EAST 20 FG, 5 FG2. Open orders of the plan: transfer
PLANT>EAST 50 FG due 2027-01-10, transfer PLANT>WEST 30 FG due 2027-01-20, transfer
PLANT>EAST 10 FG2 due 2027-01-14. So ATP of FG is 20 at EAST until 01-10 and 70 after, and
0 at WEST until 01-20 and 30 after.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from chainlab.ledger import ConflictError
from chainlab.ledger.atp import AtpTable, Event
from chainlab.ledger.ctp import PromisingData
from chainlab.ledger.promising import (
                             Fill,
                             LineRequest,
                             PromiseConflict,
                             PromiseRequest,
                             PromiseStatus,
                             Quota,
                             SupplyKind,
)

TODAY = dt.date(2027, 1, 4)
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)


def day(n: int) -> dt.date:
    """2027-01-n."""
    return dt.date(2027, 1, n)


# ------------------------------------------------------------------ the table itself

def test_backward_consumption_table():
    """supply 10 on d1 and 5 on d3, 8 promised on d2: the 8 are covered by d1's 10, so
    per-day ATP is 2, 0, 5 and what a new promise may take is 2, 2, 7."""
    t = AtpTable("EAST", "FG", day(1), [Event(day(1), D(10), "on_hand"),
                                        Event(day(2), D(-8), "promised"),
                                        Event(day(3), D(5), "receipt", "order 7")])
    rows = [(r.date, r.supply, r.demand, r.atp, r.cumulative) for r in t.rows()]
    assert rows == [(day(1), 10, 0, 2, 2), (day(2), 0, 8, 0, 2), (day(3), 5, 0, 5, 7)]
    assert [t.available(day(n)) for n in (1, 2, 3, 9)] == [2, 2, 7, 7]
    assert t.earliest(D(5), day(1)) == day(3) and t.earliest(D(8), day(1)) is None
    assert t.receipts_on(day(3)) == ["order 7"]


def test_a_later_shortfall_is_covered_by_earlier_supply():
    """10 now, 10 on d5, 15 promised on d6: only 5 of today's 10 are free; taking them leaves
    every earlier promise whole."""
    t = AtpTable("EAST", "FG", day(1), [Event(day(1), D(10), "on_hand"),
                                        Event(day(5), D(10), "receipt"),
                                        Event(day(6), D(-15), "promised")])
    assert [t.available(day(n)) for n in (1, 5, 6)] == [5, 5, 5]
    t.reserve(D(5), day(2))
    assert [t.available(day(n)) for n in (1, 2, 5, 6)] == [0, 0, 0, 0]
    assert [r.atp for r in t.rows()] == [0, 0, 0, 0]


def test_past_due_receipts_count_today_and_overcommitment_shows_no_atp():
    t = AtpTable("EAST", "FG", day(4), [Event(day(1), D(3), "receipt", "late order"),
                                        Event(day(6), D(-5), "promised")])
    assert t.rows()[0].date == day(4) and t.rows()[0].supply == 3
    assert t.available(day(4)) == 0 and t.available(day(3)) == 0
    assert t.rows()[-1].cumulative == 0


# ------------------------------------------------------------------ the ledger

SITES = pd.DataFrame({"id": ["SUP", "PLANT", "EAST", "WEST", "C1", "C2", "C3"],
                      "kind": ["supplier", "plant", "dc", "dc", "customer", "customer",
                               "customer"]})
PRODUCTS = pd.DataFrame({"id": ["FG", "FG2", "RM"], "standard_cost": [10.0, 20.0, 2.0]})
LANES = pd.DataFrame([
    ("PLANT", "EAST", "", "", 2.0, 0.2), ("PLANT", "WEST", "", "", 5.0, 0.3),
    ("EAST", "C1", "", "truck", 1.0, 1.0), ("WEST", "C1", "", "truck", 3.0, 0.5),
    ("EAST", "C2", "", "", 2.0, 1.0), ("EAST", "C3", "", "", 1.0, 1.0),
    ("SUP", "PLANT", "RM", "", 0.0, 0.1)],
    columns=["origin", "destination", "product", "mode", "lead_time_days", "cost_per_unit"])
ORDERS = pd.DataFrame([
    ("transfer", "FG", "PLANT", "EAST", 50.0, "2027-01-08", "2027-01-10"),
    ("transfer", "FG", "PLANT", "WEST", 30.0, "2027-01-15", "2027-01-20"),
    ("transfer", "FG2", "PLANT", "EAST", 10.0, "2027-01-12", "2027-01-14")],
    columns=["type", "product", "from_site", "to_site", "quantity", "release_date",
             "due_date"])
EMPTY = PromisingData(LANES,
                      pd.DataFrame(columns=["plant", "product", "resource", "hours_per_unit",
                                            "lead_time_days", "unit_cost"]),
                      pd.DataFrame(columns=["plant", "product", "component", "quantity"]),
                      pd.DataFrame(columns=["plant", "resource", "period_start", "period_end",
                                            "available_hours"]))


@pytest.fixture
def hand(led):
    """The network of the module docstring, published, with stock on hand."""
    led.publish_orders(ORDERS, sites=SITES, products=PRODUCTS, promising=EMPTY)
    led.post_move("receipt", "EAST", "FG", 20, day(1))
    led.post_move("receipt", "EAST", "FG2", 5, day(1))
    return led


def ask(customer, *lines, **kw) -> PromiseRequest:
    return PromiseRequest(customer, [LineRequest(p, D(q), d) for p, q, d in lines], **kw)


def check(led, req, now=NOW):
    return led.check(req, today=TODAY, now=now)


def promise(led, req, now=NOW, **kw):
    return led.promise(req, today=TODAY, now=now, **kw)


def parts(line):
    return [(p.quantity, p.date, p.ship_date, p.source, p.kind.value) for p in line.promised]


def number(led, product, to_site):
    return next(o.number for o in led.orders().orders
                if o.product == product and o.to_site == to_site)


def test_atp_table_of_the_ledger(hand):
    tables = hand.atp("FG", today=TODAY)
    assert set(tables) == {"PLANT", "EAST", "WEST"}
    east = [(r.date, r.supply, r.demand, r.cumulative) for r in tables["EAST"].rows()]
    assert east == [(TODAY, 20, 0, 20), (day(10), 50, 0, 70)]
    assert [(r.date, r.supply, r.cumulative) for r in tables["WEST"].rows()] == [
        (day(20), 30, 30)]
    # the plant ships what the plan transfers: 80 out, nothing in
    assert [(r.date, r.demand) for r in tables["PLANT"].rows()] == [(day(8), 50), (day(15), 30)]
    promise(hand, ask("C1", ("FG", 15, day(6))))
    east = [(r.date, r.supply, r.demand, r.atp, r.cumulative)
            for r in hand.atp("FG", site="EAST", today=TODAY)["EAST"].rows()]
    assert east == [(TODAY, 20, 0, 5, 5), (day(5), 0, 15, 0, 5), (day(10), 50, 0, 50, 55)]


def test_sourcing_takes_lead_times_and_then_cost(hand):
    # on 01-06 only EAST can deliver (WEST is 3 days away and has nothing before 01-20)
    a = check(hand, ask("C1", ("FG", 10, day(6))))
    assert a.fill is Fill.COMPLETE
    assert parts(a.lines[0]) == [(10, day(6), day(5), "EAST", "atp")]
    assert "ATP at EAST: 10 of 20 available to ship 2027-01-05" in a.lines[0].reason
    # on 01-25 WEST has stock and is cheaper for C1 (0.50 against 1.00)
    a = check(hand, ask("C1", ("FG", 10, day(25))))
    assert parts(a.lines[0]) == [(10, day(25), day(22), "WEST", "atp")]
    # more than WEST has: WEST's 30 first, the rest from EAST, same day
    a = check(hand, ask("C1", ("FG", 40, day(25))))
    assert parts(a.lines[0]) == [(10, day(25), day(24), "EAST", "atp"),
                                 (30, day(25), day(22), "WEST", "atp")]
    # C2 is two days from EAST: asking for today cannot be met before 01-06
    a = check(hand, ask("C2", ("FG", 5, day(4))))
    assert a.fill is Fill.LATE and parts(a.lines[0]) == [(5, day(6), day(4), "EAST", "atp")]


def test_late_answer_says_what_sets_the_date_and_offers_alternatives(hand):
    n = number(hand, "FG", "EAST")
    req = ask("C1", ("FG", 40, day(6)))
    a = check(hand, req)
    line = a.lines[0]
    assert a.fill is Fill.LATE and not a.acceptable
    assert parts(line) == [(40, day(11), day(10), "EAST", "atp")]
    assert (f"ATP at EAST has 20 to ship by 2027-01-05, exhausted until 2027-01-10, when "
            f"transfer order {n} from PLANT is due") in line.reason
    alts = [(x.quantity, x.date, x.source, x.note.split(" (")[0]) for x in line.alternatives]
    assert (20, day(6), "EAST", "a partial quantity on the requested date") in alts
    with pytest.raises(PromiseConflict, match="exhausted until 2027-01-10") as e:
        promise(hand, req)
    assert e.value.answer.lines[0].date == day(11)
    assert hand.promises() == []
    # asked for the date it can have, it is confirmed
    p = promise(hand, ask("C1", ("FG", 40, day(11))))
    assert p.status is PromiseStatus.CONFIRMED


def test_partial_now_and_the_rest_later(hand):
    p = promise(hand, ask("C1", ("FG", 40, day(6)), allow_partial=True))
    assert p.status is PromiseStatus.PARTIAL and p.fill is Fill.LATE  # all, some later
    assert parts(p.lines[0]) == [(20, day(6), day(5), "EAST", "atp"),
                                 (20, day(11), day(10), "EAST", "atp")]
    # more than there will ever be: what there is, and no date for the rest
    p = promise(hand, ask("C1", ("FG", 100, day(21)), allow_partial=True))
    assert p.lines[0].promised_quantity == 60  # 30 left at EAST and 30 at WEST
    assert "no date for the last 40" in p.lines[0].reason


def test_backward_consumption_keeps_an_earlier_promise_whole(hand):
    # 60 promised to ship on 01-10 needs the 50 arriving that day and 10 of today's 20
    promise(hand, ask("C1", ("FG", 60, day(11))))
    a = check(hand, ask("C1", ("FG", 20, day(6))))
    assert a.lines[0].alternatives[0].quantity == 10
    with pytest.raises(PromiseConflict):
        promise(hand, ask("C1", ("FG", 20, day(6))))
    p = promise(hand, ask("C1", ("FG", 20, day(6)), allow_partial=True))
    assert parts(p.lines[0])[0] == (10, day(6), day(5), "EAST", "atp")
    assert [r.cumulative for r in hand.atp("FG", site="EAST", today=TODAY)["EAST"].rows()] \
        == [0, 0, 0]


def test_cancel_gives_the_quantity_back(hand):
    p = promise(hand, ask("C1", ("FG", 20, day(6))))
    assert check(hand, ask("C1", ("FG", 1, day(6)))).fill is Fill.LATE
    c = hand.cancel_promise(p.id, now=NOW)
    assert c.status is PromiseStatus.CANCELLED and c.cancelled_at == NOW
    assert hand.cancel_promise(p.id).status is PromiseStatus.CANCELLED  # again: no change
    assert check(hand, ask("C1", ("FG", 20, day(6)))).fill is Fill.COMPLETE
    assert hand.commitments()[0] == []


def test_quotes_hold_until_they_expire(hand):
    q = promise(hand, ask("C1", ("FG", 20, day(6)), quote_minutes=30))
    assert q.status is PromiseStatus.QUOTED
    assert q.expires_at == NOW + dt.timedelta(minutes=30)
    soon, late = NOW + dt.timedelta(minutes=29), NOW + dt.timedelta(minutes=31)
    assert check(hand, ask("C1", ("FG", 5, day(6))), now=soon).fill is Fill.LATE
    assert check(hand, ask("C1", ("FG", 20, day(6))), now=late).fill is Fill.COMPLETE
    assert hand.get_promise(q.id, now=late).status is PromiseStatus.EXPIRED
    assert [p.id for p in hand.promises(status="expired", now=late)] == [q.id]
    with pytest.raises(ConflictError, match="expired"):
        hand.confirm_promise(q.id, now=late)
    # a quote confirmed in time holds for good
    q2 = promise(hand, ask("C1", ("FG", 20, day(6)), quote_minutes=30), now=late)
    c = hand.confirm_promise(q2.id, now=late + dt.timedelta(minutes=1))
    assert c.status is PromiseStatus.CONFIRMED and c.expires_at is None
    far = late + dt.timedelta(days=30)
    assert check(hand, ask("C1", ("FG", 1, day(6))), now=far).fill is Fill.LATE
    assert hand.commitments(now=far)[0][0].quantity == 20


def test_tier_quotas_let_a_tier_use_lower_tiers_but_not_higher(hand):
    week = (day(4), day(11))
    hand.set_quotas([Quota("FG", 1, *week, D(8)), Quota("FG", 2, *week, D(4)),
                     Quota("FG", 3, *week, D(3))])
    hand.set_customer_tier("C1", 2)
    hand.set_customer_tier("C2", 1)
    # tier 2 may use its 4 and tier 3's 3, not tier 1's 8
    a = check(hand, ask("C1", ("FG", 10, day(6))))
    assert a.tier == 2 and a.fill is Fill.LATE
    assert "tier 2 may use 7 more of the FG quota for 2027-01-04 to 2027-01-10" in \
        a.lines[0].reason
    p = promise(hand, ask("C1", ("FG", 10, day(6)), allow_partial=True))
    assert parts(p.lines[0])[0] == (7, day(6), day(5), "EAST", "atp")
    # the rest ships after the quota week, where nothing limits it
    assert parts(p.lines[0])[1] == (3, day(12), day(11), "EAST", "atp")
    used = {(q.tier, q.used) for q in hand.quotas("FG")}
    assert used == {(1, 0), (2, 4), (3, 3)}
    # tier 1 (C2) has its own 8; the lower tiers' quota is gone
    a = check(hand, ask("C2", ("FG", 9, day(7)), allow_partial=True))
    assert a.lines[0].promised[0].quantity == 8
    # a customer without a tier counts as the lowest (3): nothing left this week
    a = check(hand, ask("C3", ("FG", 1, day(6))))
    assert a.tier is None and a.lines[0].date == day(12)
    hand.cancel_promise(p.id)
    assert {(q.tier, q.used) for q in hand.quotas("FG")} == {(1, 0), (2, 0), (3, 0)}


def test_ship_complete_puts_every_line_on_one_date(hand):
    lines = (("FG", 10, day(6)), ("FG2", 10, day(6)))
    by_line = check(hand, ask("C1", *lines))
    assert [ln.date for ln in by_line.lines] == [day(6), day(15)]
    complete = check(hand, ask("C1", *lines, ship_complete=True))
    assert [ln.date for ln in complete.lines] == [day(15), day(15)]
    assert complete.fill is Fill.LATE
    assert "shipped complete on 2027-01-15" in complete.lines[0].reason
    p = promise(hand, ask("C1", ("FG", 10, day(15)), ("FG2", 10, day(15)),
                          ship_complete=True))
    assert p.status is PromiseStatus.CONFIRMED
    assert {c.ship_date for c in hand.commitments()[0]} == {day(14)}


def test_lines_of_one_order_do_not_count_the_same_units_twice(hand):
    a = check(hand, ask("C1", ("FG", 15, day(6)), ("FG", 15, day(6))))
    assert [ln.date for ln in a.lines] == [day(6), day(11)]


def test_a_promise_is_a_commitment_the_erp_reads(hand):
    p = promise(hand, ask("C1", ("FG", 12, day(6)), reference="CRM-77"), actor="rep1")
    rows, nxt = hand.commitments(source="EAST")
    assert nxt is None
    assert [(c.promise_id, c.customer, c.product, c.quantity, c.source, c.ship_date,
             c.delivery_date, c.kind, c.status, c.reference) for c in rows] == [
        (p.id, "C1", "FG", 12, "EAST", day(5), day(6), SupplyKind.ATP,
         PromiseStatus.CONFIRMED, "CRM-77")]
    assert hand.commitments(source="WEST")[0] == []
    assert hand.get_promise(p.id).lines == p.lines


def test_the_same_idempotency_key_never_promises_twice(hand):
    from chainlab.ledger import Idempotency, IdempotencyKeyReused, request_hash

    req = ask("C1", ("FG", 12, day(6)))
    idem = Idempotency("rep1", "k-1", "promises", request_hash(req.as_dict()))
    a = promise(hand, req, idempotency=idem)
    b = promise(hand, req, idempotency=idem)
    assert a == b and len(hand.promises()) == 1
    other = ask("C1", ("FG", 1, day(6)))
    with pytest.raises(IdempotencyKeyReused):
        promise(hand, other, idempotency=Idempotency("rep1", "k-1", "promises",
                                                     request_hash(other.as_dict())))


def test_bad_requests_name_the_field(hand):
    from chainlab.models import ValidationError

    with pytest.raises(ValidationError, match="customer 'NOPE'"):
        check(hand, ask("NOPE", ("FG", 1, day(6))))
    with pytest.raises(ValidationError, match="'EAST' is a dc"):
        check(hand, ask("EAST", ("FG", 1, day(6))))
    with pytest.raises(ValidationError, match="product 'XX'"):
        check(hand, ask("C1", ("XX", 1, day(6))))
    with pytest.raises(ValidationError, match="quantity"):
        check(hand, ask("C1", ("FG", 0, day(6))))
    with pytest.raises(ValidationError, match="overlap"):
        hand.set_quotas([Quota("FG", 1, day(4), day(11), D(1)),
                         Quota("FG", 2, day(8), day(15), D(1))])


@pytest.mark.parametrize("far", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_dates_at_the_ends_of_the_calendar_are_a_validation_error(hand, far):
    """In the library too, not only behind the API: the date arithmetic of the horizon around
    0001-01-01 or 9999-12-31 overflowed (OverflowError), now the request names the field."""
    from chainlab.models import ValidationError

    for allow_partial in (False, True):
        req = ask("C1", ("FG", 50000, far), allow_partial=allow_partial)
        with pytest.raises(ValidationError, match="requested_date.*1900-01-01 to 2199-12-31"):
            check(hand, req)
        with pytest.raises(ValidationError, match="outside the dates chainlab accepts"):
            promise(hand, req)
    assert hand.promises() == []
