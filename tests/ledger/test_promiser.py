"""The promiser on hand-built books, no database: every answer below is worked out by hand.

The network: one DC, EAST, ships to customer C1 in 1 day at 1.00 a unit (so a delivery on day
``d`` ships on ``d - 1``). Today is Monday 2027-01-04. EAST has 20 FG on hand and a receipt of
50 FG (order 7) due 2027-01-10, so ATP of FG at EAST is 20 until 01-10 and 70 from then on; it
has 5 FG2 on hand and 10 FG2 (order 8) due 2027-01-14.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from chainlab.ledger.atp import AtpTable, Event
from chainlab.ledger.ctp import Bucket, Lane, Routing, Statics
from chainlab.ledger.promising import (
                                  Alternative,
                                  Book,
                                  Fill,
                                  Hold,
                                  LineRequest,
                                  Part,
                                  PromiseRequest,
                                  SupplyKind,
)
from chainlab.ledger.promising.promiser import answer

TODAY = dt.date(2027, 1, 4)
ATP = SupplyKind.ATP


def day(n: int) -> dt.date:
    """2027-01-n."""
    return dt.date(2027, 1, n)


def book(*fg: Event) -> Book:
    """The book of the module docstring; ``fg`` more events of FG at EAST."""
    statics = Statics(1, kinds={"EAST": "dc", "C1": "customer"},
                      items=frozenset({"FG", "FG2"}),
                      lanes_to={"C1": [Lane("EAST", "C1", "", "", 1, D("1.00"))]})
    b = Book(statics, 1, TODAY)
    b.add_tables({
        ("EAST", "FG"): AtpTable("EAST", "FG", TODAY, [
            Event(TODAY, D(20), "on_hand", "on hand"),
            Event(day(10), D(50), "receipt", "order 7"), *fg]),
        ("EAST", "FG2"): AtpTable("EAST", "FG2", TODAY, [
            Event(TODAY, D(5), "on_hand", "on hand"),
            Event(day(14), D(10), "receipt", "order 8")])})
    return b


def ask(b: Book, *lines: tuple[str, int, int], **options):
    req = PromiseRequest("C1", tuple(LineRequest(p, D(q), day(n)) for p, q, n in lines),
                         **options)
    return answer(b, req)


def test_atp_from_on_hand():
    """15 FG on 01-10: EAST ships them from its 20 on hand on 01-09."""
    a = ask(book(), ("FG", 15, 10))
    (ln,) = a.lines
    assert ln.promised == (Part(D(15), day(10), day(9), "EAST", ATP, "EAST>C1"),)
    assert ln.reason == "ATP at EAST: 15 of 20 available to ship 2027-01-09, 1 day EAST>C1"
    assert a.fill is Fill.COMPLETE and a.acceptable and ln.alternatives == ()


def test_atp_from_a_later_receipt():
    """40 FG on 01-08: only 20 can ship by 01-07, so all 40 come when order 7 is in (ship
    01-10, arrive 01-11); the 20 on time is offered as an alternative."""
    a = ask(book(), ("FG", 40, 8))
    (ln,) = a.lines
    assert ln.promised == (Part(D(40), day(11), day(10), "EAST", ATP, "EAST>C1"),)
    assert ln.fill is Fill.LATE and a.fill is Fill.LATE and not a.acceptable
    assert ln.reason == ("ATP at EAST has 20 to ship by 2027-01-07, exhausted until "
                         "2027-01-10, when order 7 is due; all 40 can arrive on 2027-01-11; "
                         "ATP at EAST: 40 of 70 available to ship 2027-01-10, 1 day EAST>C1")
    assert ln.alternatives == (Alternative(D(20), day(8), "EAST", ATP,
                                           "a partial quantity on the requested date "
                                           "(20 short)"),)


def test_partial_on_time_and_the_rest_later():
    """With allow_partial, 40 FG on 01-08 come as 20 on 01-08 and 20 on 01-11; 100 come as 20
    on time and 50 on 01-11 (all there will ever be), 30 short."""
    a = ask(book(), ("FG", 40, 8), allow_partial=True)
    assert a.lines[0].promised == (Part(D(20), day(8), day(7), "EAST", ATP, "EAST>C1"),
                                   Part(D(20), day(11), day(10), "EAST", ATP, "EAST>C1"))
    assert a.fill is Fill.LATE and a.acceptable
    a = ask(book(), ("FG", 100, 8), allow_partial=True)
    (ln,) = a.lines
    assert [(p.quantity, p.date) for p in ln.promised] == [(20, day(8)), (50, day(11))]
    assert ln.promised_quantity == 70 and a.fill is Fill.PARTIAL and a.acceptable
    assert "; 50 more on 2027-01-11, no date for the last 30" in ln.reason


def test_ship_complete_waits_for_the_last_line():
    """10 FG and 10 FG2 on 01-06, shipped complete: FG2 has 5 until order 8 arrives on 01-14,
    so both lines come on 01-15."""
    a = ask(book(), ("FG", 10, 6), ("FG2", 10, 6), ship_complete=True)
    assert [ln.promised for ln in a.lines] == [
        (Part(D(10), day(15), day(14), "EAST", ATP, "EAST>C1"),),
        (Part(D(10), day(15), day(14), "EAST", ATP, "EAST>C1"),)]
    assert a.fill is Fill.LATE and not a.acceptable
    assert a.lines[0].reason.startswith("shipped complete on 2027-01-15, when every line can "
                                        "arrive; ")


def test_ship_complete_refuses_what_cannot_all_come():
    """10 FG and 20 FG2 shipped complete: FG2 never has more than 15, so neither line is
    promised."""
    a = ask(book(), ("FG", 10, 6), ("FG2", 20, 6), ship_complete=True)
    assert [ln.promised for ln in a.lines] == [(), ()]
    assert a.fill is Fill.NONE and not a.acceptable
    assert all(ln.reason.startswith("the lines cannot all arrive on one date; ")
               for ln in a.lines)


def test_a_hold_consumes_supply():
    """Two lines of 15 FG on 01-06: the first takes 15 of the 20 on hand (held on 01-05), so
    the second finds 5 and comes whole on 01-11, from order 7."""
    b = book()
    a = ask(b, ("FG", 15, 6), ("FG", 15, 6))
    assert [ln.promised for ln in a.lines] == [
        (Part(D(15), day(6), day(5), "EAST", ATP, "EAST>C1"),),
        (Part(D(15), day(11), day(10), "EAST", ATP, "EAST>C1"),)]
    assert b.holds == [Hold("stock", "EAST", "FG", None, day(5), D(15)),
                       Hold("stock", "EAST", "FG", None, day(10), D(15))]
    # what is left: 70 - 30 = 40 once order 7 is in, and 20 - 15 = 5 before it
    t = b.table("EAST", "FG")
    assert (t.available(day(5)), t.available(day(10))) == (5, 40)


def test_an_existing_promise_consumes_supply():
    """A promise already holds 18 FG shipping 01-07: a new one shipping 01-05 may take only the
    2 it leaves of the 20 on hand (backward consumption), so 10 FG on 01-06 come on 01-11,
    from order 7."""
    (ln,) = ask(book(Event(day(7), D(-18), "promised")), ("FG", 10, 6)).lines
    assert ln.promised == (Part(D(10), day(11), day(10), "EAST", ATP, "EAST>C1"),)


def test_ctp_makes_what_no_stock_covers():
    """FG3 has no stock anywhere; PLANT makes it on LINE at 1 h a unit, 30 h spare in the week
    of 01-04 (40 available, 10 used), and ships it to C1 in 2 days. 12 FG3 on 01-14 are made in
    that week (ready at its end, 01-11) and leave PLANT on 01-12; the later week ends too
    late."""
    b = book()
    st = b.statics
    st.kinds["PLANT"] = "plant"
    st.lanes_to["C1"].append(Lane("PLANT", "C1", "FG3", "", 2, D("2.00")))
    st.routings["FG3"] = [Routing("PLANT", "FG3", "LINE", D(1), 0, D(5))]
    st.buckets[("PLANT", "LINE")] = [Bucket(day(4), day(11), D(40), D(10)),
                                     Bucket(day(11), day(18), D(40), D(0))]
    (ln,) = ask(b, ("FG3", 12, 14)).lines
    assert ln.promised == (Part(D(12), day(14), day(12), "PLANT", SupplyKind.CTP,
                                "PLANT>C1"),)
    assert ln.reason == ("CTP: LINE at PLANT has 30 free hours in the week of 2027-01-04; "
                         "makes 12 (12 h), ready 2027-01-11, then 2 days PLANT>C1")
    assert b.holds == [Hold("hours", "PLANT", "LINE", None, day(4), D(12))]
