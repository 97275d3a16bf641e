"""Order promising: the answer to "can customer Y get these quantities by these dates?", and
promises that hold those quantities as sales-order commitments.

How a line is answered (:class:`Promiser`):

1. **Sources.** ATP sources are the plants and DCs with a lane to the customer that carries the
   product; each ships ``lead`` days before delivery. CTP sources are the plants that make the
   product (``plan_routings``), straight to the customer or through a DC, with the production
   lead (output at the end of the producing bucket) and the transport legs.
2. **On time.** On the requested date ``R``: take ATP from the sources in order of cost per
   unit (ATP of the site on the ship date ``R - lead``, within the customer's tier quota), then
   CTP for what is still missing (spare hours of buckets that end early enough, latest first,
   and the components on hand or inbound at the plant by the bucket's start).
3. **Later.** What ATP and CTP cannot give by ``R`` comes on the earliest later date on which
   it can all arrive (the days on which supply, quotas or capacity change are the candidates).
   Without ``allow_partial`` the whole line comes on that date; with it, what is there by ``R``
   comes on ``R`` and the rest later. With ``ship_complete`` every line comes on one date, the
   earliest on which all can.
4. **Answer.** Each line lists what is promised (quantity, delivery date, ship date, source,
   kind atp/ctp, route), the reason (what set the date) and, when it is not as asked, the
   alternatives: the part that could come on time, other DCs, CTP.

The whole request is worked out on a copy of the ledger's state (:class:`Book`), so lines of
one order never count the same units or hours twice. A promise is made in one write transaction
that first locks what it reads (PostgreSQL: transaction advisory locks on each product,
component and resource, in a fixed order, and a share lock on the current plan; SQLite: the
transaction is ``BEGIN IMMEDIATE``, one writer at a time) and then records the promise, its
sales-order lines (``promise_lines``) and what it holds (``promise_reservations``): stock at a
site on a day, hours of a resource in a bucket, quota of a tier in a period. Cancelling a
promise deletes what it holds; a quote holds until it expires.

Allocation by tier: planners set quotas per product, tier and period (``allocation_quotas``) and
tiers per customer (``customer_tiers``, 1 the highest). In a period that has quotas for a
product, a customer of tier ``t`` may be promised at most the unused quota of tiers ``t, t+1,
...`` (its own first, then lower tiers', never a higher tier's); a customer without a tier
counts as the lowest tier of that period. Periods without quotas are not limited.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.atp import ORDERS_MARKER, AtpTable, load_tables
from chainlab.ledger.ctp import Capacity, Lane, Routing, Statics, floor6
from chainlab.ledger.errors import ConflictError, NotFoundError, ValidationError
from chainlab.ledger.orders import STATE, _lock_state
from chainlab.ledger.tables import (
                           AllocationQuota,
                           CustomerTier,
                           Item,
                           Location,
                           Promise,
                           PromiseLine,
                           PromiseReservation,
                           utcnow,
)
from chainlab.ledger.types import QUANTUM
from chainlab.models.errors import Issue

PROMISES = Promise.__table__
LINES = PromiseLine.__table__
RESERVATIONS = PromiseReservation.__table__
QUOTAS = AllocationQuota.__table__
TIERS = CustomerTier.__table__
ITEMS = Item.__table__
LOCATIONS = Location.__table__

ZERO = Decimal(0)
DAY = dt.timedelta(days=1)
#: most lines in one request
MAX_LINES = 100
#: largest quantity of a line (the ledger's range)
MAX_QUANTITY = Decimal("9e12")
#: how far after the requested date a promise may be looked for, in days
HORIZON_DAYS = 3 * 366
#: longest quote, in minutes (a week)
MAX_QUOTE_MINUTES = 7 * 24 * 60


class SupplyKind(str, enum.Enum):
    """Where promised units come from: stock and planned receipts (ATP), or production that
    uses spare capacity (CTP)."""

    ATP = "atp"
    CTP = "ctp"


class Fill(str, enum.Enum):
    """How an answer meets the request: ``complete`` (every line in full by its date),
    ``late`` (in full, some later), ``partial`` (not all of it), ``none``."""

    COMPLETE = "complete"
    LATE = "late"
    PARTIAL = "partial"
    NONE = "none"


class PromiseStatus(str, enum.Enum):
    """``confirmed``: as asked; ``partial``: accepted with less, or later, than asked (only
    with ``allow_partial``); ``quoted``: held until ``expires_at``; ``expired``: a quote that
    was not confirmed in time; ``cancelled``: given back."""

    CONFIRMED = "confirmed"
    PARTIAL = "partial"
    QUOTED = "quoted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in (PromiseStatus.CONFIRMED, PromiseStatus.PARTIAL, PromiseStatus.QUOTED)


# ------------------------------------------------------------------ requests and answers

@dataclass(frozen=True)
class LineRequest:
    """``quantity`` of ``product`` to be delivered to the customer on ``requested_date``."""

    product: str
    quantity: Decimal
    requested_date: dt.date


@dataclass(frozen=True)
class PromiseRequest:
    """An order to promise: its lines, shipped complete (all on one date) or line by line,
    with or without partial quantities (what is there on time now, the rest later).
    ``quote_minutes`` makes a promise a quote that holds that long unless confirmed."""

    customer: str
    lines: tuple[LineRequest, ...]
    ship_complete: bool = False
    allow_partial: bool = False
    quote_minutes: int | None = None
    reference: str = ""

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))

    def as_dict(self) -> dict:
        return {"customer": self.customer, "ship_complete": self.ship_complete,
                "allow_partial": self.allow_partial, "quote_minutes": self.quote_minutes,
                "reference": self.reference,
                "lines": [{"product": ln.product, "quantity": str(ln.quantity),
                           "requested_date": ln.requested_date.isoformat()}
                          for ln in self.lines]}


@dataclass(frozen=True)
class Part:
    """Promised units of a line: ``quantity`` delivered on ``date``, leaving ``source`` (the
    DC or plant that ships it; for CTP the plant that makes it) on ``ship_date``."""

    quantity: Decimal
    date: dt.date
    ship_date: dt.date
    source: str
    kind: SupplyKind
    route: str = ""

    def as_dict(self) -> dict:
        return {"quantity": str(self.quantity), "date": self.date.isoformat(),
                "ship_date": self.ship_date.isoformat(), "source": self.source,
                "kind": self.kind.value, "route": self.route}


@dataclass(frozen=True)
class Alternative:
    """Another way to serve a line: ``quantity`` on ``date`` from ``source``."""

    quantity: Decimal
    date: dt.date
    source: str
    kind: SupplyKind
    note: str

    def as_dict(self) -> dict:
        return {"quantity": str(self.quantity), "date": self.date.isoformat(),
                "source": self.source, "kind": self.kind.value, "note": self.note}


@dataclass(frozen=True)
class LineAnswer:
    """The answer to one line: what is promised, why on that date, and what else could be."""

    line: int
    product: str
    requested_quantity: Decimal
    requested_date: dt.date
    promised: tuple[Part, ...]
    reason: str
    alternatives: tuple[Alternative, ...] = ()

    @property
    def promised_quantity(self) -> Decimal:
        return sum((p.quantity for p in self.promised), ZERO)

    @property
    def date(self) -> dt.date | None:
        """The day the last promised unit arrives."""
        return max((p.date for p in self.promised), default=None)

    @property
    def fill(self) -> Fill:
        q = self.promised_quantity
        if q <= 0:
            return Fill.NONE
        if q < self.requested_quantity:
            return Fill.PARTIAL
        return Fill.COMPLETE if self.date <= self.requested_date else Fill.LATE

    def as_dict(self) -> dict:
        return {"line": self.line, "product": self.product,
                "requested_quantity": str(self.requested_quantity),
                "requested_date": self.requested_date.isoformat(),
                "promised_quantity": str(self.promised_quantity),
                "date": self.date.isoformat() if self.date else None,
                "fill": self.fill.value,
                "promised": [p.as_dict() for p in self.promised], "reason": self.reason,
                "alternatives": [a.as_dict() for a in self.alternatives]}


@dataclass(frozen=True)
class Answer:
    """The answer to a request (reserves nothing by itself)."""

    customer: str
    tier: int | None
    lines: tuple[LineAnswer, ...]
    ship_complete: bool
    allow_partial: bool
    plan_version: int | None
    as_of: dt.date

    @property
    def fill(self) -> Fill:
        fills = {ln.fill for ln in self.lines}
        if fills == {Fill.NONE}:
            return Fill.NONE
        if Fill.PARTIAL in fills or Fill.NONE in fills:
            return Fill.PARTIAL
        if Fill.LATE in fills:
            return Fill.LATE
        if self.ship_complete and len({ln.date for ln in self.lines}) > 1:
            return Fill.LATE
        return Fill.COMPLETE

    @property
    def acceptable(self) -> bool:
        """Whether a promise may be made of it: as asked, or with ``allow_partial`` anything
        at all."""
        f = self.fill
        return f is Fill.COMPLETE or (self.allow_partial and f is not Fill.NONE)

    @property
    def summary(self) -> str:
        """Why it cannot be promised as asked (or that it can)."""
        if self.fill is Fill.COMPLETE:
            return "every line can be delivered in full on its requested date"
        bad = [ln for ln in self.lines if ln.fill is not Fill.COMPLETE]
        return "; ".join(f"line {ln.line + 1} ({ln.product}): {ln.reason}" for ln in bad)

    def as_dict(self) -> dict:
        return {"customer": self.customer, "tier": self.tier, "fill": self.fill.value,
                "ship_complete": self.ship_complete, "allow_partial": self.allow_partial,
                "plan_version": self.plan_version, "as_of": self.as_of.isoformat(),
                "lines": [ln.as_dict() for ln in self.lines]}


@dataclass(frozen=True)
class PromiseRecord:
    """A promise as the ledger holds it."""

    id: int
    status: PromiseStatus
    fill: Fill
    customer: str
    tier: int | None
    lines: tuple[LineAnswer, ...]
    ship_complete: bool
    allow_partial: bool
    plan_version: int | None
    reference: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    def as_dict(self) -> dict:
        iso = (lambda t: t.isoformat() if t is not None else None)
        return {"id": self.id, "status": self.status.value, "fill": self.fill.value,
                "customer": self.customer, "tier": self.tier,
                "ship_complete": self.ship_complete, "allow_partial": self.allow_partial,
                "plan_version": self.plan_version, "reference": self.reference,
                "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
                "confirmed_at": iso(self.confirmed_at), "cancelled_at": iso(self.cancelled_at),
                "lines": [ln.as_dict() for ln in self.lines]}

    @classmethod
    def from_dict(cls, d: dict) -> PromiseRecord:
        ts = (lambda v: dt.datetime.fromisoformat(v) if v else None)
        return cls(id=int(d["id"]), status=PromiseStatus(d["status"]), fill=Fill(d["fill"]),
                   customer=d["customer"], tier=d["tier"],
                   lines=tuple(_line_from_dict(x) for x in d["lines"]),
                   ship_complete=d["ship_complete"], allow_partial=d["allow_partial"],
                   plan_version=d["plan_version"], reference=d["reference"],
                   created_at=ts(d["created_at"]), expires_at=ts(d["expires_at"]),
                   confirmed_at=ts(d["confirmed_at"]), cancelled_at=ts(d["cancelled_at"]))


@dataclass(frozen=True)
class Commitment:
    """A sales-order line of an active promise, as the ERP ships it."""

    promise_id: int
    line: int
    customer: str
    product: str
    quantity: Decimal
    source: str
    ship_date: dt.date
    delivery_date: dt.date
    kind: SupplyKind
    route: str
    status: PromiseStatus
    reference: str


class PromiseConflict(ConflictError):
    """The request cannot be promised as asked (HTTP 409); ``answer`` says what can be."""

    def __init__(self, message: str, answer: Answer):
        super().__init__(message)
        self.answer = answer


def _line_from_dict(d: dict) -> LineAnswer:
    D = Decimal
    return LineAnswer(
        line=d["line"], product=d["product"], requested_quantity=D(d["requested_quantity"]),
        requested_date=dt.date.fromisoformat(d["requested_date"]),
        promised=tuple(Part(D(p["quantity"]), dt.date.fromisoformat(p["date"]),
                            dt.date.fromisoformat(p["ship_date"]), p["source"],
                            SupplyKind(p["kind"]), p.get("route", "")) for p in d["promised"]),
        reason=d["reason"],
        alternatives=tuple(Alternative(D(a["quantity"]), dt.date.fromisoformat(a["date"]),
                                       a["source"], SupplyKind(a["kind"]), a["note"])
                           for a in d.get("alternatives", ())))


# ------------------------------------------------------------------ quotas

@dataclass
class Quotas:
    """Allocation quotas per product: periods [start, end) with a quantity per tier, and what
    active promises (and this request) have used of each (product, tier, period start)."""

    periods: dict[str, list[tuple[dt.date, dt.date, dict[int, Decimal]]]]
    used: dict[tuple[str, int, dt.date], Decimal]

    def copy(self) -> Quotas:
        return Quotas(self.periods, dict(self.used))

    def period(self, product: str, day: dt.date):
        for start, end, tiers in self.periods.get(product, ()):
            if start <= day < end:
                return start, end, tiers
        return None

    def usable(self, product: str, tier: int | None, day: dt.date
               ) -> list[tuple[int, Decimal]] | None:
        """(tier, unused quota) a customer of ``tier`` may draw on for ``day``, own tier first;
        None when ``day`` is in no quota period of ``product`` (unlimited)."""
        p = self.period(product, day)
        if p is None:
            return None
        start, _, tiers = p
        t = tier if tier is not None else max(tiers)
        return [(k, max(tiers[k] - self.used.get((product, k, start), ZERO), ZERO))
                for k in sorted(tiers) if k >= t]

    def limit(self, product: str, tier: int | None, day: dt.date) -> Decimal | None:
        u = self.usable(product, tier, day)
        return None if u is None else sum((q for _, q in u), ZERO)

    def take(self, product: str, tier: int | None, day: dt.date, qty: Decimal
             ) -> list[tuple[int, dt.date, Decimal]]:
        """Use ``qty`` of quota (own tier first): (tier, period start, quantity) taken."""
        u = self.usable(product, tier, day)
        if u is None:
            return []
        start = self.period(product, day)[0]
        out = []
        for k, free in u:
            if qty <= 0:
                break
            x = min(free, qty)
            if x > 0:
                self.used[(product, k, start)] = self.used.get((product, k, start), ZERO) + x
                out.append((k, start, x))
                qty -= x
        return out


_QUOTA_ROWS = (sa.select(QUOTAS.c.product, QUOTAS.c.period_start, QUOTAS.c.period_end,
                         QUOTAS.c.tier, QUOTAS.c.quantity)
               .where(QUOTAS.c.product.in_(sa.bindparam("products", expanding=True))))
_QUOTA_USED = (sa.select(RESERVATIONS.c.item, RESERVATIONS.c.tier, RESERVATIONS.c.date,
                         sa.func.sum(RESERVATIONS.c.quantity))
               .where(RESERVATIONS.c.kind == "quota",
                      RESERVATIONS.c.item.in_(sa.bindparam("products", expanding=True)),
                      sa.or_(RESERVATIONS.c.expires_at.is_(None),
                             RESERVATIONS.c.expires_at > sa.bindparam(
                                 "now", type_=RESERVATIONS.c.expires_at.type)))
               .group_by(RESERVATIONS.c.item, RESERVATIONS.c.tier, RESERVATIONS.c.date))


def load_quotas(conn: Connection, products: list[str], now: dt.datetime) -> Quotas:
    """The quotas of ``products`` and what active promises use of them."""
    rows = [("q", *r) for r in conn.execute(_QUOTA_ROWS, {"products": products})]
    if rows:
        rows += [("u", item, day, tier, qty) for item, tier, day, qty in conn.execute(
            _QUOTA_USED, {"products": products, "now": now})]
    return quotas_of(rows)


def quotas_of(rows: list[tuple]) -> Quotas:
    """:class:`Quotas` from quota rows ``("q", product, start, end, tier, quantity)`` and use
    rows ``("u", product, day, tier, quantity)``."""
    periods: dict[str, dict[tuple[dt.date, dt.date], dict[int, Decimal]]] = defaultdict(dict)
    for r in rows:
        if r[0] == "q":
            _, product, start, end, tier, qty = r
            periods[product].setdefault((start, end), {})[tier] = qty
    q = Quotas({p: sorted((s, e, t) for (s, e), t in d.items())
                for p, d in periods.items()}, {})
    for r in rows:
        if r[0] == "u":
            _, item, day, tier, qty = r
            p = q.period(item, day)
            if p is not None:
                key = (item, tier, p[0])
                q.used[key] = q.used.get(key, ZERO) + qty
    return q


# ------------------------------------------------------------------ the working state

@dataclass(frozen=True)
class Source:
    """One way to bring a product to the customer: ship from stock at ``site`` (ATP) or make it
    at plant ``site`` (CTP, ``routing``), over ``lanes`` (site to customer)."""

    kind: SupplyKind
    site: str
    lanes: tuple[Lane, ...]
    routing: Routing | None = None

    @property
    def lead(self) -> int:
        """Days in transit, site to customer."""
        return sum(ln.lead_days for ln in self.lanes)

    @property
    def last_leg(self) -> int:
        """Days of the last leg: the ship date to the customer is the delivery less this."""
        return self.lanes[-1].lead_days

    @property
    def cost(self) -> Decimal:
        c = sum((ln.cost for ln in self.lanes), ZERO)
        return c + (self.routing.unit_cost if self.routing else ZERO)

    @property
    def shipper(self) -> str:
        """The site the goods leave for the customer."""
        return self.lanes[-1].origin

    @property
    def route(self) -> str:
        return ", ".join(ln.label for ln in self.lanes)

    def transit(self) -> str:
        return " then ".join(f"{ln.lead_days} day{'s' * (ln.lead_days != 1)} "
                             f"{ln.origin}>{ln.destination}" for ln in self.lanes)


@dataclass(frozen=True)
class Hold:
    """Something a promise holds (a ``promise_reservations`` row)."""

    kind: str  # stock, hours, quota
    site: str
    item: str
    tier: int | None
    date: dt.date
    quantity: Decimal


class Book:
    """The state a request is worked out on: ATP tables, spare hours, quotas, and what this
    request has taken so far. :meth:`fork` gives a copy to try something on; :meth:`adopt`
    keeps what a fork did."""

    def __init__(self, conn: Connection, statics: Statics, plan_id: int | None,
                 today: dt.date, now: dt.datetime, tier: int | None):
        self.conn, self.statics, self.plan_id = conn, statics, plan_id
        self.today, self.now, self.tier = today, now, tier
        self.tables: dict[tuple[str, str], AtpTable] = {}
        self._own: set = set()
        self.capacity: Capacity | None = None
        self.quotas = Quotas({}, {})
        self.holds: list[Hold] = []
        #: the orders marker of the snapshot (:data:`ledger.atp.ORDERS_MARKER`)
        self.orders_marker: int | None = None
        #: what was read from the database, shared by every fork: ATP tables as read, and
        #: the hours held by active promises
        self._read: dict = {"tables": {}, "held": None}

    def fork(self) -> Book:
        b = Book.__new__(Book)
        b.conn, b.statics, b.plan_id = self.conn, self.statics, self.plan_id
        b.today, b.now, b.tier = self.today, self.now, self.tier
        b._read, b.orders_marker = self._read, self.orders_marker
        b.tables, b._own = dict(self.tables), set()
        b.capacity = self.capacity.copy() if self.capacity is not None else None
        b.quotas = self.quotas.copy()
        b.holds = list(self.holds)
        return b

    def adopt(self, other: Book) -> None:
        self.tables, self._own = other.tables, set()
        self.capacity, self.quotas, self.holds = other.capacity, other.quotas, other.holds

    # ------------------------------------------------------------ loading

    def load(self, keys: set[tuple[str, str]], *, quotas: list | None = None) -> None:
        """Read the ATP tables of (site, product) ``keys`` not read yet. A table this book (or
        the book it was forked from) has not touched is the one read from the database.
        ``quotas``: see :func:`ledger.atp.load_tables`."""
        read = self._read["tables"]
        missing = {k for k in keys if k not in self.tables and k not in read}
        if missing:
            read.update(load_tables(self.conn, self.plan_id, missing, self.statics,
                                    self.today, self.now, quotas=quotas,
                                    orders_marker=self.orders_marker))
        for k in keys:
            if k not in self.tables:
                self.tables[k] = read[k]

    def load_capacity(self) -> Capacity:
        if self.capacity is None:
            held = self._read["held"]
            if held is None:
                R = RESERVATIONS.c
                held = self._read["held"] = defaultdict(dict)
                for site, item, day, qty in self.conn.execute(
                        sa.select(R.site, R.item, R.date, sa.func.sum(R.quantity))
                        .where(R.kind == "hours",
                               sa.or_(R.expires_at.is_(None), R.expires_at > self.now))
                        .group_by(R.site, R.item, R.date)):
                    held[(site, item)][day] = qty
            self.capacity = Capacity(self.statics, held)
        return self.capacity

    # ------------------------------------------------------------ questions and holds

    def table(self, site: str, product: str) -> AtpTable:
        key = (site, product)
        if key not in self.tables:
            self.load({key})
        return self.tables[key]

    def _writable(self, site: str, product: str) -> AtpTable:
        key = (site, product)
        t = self.table(site, product)
        if key not in self._own:
            t = self.tables[key] = t.copy()
            self._own.add(key)
        return t

    def take_stock(self, site: str, product: str, day: dt.date, qty: Decimal) -> None:
        self._writable(site, product).reserve(qty, day)
        self.holds.append(Hold("stock", site, product, None, max(day, self.today), qty))

    def take_quota(self, product: str, day: dt.date, qty: Decimal) -> None:
        for tier, _, x in self.quotas.take(product, self.tier, day, qty):
            self.holds.append(Hold("quota", "", product, tier, day, x))

    def take_hours(self, plant: str, resource: str, start: dt.date, hours: Decimal) -> None:
        self.capacity.take(plant, resource, start, hours)
        self.holds.append(Hold("hours", plant, resource, None, start, hours))

    def quota_limit(self, product: str, day: dt.date) -> Decimal | None:
        return self.quotas.limit(product, self.tier, day)


# ------------------------------------------------------------------ the promiser

@dataclass
class _Fill:
    parts: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((p.quantity for p in self.parts), ZERO)


class Promiser:
    """Works out the answer to a :class:`PromiseRequest` on a :class:`Book`."""

    def __init__(self, book: Book, customer: str):
        self.book = book
        self.customer = customer
        self._sources: dict[str, list[Source]] = {}

    # ------------------------------------------------------------ sources

    def atp_sources(self, product: str) -> list[Source]:
        """Plants and DCs with a lane to the customer, by cost per unit."""
        return sorted((Source(SupplyKind.ATP, ln.origin, (ln,))
                       for ln in self.book.statics.sources(self.customer, product)),
                      key=lambda s: (s.cost, s.lead, s.site))

    def sources(self, product: str) -> list[Source]:
        """ATP sources by cost per unit, then CTP sources by cost per unit."""
        if product in self._sources:
            return self._sources[product]
        st, book = self.book.statics, self.book
        atp = self.atp_sources(product)
        ctp = []
        for r in st.routings.get(product, ()):
            if not r.resource or r.hours_per_unit <= 0:
                continue  # without a resource there are no hours to promise
            for ln in st.lanes(r.plant, self.customer, product):
                ctp.append(Source(SupplyKind.CTP, r.plant, (ln,), r))
            for last in st.sources(self.customer, product):
                if last.origin == r.plant or st.kinds.get(last.origin) != "dc":
                    continue
                for first in st.lanes(r.plant, last.origin, product):
                    ctp.append(Source(SupplyKind.CTP, r.plant, (first, last), r))
        ctp.sort(key=lambda s: (s.cost, s.lead, s.site))
        book.load({(s.site, product) for s in atp})
        self._sources[product] = atp + ctp
        return self._sources[product]

    def _ctp_ready(self, book: Book, product: str) -> None:
        """Load what CTP of ``product`` reads: spare hours, components at the plants."""
        book.load_capacity()
        keys = set()
        for r in book.statics.routings.get(product, ()):
            for comp, _ in book.statics.components(r.plant, product):
                keys.add((r.plant, comp))
        book.load(keys)

    # ------------------------------------------------------------ filling

    def fill(self, book: Book, product: str, day: dt.date, qty: Decimal,
             sources: list[Source] | None = None) -> _Fill:
        """Take up to ``qty`` of ``product`` delivered on ``day`` from ``sources`` (all by
        default), cheapest first, ATP before CTP; holds what it takes in ``book``."""
        out = _Fill()
        for src in sources if sources is not None else self.sources(product):
            left = qty - out.quantity
            if left <= 0:
                break
            ship = day - dt.timedelta(days=src.last_leg)
            if day - dt.timedelta(days=src.lead) < book.today:
                continue
            quota = book.quota_limit(product, ship)
            if quota is not None:
                left = min(left, quota)
                if left <= 0:
                    continue
            if src.kind is SupplyKind.ATP:
                avail = book.table(src.site, product).available(ship)
                take = min(left, avail)
                if take > 0:
                    book.take_stock(src.site, product, ship, take)
                    book.take_quota(product, ship, take)
                    out.parts.append(Part(take, day, ship, src.site, SupplyKind.ATP, src.route))
                    out.notes.append(f"ATP at {src.site}: {_q(take)} of {_q(avail)} available "
                                     f"to ship {ship}, {src.transit()}")
            else:
                self._fill_ctp(book, product, src, day, ship, left, out)
        return out

    def _fill_ctp(self, book: Book, product: str, src: Source, day: dt.date, ship: dt.date,
                  left: Decimal, out: _Fill) -> None:
        self._ctp_ready(book, product)
        r = src.routing
        ready_by = day - dt.timedelta(days=src.lead)
        cap = book.capacity
        comps = book.statics.components(r.plant, product)
        made = ZERO
        for b in reversed(cap.buckets(r.plant, r.resource)):
            if left - made <= 0:
                break
            ready = b.end + dt.timedelta(days=r.lead_days)
            if ready > ready_by or b.end <= book.today:
                continue
            free = cap.free(r.plant, r.resource, b, book.today)
            x = min(left - made, floor6(free / r.hours_per_unit))
            when = max(b.start, book.today)
            short = None
            for comp, per in comps:
                if per > 0:
                    have = book.table(r.plant, comp).available(when)
                    lim = floor6(have / per)
                    if lim < x:
                        x, short = lim, (comp, have)
            if x <= 0:
                continue
            hours = _ceil6(x * r.hours_per_unit)
            book.take_hours(r.plant, r.resource, b.start, hours)
            for comp, per in comps:
                if per > 0:
                    book.take_stock(r.plant, comp, when, _ceil6(x * per))
            made += x
            note = (f"CTP: {r.resource} at {r.plant} has {_q(free)} free hours in the "
                    f"{_bucket(b)} of {b.start}; makes {_q(x)} ({_q(hours)} h), ready {ready}, "
                    f"then {src.transit()}")
            if short is not None:
                note += f" (limited by {short[0]} at {r.plant}: {_q(short[1])} available)"
            out.notes.append(note)
        if made > 0:
            book.take_quota(product, ship, made)
            out.parts.append(Part(made, day, ship, r.plant, SupplyKind.CTP, src.route))

    # ------------------------------------------------------------ dates

    def candidates(self, book: Book, product: str, start: dt.date,
                   sources: list[Source] | None = None) -> list[dt.date]:
        """Delivery days from ``start`` on which what ``product`` can get may change."""
        days = {start}
        end = start + dt.timedelta(days=HORIZON_DAYS)
        for src in sources if sources is not None else self.sources(product):
            lead = dt.timedelta(days=src.lead)
            if src.kind is SupplyKind.ATP:
                t = book.table(src.site, product)
                first = max(start - dt.timedelta(days=src.last_leg), book.today)
                days.add(first + dt.timedelta(days=src.last_leg))
                days.update(d + dt.timedelta(days=src.last_leg) for d in t.dates_after(first))
            else:
                self._ctp_ready(book, product)
                r = src.routing
                for b in book.capacity.buckets(r.plant, r.resource):
                    days.add(b.end + dt.timedelta(days=r.lead_days) + lead)
                for comp, _ in book.statics.components(r.plant, product):
                    t = book.table(r.plant, comp)
                    for d in t.dates_after(book.today):
                        b = book.capacity.bucket_at(r.plant, r.resource, d)
                        if b is not None:
                            days.add(b.end + dt.timedelta(days=r.lead_days) + lead)
            days.add(book.today + lead)
            for s, e, _ in book.quotas.periods.get(product, ()):
                days.add(s + dt.timedelta(days=src.last_leg))
                days.add(e + dt.timedelta(days=src.last_leg))
        return sorted(d for d in days if start <= d <= end)

    def earliest(self, book: Book, product: str, qty: Decimal, start: dt.date,
                 sources: list[Source] | None = None) -> tuple[dt.date, Book, _Fill] | None:
        """The first delivery day from ``start`` on which all of ``qty`` can come, with the
        fork of ``book`` that holds it."""
        days = self.candidates(book, product, start, sources)
        if not book.quotas.periods.get(product):
            # without quotas what can come on a day never falls as the day gets later (ATP
            # is cumulative, later days admit more buckets): search for the first day
            lo, hi = 0, len(days)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.fill(book.fork(), product, days[mid], qty, sources).quantity >= qty:
                    hi = mid
                else:
                    lo = mid + 1
            days = days[lo:lo + 1]
        for day in days:
            trial = book.fork()
            got = self.fill(trial, product, day, qty, sources)
            if got.quantity >= qty:
                return day, trial, got
        return None

    def most(self, book: Book, product: str, qty: Decimal, start: dt.date
             ) -> tuple[dt.date, Book, _Fill] | None:
        """The most of ``qty`` that can come on one day from ``start`` (the earliest such
        day), when all of it cannot."""
        best = None
        for day in self.candidates(book, product, start):
            trial = book.fork()
            got = self.fill(trial, product, day, qty)
            if got.quantity > 0 and (best is None or got.quantity > best[2].quantity):
                best = (day, trial, got)
        return best

    # ------------------------------------------------------------ answering

    def answer(self, req: PromiseRequest) -> Answer:
        book = self.book
        if req.ship_complete and len(req.lines) > 1:
            lines = self._ship_complete(req)
        else:
            lines = [self._line(i, ln, req.allow_partial) for i, ln in enumerate(req.lines)]
        return Answer(req.customer, book.tier, tuple(lines), req.ship_complete,
                      req.allow_partial, book.plan_id, book.today)

    def _line(self, i: int, ln: LineRequest, allow_partial: bool) -> LineAnswer:
        book, q, R = self.book, ln.quantity, ln.requested_date
        before = book.fork()
        trial = book.fork()
        on_time = self.fill(trial, ln.product, R, q)
        if on_time.quantity >= q:
            book.adopt(trial)
            return LineAnswer(i, ln.product, q, R, tuple(_merge(on_time.parts)),
                              _sentence(on_time.notes))
        why = self.shortfall(before, ln)
        if allow_partial:
            rest = q - on_time.quantity
            later = self.earliest(trial, ln.product, rest, R + DAY)
            if later is None:
                later = self.most(trial, ln.product, rest, R + DAY)
            parts, notes = list(on_time.parts), list(on_time.notes)
            if later is not None:
                day, trial, got = later
                parts += got.parts
                notes += got.notes
                why += f"; the rest on {day}" if got.quantity >= rest else \
                    f"; {_q(got.quantity)} more on {day}, no date for the last " \
                    f"{_q(rest - got.quantity)}"
            book.adopt(trial)
            return LineAnswer(i, ln.product, q, R, tuple(_merge(parts)),
                              _sentence([why] + notes),
                              tuple(self.alternatives(before, ln, parts)))
        later = self.earliest(book, ln.product, q, R + DAY)
        if later is None:
            return LineAnswer(i, ln.product, q, R, (), _sentence(
                [why, f"no date on which all {_q(q)} can arrive"]),
                tuple(self.alternatives(before, ln, [])))
        day, trial, got = later
        book.adopt(trial)
        return LineAnswer(i, ln.product, q, R, tuple(_merge(got.parts)),
                          _sentence([why + f"; all {_q(q)} can arrive on {day}"] + got.notes),
                          tuple(self.alternatives(before, ln, got.parts)))

    def _ship_complete(self, req: PromiseRequest) -> list[LineAnswer]:
        book = self.book
        target = max(ln.requested_date for ln in req.lines)
        day = target
        for _ in range(200):
            trial = book.fork()
            fills, failed = [], None
            for ln in req.lines:
                got = self.fill(trial, ln.product, day, ln.quantity)
                if got.quantity < ln.quantity:
                    failed = ln
                    break
                fills.append(got)
            if failed is None:
                base = book.fork()
                book.adopt(trial)
                out = []
                for i, (ln, got) in enumerate(zip(req.lines, fills)):
                    notes = list(got.notes)
                    alts: tuple = ()
                    if day > target:
                        notes.insert(0, f"shipped complete on {day}, when every line can "
                                        f"arrive; {self.shortfall(base, ln, target)}")
                        alts = tuple(self.alternatives(base, ln, got.parts))
                    elif day > ln.requested_date:
                        notes.insert(0, f"shipped complete with the other lines on {day}")
                    out.append(LineAnswer(i, ln.product, ln.quantity, ln.requested_date,
                                          tuple(_merge(got.parts)), _sentence(notes), alts))
                return out
            nxt = self.earliest(book.fork(), failed.product, failed.quantity, day + DAY)
            if nxt is None:
                break
            day = nxt[0]
        base = book.fork()
        return [LineAnswer(i, ln.product, ln.quantity, ln.requested_date, (), _sentence(
            ["the lines cannot all arrive on one date", self.shortfall(base, ln, target)]),
            tuple(self.alternatives(base, ln, [])))
            for i, ln in enumerate(req.lines)]

    # ------------------------------------------------------------ explaining

    def shortfall(self, book: Book, ln: LineRequest, day: dt.date | None = None) -> str:
        """Why ``ln`` cannot all come on ``day`` (default its requested date)."""
        day = day or ln.requested_date
        q, product = ln.quantity, ln.product
        srcs = self.sources(product)
        if not srcs:
            return (f"no plant or DC has a lane to {self.customer} for {product}"
                    if self.book.plan_id is not None else
                    "no plan has been published, so nothing is available to promise")
        why = []
        for src in [s for s in srcs if s.kind is SupplyKind.ATP][:3]:
            ship = day - dt.timedelta(days=src.last_leg)
            if day - dt.timedelta(days=src.lead) < book.today:
                why.append(f"{src.site} cannot deliver by {day}: {src.transit()} from "
                           f"{book.today}")
                continue
            t = book.table(src.site, product)
            have = t.available(ship)
            full = t.earliest(q, ship)
            if full is None:
                why.append(f"ATP at {src.site} has {_q(have)} to ship by {ship} and "
                           f"{_q(t.final)} once every planned receipt is in")
            else:
                what = t.receipts_on(full)
                when = f", when {what[0]} is due" if what else ""
                why.append(f"ATP at {src.site} has {_q(have)} to ship by {ship}, exhausted "
                           f"until {full}{when}")
        quota = book.quotas.usable(product, book.tier, day)
        if quota is not None:
            p = book.quotas.period(product, day)
            left = sum((x for _, x in quota), ZERO)
            if left < q:
                tier = book.tier if book.tier is not None else "(none: lowest)"
                why.append(f"tier {tier} may use {_q(left)} more of the {product} quota for "
                           f"{p[0]} to {p[1] - DAY}")
        ctp = [s for s in srcs if s.kind is SupplyKind.CTP]
        if ctp:
            fastest = min(ctp, key=lambda s: (s.lead, s.cost))
            why.append(self._ctp_shortfall(book, product, fastest, day))
        return "; ".join(why)

    def _ctp_shortfall(self, book: Book, product: str, src: Source, day: dt.date) -> str:
        self._ctp_ready(book, product)
        r = src.routing
        ready_by = day - dt.timedelta(days=src.lead)
        free, last = ZERO, None
        for b in book.capacity.buckets(r.plant, r.resource):
            if b.end + dt.timedelta(days=r.lead_days) <= ready_by and b.end > book.today:
                free += book.capacity.free(r.plant, r.resource, b, book.today)
                last = b
        if last is None:
            return (f"CTP: {r.resource} at {r.plant} has no bucket that ends in time to make "
                    f"{product} for {day} ({src.transit()})")
        text = (f"CTP: {r.resource} at {r.plant} has {_q(free)} free hours until {last.end} "
                f"(enough for {_q(floor6(free / r.hours_per_unit))} at {_q(r.hours_per_unit)} "
                f"h each)")
        for comp, per in book.statics.components(r.plant, product):
            have = book.table(r.plant, comp).available(max(last.start, book.today))
            text += f"; {comp} at {r.plant}: {_q(have)} for {_q(floor6(have / per))}" \
                if per > 0 else ""
        return text

    def alternatives(self, book: Book, ln: LineRequest, used: list[Part]) -> list[Alternative]:
        """Other ways to serve ``ln``: what can come on time, each other ATP source, CTP."""
        out: list[Alternative] = []
        q, R, product = ln.quantity, ln.requested_date, ln.product
        on_time = self.fill(book.fork(), product, R, q)
        if 0 < on_time.quantity < q:
            out.append(Alternative(on_time.quantity, R, _sources(on_time.parts),
                                   on_time.parts[0].kind,
                                   f"a partial quantity on the requested date "
                                   f"({_q(q - on_time.quantity)} short)"))
        used_sites = {p.source for p in used}
        srcs = self.sources(product)
        for src in [s for s in srcs if s.kind is SupplyKind.ATP][:4]:
            if src.site in used_sites:
                continue
            got = self.earliest(book, product, q, R, [src])
            if got is not None:
                out.append(Alternative(q, got[0], src.site, SupplyKind.ATP,
                                       f"all from {src.site} ({src.route})"))
        ctp = [s for s in srcs if s.kind is SupplyKind.CTP]
        if ctp and not any(p.kind is SupplyKind.CTP for p in used):
            got = self.earliest(book, product, q, R, ctp)
            if got is not None:
                out.append(Alternative(q, got[0], _sources(got[2].parts), SupplyKind.CTP,
                                       "all made to order (CTP)"))
        return out


def _merge(parts: list[Part]) -> list[Part]:
    """Parts of the same day, source, kind and route as one."""
    out: dict = {}
    for p in parts:
        k = (p.date, p.ship_date, p.source, p.kind, p.route)
        out[k] = replace(p, quantity=out[k].quantity + p.quantity) if k in out else p
    return sorted(out.values(), key=lambda p: (p.date, p.kind.value, p.source))


def _sources(parts: list[Part]) -> str:
    return "+".join(dict.fromkeys(p.source for p in parts))


def _sentence(notes: list[str]) -> str:
    return "; ".join(n for n in notes if n)


def _q(x: Decimal) -> str:
    """A quantity as people write it: 40, 2.5, 0.333333."""
    x = x.quantize(QUANTUM)
    s = format(x.normalize(), "f")
    return s


def _ceil6(x: Decimal) -> Decimal:
    return x.quantize(QUANTUM, rounding=ROUND_CEILING)


def _bucket(b) -> str:
    days = (b.end - b.start).days
    return {7: "week", 1: "day"}.get(days, "period")


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
    elif kind != "customer":
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
    if issues:
        raise ValidationError(issues)


# ------------------------------------------------------------------ transactions

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
    return sorted(int.from_bytes(hashlib.sha256(n.encode()).digest()[:8], "big", signed=True)
                  for n in names)


def lock(conn: Connection, keys: list[int]) -> None:
    """Take transaction advisory locks on ``keys`` in order (PostgreSQL; on SQLite the write
    transaction already excludes every other writer)."""
    if conn.dialect.name == "postgresql" and keys:
        conn.exec_driver_sql("SELECT count(pg_advisory_xact_lock(k)) FROM "
                             "unnest(%(keys)s::bigint[]) AS k", {"keys": keys})


def customer_tier(conn: Connection, customer: str) -> int | None:
    return conn.execute(sa.select(TIERS.c.tier).where(TIERS.c.customer == customer)).scalar()


#: the current plan and the customer's tier, in one round trip
_PLAN_AND_TIER = sa.select(
    sa.select(STATE.c.current_plan_id).where(STATE.c.id == 1).scalar_subquery(),
    sa.select(TIERS.c.tier).where(TIERS.c.customer == sa.bindparam("customer"))
    .scalar_subquery(),
    ORDERS_MARKER)


def prepare(conn: Connection, statics_for, req: PromiseRequest, today: dt.date,
            now: dt.datetime, *, write: bool) -> Book:
    """The :class:`Book` of ``req`` (inside the caller's transaction). ``statics_for(conn,
    plan_id)`` gives the plan version's :class:`Statics`. With ``write``, first locks what the
    request reads so that no concurrent promise can take it meanwhile."""
    if write:
        plan_id = _lock_state(conn, exclusive=False)
        statics = statics_for(conn, plan_id)
        check_request(conn, req, statics)
        lock(conn, lock_keys(statics, {ln.product for ln in req.lines}))
        # read after the locks: what a promise committed while this one waited counts
        _, tier, marker = conn.execute(_PLAN_AND_TIER, {"customer": req.customer}).one()
    else:
        plan_id, tier, marker = conn.execute(_PLAN_AND_TIER, {"customer": req.customer}).one()
        statics = statics_for(conn, plan_id)
        check_request(conn, req, statics)
    products = sorted({ln.product for ln in req.lines})
    book = Book(conn, statics, plan_id, today, now, tier)
    book.orders_marker = marker
    # the ATP tables of every ATP source of the lines, and the quotas, in one round trip
    promiser = Promiser(book, req.customer)
    keys = {(src.site, p) for p in products for src in promiser.atp_sources(p)}
    rows: list = []
    if keys:
        book.load(keys, quotas=rows)
    else:
        rows = [("q", *r) for r in conn.execute(_QUOTA_ROWS, {"products": products})]
        rows += [("u", item, day, t, qty) for item, t, day, qty in conn.execute(
            _QUOTA_USED, {"products": products, "now": now})] if rows else []
    book.quotas = quotas_of(rows)
    return book


def answer(book: Book, req: PromiseRequest) -> Answer:
    return Promiser(book, req.customer).answer(req)


def record(conn: Connection, req: PromiseRequest, ans: Answer, book: Book, *, actor: str,
           now: dt.datetime) -> PromiseRecord:
    """Write the promise of ``ans`` and what it holds; raise :class:`PromiseConflict` when it
    cannot be promised as asked."""
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
        confirmed_at=None if quote else now)).scalar_one()
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
                         req.reference[:200], now, expires, None if quote else now, None)


def _net_holds(holds: list[Hold]) -> list[Hold]:
    """Holds summed by what they hold."""
    total: dict = {}
    for h in holds:
        k = (h.kind, h.site, h.item, h.tier, h.date)
        total[k] = total.get(k, ZERO) + h.quantity
    return [Hold(*k, q) for k, q in sorted(total.items(), key=lambda kv: str(kv[0]))
            if q > 0]


def get(conn: Connection, promise_id: int, now: dt.datetime, *, for_update: bool = False
        ) -> PromiseRecord:
    q = sa.select(PROMISES).where(PROMISES.c.id == promise_id)
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
                         tuple(_line_from_dict(x) for x in json.loads(r["answer"])),
                         r["ship_complete"], r["allow_partial"], r["plan_version_id"],
                         r["reference"], r["created_at"], r["expires_at"], r["confirmed_at"],
                         r["cancelled_at"])


def cancel(conn: Connection, promise_id: int, now: dt.datetime) -> PromiseRecord:
    """Cancel a promise and give back what it holds; cancelling again changes nothing."""
    p = get(conn, promise_id, now, for_update=True)
    if p.status is PromiseStatus.CANCELLED:
        return p
    conn.execute(RESERVATIONS.delete().where(RESERVATIONS.c.promise_id == promise_id))
    conn.execute(PROMISES.update().where(PROMISES.c.id == promise_id)
                 .values(status=PromiseStatus.CANCELLED.value, cancelled_at=now))
    return replace(p, status=PromiseStatus.CANCELLED, cancelled_at=now)


def confirm(conn: Connection, promise_id: int, now: dt.datetime) -> PromiseRecord:
    """Turn a quote into a promise (before it expires); confirming a promise changes nothing."""
    p = get(conn, promise_id, now, for_update=True)
    if p.status in (PromiseStatus.CONFIRMED, PromiseStatus.PARTIAL):
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
                  limit: int = 100) -> list[PromiseRecord]:
    """Promises in id order (``after`` an id for the next page)."""
    q = sa.select(PROMISES).order_by(PROMISES.c.id).limit(limit)
    if customer is not None:
        q = q.where(PROMISES.c.customer == customer)
    if after is not None:
        q = q.where(PROMISES.c.id > after)
    if status is PromiseStatus.EXPIRED:
        q = q.where(PROMISES.c.status == "quoted", PROMISES.c.expires_at <= now)
    elif status is PromiseStatus.QUOTED:
        q = q.where(PROMISES.c.status == "quoted", PROMISES.c.expires_at > now)
    elif status is not None:
        q = q.where(PROMISES.c.status == status.value)
    return [_record(r, now) for r in conn.execute(q).mappings()]


def commitments(conn: Connection, now: dt.datetime, *, source: str | None = None,
                product: str | None = None, customer: str | None = None,
                ship_from: dt.date | None = None, ship_to: dt.date | None = None,
                include_quotes: bool = False, after: int | None = None, limit: int = 1000
                ) -> tuple[list[Commitment], int | None]:
    """Sales-order lines of active promises (confirmed and partial; quotes that still hold
    with ``include_quotes``) by ship date: what the ERP is to ship. Returns the page and the
    id to pass as ``after`` for the next one (None on the last page)."""
    L, P = LINES.c, PROMISES.c
    active = P.status.in_(["confirmed", "partial"])
    if include_quotes:
        active = sa.or_(active, sa.and_(P.status == "quoted", P.expires_at > now))
    q = (sa.select(L.id, L.promise_id, L.line, P.customer, L.product, L.quantity, L.source,
                   L.ship_date, L.delivery_date, L.kind, L.route, P.status, P.reference)
         .join(PROMISES, PROMISES.c.id == L.promise_id).where(active)
         .order_by(L.id).limit(limit + 1))
    for col, v in ((L.source, source), (L.product, product), (P.customer, customer)):
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
                      PromiseStatus(r.status), r.reference) for r in rows]
    return out, (rows[-1].id if more else None)


# ------------------------------------------------------------------ tiers and quotas

@dataclass(frozen=True)
class Quota:
    """A planner's quota: ``quantity`` of ``product`` for customers of ``tier`` shipping in
    [``period_start``, ``period_end``); ``used`` by active promises."""

    product: str
    tier: int
    period_start: dt.date
    period_end: dt.date
    quantity: Decimal
    used: Decimal = ZERO


def set_tier(conn: Connection, customer: str, tier: int | None) -> int | None:
    """Put ``customer`` in ``tier`` (1 the highest), or out of every tier with None."""
    kind = conn.execute(sa.select(LOCATIONS.c.kind).where(LOCATIONS.c.id == customer)).scalar()
    if kind != "customer":
        raise ValidationError(f"{customer!r} is not a customer of the ledger" +
                              (f" (it is a {kind})" if kind else ""))
    conn.execute(TIERS.delete().where(TIERS.c.customer == customer))
    if tier is not None:
        if not 1 <= tier <= 99:
            raise ValidationError(f"tier {tier} must be 1 (highest) to 99")
        conn.execute(TIERS.insert().values(customer=customer, tier=tier, updated_at=utcnow()))
    return tier


def tiers(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(sa.select(TIERS.c.customer, TIERS.c.tier)
                             .order_by(TIERS.c.customer)).all())


def set_quotas(conn: Connection, quotas: list[Quota], *, replace_products: bool = False
               ) -> None:
    """Add or change quotas (by product, tier and period start); with ``replace_products``
    every other quota of the products named is removed. Periods of one product may not
    overlap unless they are the same period."""
    issues = []
    products = sorted({q.product for q in quotas})
    known = set(conn.execute(sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(products))).scalars())
    for i, q in enumerate(quotas):
        where = f"quotas[{i}]"
        if q.product not in known:
            issues.append(Issue(where, f"product {q.product!r} is not an item of the ledger",
                                column="product"))
        if not 1 <= q.tier <= 99:
            issues.append(Issue(where, f"tier {q.tier} must be 1 (highest) to 99",
                                column="tier"))
        if not q.period_start < q.period_end:
            issues.append(Issue(where, f"period_start {q.period_start} must be before "
                                       f"period_end {q.period_end}", column="period_end"))
        if not (ZERO <= q.quantity <= MAX_QUANTITY) or q.quantity != q.quantity.quantize(
                QUANTUM):
            issues.append(Issue(where, f"quantity {q.quantity} must be >= 0 with at most 6 "
                                       f"decimals", column="quantity"))
    if issues:
        raise ValidationError(issues)
    Q = QUOTAS.c
    if products:
        if conn.dialect.name == "postgresql":
            lock(conn, sorted(int.from_bytes(hashlib.sha256(f"item:{p}".encode()).digest()[:8],
                                             "big", signed=True) for p in products))
        if replace_products:
            conn.execute(QUOTAS.delete().where(Q.product.in_(products)))
        else:
            for q in quotas:
                conn.execute(QUOTAS.delete().where(Q.product == q.product, Q.tier == q.tier,
                                                   Q.period_start == q.period_start))
        now = utcnow()
        conn.execute(QUOTAS.insert(), [
            {"product": q.product, "tier": q.tier, "period_start": q.period_start,
             "period_end": q.period_end, "quantity": q.quantity, "updated_at": now}
            for q in quotas])
    for p in products:
        spans = sorted(set(conn.execute(sa.select(Q.period_start, Q.period_end)
                                        .where(Q.product == p)).all()))
        for (s1, e1), (s2, e2) in itertools.pairwise(spans):
            if s2 < e1:
                raise ValidationError(f"quota periods of {p} overlap: {s1} to {e1} and {s2} "
                                      f"to {e2}; give every tier the same periods")


def list_quotas(conn: Connection, now: dt.datetime, product: str | None = None
                ) -> list[Quota]:
    Q = QUOTAS.c
    q = sa.select(Q.product, Q.tier, Q.period_start, Q.period_end, Q.quantity).order_by(
        Q.product, Q.period_start, Q.tier)
    if product is not None:
        q = q.where(Q.product == product)
    rows = conn.execute(q).all()
    usage = load_quotas(conn, sorted({r.product for r in rows}), now) if rows else None
    return [Quota(r.product, r.tier, r.period_start, r.period_end, r.quantity,
                  usage.used.get((r.product, r.tier, r.period_start), ZERO))
            for r in rows]
