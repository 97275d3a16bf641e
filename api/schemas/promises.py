"""Order promising (``/v1/atp/check``, ``/v1/promises``, ``/v1/commitments``):
``PromiseCreate`` asks, ``AtpAnswer`` answers a check, ``Promise`` is a promise as the ledger
holds it, ``Commitment`` a sales-order line of one.

Quantities are JSON numbers (or strings), parsed exactly; answers print them as numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from chainlab.api.schemas.common import LIMIT, MAX_AMOUNT, Day, Id, Number, Record, Strict
from chainlab.api.schemas.problems import Problem
from chainlab.ledger.promising import (
    MAX_LINES,
    MAX_QUOTE_MINUTES,
    Fill,
    LineRequest,
    PromiseRequest,
    PromiseStatus,
    SupplyKind,
)

Quantity = Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False, max_digits=19, decimal_places=6,
                 description=f"in the product's unit, > 0, {LIMIT}, at most 6 decimals")


# ------------------------------------------------------------------ asking

class PromiseLineCreate(Strict):
    """``quantity`` of ``product`` wanted at the customer on ``requested_date``."""

    product: Id
    quantity: Decimal = Quantity
    requested_date: Day


class PromiseCreate(Strict):
    """An order to check or promise. ``ship_complete``: every line on one date;
    ``allow_partial``: what is there on time now and the rest later (and accept less than
    asked); ``quote_minutes``: a quote that holds that long unless confirmed (promises only);
    ``reference``: the CRM's order or opportunity id."""

    customer: Id
    lines: list[PromiseLineCreate] = Field(min_length=1, max_length=MAX_LINES)
    ship_complete: bool = False
    allow_partial: bool = False
    quote_minutes: int | None = Field(None, ge=1, le=MAX_QUOTE_MINUTES)
    reference: str = Field("", max_length=200)

    def ledger_request(self) -> PromiseRequest:
        """The request as the ledger takes it."""
        return PromiseRequest(
            customer=self.customer,
            lines=tuple(LineRequest(ln.product, ln.quantity, ln.requested_date)
                        for ln in self.lines),
            ship_complete=self.ship_complete, allow_partial=self.allow_partial,
            quote_minutes=self.quote_minutes, reference=self.reference)


# ------------------------------------------------------------------ answering

class PromisedPart(Record):
    """Units of a line delivered on ``date``, leaving ``source`` on ``ship_date``; ``kind``
    atp (stock and planned receipts) or ctp (made with spare capacity at plant ``source``)."""

    quantity: Number
    date: dt.date
    ship_date: dt.date
    source: str
    kind: SupplyKind
    route: str


class PromiseAlternative(Record):
    """Another way to serve the line (a partial quantity on time, another DC, CTP)."""

    quantity: Number
    date: dt.date
    source: str
    kind: SupplyKind
    note: str


class LineAnswer(Record):
    """The answer to one line: what can be promised, why on that date (``reason``), and the
    alternatives when it is not as asked."""

    line: int
    product: str
    requested_quantity: Number
    requested_date: dt.date
    promised_quantity: Number
    date: dt.date | None
    fill: Fill
    promised: list[PromisedPart]
    reason: str
    alternatives: list[PromiseAlternative]


class AtpAnswer(Record):
    """What can be promised (``fill``: complete = as asked, late, partial, none); reserves
    nothing."""

    customer: str
    tier: int | None
    fill: Fill
    ship_complete: bool
    allow_partial: bool
    plan_version: int | None
    as_of: dt.date
    lines: list[LineAnswer]


class Promise(Record):
    """A promise: ``status`` confirmed (as asked), partial (less or later, accepted with
    allow_partial), quoted (held until ``expires_at``), expired or cancelled."""

    id: int
    status: PromiseStatus
    fill: Fill
    customer: str
    tier: int | None
    ship_complete: bool
    allow_partial: bool
    plan_version: int | None
    reference: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    owner: str | None = Field(None, description="who the promise belongs to: the owner of "
                                                "the key that made it")
    lines: list[LineAnswer]


class PromisePage(BaseModel):
    promises: list[Promise]
    next_cursor: str | None


class PromiseProblem(Problem):
    """A promise that cannot be made as asked (409): ``answer`` says what can be."""

    answer: AtpAnswer | None = None


class Commitment(Record):
    """A sales-order line of an active promise: what the ERP ships from ``source`` on
    ``ship_date`` to arrive at the customer on ``delivery_date``."""

    promise_id: int
    line: int
    customer: str
    product: str
    quantity: Number
    source: str
    ship_date: dt.date
    delivery_date: dt.date
    kind: SupplyKind
    route: str
    status: PromiseStatus
    reference: str
    line_id: int = Field(description="name it as a shipment's promise_line to fulfil the line")
    shipped: Number = Field(description="shipped against the line so far")
    line_status: str = Field(description="confirmed, partly_shipped or shipped")


class CommitmentPage(BaseModel):
    commitments: list[Commitment]
    next_cursor: str | None
