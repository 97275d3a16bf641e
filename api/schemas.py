"""Request and response bodies of the HTTP API, one family per entity
(``StockMoveCreate`` / ``StockMove``, ...).

Quantities and amounts are JSON numbers: requests are parsed exactly (as decimals, never through
binary floats; strings are accepted too), responses print the ledger's decimal as a JSON number
(exact up to 15 significant digits; the CSV export prints every digit).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from chainlab.ledger.types import MoveType, OrderStatus, OrderType

Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ health

class Health(BaseModel):
    status: Literal["ok"] = "ok"


# ------------------------------------------------------------------ stock moves

class StockMoveCreate(Strict):
    """A stock move to post. ``quantity`` > 0 in the product's unit (signed for an
    ``adjustment``: + found, - lost); ``order_number`` names the planned order it executes.
    ``opening`` moves are the ledger's own (the network's on-hand, posted when a plan is
    published with its network); they are read here, not posted."""

    type: MoveType
    site: Id
    product: Id
    quantity: Decimal = Field(allow_inf_nan=False, max_digits=19, decimal_places=6)
    date: dt.date
    reference: str = Field("", max_length=200)
    order_number: int | None = Field(None, ge=1)


class StockMove(BaseModel):
    """A posted stock move: ``delta`` is its effect on on-hand, ``value`` the amount of its
    journal entry at standard cost ``unit_cost``; ``reverses`` the move it corrects."""

    id: int
    type: MoveType
    site: str
    product: str
    quantity: Number
    delta: Number
    date: dt.date
    reference: str
    order_number: int | None
    unit_cost: Number
    value: Number
    entry_id: int
    reverses: int | None
    created_at: dt.datetime


class StockMoveReverse(Strict):
    """A reversal: its date (default today) and reference."""

    date: dt.date | None = None
    reference: str = Field("", max_length=200)


class StockMovePage(BaseModel):
    moves: list[StockMove]
    next_cursor: str | None


# ------------------------------------------------------------------ inventory and accounts

class InventoryRow(BaseModel):
    """On-hand of a product at a site (the sum of its moves), valued at standard cost."""

    site: str
    product: str
    on_hand: Number
    value: Number


class AccountRow(BaseModel):
    account: str
    name: str
    kind: str
    debit: Number
    credit: Number
    balance: Number


class TrialBalance(BaseModel):
    """Every account's debits and credits; ``balanced`` when the totals agree."""

    accounts: list[AccountRow]
    total_debit: Number
    total_credit: Number
    balanced: bool


# ------------------------------------------------------------------ plans and orders

class PlannedOrderCreate(Strict):
    """A planned order of a plan to publish."""

    type: OrderType
    product: Id
    from_site: Id
    to_site: Id
    quantity: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=19, decimal_places=6)
    release_date: dt.date
    due_date: dt.date


class SiteIn(Strict):
    id: Id
    kind: Literal["supplier", "plant", "dc", "customer"]
    name: str = Field("", max_length=200)


class ProductIn(Strict):
    id: Id
    standard_cost: Decimal = Field(ge=0, allow_inf_nan=False, max_digits=19, decimal_places=6)
    name: str = Field("", max_length=200)
    unit: str = Field("", max_length=32)


class PlanCreate(Strict):
    """A plan to publish: its planned orders and, optionally, the master data they refer to
    (sites and products are added or updated first, in the same transaction)."""

    name: str = Field("", max_length=200)
    orders: list[PlannedOrderCreate] = Field(max_length=2_000_000)
    sites: list[SiteIn] | None = None
    products: list[ProductIn] | None = None


class Published(BaseModel):
    """``plan_version`` is current; ``created`` is false when that plan already was."""

    plan_version: int
    orders: int
    carried: int
    created: bool
    content_hash: str
    previous: int | None


class Plan(BaseModel):
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


class PlannedOrder(BaseModel):
    """A planned order; ``number`` identifies it across plan versions."""

    number: int
    plan_version_id: int
    type: OrderType
    product: str
    from_site: str
    to_site: str
    quantity: Number
    release_date: dt.date
    due_date: dt.date
    status: OrderStatus
    carried_from: int | None


class OrderPage(BaseModel):
    """A page of orders; pass ``next_cursor`` as ``cursor`` for the next one."""

    plan_version_id: int
    orders: list[PlannedOrder]
    next_cursor: str | None


class OrderStatusChange(Strict):
    """The status to move an order to (forward only: planned -> firm -> released -> closed)."""

    status: OrderStatus
