"""Fulfilment: shipments that name the promise line they fulfil.

A promise holds stock at its line's source until the line ships (``promise_reservations``).
A shipment move posted with ``promise_line`` (the id of a ``promise_lines`` row, as
``GET /v1/commitments`` lists them) consumes that hold instead of counting on top of it:

- the line's ``shipped`` grows by the move's quantity (at most what is left of the line);
- the promise's stock held at the move's site for the product shrinks by the same quantity,
  the earliest ship day first;
- a promise whose lines have all shipped is ``closed``.

So on-hand and held stock fall together and ATP counts the shipped units once: promise 20,
ship 20 against the line, and ATP is 20 lower than before the promise, not 40. A shipment
without ``promise_line`` consumes free ATP as before. Reversing a fulfilling shipment gives
the line its quantity back and holds the stock again (on the line's ship day); a closed
promise is open again.

Everything happens in the transaction that posts the moves, after the lines and their
promises are locked (PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: one writer at a time),
so a cancel, another shipment or a new promise racing with it sees all of it or none.

Left out: a line that reaches its customer over more than one leg is shipped from its source
(the transfers between are not linked to it), and a CTP line holds component stock and hours,
which its shipment does not release (production posts those).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.errors import ValidationError
from chainlab.ledger.tables import Promise, PromiseLine, PromiseReservation
from chainlab.ledger.types import MoveType
from chainlab.models.errors import Issue

PROMISES = Promise.__table__
LINES = PromiseLine.__table__
RESERVATIONS = PromiseReservation.__table__
ZERO = Decimal(0)
#: promises whose lines may ship (a quote must be confirmed first)
SHIPPABLE = ("confirmed", "partial")


def _lines(conn: Connection, ids: set[int]):
    """The lines ``ids`` with their promise's status, locked (PostgreSQL) in id order."""
    q = (sa.select(LINES.c.id, LINES.c.promise_id, LINES.c.product, LINES.c.quantity,
                   LINES.c.shipped, LINES.c.source, LINES.c.ship_date, PROMISES.c.status,
                   PROMISES.c.fill)
         .join(PROMISES, PROMISES.c.id == LINES.c.promise_id)
         .where(LINES.c.id.in_(sorted(ids))).order_by(LINES.c.id))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return {r.id: r for r in conn.execute(q)}


def consume(conn: Connection, moves: Sequence) -> None:
    """Apply the moves (``MoveIn``) that name a ``promise_line`` to their lines and holds, or
    raise :class:`ValidationError` naming each that cannot fulfil its line (and change
    nothing)."""
    wanted = [(i, m) for i, m in enumerate(moves) if m.promise_line is not None]
    if not wanted:
        return
    rows = _lines(conn, {m.promise_line for _, m in wanted})
    left = {k: r.quantity - r.shipped for k, r in rows.items()}
    issues: list[Issue] = []
    taken: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for i, m in wanted:
        where = f"moves[{i}]" if len(moves) > 1 else "move"
        r = rows.get(m.promise_line)
        q = Decimal(m.quantity)
        if r is None:
            why = (f"promise line {m.promise_line} does not exist; name a line id from "
                   "GET /v1/commitments")
        elif MoveType(m.type) is not MoveType.SHIPMENT:
            why = f"a {MoveType(m.type).value} cannot fulfil a promise line; only a shipment can"
        elif r.status not in SHIPPABLE:
            why = (f"promise {r.promise_id} is {r.status}; only a confirmed or partial "
                   "promise ships against its lines")
        elif m.product != r.product:
            why = f"promise line {r.id} is for {r.product}, not {m.product}"
        elif m.site != r.source:
            why = f"promise line {r.id} ships from {r.source}, not {m.site}"
        elif q > left[r.id]:
            why = (f"promise line {r.id} has {left[r.id].normalize():f} of "
                   f"{r.quantity.normalize():f} left to ship; ship at most that against it "
                   "(and any more without promise_line, from free stock)")
        else:
            left[r.id] -= q
            taken[(r.promise_id, r.source, r.product)] += q
            continue
        issues.append(Issue(where, why, column="promise_line"))
    if issues:
        raise ValidationError(issues)
    for k, r in rows.items():
        if left[k] != r.quantity - r.shipped:
            conn.execute(LINES.update().where(LINES.c.id == k)
                         .values(shipped=r.quantity - left[k]))
    for (pid, site, product), q in taken.items():
        _release(conn, pid, site, product, q)
    _close_shipped(conn, {r.promise_id for r in rows.values()})


def _release(conn: Connection, pid: int, site: str, product: str, quantity: Decimal) -> None:
    """Give back ``quantity`` of the stock promise ``pid`` holds at ``site``, earliest first."""
    R = RESERVATIONS.c
    held = conn.execute(sa.select(R.id, R.quantity).where(
        R.promise_id == pid, R.kind == "stock", R.site == site, R.item == product)
        .order_by(R.date, R.id)).all()
    for rid, q in held:
        if quantity <= 0:
            break
        if q <= quantity:
            conn.execute(RESERVATIONS.delete().where(R.id == rid))
        else:
            conn.execute(RESERVATIONS.update().where(R.id == rid).values(quantity=q - quantity))
        quantity -= min(q, quantity)


def _close_shipped(conn: Connection, promise_ids: set[int]) -> None:
    """Close the promises of ``promise_ids`` whose lines have all shipped."""
    open_lines = (sa.select(LINES.c.id).where(LINES.c.promise_id == PROMISES.c.id,
                                              LINES.c.shipped < LINES.c.quantity).exists())
    conn.execute(PROMISES.update()
                 .where(PROMISES.c.id.in_(sorted(promise_ids)),
                        PROMISES.c.status.in_(SHIPPABLE), ~open_lines)
                 .values(status="closed"))


def unconsume(conn: Connection, line_id: int, quantity: Decimal, today: dt.date) -> None:
    """Undo a fulfilling shipment of ``quantity`` (its reversal is being posted): the line has
    that much more to ship, its promise holds the stock again on the line's ship day (or
    ``today`` if that has passed) and is open again if it was closed."""
    r = _lines(conn, {line_id}).get(line_id)
    if r is None:
        return
    conn.execute(LINES.update().where(LINES.c.id == line_id)
                 .values(shipped=max(ZERO, r.shipped - quantity)))
    if r.status in (*SHIPPABLE, "closed"):
        conn.execute(RESERVATIONS.insert().values(
            promise_id=r.promise_id, kind="stock", site=r.source, item=r.product, tier=None,
            date=max(r.ship_date, today), quantity=quantity, expires_at=None))
    if r.status == "closed":
        conn.execute(PROMISES.update().where(PROMISES.c.id == r.promise_id)
                     .values(status="confirmed" if r.fill == "complete" else "partial"))
