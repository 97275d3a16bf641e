"""Opening stock: publishing a plan with its network posts the network's on-hand (inventory.csv)
as one opening move per site and product that has no stock move yet, at standard cost against
OPENING, in the publish's transaction; after that the ledger's own moves are the truth.

tests/data/tiny: DC1 holds 100 FG1 (standard cost 10), PLANT1 50 RM1 (cost 2); the calendar
starts on 2027-01-04.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from chainlab.ledger import ORDER_COLUMNS, MoveIn, MoveType
from chainlab.ledger.moves import unbalanced_entries
from chainlab.ledger.promising import LineRequest, PromiseRequest
from chainlab.models import ValidationError

DATA = Path(__file__).parents[1] / "data"
START = dt.date(2027, 1, 4)
NO_ORDERS = pd.DataFrame(columns=ORDER_COLUMNS)


def on_hand(led) -> dict:
    return {(b.site, b.product): b.on_hand for b in led.inventory()}


def lines(led, entry_id) -> list[tuple[str, D, D]]:
    with led.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT account, debit, credit FROM journal_lines "
                                    "WHERE entry_id = :e ORDER BY id"), {"e": entry_id}).all()
    scale = D("0.000001") if led.engine.dialect.name == "sqlite" else D(1)
    return [(a, D(dr) * scale, D(cr) * scale) for a, dr, cr in rows]


def test_publish_posts_the_networks_on_hand_once(led, tiny):
    r = led.publish(DATA / "tiny_plan", network=tiny)
    assert (r.plan_version, r.created, r.opening_moves) == (1, True, 2)
    moves = led.moves()
    assert [(m.type, m.site, m.product, m.quantity, m.date, m.unit_cost, m.value)
            for m in moves] == [
        (MoveType.OPENING, "DC1", "FG1", 100, START, 10, 1000),
        (MoveType.OPENING, "PLANT1", "RM1", 50, START, 2, 100)]
    assert {m.reference for m in moves} == {"opening balance from network tiny"}
    assert lines(led, moves[0].entry_id) == [("INV:DC1", 1000, 0), ("OPENING", 0, 1000)]
    # the ledger's on-hand is the network's
    assert on_hand(led) == {k: D(str(q)) for k, q in tiny.inventory["on_hand"].items()}
    tb = led.trial_balance()
    assert tb.balanced and tb.total_debit == 1100
    assert (tb.balance("INV:DC1"), tb.balance("INV:PLANT1"), tb.balance("OPENING")) == (
        1000, 100, -1100)
    assert next(a.kind for a in tb.accounts if a.account == "OPENING") == "equity"
    with led.engine.connect() as conn:
        assert unbalanced_entries(conn) == []


def test_republish_new_versions_and_other_networks_post_no_more(led, tiny):
    led.publish(DATA / "tiny_plan", network=tiny)
    led.post_move("shipment", "DC1", "FG1", 30, START)
    again = led.publish(DATA / "tiny_plan", network=tiny)
    assert (again.created, again.opening_moves) == (False, 0)
    newer = led.publish_orders(NO_ORDERS, network=tiny)
    assert (newer.plan_version, newer.opening_moves) == (2, 0)
    # another network: other quantities where the ledger has moves change nothing; a new site
    # and product of ours is opened; a supplier's stock is not ours
    other = tiny.copy()
    other.name = "tiny-2"
    extra = pd.DataFrame({"site": ["DC1", "DC1", "SUP1"], "product": ["FG1", "RM1", "RM1"],
                          "on_hand": [999.0, 7.0, 500.0]}).set_index(["site", "product"])
    other.inventory = pd.concat([other.inventory.drop(index=("DC1", "FG1")), extra])
    r = led.publish_orders(NO_ORDERS.copy(), network=other, name="other")
    assert r.opening_moves == 1
    assert on_hand(led) == {("DC1", "FG1"): 70, ("DC1", "RM1"): 7, ("PLANT1", "RM1"): 50}
    last = led.moves()[-1]
    assert (last.type, last.reference) == (MoveType.OPENING,
                                           "opening balance from network tiny-2")
    assert led.trial_balance().balance("OPENING") == -1114
    assert len(led.moves()) == 4


def test_a_site_and_product_the_erp_posted_before_gets_no_opening_move(tiny_led, tiny):
    tiny_led.post_move("receipt", "DC1", "FG1", 30, START - dt.timedelta(days=3))
    r = tiny_led.publish(DATA / "tiny_plan", network=tiny)
    assert r.opening_moves == 1
    assert on_hand(tiny_led) == {("DC1", "FG1"): 30, ("PLANT1", "RM1"): 50}
    assert [m.type.value for m in tiny_led.moves()] == ["receipt", "opening"]


def test_a_failed_publish_posts_no_opening_stock(led, tiny):
    bad = pd.DataFrame([("transfer", "FG1", "PLANT1", "DC9", 1.0, "2027-01-04", "2027-01-04")],
                       columns=ORDER_COLUMNS)
    with pytest.raises(ValidationError, match="DC9"):
        led.publish_orders(bad, network=tiny)
    assert led.moves() == [] and led.plans() == []
    assert led.publish_orders(NO_ORDERS, network=tiny).opening_moves == 2


def test_atp_counts_the_opening_stock(led, tiny):
    """A plan without orders: DC1 gets nothing more, so its ATP is its opening stock on every
    day, and a promise can take it before any receipt."""
    led.publish_orders(NO_ORDERS, network=tiny)
    dc1 = led.atp("FG1", site="DC1", today=START)["DC1"]
    assert dc1.available(START) == 100 and dc1.final == 100
    req = PromiseRequest("C1", [LineRequest("FG1", D(60), START + dt.timedelta(days=1))])
    line = led.check(req, today=START).lines[0]
    assert [(p.quantity, p.source, p.kind.value) for p in line.promised] == [
        (60, "DC1", "atp")]


def test_opening_moves_are_the_ledgers_own(tiny_led, tiny):
    with pytest.raises(ValidationError, match="opening moves come from the network"):
        tiny_led.post_moves([MoveIn("opening", "DC1", "FG1", D(5), START)])
    tiny_led.publish_orders(NO_ORDERS, network=tiny)
    first = tiny_led.moves()[0]
    # a wrong opening balance is corrected like any move: by its reversal
    rev = tiny_led.reverse_move(first.id, date=START)
    assert (rev.type, rev.delta) == (MoveType.OPENING, -100)
    assert lines(tiny_led, rev.entry_id) == [("OPENING", 1000, 0), ("INV:DC1", 0, 1000)]
    assert tiny_led.trial_balance().balance("OPENING") == -100
    # the site and product has moves now: publishing again does not open it again
    assert tiny_led.publish_orders(NO_ORDERS, network=tiny).opening_moves == 0
