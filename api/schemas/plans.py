"""``/v1/plans`` and ``/v1/orders``: a plan to publish (its orders and master data), what
publishing gives back, plan versions, planned orders and their pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import pandas as pd
from pydantic import Field

from chainlab.api.schemas.common import LIMIT, MAX_AMOUNT, Day, Id, Number, Record, Strict
from chainlab.ledger import ORDER_COLUMNS, OrderStatus, OrderType
from chainlab.models.schema import SITE_KINDS

# ------------------------------------------------------------------ publishing


class PlannedOrderCreate(Strict):
    """A planned order of a plan to publish."""

    type: OrderType
    product: Id
    from_site: Id
    to_site: Id
    quantity: Decimal = Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False, max_digits=19,
                              decimal_places=6, description=f"in the product's unit, {LIMIT}")
    release_date: Day
    due_date: Day


class SiteIn(Strict):
    id: Id
    kind: Literal[SITE_KINDS]  # the values of SiteKind, as text
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

    def orders_table(self) -> pd.DataFrame:
        """The orders as the ledger publishes them (``ORDER_COLUMNS``)."""
        orders = pd.DataFrame([o.model_dump() for o in self.orders], columns=ORDER_COLUMNS)
        orders["type"] = [t.value for t in orders["type"]]
        orders["quantity"] = orders["quantity"].astype(float)
        return orders

    def sites_table(self) -> pd.DataFrame | None:
        """The sites to add or update (None: none sent)."""
        return pd.DataFrame([s.model_dump() for s in self.sites]) if self.sites \
            else None

    def products_table(self) -> pd.DataFrame | None:
        """The products to add or update (None: none sent)."""
        return pd.DataFrame([p.model_dump() for p in self.products]) if self.products \
            else None


class Published(Record):
    """``plan_version`` is current; ``created`` is false when that plan already was."""

    plan_version: int
    orders: int
    carried: int
    created: bool
    content_hash: str
    previous: int | None


# ------------------------------------------------------------------ versions and orders


class Plan(Record):
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


class PlannedOrder(Record):
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


class OrderPage(Record):
    """A page of orders; pass ``next_cursor`` as ``cursor`` for the next one."""

    plan_version_id: int
    orders: list[PlannedOrder]
    next_cursor: str | None


class OrderStatusChange(Strict):
    """The status to move an order to (forward only: planned -> firm -> released -> closed)."""

    status: OrderStatus


