"""Dates of stock moves and quota windows in the library (the API's 422s are in
tests/api/test_dates.py), on both engines.

- A move or a quota window outside 1900-01-01..2199-12-31 is a ValidationError that names the
  field and the range, and nothing is written (a move dated 9999-12-31 was accepted and
  counted as stock today).
- A move dated after today counts in ATP from its date on: a receipt posted ahead is a
  projected receipt, not stock on hand (before, every move counted today, whatever its date).
- ``inventory()`` is the stock the books hold (every move); ``as_of`` counts the moves dated
  up to a day, ``as_of=today`` being what is on hand now.
- A quota window stored before dates were checked (one to 9999-12-31) does not break
  promising: the promiser never adds days past its horizon.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from chainlab.ledger import MoveIn
from chainlab.ledger.planned import empty_orders
from chainlab.ledger.promising import LineRequest, PromiseRequest, Quota
from chainlab.ledger.tables import AllocationQuota, utcnow
from chainlab.models import ValidationError

D = Decimal
#: the tiny network's first day: its opening stock (100 FG1 at DC1) is dated then
TODAY = dt.date(2027, 1, 4)
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
FAR = [dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(2200, 1, 1), dt.date(9999, 12, 31)]


def day(n: int) -> dt.date:
    return dt.date(2027, 1, n)


@pytest.fixture
def planned(tiny_led, tiny):
    """The tiny network published (no orders): lanes DC1 -> C1, C2 by truck in one day, and
    100 FG1 on hand at DC1 from 2027-01-04."""
    tiny_led.publish_orders(empty_orders(), network=tiny)
    return tiny_led


def on_hand(led, **kw) -> dict:
    return {(b.site, b.product): b.on_hand for b in led.inventory(**kw)}


@pytest.mark.parametrize("far", FAR)
def test_a_move_outside_the_accepted_dates_is_refused_and_nothing_moves(planned, far):
    before, moves = on_hand(planned), planned.moves()
    good = MoveIn("receipt", "DC1", "FG1", D(5), day(5))
    bad = MoveIn("receipt", "DC1", "FG1", D(5), far)
    with pytest.raises(ValidationError, match=r"moves\[1\], column 'date'.*1900-01-01 to "
                                              r"2199-12-31"):
        planned.post_moves([good, bad])
    assert on_hand(planned) == before and planned.moves() == moves
    posted = planned.post_move("receipt", "DC1", "FG1", 5, day(5))
    with pytest.raises(ValidationError, match=r"reversal, column 'date'.*1900-01-01"):
        planned.reverse_move(posted.id, date=far)
    assert len(planned.moves()) == len(moves) + 1


def test_a_receipt_dated_after_today_counts_from_its_date(planned):
    planned.post_move("receipt", "DC1", "FG1", 50, day(20), reference="ASN 7")
    planned.post_move("shipment", "DC1", "FG1", 30, day(25))
    t = planned.atp("FG1", site="DC1", today=TODAY)["DC1"]
    # 100 now; +50 on the 20th; -30 on the 25th (backward consumption keeps 100 now)
    assert t.available(TODAY) == 100 and t.available(day(19)) == 100
    assert t.available(day(20)) == 120 and t.final == 120
    rows = {r.date: r for r in t.rows()}
    assert rows[day(20)].supply == 50 and rows[day(20)].refs == ("stock moves dated 2027-01-20",)
    assert rows[day(25)].demand == 30
    # a customer asking for 110 by the 10th: 100 of stock, the receipt only from the 20th
    a = planned.check(PromiseRequest("C1", [LineRequest("FG1", D(110), day(10))]),
                      today=TODAY, now=NOW)
    assert a.lines[0].date > day(10)
    assert "ATP at DC1 has 100 to ship by 2027-01-09, exhausted until 2027-01-20, when stock " \
           "moves dated 2027-01-20" in a.lines[0].reason
    # the same moves, seen on the 20th: all of them are on hand then
    later = planned.atp("FG1", site="DC1", today=day(26))["DC1"]
    assert later.available(day(26)) == 120

    # inventory: the books (every move), or as of a day
    assert on_hand(planned)[("DC1", "FG1")] == 120
    assert on_hand(planned, as_of=TODAY)[("DC1", "FG1")] == 100
    assert on_hand(planned, as_of=day(20))[("DC1", "FG1")] == 150
    assert on_hand(planned, as_of=dt.date(2026, 12, 31)) == {}


@pytest.mark.parametrize("field", ["period_start", "period_end"])
@pytest.mark.parametrize("far", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_a_quota_window_outside_the_accepted_dates_is_refused(planned, field, far):
    window = {"period_start": day(4), "period_end": day(11)} | {field: far}
    if window["period_start"] >= window["period_end"]:
        window = {"period_start": far, "period_end": dt.date(2027, 1, 11)} \
            if field == "period_start" else window
    with pytest.raises(ValidationError, match=rf"quotas\[0\], column '{field}'.*1900-01-01 "
                                              rf"to 2199-12-31"):
        planned.set_quotas([Quota("FG1", 1, window["period_start"], window["period_end"],
                                  D(10))])
    assert planned.quotas() == []


def test_a_quota_stored_to_the_end_of_time_does_not_break_promising(planned):
    """A quota window to 9999-12-31 stored before the checks (here written straight into the
    table) made every promise of its product an OverflowError (HTTP 500)."""
    with planned.engine.begin() as conn:
        conn.execute(AllocationQuota.__table__.insert().values(
            product="FG1", tier=1, period_start=day(1), period_end=dt.date(9999, 12, 31),
            quantity=D(60), updated_at=utcnow()))
    for qty, partial in ((D(5), False), (D(50000), True)):
        req = PromiseRequest("C1", [LineRequest("FG1", qty, day(10))], allow_partial=partial)
        a = planned.check(req, today=TODAY, now=NOW)
        assert sum(p.quantity for p in a.lines[0].promised) == min(qty, 60)
    p = planned.promise(PromiseRequest("C1", [LineRequest("FG1", D(5), day(10))]),
                        today=TODAY, now=NOW)
    assert p.lines[0].promised[0].quantity == 5


def test_quotas_and_requests_at_the_last_accepted_day_are_answered(planned):
    last = dt.date(2199, 12, 31)
    planned.set_quotas([Quota("FG1", 1, day(1), last, D(60))])
    for requested in (day(10), last):
        req = PromiseRequest("C1", [LineRequest("FG1", D(50000), requested)],
                             allow_partial=True)
        a = planned.check(req, today=TODAY, now=NOW)
        # the quota caps what ships in its window [2027-01-01, 2199-12-31)
        assert sum(p.quantity for p in a.lines[0].promised if p.ship_date < last) == 60
    with planned.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            AllocationQuota.__table__)).scalar() == 1
