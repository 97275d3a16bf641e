"""Fulfilment: a shipment that names its promise line consumes the promise's hold, so ATP
counts the shipped units once; the line goes confirmed -> partly_shipped -> shipped and the
promise closes; reversing the shipment undoes it. On SQLite and PostgreSQL.

The network is test_atp's: EAST has 20 FG on hand and a transfer of 50 FG due 2027-01-10.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from ledger.test_atp import TODAY, ask, day, hand, promise  # noqa: F401  (hand: a fixture)

from chainlab.ledger import ConflictError
from chainlab.ledger.errors import ValidationError
from chainlab.ledger.promising import PromiseStatus


def atp_now(led) -> D:
    return led.atp("FG", site="EAST", today=TODAY)["EAST"].available(TODAY)


def line_of(led, promise_id):
    rows, _ = led.commitments()
    return next(c for c in rows if c.promise_id == promise_id)


def test_promise_20_then_ship_20_against_its_line_drops_atp_by_exactly_20(hand):
    before = atp_now(hand)
    assert before == 20
    p = promise(hand, ask("C1", ("FG", 20, day(5))))
    assert atp_now(hand) == 0
    c = line_of(hand, p.id)
    assert (c.shipped, c.line_status) == (0, "confirmed")
    hand.post_move("shipment", "EAST", "FG", 12, TODAY, promise_line=c.line_id)
    c = line_of(hand, p.id)
    assert (c.shipped, c.line_status) == (12, "partly_shipped")
    assert atp_now(hand) == 0  # 8 on hand, 8 still held
    m = hand.post_move("shipment", "EAST", "FG", 8, TODAY, promise_line=c.line_id)
    assert m.promise_line == c.line_id
    assert atp_now(hand) == before - 20
    assert hand.get_promise(p.id).status is PromiseStatus.CLOSED
    assert all(x.promise_id != p.id for x in hand.commitments()[0])
    with pytest.raises(ConflictError, match="shipped in full"):
        hand.cancel_promise(p.id)


def test_a_shipment_without_a_line_still_consumes_free_stock(hand):
    promise(hand, ask("C1", ("FG", 5, day(5))))
    hand.post_move("shipment", "EAST", "FG", 5, TODAY)
    assert atp_now(hand) == 10


def test_what_cannot_fulfil_a_line_is_refused_naming_it_and_nothing_is_posted(hand):
    p = promise(hand, ask("C1", ("FG", 10, day(5))))
    line = line_of(hand, p.id).line_id
    n_moves = len(hand.moves(limit=1000))
    cases = [
        (("shipment", "EAST", "FG", 11), line, "has 10 of 10 left to ship"),
        (("shipment", "WEST", "FG", 1), line, "ships from EAST, not WEST"),
        (("shipment", "EAST", "FG2", 1), line, "is for FG, not FG2"),
        (("receipt", "EAST", "FG", 1), line, "only a shipment can"),
        (("shipment", "EAST", "FG", 1), 999_999, "promise line 999999 does not exist"),
    ]
    for (kind, site, product, q), pl, says in cases:
        with pytest.raises(ValidationError, match=says):
            hand.post_move(kind, site, product, q, TODAY, promise_line=pl)
    assert len(hand.moves(limit=1000)) == n_moves
    assert line_of(hand, p.id).shipped == 0
    hand.cancel_promise(p.id)
    with pytest.raises(ValidationError, match="is cancelled"):
        hand.post_move("shipment", "EAST", "FG", 1, TODAY, promise_line=line)


def test_reversing_a_fulfilling_shipment_holds_the_stock_again(hand):
    p = promise(hand, ask("C1", ("FG", 20, day(5))))
    line = line_of(hand, p.id).line_id
    m = hand.post_move("shipment", "EAST", "FG", 20, TODAY, promise_line=line)
    assert hand.get_promise(p.id).status is PromiseStatus.CLOSED
    r = hand.reverse_move(m.id)
    assert r.promise_line == line
    assert hand.get_promise(p.id).status is PromiseStatus.CONFIRMED
    c = line_of(hand, p.id)
    assert (c.shipped, c.line_status) == (0, "confirmed")
    assert atp_now(hand) == 0  # 20 back on hand, 20 held again


def test_a_batch_of_moves_fulfils_its_lines_all_or_nothing(hand):
    from chainlab.ledger.moves import MoveIn

    a = promise(hand, ask("C1", ("FG", 5, day(5))))
    b = promise(hand, ask("C2", ("FG", 5, day(6))))
    la, lb = line_of(hand, a.id).line_id, line_of(hand, b.id).line_id
    ship = [MoveIn("shipment", "EAST", "FG", D(5), TODAY, promise_line=la),
            MoveIn("shipment", "EAST", "FG", D(6), TODAY, promise_line=lb)]
    with pytest.raises(ValidationError, match=r"moves\[1\]"):
        hand.post_moves(ship)
    assert line_of(hand, a.id).shipped == 0
    ship[1] = MoveIn("shipment", "EAST", "FG", D(5), TODAY, promise_line=lb)
    hand.post_moves(ship)
    assert {hand.get_promise(x.id).status for x in (a, b)} == {PromiseStatus.CLOSED}
    assert atp_now(hand) == 10
