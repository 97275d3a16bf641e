"""The records of order promising: what is asked (:class:`PromiseRequest`), what can be
promised and why (:class:`Answer`, :class:`LineAnswer`, :class:`Part`, :class:`Alternative`),
a promise as the ledger holds it (:class:`PromiseRecord`) and the sales-order lines the ERP
ships (:class:`Commitment`), with their enums and limits.

Each record is a frozen dataclass; the ones that travel as JSON (idempotent replays, the API,
the CLI) are :class:`models.records.JsonRecord` s.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from chainlab.ledger.errors import ConflictError
from chainlab.ledger.types import MAX_AMOUNT
from chainlab.models.records import JsonRecord

ZERO = Decimal(0)
#: most lines in one request
MAX_LINES = 100
#: largest quantity of a line (the ledger's range)
MAX_QUANTITY = MAX_AMOUNT
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
    was not confirmed in time; ``cancelled``: given back; ``closed``: every line shipped
    (shipments that name their promise line, :mod:`ledger.promising.fulfilment`)."""

    CONFIRMED = "confirmed"
    PARTIAL = "partial"
    QUOTED = "quoted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    CLOSED = "closed"

    @property
    def active(self) -> bool:
        return self in (PromiseStatus.CONFIRMED, PromiseStatus.PARTIAL, PromiseStatus.QUOTED)


# ------------------------------------------------------------------ requests

@dataclass(frozen=True)
class LineRequest(JsonRecord):
    """``quantity`` of ``product`` to be delivered to the customer on ``requested_date``."""

    product: str
    quantity: Decimal
    requested_date: dt.date


@dataclass(frozen=True)
class PromiseRequest(JsonRecord):
    """An order to promise: its lines, shipped complete (all on one date) or line by line,
    with or without partial quantities (what is there on time now, the rest later).
    ``quote_minutes`` makes a promise a quote that holds that long unless confirmed."""

    customer: str
    lines: tuple[LineRequest, ...]
    ship_complete: bool = False
    allow_partial: bool = False
    quote_minutes: int | None = None
    reference: str = ""

    _json_last: ClassVar = ("lines",)

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))


# ------------------------------------------------------------------ answers

@dataclass(frozen=True)
class Part(JsonRecord):
    """Promised units of a line: ``quantity`` delivered on ``date``, leaving ``source`` (the
    DC or plant that ships it; for CTP the plant that makes it) on ``ship_date``."""

    quantity: Decimal
    date: dt.date
    ship_date: dt.date
    source: str
    kind: SupplyKind
    route: str = ""


@dataclass(frozen=True)
class Alternative(JsonRecord):
    """Another way to serve a line: ``quantity`` on ``date`` from ``source``."""

    quantity: Decimal
    date: dt.date
    source: str
    kind: SupplyKind
    note: str


@dataclass(frozen=True)
class LineAnswer(JsonRecord):
    """The answer to one line: what is promised, why on that date, and what else could be."""

    line: int
    product: str
    requested_quantity: Decimal
    requested_date: dt.date
    promised: tuple[Part, ...]
    reason: str
    alternatives: tuple[Alternative, ...] = ()

    _json_derived: ClassVar = {"requested_date": ("promised_quantity", "date", "fill")}

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


@dataclass(frozen=True)
class Answer(JsonRecord):
    """The answer to a request (reserves nothing by itself)."""

    customer: str
    tier: int | None
    lines: tuple[LineAnswer, ...]
    ship_complete: bool
    allow_partial: bool
    plan_version: int | None
    as_of: dt.date

    _json_derived: ClassVar = {"tier": ("fill",)}
    _json_last: ClassVar = ("lines",)

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


# ------------------------------------------------------------------ promises

@dataclass(frozen=True)
class PromiseRecord(JsonRecord):
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
    #: the owner of the key that made it (None: made without one)
    owner: str | None = None

    _json_last: ClassVar = ("lines",)


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
    #: the line's id: a shipment that names it (``promise_line``) fulfils it
    line_id: int = 0
    #: shipped against it so far
    shipped: Decimal = Decimal(0)

    @property
    def line_status(self) -> str:
        """``confirmed`` (nothing shipped yet), ``partly_shipped`` or ``shipped``."""
        if self.shipped <= 0:
            return "confirmed"
        return "shipped" if self.shipped >= self.quantity else "partly_shipped"


class PromiseConflict(ConflictError):
    """The request cannot be promised as asked (HTTP 409); ``answer`` says what can be."""

    def __init__(self, message: str, answer: Answer):
        super().__init__(message)
        self.answer = answer
