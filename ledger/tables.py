"""The ledger's tables as typed SQLAlchemy 2 ORM classes (the migrations in
``ledger/migrations`` create the same schema; a test keeps the two equal).

Master data: :class:`Item` (a product), :class:`Location` (a site), :class:`Account` (chart of
accounts). Plans: :class:`PlanVersion`, :class:`PlannedOrder` (keyed by version and a stable order
``number`` that a firm order keeps across versions), :class:`OrderEvent`. Actuals:
:class:`StockMove`, :class:`JournalEntry`, :class:`JournalLine`. Service: :class:`LedgerState`
(the current plan pointer and the order-number counter), :class:`ApiKey`,
:class:`IdempotencyRecord`.

Append-only journals (a trigger refuses UPDATE and DELETE on both engines): ``stock_moves``,
``journal_entries``, ``journal_lines``, ``order_events``, and ``plan_versions`` (published plans
are history). Items and locations are never deleted, so the planned orders that publishing
checked against them keep pointing at real rows. Order promising (issue 8) adds its
commitments in a later migration: promises reference items, locations and dates and read on-hand
(``stock_moves``) and the current plan's open orders (``planned_orders``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.types import Fixed, UTCDateTime

#: journals the database refuses to update or delete
APPEND_ONLY = ("stock_moves", "journal_entries", "journal_lines", "order_events",
               "plan_versions")
#: master data the database refuses to delete (a sync marks it inactive instead)
NO_DELETE = ("items", "locations")

ID = sa.String(64)
#: journal row ids: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Code = sa.String(16)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {Decimal: Fixed(), dt.datetime: UTCDateTime()}


class Item(Base):
    """A product of the network, valued at its standard cost."""

    __tablename__ = "items"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    unit: Mapped[str] = mapped_column(sa.String(32), default="")
    standard_cost: Mapped[Decimal]  # currency per unit
    active: Mapped[bool] = mapped_column(default=True)


class Location(Base):
    """A site of the network: ``kind`` is supplier, plant, dc or customer."""

    __tablename__ = "locations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(Code)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Account(Base):
    """A general-ledger account (see :mod:`ledger.accounts` for the chart)."""

    __tablename__ = "accounts"
    code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(Code)
    site: Mapped[str | None] = mapped_column(sa.ForeignKey("locations.id"))


class PlanVersion(Base):
    """One published plan; exactly one version is current (:class:`LedgerState`)."""

    __tablename__ = "plan_versions"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    network: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id"))
    order_count: Mapped[int] = mapped_column(default=0)
    carried_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlannedOrder(Base):
    """A planned order of a plan version. ``number`` identifies the order for the ERP and stays
    the same when a firm or released order is carried into a newer version."""

    __tablename__ = "planned_orders"
    # references checked by publishing, not per row (see the migration)
    plan_version_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(Code)
    product: Mapped[str] = mapped_column(ID)
    from_site: Mapped[str] = mapped_column(ID)
    to_site: Mapped[str] = mapped_column(ID)
    quantity: Mapped[Decimal]
    release_date: Mapped[dt.date]
    due_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(Code, default="planned")
    carried_from: Mapped[int | None] = mapped_column(default=None)  # version it was carried from

    __table_args__ = (
        sa.Index("ix_planned_orders_version_product", "plan_version_id", "product"),
        sa.CheckConstraint("release_date <= due_date", name="ck_planned_orders_dates"),
    )


class OrderEvent(Base):
    """A status change of a planned order (append-only)."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"))
    number: Mapped[int] = mapped_column(sa.BigInteger)
    from_status: Mapped[str] = mapped_column(Code)
    to_status: Mapped[str] = mapped_column(Code)
    actor: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerState(Base):
    """One row (id 1): the current plan version and the next free order number."""

    __tablename__ = "ledger_state"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    current_plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id"))
    next_order_number: Mapped[int] = mapped_column(sa.BigInteger, default=1)


class JournalEntry(Base):
    """A double-entry journal entry: its lines' debits equal its credits (append-only)."""

    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    date: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(Code)  # "move" or "revaluation"
    memo: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JournalLine(Base):
    """One side of an entry: a debit or a credit (never both) to one account (append-only)."""

    __tablename__ = "journal_lines"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("journal_entries.id"),
                                          index=True)
    account: Mapped[str] = mapped_column(sa.ForeignKey("accounts.code"), index=True)
    debit: Mapped[Decimal]
    credit: Mapped[Decimal]

    __table_args__ = (
        sa.CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)",
                           name="ck_journal_lines_one_side"),
    )


class StockMove(Base):
    """A movement of stock at one site (append-only). ``delta`` is its signed effect on
    on-hand; on-hand of a site and product is the sum of ``delta``. A correction is a reversal
    (``reverses``), never an edit."""

    __tablename__ = "stock_moves"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(Code)
    site: Mapped[str] = mapped_column(sa.ForeignKey("locations.id"))
    product: Mapped[str] = mapped_column(sa.ForeignKey("items.id"))
    quantity: Mapped[Decimal]  # as posted: positive, signed for adjustments
    delta: Mapped[Decimal]     # effect on on-hand
    date: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    order_number: Mapped[int | None] = mapped_column(sa.BigInteger)
    unit_cost: Mapped[Decimal]  # standard cost when posted
    value: Mapped[Decimal]      # |delta| x unit_cost, the entry's amount
    entry_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("journal_entries.id"))
    reverses: Mapped[int | None] = mapped_column(sa.BigInteger, sa.ForeignKey("stock_moves.id"),
                                                 unique=True)
    actor: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.Index("ix_stock_moves_site_product", "site", "product"),
        sa.Index("ix_stock_moves_product", "product"),
    )


class ApiKey(Base):
    """An API key: the public ``prefix`` finds it, ``secret_hash`` (SHA-256 of the secret)
    proves it; the key itself is shown once and never stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(Code)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class IdempotencyRecord(Base):
    """The first answer to a write made with an ``Idempotency-Key``, stored in the write's own
    transaction so a retry returns it instead of writing again."""

    __tablename__ = "idempotency_records"
    principal: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    response: Mapped[str] = mapped_column(sa.Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
