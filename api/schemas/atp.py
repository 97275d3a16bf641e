"""``/v1/atp``: ATP tables by site and day, and the planner's allocation tiers and quotas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import AliasChoices, BaseModel, Field

from chainlab.api.schemas.common import LIMIT, MAX_AMOUNT, Day, Id, Number, Record, Strict
from chainlab.ledger.promising import Quota as LedgerQuota

if TYPE_CHECKING:
    from chainlab.ledger.atp import AtpTable


# ------------------------------------------------------------------ ATP tables

class AtpDay(Record):
    """One day of an ATP table: supply and commitments that day, ATP after backward
    consumption, and what a new promise may take that day (``cumulative``)."""

    date: dt.date
    supply: Number
    demand: Number
    atp: Number
    cumulative: Number
    # the ledger's row calls them refs
    receipts: list[str] = Field(validation_alias=AliasChoices("receipts", "refs"))


class AtpSite(Record):
    site: str
    product: str
    available_now: Number
    available_in_all: Number
    days: list[AtpDay]

    @classmethod
    def of(cls, table: AtpTable) -> AtpSite:
        """The ATP table of a product at a site, by day, and what is available now and once
        every known receipt is in."""
        return cls(site=table.site, product=table.product,
                   available_now=table.available(table.today), available_in_all=table.final,
                   days=table.rows())


# ------------------------------------------------------------------ tiers and quotas

class QuotaCreate(Strict):
    """``quantity`` of ``product`` that customers of ``tier`` (1 the highest) may be promised
    to ship in [``period_start``, ``period_end``)."""

    product: Id
    tier: int = Field(ge=1, le=99)
    period_start: Day
    period_end: Day
    quantity: Decimal = Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, max_digits=19,
                              decimal_places=6, description=f"in the product's unit, {LIMIT}")


class QuotasPut(Strict):
    """Quotas to add or change; ``replace`` drops the other quotas of the products named."""

    quotas: list[QuotaCreate] = Field(max_length=10_000)
    replace: bool = False

    def ledger_quotas(self) -> list[LedgerQuota]:
        """The quotas as the ledger takes them."""
        return [LedgerQuota(**q.model_dump()) for q in self.quotas]


class Quota(Record):
    product: str
    tier: int
    period_start: dt.date
    period_end: dt.date
    quantity: Number
    used: Number


class TierPut(Strict):
    """The customer's tier (1 the highest), or null for none."""

    tier: int | None = Field(ge=1, le=99)


class CustomerTier(BaseModel):
    customer: str
    tier: int | None
