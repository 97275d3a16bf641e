"""Stock moves: the posting table by hand, on-hand, reversals, validation, idempotency,
revaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from chainlab.ledger import (
    ConflictError,
    Idempotency,
    IdempotencyKeyReused,
    MoveIn,
    MoveType,
    db,
    request_hash,
)
from chainlab.ledger.tables import Item, Location
from chainlab.models import NotFoundError, ValidationError

D = Decimal
DAY = dt.date(2027, 1, 5)


def lines(led, entry_id):
    with led.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT account, debit, credit FROM journal_lines WHERE entry_id = :e ORDER BY id"),
            {"e": entry_id}).all()
    # raw values: micro-units on SQLite, NUMERIC on PostgreSQL
    scale = D("0.000001") if led.engine.dialect.name == "sqlite" else D(1)
    return [(a, D(dr) * scale, D(cr) * scale) for a, dr, cr in rows]


# FG1 standard cost 10, RM1 2 (tests/data/tiny/products.csv)
POSTINGS = [
    ("receipt", "PLANT1", "RM1", "4", [("INV:PLANT1", 8, 0), ("GRNI", 0, 8)]),
    ("shipment", "DC1", "FG1", "3", [("COGS", 30, 0), ("INV:DC1", 0, 30)]),
    ("transfer_out", "PLANT1", "FG1", "2", [("TRANSIT", 20, 0), ("INV:PLANT1", 0, 20)]),
    ("transfer_in", "DC1", "FG1", "2", [("INV:DC1", 20, 0), ("TRANSIT", 0, 20)]),
    ("production", "PLANT1", "FG1", "5", [("INV:PLANT1", 50, 0), ("WIP", 0, 50)]),
    ("consumption", "PLANT1", "RM1", "10", [("WIP", 20, 0), ("INV:PLANT1", 0, 20)]),
    ("adjustment", "DC1", "FG1", "1.5", [("INV:DC1", 15, 0), ("INV_ADJ", 0, 15)]),
    ("adjustment", "DC1", "FG1", "-0.25", [("INV_ADJ", D("2.5"), 0), ("INV:DC1", 0, D("2.5"))]),
]


def test_each_move_posts_its_entry(tiny_led):
    """The posting table of ledger.accounts, move by move (one ledger for all of them)."""
    for type_, site, product, qty, expect in POSTINGS:
        before = {(b.site, b.product): b.on_hand for b in tiny_led.inventory()}
        m = tiny_led.post_move(type_, site, product, qty, DAY, reference="r1")
        sign = -1 if type_ in ("shipment", "transfer_out", "consumption") else 1
        assert m.delta == (D(qty) if type_ == "adjustment" else sign * D(qty)), type_
        assert m.value == abs(D(qty)) * m.unit_cost
        assert lines(tiny_led, m.entry_id) == [(a, D(dr), D(cr)) for a, dr, cr in expect], type_
        after = {(b.site, b.product): b.on_hand for b in tiny_led.inventory()}
        assert after[(site, product)] - before.get((site, product), 0) == m.delta
        assert tiny_led.trial_balance().balanced


def test_decimals_are_exact(tiny_led):
    for _ in range(10):
        tiny_led.post_move("receipt", "DC1", "FG1", "0.1", DAY)
    tiny_led.post_move("shipment", "DC1", "FG1", "0.3", DAY)
    [bal] = tiny_led.inventory()
    assert bal.on_hand == D("0.7") and bal.value == D("7")
    tb = tiny_led.trial_balance()
    assert tb.balance("INV:DC1") == D("7") and tb.total_debit == D("13")


def test_reversal_undoes_a_move_once(tiny_led):
    m = tiny_led.post_move("receipt", "DC1", "FG1", 7, DAY)
    r = tiny_led.reverse_move(m.id, date=DAY)
    assert (r.reverses, r.delta, r.type) == (m.id, D(-7), MoveType.RECEIPT)
    assert lines(tiny_led, r.entry_id) == [("GRNI", D(70), D(0)), ("INV:DC1", D(0), D(70))]
    assert tiny_led.inventory()[0].on_hand == 0
    with pytest.raises(ConflictError, match="already reversed"):
        tiny_led.reverse_move(m.id)
    with pytest.raises(ConflictError, match="itself the reversal"):
        tiny_led.reverse_move(r.id)
    with pytest.raises(NotFoundError):
        tiny_led.reverse_move(999)
    assert tiny_led.trial_balance().balanced


BAD_MOVES = [
    (MoveIn("receipt", "DC9", "FG1", D(1), DAY), "site 'DC9' is not a location"),
    (MoveIn("receipt", "C1", "FG1", D(1), DAY), "'C1' is a customer"),
    (MoveIn("production", "DC1", "FG1", D(1), DAY), "production happens at plants"),
    (MoveIn("receipt", "DC1", "XX", D(1), DAY), "product 'XX' is not an item"),
    (MoveIn("shipment", "DC1", "FG1", D(0), DAY), "must be > 0"),
    (MoveIn("receipt", "DC1", "FG1", D(-2), DAY), "to correct a move, reverse it"),
    (MoveIn("adjustment", "DC1", "FG1", D(0), DAY), "must not be 0"),
    (MoveIn("receipt", "DC1", "FG1", D("0.0000001"), DAY), "more than 6 decimal places"),
    (MoveIn("receipt", "DC1", "FG1", D("1e13"), DAY), "out of range"),
]


def test_bad_moves_are_refused(tiny_led):
    for move, message in BAD_MOVES:
        with pytest.raises(ValidationError, match=message):
            tiny_led.post_moves([move])
    assert tiny_led.inventory() == [] and tiny_led.moves() == []


def test_a_list_posts_all_or_nothing(tiny_led):
    good = MoveIn("receipt", "DC1", "FG1", D(1), DAY)
    with pytest.raises(ValidationError, match=r"moves\[1\]"):
        tiny_led.post_moves([good, MoveIn("receipt", "DC1", "NOPE", D(1), DAY), good])
    assert tiny_led.inventory() == [] and tiny_led.moves() == []
    posted = tiny_led.post_moves([good, good, MoveIn("shipment", "DC1", "FG1", D(2), DAY)])
    assert [m.id for m in posted] == [1, 2, 3] and tiny_led.inventory()[0].on_hand == 0


def test_idempotent_retry_returns_the_first_answer_and_posts_once(tiny_led):
    body = [MoveIn("receipt", "DC1", "FG1", D(3), DAY)]
    idem = Idempotency("key:a", "k-1", "stock-moves", request_hash(["receipt", 3]))
    first = tiny_led.post_moves(body, idempotency=idem)
    again = tiny_led.post_moves(body, idempotency=idem)
    assert again == first
    assert len(tiny_led.moves()) == 1
    other = Idempotency("key:a", "k-1", "stock-moves", request_hash(["receipt", 4]))
    with pytest.raises(IdempotencyKeyReused, match="k-1"):
        tiny_led.post_moves(body, idempotency=other)
    # another client may use the same key for its own request
    tiny_led.post_moves(body, idempotency=Idempotency("key:b", "k-1", "stock-moves", "x"))
    assert len(tiny_led.moves()) == 2


def test_failed_write_stores_no_idempotent_answer(tiny_led):
    idem = Idempotency("key:a", "k-2", "stock-moves", "h")
    with pytest.raises(ValidationError):
        tiny_led.post_moves([MoveIn("receipt", "DC1", "NOPE", D(1), DAY)], idempotency=idem)
    # the retry, fixed, is posted
    assert tiny_led.post_moves([MoveIn("receipt", "DC1", "FG1", D(1), DAY)],
                               idempotency=idem)[0].id == 1


def test_standard_cost_change_revalues_stock(tiny_led, tiny):
    tiny_led.post_move("receipt", "DC1", "FG1", 4, DAY)
    tiny_led.post_move("receipt", "PLANT1", "FG1", 1, DAY)
    cheaper = tiny.copy()
    cheaper.products.loc["FG1", "standard_cost"] = 12.5
    r = tiny_led.sync(cheaper)
    assert r.items_updated == 1 and len(r.revaluations) == 1
    tb = tiny_led.trial_balance()
    assert tb.balanced
    assert tb.balance("INV:DC1") == D(50) and tb.balance("INV:PLANT1") == D("12.5")
    assert tb.balance("REVAL") == D("-12.5")
    assert [b.value for b in tiny_led.inventory()] == [D(50), D("12.5")]
    m = tiny_led.post_move("shipment", "DC1", "FG1", 4, DAY)
    assert m.value == D(50) and tiny_led.trial_balance().balance("INV:DC1") == 0


def test_moves_are_checked_against_master_data_changed_since_the_last_post(tiny_led):
    """A ledger remembers site kinds and standard costs between posts (PostgreSQL); when
    another writer changes them, the next post uses the tables, not what it remembered."""
    tiny_led.post_move("production", "PLANT1", "FG1", 1, DAY)
    tiny_led.post_move("receipt", "DC1", "RM1", 1, DAY)
    items, locations = Item.__table__, Location.__table__
    with tiny_led.engine.begin() as conn:  # as another process's sync would
        for site, kind in (("PLANT1", "dc"), ("DC1", "plant")):
            conn.execute(locations.update().where(locations.c.id == site).values(kind=kind))
        conn.execute(items.update().where(items.c.id == "RM1").values(standard_cost=D(3)))
    with pytest.raises(ValidationError, match="production happens at plants; 'PLANT1' is a dc"):
        tiny_led.post_move("production", "PLANT1", "FG1", 1, DAY)
    m = tiny_led.post_move("receipt", "PLANT1", "RM1", 2, DAY)
    assert (m.unit_cost, m.value) == (D(3), D(6))
    m = tiny_led.post_move("consumption", "DC1", "RM1", 2, DAY)
    assert (m.unit_cost, m.value) == (D(3), D(6))
    assert len(tiny_led.moves()) == 4 and tiny_led.trial_balance().balanced


def test_autocommit_connections_go_back_to_the_pool_as_they_came(tiny_led):
    """The driver connections that post moves in autocommit mode (PostgreSQL) raise
    SQLAlchemy's errors, go back to the pool in transaction mode, and are dropped when the
    server closed them; the ledger goes on working."""
    engine = tiny_led.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("autocommit connections are PostgreSQL's")
    with pytest.raises(sa.exc.ProgrammingError), db.autocommit(engine) as pg:
        pg.execute("SELECT no_such_column FROM items")
    assert pg.autocommit is False and not pg.closed
    with pytest.raises(sa.exc.OperationalError), db.autocommit(engine) as pg:
        pg.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    assert pg.closed
    assert tiny_led.post_move("receipt", "DC1", "FG1", 1, DAY).value == D(10)
    assert len(tiny_led.moves()) == 1
