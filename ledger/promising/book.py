"""The book a request is promised against: the ways to bring a product to the customer
(:class:`Source`), the state of supply (ATP tables, spare hours, quotas) and what the request
has taken so far (:class:`Hold`).

A :class:`Book` lives in memory. What it has not been given it asks its reader for, once per
request (the store reads the ledger, :class:`ledger.promising.store.LedgerReader`); a book
without a reader knows only what it was given, so the promiser can be driven on a hand-built
book without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from chainlab.ledger.atp import AtpTable
from chainlab.ledger.ctp import Capacity, Lane, Routing, Statics
from chainlab.ledger.promising.quotas import Quotas
from chainlab.ledger.promising.types import ZERO, SupplyKind


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


class Reader(Protocol):
    """Where a :class:`Book` gets what it was not given."""

    def tables(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], AtpTable]:
        """The ATP tables of (site, product) ``keys``."""

    def held_hours(self) -> dict[tuple[str, str], dict[dt.date, Decimal]]:
        """Hours held by active promises: (plant, resource) -> {bucket start: hours}."""


class Book:
    """The state a request is worked out on: ATP tables, spare hours, quotas, and what this
    request has taken so far. :meth:`fork` gives a copy to try something on; :meth:`adopt`
    keeps what a fork did.

    ``statics`` are the plan version's lanes, routings, bills of material and buckets;
    ``today`` the first day anything can ship; ``tier`` the customer's. Tables not given
    (:meth:`add_tables`) come from ``reader``, or are empty without one; spare hours are the
    plan's less what the reader says active promises hold."""

    def __init__(self, statics: Statics, plan_id: int | None, today: dt.date,
                 tier: int | None = None, *, reader: Reader | None = None,
                 quotas: Quotas | None = None):
        self.statics, self.plan_id, self.today, self.tier = statics, plan_id, today, tier
        self.reader = reader
        self.tables: dict[tuple[str, str], AtpTable] = {}
        self._own: set = set()
        self.capacity: Capacity | None = None
        self.quotas = quotas if quotas is not None else Quotas({}, {})
        self.holds: list[Hold] = []
        #: what was read or given, shared by every fork: ATP tables as they were before this
        #: request, and the hours held by active promises
        self._read: dict = {"tables": {}, "held": None}

    def fork(self) -> Book:
        b = Book.__new__(Book)
        b.statics, b.plan_id, b.today, b.tier = self.statics, self.plan_id, self.today, self.tier
        b.reader, b._read = self.reader, self._read
        b.tables, b._own = dict(self.tables), set()
        b.capacity = self.capacity.copy() if self.capacity is not None else None
        b.quotas = self.quotas.copy()
        b.holds = list(self.holds)
        return b

    def adopt(self, other: Book) -> None:
        self.tables, self._own = other.tables, set()
        self.capacity, self.quotas, self.holds = other.capacity, other.quotas, other.holds

    # ------------------------------------------------------------ what the book knows

    def add_tables(self, tables: dict[tuple[str, str], AtpTable]) -> None:
        """Tables as they stand before this request (read by the caller, or built by hand)."""
        self._read["tables"].update(tables)
        for k in tables:
            self.tables.setdefault(k, self._read["tables"][k])

    def load(self, keys: set[tuple[str, str]]) -> None:
        """Have the ATP tables of (site, product) ``keys``. A table this book (or the book it
        was forked from) has not touched is the one read or given."""
        read = self._read["tables"]
        missing = {k for k in keys if k not in self.tables and k not in read}
        if missing:
            if self.reader is not None:
                read.update(self.reader.tables(missing))
            for site, product in missing:
                read.setdefault((site, product), AtpTable(site, product, self.today))
        for k in keys:
            if k not in self.tables:
                self.tables[k] = read[k]

    def load_capacity(self) -> Capacity:
        if self.capacity is None:
            held = self._read["held"]
            if held is None:
                held = self._read["held"] = (self.reader.held_hours()
                                             if self.reader is not None else {})
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
