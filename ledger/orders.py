"""Plan versions and their planned orders as the ERP reads them: the current version, orders
with filters and cursor paging, and status changes (planned -> firm -> released -> closed)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.errors import NotFoundError, TransitionError, ValidationError
from chainlab.ledger.tables import LedgerState, OrderEvent, PlannedOrder, PlanVersion, utcnow
from chainlab.ledger.types import OrderStatus, OrderType
from chainlab.models.records import JsonRecord

VERSIONS = PlanVersion.__table__
ORDERS = PlannedOrder.__table__
EVENTS = OrderEvent.__table__
STATE = LedgerState.__table__


@dataclass(frozen=True)
class PlanInfo(JsonRecord):
    """A published plan version."""

    id: int
    name: str
    content_hash: str
    network: str
    source: str
    previous_id: int | None
    order_count: int
    carried_count: int
    created_at: dt.datetime
    current: bool


@dataclass(frozen=True)
class Order(JsonRecord):
    """A planned order of a plan version; ``number`` is the ERP's handle on it."""

    number: int
    plan_version_id: int
    type: OrderType
    product: str
    from_site: str
    to_site: str
    quantity: Decimal
    release_date: dt.date
    due_date: dt.date
    status: OrderStatus
    carried_from: int | None


#: columns of an order in CSV exports, in order
ORDER_FIELDS = [f.name for f in fields(Order)]


@dataclass(frozen=True)
class OrderFilter:
    """Which orders to list: equal to each given field; dates within [from, to]."""

    type: OrderType | None = None
    product: str | None = None
    from_site: str | None = None
    to_site: str | None = None
    status: OrderStatus | None = None
    release_from: dt.date | None = None
    release_to: dt.date | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None

    def apply(self, q):
        c = ORDERS.c
        for name in ("type", "product", "from_site", "to_site", "status"):
            v = getattr(self, name)
            if v is not None:
                q = q.where(c[name] == (v.value if hasattr(v, "value") else v))
        for col, lo, hi in (("release_date", self.release_from, self.release_to),
                            ("due_date", self.due_from, self.due_to)):
            if lo is not None:
                q = q.where(c[col] >= lo)
            if hi is not None:
                q = q.where(c[col] <= hi)
        return q


@dataclass(frozen=True)
class OrderPage:
    """One page of orders; ``next_cursor`` fetches the next (None on the last page)."""

    plan_version_id: int
    orders: list[Order]
    next_cursor: str | None


# ------------------------------------------------------------------ plan versions

def current_plan_id(conn: Connection) -> int | None:
    return conn.execute(sa.select(STATE.c.current_plan_id).where(STATE.c.id == 1)).scalar()


def plan_versions(conn: Connection, *, limit: int = 100, before: int | None = None
                  ) -> list[PlanInfo]:
    """Plan versions, newest first."""
    cur = current_plan_id(conn)
    q = sa.select(VERSIONS).order_by(VERSIONS.c.id.desc()).limit(limit)
    if before is not None:
        q = q.where(VERSIONS.c.id < before)
    return [_plan(r, cur) for r in conn.execute(q).mappings()]


def get_plan(conn: Connection, plan_id: int | None = None) -> PlanInfo:
    """Plan version ``plan_id``, or the current one."""
    cur = current_plan_id(conn)
    if plan_id is None:
        if cur is None:
            raise NotFoundError("no plan has been published yet; publish one with "
                                "`chainlab publish PLAN_DIR` or POST /v1/plans")
        plan_id = cur
    r = conn.execute(sa.select(VERSIONS).where(VERSIONS.c.id == plan_id)).mappings().first()
    if r is None:
        raise NotFoundError(f"plan version {plan_id} does not exist")
    return _plan(r, cur)


def _plan(r, cur) -> PlanInfo:
    return PlanInfo(id=r["id"], name=r["name"], content_hash=r["content_hash"],
                    network=r["network"], source=r["source"], previous_id=r["previous_id"],
                    order_count=r["order_count"], carried_count=r["carried_count"],
                    created_at=r["created_at"], current=r["id"] == cur)


# ------------------------------------------------------------------ orders

def encode_cursor(plan_id: int, number: int) -> str:
    return base64.urlsafe_b64encode(f"{plan_id}:{number}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(plan version, last order number) of a cursor from :class:`OrderPage`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        plan, number = (int(x) for x in raw.split(":"))
        if not (0 <= plan < 2**63 and 0 <= number < 2**63):
            raise ValueError("not an id")
        return plan, number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(f"cursor {cursor[:40]!r} is not one this server gave out; use the "
                              f"next_cursor of the previous page or leave it out") from None


def list_orders(conn: Connection, plan_id: int, filters: OrderFilter = OrderFilter(), *,
                cursor: str | None = None, limit: int = 100) -> OrderPage:
    """One page of a version's orders in order-number order. A cursor pins the version it
    came from, so paging through a plan sees that plan even if a newer one is published."""
    after = None
    if cursor:
        cplan, after = decode_cursor(cursor)
        if cplan != plan_id:
            raise ValidationError(f"the cursor belongs to plan version {cplan}, not {plan_id}")
    get_plan(conn, plan_id)
    q = filters.apply(sa.select(ORDERS).where(ORDERS.c.plan_version_id == plan_id))
    if after is not None:
        q = q.where(ORDERS.c.number > after)
    rows = [_order(r) for r in conn.execute(q.order_by(ORDERS.c.number).limit(limit + 1))
            .mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(plan_id, rows, encode_cursor(plan_id, rows[-1].number) if more else None)


def iter_orders(conn: Connection, plan_id: int, filters: OrderFilter = OrderFilter(), *,
                batch: int = 5000) -> Iterator[Order]:
    """Every matching order of a version, in number order, read ``batch`` at a time."""
    after = None
    while True:
        q = filters.apply(sa.select(ORDERS).where(ORDERS.c.plan_version_id == plan_id))
        if after is not None:
            q = q.where(ORDERS.c.number > after)
        rows = conn.execute(q.order_by(ORDERS.c.number).limit(batch)).mappings().all()
        for r in rows:
            yield _order(r)
        if len(rows) < batch:
            return
        after = rows[-1]["number"]


def get_order(conn: Connection, number: int, plan_id: int | None = None) -> Order:
    """Order ``number`` of version ``plan_id`` (default: the current plan)."""
    plan_id = plan_id if plan_id is not None else get_plan(conn).id
    r = conn.execute(sa.select(ORDERS).where(ORDERS.c.plan_version_id == plan_id,
                                             ORDERS.c.number == number)).mappings().first()
    if r is None:
        raise NotFoundError(f"order {number} is not in plan version {plan_id}")
    return _order(r)


def set_order_status(conn: Connection, number: int, status: OrderStatus, *,
                     actor: str = "") -> Order:
    """Move order ``number`` of the current plan forward to ``status`` and journal the change.
    Asking for the status it already has changes nothing. Waits for a publish in progress, so
    a firm order is never lost to a concurrent republish."""
    status = OrderStatus(status)
    plan_id = lock_state(conn, exclusive=False)
    if plan_id is None:
        raise NotFoundError("no plan has been published yet, so there is no order to change")
    order = get_order(conn, number, plan_id)
    if order.status is status:
        return order
    if status.rank < order.status.rank:
        raise TransitionError(f"order {number} is {order.status.value}; it can move forward only "
                              f"(planned -> firm -> released -> closed), not back to "
                              f"{status.value}")
    conn.execute(ORDERS.update().where(ORDERS.c.plan_version_id == plan_id,
                                       ORDERS.c.number == number).values(status=status.value))
    conn.execute(EVENTS.insert().values(plan_version_id=plan_id, number=number,
                                        from_status=order.status.value, to_status=status.value,
                                        actor=actor, created_at=utcnow()))
    return get_order(conn, number, plan_id)


def lock_state(conn: Connection, *, exclusive: bool) -> int | None:
    """The current plan id, locking the state row: exclusively for a publish, shared for an
    order change (on SQLite the write transaction already excludes other writers)."""
    q = sa.select(STATE.c.current_plan_id).where(STATE.c.id == 1)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(read=not exclusive)
    return conn.execute(q).scalar()


def _order(r) -> Order:
    return Order(number=r["number"], plan_version_id=r["plan_version_id"],
                 type=OrderType(r["type"]), product=r["product"], from_site=r["from_site"],
                 to_site=r["to_site"], quantity=r["quantity"], release_date=r["release_date"],
                 due_date=r["due_date"], status=OrderStatus(r["status"]),
                 carried_from=r["carried_from"])
