"""The ledger's tables as typed SQLAlchemy 2 ORM classes (the migrations in
``ledger/migrations`` create the same schema; a test keeps the two equal).

Master data: :class:`Item` (a product), :class:`Location` (a site), :class:`Account` (chart of
accounts). Plans: :class:`PlanVersion`, :class:`PlannedOrder` (keyed by version and a stable order
``number`` that a firm order keeps across versions), :class:`OrderEvent`, :class:`PlanReport`
(what the planner's web page shows of a version). Actuals:
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

from chainlab.ledger.types import Fixed, UTCDateTime

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
    #: the promise line a shipment fulfils (0005): it consumes that line's reservation
    promise_line_id: Mapped[int | None] = mapped_column(sa.BigInteger, default=None,
                                                        index=True)

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
    #: who the key acts for (0004): keys of one owner share promises and scenario jobs; None:
    #: the key is its own owner (``key:<prefix>``)
    owner: Mapped[str | None] = mapped_column(sa.String(64), default=None)


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


# ------------------------------------------------------------------ order promising (0002)

class PlanLane(Base):
    """A lane of the network a plan version was made for (``product`` '' = every product,
    ``mode`` '' = unnamed): where promises may ship from and how long it takes."""

    __tablename__ = "plan_lanes"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    origin: Mapped[str] = mapped_column(ID, primary_key=True)
    destination: Mapped[str] = mapped_column(ID, primary_key=True)
    product: Mapped[str] = mapped_column(ID, primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    lead_time_days: Mapped[Decimal]  # days in transit
    cost_per_unit: Mapped[Decimal]   # currency per unit


class PlanRouting(Base):
    """How a plant makes a product (from ``production.csv``): the resource it uses, hours per
    unit, the days from the end of the producing bucket to output, and the unit cost."""

    __tablename__ = "plan_routings"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    plant: Mapped[str] = mapped_column(ID, primary_key=True)
    product: Mapped[str] = mapped_column(ID, primary_key=True)
    resource: Mapped[str] = mapped_column(ID, default="")
    hours_per_unit: Mapped[Decimal]
    lead_time_days: Mapped[Decimal]
    unit_cost: Mapped[Decimal]


class PlanBom(Base):
    """A bill-of-material row of a plan version's network (``plant`` '' = every plant)."""

    __tablename__ = "plan_bom"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    plant: Mapped[str] = mapped_column(ID, primary_key=True)
    product: Mapped[str] = mapped_column(ID, primary_key=True)
    component: Mapped[str] = mapped_column(ID, primary_key=True)
    quantity: Mapped[Decimal]  # component units per product unit


class PlanCapacity(Base):
    """Hours of a plant's resource in one bucket [``period_start``, ``period_end``) of a plan
    version: what there is and what the plan uses; the rest is what CTP may promise."""

    __tablename__ = "plan_capacity"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    plant: Mapped[str] = mapped_column(ID, primary_key=True)
    resource: Mapped[str] = mapped_column(ID, primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(primary_key=True)
    period_end: Mapped[dt.date]
    available_hours: Mapped[Decimal]
    used_hours: Mapped[Decimal]


class CustomerTier(Base):
    """A customer's allocation tier (1 is the highest); set by planners."""

    __tablename__ = "customer_tiers"
    customer: Mapped[str] = mapped_column(ID, primary_key=True)
    tier: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AllocationQuota(Base):
    """How much of a product customers of ``tier`` may be promised to ship in
    [``period_start``, ``period_end``); a tier may also use the quotas of lower tiers."""

    __tablename__ = "allocation_quotas"
    product: Mapped[str] = mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    tier: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    period_start: Mapped[dt.date] = mapped_column(primary_key=True)
    period_end: Mapped[dt.date]
    quantity: Mapped[Decimal]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("period_start < period_end", name="ck_allocation_quotas_period"),
    )


class Promise(Base):
    """An order promise to a customer: a sales-order commitment once ``confirmed`` (or
    ``partial``); a ``quoted`` one holds its quantities until ``expires_at``."""

    __tablename__ = "promises"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(ID, index=True)
    status: Mapped[str] = mapped_column(Code)
    fill: Mapped[str] = mapped_column(Code)  # complete, late, partial
    tier: Mapped[int | None] = mapped_column(default=None)  # None: no tier assigned
    ship_complete: Mapped[bool]
    allow_partial: Mapped[bool]
    plan_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_versions.id"))
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    answer: Mapped[str] = mapped_column(sa.Text)  # JSON: the lines as answered
    actor: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: the owner of the key that made it (0004); None: made without a key, admin, ERP and
    #: planner keys see it, sales keys do not
    owner: Mapped[str | None] = mapped_column(sa.String(64), default=None, index=True)


class PromiseLine(Base):
    """One promised part of a promise line: a sales-order line the ERP ships, from
    ``source`` on ``ship_date``, delivered on ``delivery_date``."""

    __tablename__ = "promise_lines"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    promise_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("promises.id"),
                                            index=True)
    line: Mapped[int]
    product: Mapped[str] = mapped_column(ID)
    quantity: Mapped[Decimal]
    ship_date: Mapped[dt.date]
    delivery_date: Mapped[dt.date]
    source: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(Code)  # atp, ctp
    route: Mapped[str] = mapped_column(sa.String(300), default="")
    #: shipped against this line so far (0005): shipment moves that name it
    shipped: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")

    __table_args__ = (sa.Index("ix_promise_lines_source_product", "source", "product"),)


class PromiseReservation(Base):
    """What an active promise holds: ``stock`` of product ``item`` at ``site`` leaving on
    ``date``; ``hours`` of resource ``item`` at plant ``site`` in the bucket starting on
    ``date``; ``quota`` of tier ``tier`` for product ``item`` in the quota period holding
    ``date``. Cancelling a promise deletes its rows; a quote's rows stop counting at
    ``expires_at``."""

    __tablename__ = "promise_reservations"
    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    promise_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("promises.id"),
                                            index=True)
    kind: Mapped[str] = mapped_column(Code)
    site: Mapped[str] = mapped_column(ID)
    item: Mapped[str] = mapped_column(ID)
    tier: Mapped[int | None] = mapped_column(default=None)
    date: Mapped[dt.date]
    quantity: Mapped[Decimal]
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    __table_args__ = (sa.Index("ix_promise_reservations_item", "item", "kind"),)


# ------------------------------------------------------------------ plan reports (0003)

class PlanReport(Base):
    """What the planner's web page shows of a plan version (:func:`ledger.report.plan_report`,
    as JSON), stored when the plan was published with its network."""

    __tablename__ = "plan_reports"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


#: finds the moves posted against planned orders (what was received, shipped or issued) per
#: product, for ATP
sa.Index("ix_stock_moves_product_order", StockMove.product, StockMove.order_number)


# ------------------------------------------------------------------ production schedules (0006)

class PlanSchedule(Base):
    """The detailed schedule of one period of a plan version's production orders (what
    ``chainlab schedule --publish`` computed: KPIs and one row per operation, as JSON), for the
    ERP/MES. Publishing the same version and period again replaces it."""

    __tablename__ = "plan_schedules"
    plan_version_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_versions.id"),
                                                 primary_key=True)
    period: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    week_start: Mapped[dt.date]
    body: Mapped[str] = mapped_column(sa.Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
