"""Promises in the ledger (the SQL of order promising): check a request, lock what it reads,
record the promise, get, cancel, confirm and list promises, and the sales-order lines of the
active ones (:func:`commitments`).

A promise is made in one write transaction that first locks what it reads (PostgreSQL:
transaction advisory locks on each product, component and resource, in a fixed order, and a
share lock on the current plan; SQLite: the transaction is ``BEGIN IMMEDIATE``, one writer at a
time), then works out the answer on a :class:`ledger.promising.book.Book` read in that
transaction (:func:`prepare`, :func:`ledger.promising.promiser.answer`), and records the
promise, its sales-order lines (``promise_lines``) and what it holds
(``promise_reservations``): stock at a site on a day, hours of a resource in a bucket, quota
of a tier in a period. Cancelling a promise deletes what it holds; a quote holds until it
expires.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.atp import ORDERS_MARKER, AtpTable, load_tables
from chainlab.ledger.ctp import Statics
from chainlab.ledger.db import advisory_lock, lock_key
from chainlab.ledger.errors import ConflictError, NotFoundError, ValidationError
from chainlab.ledger.orders import STATE, lock_state
from chainlab.ledger.promising.book import Book, Hold
from chainlab.ledger.promising.promiser import Promiser
from chainlab.ledger.promising.quotas import TIERS, load_quotas, quotas_of
from chainlab.ledger.promising.types import (
                                  MAX_LINES,
                                  MAX_QUANTITY,
                                  MAX_QUOTE_MINUTES,
                                  ZERO,
                                  Answer,
                                  Commitment,
                                  Fill,
                                  LineAnswer,
                                  PromiseConflict,
                                  PromiseRecord,
                                  PromiseRequest,
                                  PromiseStatus,
                                  SupplyKind,
)
from chainlab.ledger.tables import Item, Location, Promise, PromiseLine, PromiseReservation
from chainlab.ledger.types import QUANTUM, fixed_sum
from chainlab.models.calendar import out_of_range
from chainlab.models.errors import Issue
from chainlab.models.schema import SiteKind

PROMISES = Promise.__table__
LINES = PromiseLine.__table__
RESERVATIONS = PromiseReservation.__table__
ITEMS = Item.__table__
LOCATIONS = Location.__table__


# ------------------------------------------------------------------ checking input

def check_request(conn: Connection, req: PromiseRequest, statics: Statics | None = None
                  ) -> None:
    """Raise :class:`ValidationError` naming each bad field of ``req``. Sites and products are
    looked up in ``statics`` when they are there, else in the database."""
    issues: list[Issue] = []
    if not req.lines:
        issues.append(Issue("request", "lines is empty; ask for at least one line",
                            column="lines"))
    if len(req.lines) > MAX_LINES:
        issues.append(Issue("request", f"{len(req.lines)} lines; send at most {MAX_LINES}",
                            column="lines"))
    if req.quote_minutes is not None and not 1 <= req.quote_minutes <= MAX_QUOTE_MINUTES:
        issues.append(Issue("request", f"quote_minutes {req.quote_minutes} must be 1 to "
                                       f"{MAX_QUOTE_MINUTES}", column="quote_minutes"))
    kind = statics.kinds.get(req.customer) if statics is not None else None
    if kind is None:
        kind = conn.execute(sa.select(LOCATIONS.c.kind)
                            .where(LOCATIONS.c.id == req.customer)).scalar()
    if kind is None:
        issues.append(Issue("request", f"customer {req.customer!r} is not a site of the "
                                       f"ledger; publish a plan of its network or fix the id",
                            column="customer"))
    elif kind != SiteKind.CUSTOMER:
        issues.append(Issue("request", f"{req.customer!r} is a {kind}, not a customer",
                            column="customer"))
    products = {ln.product for ln in req.lines}
    known = products & statics.items if statics is not None else set()
    if known != products:
        known |= set(conn.execute(sa.select(ITEMS.c.id)
                                  .where(ITEMS.c.id.in_(products - known))).scalars())
    for i, ln in enumerate(req.lines[:MAX_LINES]):
        where = f"lines[{i}]"
        if ln.product not in known:
            issues.append(Issue(where, f"product {ln.product!r} is not an item of the ledger",
                                column="product"))
        try:
            q = Decimal(ln.quantity)
            ok = q.is_finite() and 0 < q <= MAX_QUANTITY and q == q.quantize(QUANTUM)
        except (InvalidOperation, TypeError, ValueError):
            ok = False
        if not ok:
            issues.append(Issue(where, f"quantity {ln.quantity} must be > 0, at most 9e12, "
                                       f"with at most 6 decimals", column="quantity"))
        if (why := out_of_range(ln.requested_date)) is not None:
            issues.append(Issue(where, why, column="requested_date"))
    if issues:
        raise ValidationError(issues)


# ------------------------------------------------------------------ reading and locking

def lock_keys(statics: Statics, products: set[str]) -> list[int]:
    """Advisory-lock keys of what promising ``products`` may read and hold: each product,
    the components of it that any plant uses, and the resources that make it."""
    names = set()
    for p in products:
        names.add(f"item:{p}")
        for r in statics.routings.get(p, ()):
            if r.resource:
                names.add(f"res:{r.plant}:{r.resource}")
            for comp, _ in statics.components(r.plant, p):
                names.add(f"item:{comp}")
    return sorted(lock_key(n) for n in names)


#: the current plan and the customer's tier, in one round trip
_PLAN_AND_TIER = sa.select(
    sa.select(STATE.c.current_plan_id).where(STATE.c.id == 1).scalar_subquery(),
    sa.select(TIERS.c.tier).where(TIERS.c.customer == sa.bindparam("customer"))
    .scalar_subquery(),
    ORDERS_MARKER)


class LedgerReader:
    """What a :class:`Book` reads from the ledger, inside the caller's transaction: ATP tables
    as of ``today`` (quotes that expired by ``now`` hold nothing) and the hours held by active
    promises. ``orders_marker`` (:data:`ledger.atp.ORDERS_MARKER`) lets the plan's orders be
    kept with ``statics`` between requests."""

    def __init__(self, conn: Connection, statics: Statics, plan_id: int | None,
                 today: dt.date, now: dt.datetime, orders_marker: int | None = None):
        self.conn, self.statics, self.plan_id = conn, statics, plan_id
        self.today, self.now, self.orders_marker = today, now, orders_marker

    def tables(self, keys: set[tuple[str, str]], *, quotas: list | None = None
               ) -> dict[tuple[str, str], AtpTable]:
        """``quotas``: see :func:`ledger.atp.load_tables`."""
        return load_tables(self.conn, self.plan_id, keys, self.statics, self.today, self.now,
                           quotas=quotas, orders_marker=self.orders_marker)

    def held_hours(self) -> dict[tuple[str, str], dict[dt.date, Decimal]]:
        R = RESERVATIONS.c
        held: dict = defaultdict(dict)
        for site, item, day, qty in self.conn.execute(
                sa.select(R.site, R.item, R.date, fixed_sum(R.quantity))
                .where(R.kind == "hours",
                       sa.or_(R.expires_at.is_(None), R.expires_at > self.now))
                .group_by(R.site, R.item, R.date)):
            held[(site, item)][day] = qty
        return held


def prepare(conn: Connection, statics_for, req: PromiseRequest, today: dt.date,
            now: dt.datetime, *, write: bool) -> Book:
    """The :class:`Book` of ``req`` (inside the caller's transaction). ``statics_for(conn,
    plan_id)`` gives the plan version's :class:`Statics`. With ``write``, first locks what the
    request reads so that no concurrent promise can take it meanwhile."""
    if write:
        plan_id = lock_state(conn, exclusive=False)
        statics = statics_for(conn, plan_id)
        check_request(conn, req, statics)
        advisory_lock(conn, lock_keys(statics, {ln.product for ln in req.lines}))
        # read after the locks: what a promise committed while this one waited counts
        _, tier, marker = conn.execute(_PLAN_AND_TIER, {"customer": req.customer}).one()
    else:
        plan_id, tier, marker = conn.execute(_PLAN_AND_TIER, {"customer": req.customer}).one()
        statics = statics_for(conn, plan_id)
        check_request(conn, req, statics)
    products = sorted({ln.product for ln in req.lines})
    reader = LedgerReader(conn, statics, plan_id, today, now, marker)
    book = Book(statics, plan_id, today, tier, reader=reader)
    # the ATP tables of every ATP source of the lines, and the quotas, in one round trip
    promiser = Promiser(book, req.customer)
    keys = {(src.site, p) for p in products for src in promiser.atp_sources(p)}
    if keys:
        rows: list = []
        book.add_tables(reader.tables(keys, quotas=rows))
        book.quotas = quotas_of(rows)
    else:
        book.quotas = load_quotas(conn, products, now)
    return book


# ------------------------------------------------------------------ promises

def record(conn: Connection, req: PromiseRequest, ans: Answer, book: Book, *, actor: str,
           now: dt.datetime, owner: str | None = None) -> PromiseRecord:
    """Write the promise of ``ans`` (belonging to ``owner``) and what it holds; raise
    :class:`PromiseConflict` when it cannot be promised as asked."""
    if not ans.acceptable:
        raise PromiseConflict(f"cannot promise as asked: {ans.summary}", ans)
    fill = ans.fill
    quote = req.quote_minutes is not None
    status = (PromiseStatus.QUOTED if quote else
              PromiseStatus.CONFIRMED if fill is Fill.COMPLETE else PromiseStatus.PARTIAL)
    expires = now + dt.timedelta(minutes=req.quote_minutes) if quote else None
    answer_json = json.dumps([ln.as_dict() for ln in ans.lines])
    pid = conn.execute(PROMISES.insert().returning(PROMISES.c.id).values(
        customer=req.customer, status=status.value, fill=fill.value, tier=ans.tier,
        ship_complete=req.ship_complete, allow_partial=req.allow_partial,
        plan_version_id=ans.plan_version, reference=req.reference[:200], answer=answer_json,
        actor=actor[:64], created_at=now, expires_at=expires,
        confirmed_at=None if quote else now, owner=owner)).scalar_one()
    rows = [{"promise_id": pid, "line": ln.line, "product": ln.product, "quantity": p.quantity,
             "ship_date": p.ship_date, "delivery_date": p.date, "source": p.source,
             "kind": p.kind.value, "route": p.route[:300]}
            for ln in ans.lines for p in ln.promised]
    if rows:
        conn.execute(LINES.insert(), rows)
    holds = _net_holds(book.holds)
    if holds:
        conn.execute(RESERVATIONS.insert(), [
            {"promise_id": pid, "kind": h.kind, "site": h.site, "item": h.item,
             "tier": h.tier, "date": h.date, "quantity": h.quantity, "expires_at": expires}
            for h in holds])
    return PromiseRecord(pid, status, fill, req.customer, ans.tier, ans.lines,
                         req.ship_complete, req.allow_partial, ans.plan_version,
                         req.reference[:200], now, expires, None if quote else now, None,
                         owner)


def _net_holds(holds: list[Hold]) -> list[Hold]:
    """Holds summed by what they hold."""
    total: dict = {}
    for h in holds:
        k = (h.kind, h.site, h.item, h.tier, h.date)
        total[k] = total.get(k, ZERO) + h.quantity
    return [Hold(*k, q) for k, q in sorted(total.items(), key=lambda kv: str(kv[0]))
            if q > 0]


def get(conn: Connection, promise_id: int, now: dt.datetime, *, for_update: bool = False,
        owner: str | None = None) -> PromiseRecord:
    """A promise; with ``owner``, only one of that owner's (another's does not exist for it:
    :class:`NotFoundError`, the same as an unknown id)."""
    q = sa.select(PROMISES).where(PROMISES.c.id == promise_id)
    if owner is not None:
        q = q.where(PROMISES.c.owner == owner)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    r = conn.execute(q).mappings().first()
    if r is None:
        raise NotFoundError(f"promise {promise_id} does not exist")
    return _record(r, now)


def _record(r, now: dt.datetime) -> PromiseRecord:
    status = PromiseStatus(r["status"])
    if status is PromiseStatus.QUOTED and r["expires_at"] is not None and r["expires_at"] <= now:
        status = PromiseStatus.EXPIRED
    return PromiseRecord(r["id"], status, Fill(r["fill"]), r["customer"], r["tier"],
                         tuple(LineAnswer.from_dict(x) for x in json.loads(r["answer"])),
                         r["ship_complete"], r["allow_partial"], r["plan_version_id"],
                         r["reference"], r["created_at"], r["expires_at"], r["confirmed_at"],
                         r["cancelled_at"], r["owner"])


def cancel(conn: Connection, promise_id: int, now: dt.datetime, *, owner: str | None = None
           ) -> PromiseRecord:
    """Cancel a promise (of ``owner``'s, when given) and give back what it holds; cancelling
    again changes nothing."""
    p = get(conn, promise_id, now, for_update=True, owner=owner)
    if p.status is PromiseStatus.CANCELLED:
        return p
    if p.status is PromiseStatus.CLOSED:
        raise ConflictError(f"promise {promise_id} has shipped in full; there is nothing left "
                            "to cancel (reverse a shipment to take it back)")
    conn.execute(RESERVATIONS.delete().where(RESERVATIONS.c.promise_id == promise_id))
    conn.execute(PROMISES.update().where(PROMISES.c.id == promise_id)
                 .values(status=PromiseStatus.CANCELLED.value, cancelled_at=now))
    return replace(p, status=PromiseStatus.CANCELLED, cancelled_at=now)


def confirm(conn: Connection, promise_id: int, now: dt.datetime, *, owner: str | None = None
            ) -> PromiseRecord:
    """Turn a quote (of ``owner``'s, when given) into a promise (before it expires);
    confirming a promise changes nothing."""
    p = get(conn, promise_id, now, for_update=True, owner=owner)
    if p.status in (PromiseStatus.CONFIRMED, PromiseStatus.PARTIAL, PromiseStatus.CLOSED):
        return p
    if p.status is PromiseStatus.EXPIRED:
        raise ConflictError(f"quote {promise_id} expired at {p.expires_at.isoformat()}; what "
                            f"it held may be promised to others now, so ask again")
    if p.status is PromiseStatus.CANCELLED:
        raise ConflictError(f"promise {promise_id} was cancelled; ask again")
    status = PromiseStatus.CONFIRMED if p.fill is Fill.COMPLETE else PromiseStatus.PARTIAL
    conn.execute(RESERVATIONS.update().where(RESERVATIONS.c.promise_id == promise_id)
                 .values(expires_at=None))
    conn.execute(PROMISES.update().where(PROMISES.c.id == promise_id)
                 .values(status=status.value, expires_at=None, confirmed_at=now))
    return replace(p, status=status, expires_at=None, confirmed_at=now)


def list_promises(conn: Connection, now: dt.datetime, *, customer: str | None = None,
                  status: PromiseStatus | None = None, after: int | None = None,
                  limit: int = 100, owner: str | None = None) -> list[PromiseRecord]:
    """Promises in id order (``after`` an id for the next page); with ``owner``, only that
    owner's."""
    q = sa.select(PROMISES).order_by(PROMISES.c.id).limit(limit)
    if owner is not None:
        q = q.where(PROMISES.c.owner == owner)
    if customer is not None:
        q = q.where(PROMISES.c.customer == customer)
    if after is not None:
        q = q.where(PROMISES.c.id > after)
    quoted = PROMISES.c.status == PromiseStatus.QUOTED.value
    if status is PromiseStatus.EXPIRED:
        q = q.where(quoted, PROMISES.c.expires_at <= now)
    elif status is PromiseStatus.QUOTED:
        q = q.where(quoted, PROMISES.c.expires_at > now)
    elif status is not None:
        q = q.where(PROMISES.c.status == status.value)
    return [_record(r, now) for r in conn.execute(q).mappings()]


def commitments(conn: Connection, now: dt.datetime, *, source: str | None = None,
                product: str | None = None, customer: str | None = None,
                ship_from: dt.date | None = None, ship_to: dt.date | None = None,
                include_quotes: bool = False, after: int | None = None, limit: int = 1000,
                owner: str | None = None) -> tuple[list[Commitment], int | None]:
    """Sales-order lines of active promises (confirmed and partial; quotes that still hold
    with ``include_quotes``) by ship date: what the ERP is to ship (``owner``: only that
    owner's promises). Returns the page and the id to pass as ``after`` for the next one
    (None on the last page)."""
    L, P = LINES.c, PROMISES.c
    active = P.status.in_([PromiseStatus.CONFIRMED.value, PromiseStatus.PARTIAL.value])
    if include_quotes:
        active = sa.or_(active, sa.and_(P.status == PromiseStatus.QUOTED.value,
                                        P.expires_at > now))
    q = (sa.select(L.id, L.promise_id, L.line, P.customer, L.product, L.quantity, L.source,
                   L.ship_date, L.delivery_date, L.kind, L.route, P.status, P.reference,
                   L.shipped)
         .join(PROMISES, PROMISES.c.id == L.promise_id).where(active)
         .order_by(L.id).limit(limit + 1))
    for col, v in ((L.source, source), (L.product, product), (P.customer, customer),
                   (P.owner, owner)):
        if v is not None:
            q = q.where(col == v)
    if ship_from is not None:
        q = q.where(L.ship_date >= ship_from)
    if ship_to is not None:
        q = q.where(L.ship_date <= ship_to)
    if after is not None:
        q = q.where(L.id > after)
    rows = conn.execute(q).all()
    more = len(rows) > limit
    rows = rows[:limit]
    out = [Commitment(r.promise_id, r.line, r.customer, r.product, r.quantity, r.source,
                      r.ship_date, r.delivery_date, SupplyKind(r.kind), r.route,
                      PromiseStatus(r.status), r.reference, r.id, r.shipped) for r in rows]
    return out, (rows[-1].id if more else None)
