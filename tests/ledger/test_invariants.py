"""Ledger invariants under generated move sequences (hypothesis), on both engines: every entry
balances, the trial balance is zero, on-hand is the sum of the moves, inventory accounts equal
on-hand at standard cost, transit equals what left and has not arrived."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainlab.ledger import MoveIn, MoveType
from chainlab.ledger.moves import unbalanced_entries

COST = {"FG1": Decimal(10), "RM1": Decimal(2)}
SITES = ["PLANT1", "DC1"]

#: the move types the ERP posts (opening moves come from publishing, see test_opening.py)
POSTED = [t for t in MoveType if t is not MoveType.OPENING]
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3)
move = st.builds(
    lambda t, site, product, q, neg: MoveIn(
        t, "PLANT1" if t in (MoveType.PRODUCTION, MoveType.CONSUMPTION) else site, product,
        -q if (t is MoveType.ADJUSTMENT and neg) else q, dt.date(2027, 1, 4)),
    st.sampled_from(POSTED), st.sampled_from(SITES), st.sampled_from(list(COST)),
    quantity, st.booleans())
batches = st.lists(st.lists(move, min_size=1, max_size=5), min_size=1, max_size=4)


def on_hand(led) -> Counter:
    return Counter({(b.site, b.product): b.on_hand for b in led.inventory()})


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(batches=batches, reverse_first=st.booleans())
def test_invariants_hold_after_any_moves(tiny_led, batches, reverse_first):
    led = tiny_led
    before = on_hand(led)
    expected = Counter(before)
    posted = []
    for batch in batches:
        posted += led.post_moves(batch)
        for m in batch:
            sign = 1 if m.type is MoveType.ADJUSTMENT else m.type.sign
            expected[(m.site, m.product)] += sign * m.quantity
    if reverse_first:
        r = led.reverse_move(posted[0].id)
        expected[(r.site, r.product)] += r.delta
    got = on_hand(led)
    assert {k: v for k, v in got.items() if k in expected} == \
        {k: v for k, v in expected.items()}

    with led.engine.connect() as conn:
        assert unbalanced_entries(conn) == []
        raw = conn.execute(sa.text("SELECT count(*) FROM stock_moves")).scalar()
    assert raw == len(led.moves(limit=100_000))

    tb = led.trial_balance()
    assert tb.balanced and tb.total_debit == tb.total_credit
    assert sum((a.balance for a in tb.accounts), Decimal(0)) == 0
    for site in SITES:
        value = sum((q * COST[p] for (s, p), q in got.items() if s == site), Decimal(0))
        assert tb.balance(f"INV:{site}") == value
    moves = led.moves(limit=100_000)
    # what left a site (delta < 0) is in transit until it arrives (delta > 0); reversals too
    transit = sum((-m.delta * m.unit_cost for m in moves
                   if m.type in (MoveType.TRANSFER_OUT, MoveType.TRANSFER_IN)), Decimal(0))
    assert tb.balance("TRANSIT") == transit
