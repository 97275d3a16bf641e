"""The ERP ledger (SQLAlchemy 2; SQLite by default, PostgreSQL in production): items, locations,
plan versions, planned orders, stock moves, double-entry postings, promises; ATP/CTP over it.

- :class:`Ledger` opens a database (:func:`ledger.db.connect`; schema by Alembic migrations in
  ``ledger/migrations``, ``chainlab db upgrade``) and does everything below in transactions.
- Master data (:mod:`ledger.masterdata`): items at standard cost, locations, the chart of
  accounts (:mod:`ledger.accounts`), synced from a :class:`models.Network`.
- Plans (:mod:`ledger.planned`, :mod:`ledger.publish`, :mod:`ledger.orders`): a plan's flows
  become dated planned orders (production, purchase, transfer); publishing writes a new version
  and makes it current in one transaction (idempotent by content hash); firm and released
  orders are carried into newer versions; orders move planned -> firm -> released -> closed.
  Published with its network, a plan also posts the stock it starts from (opening moves) where
  the ledger has no moves yet.
- Actuals (:mod:`ledger.moves`): stock moves in an append-only journal, each with a balanced
  double-entry entry at standard cost; on-hand is the sum of moves; corrections are reversals;
  the database refuses UPDATE and DELETE on the journals.
- Order promising (:mod:`ledger.promising`): ATP (:mod:`ledger.atp`) and CTP
  (:mod:`ledger.ctp`) answers with dates, sources and reasons, worked out in memory; promises
  that hold stock, hours and tier quotas.
- Service (:mod:`ledger.keys`, :mod:`ledger.idempotency`): API keys stored hashed with roles,
  idempotent writes.

Quantities and money are exact decimals (:mod:`ledger.types`). Nothing here knows HTTP.
"""

from chainlab.ledger.core import Ledger
from chainlab.ledger.db import connect, default_database_url, upgrade
from chainlab.ledger.errors import (
                           AppendOnlyError,
                           ConflictError,
                           IdempotencyKeyReused,
                           LedgerError,
                           SchemaError,
                           TransitionError,
)
from chainlab.ledger.idempotency import Idempotency, request_hash
from chainlab.ledger.keys import KeyInfo
from chainlab.ledger.masterdata import SyncResult
from chainlab.ledger.moves import AccountBalance, Balance, Move, MoveIn, TrialBalance
from chainlab.ledger.orders import Order, OrderFilter, OrderPage, PlanInfo
from chainlab.ledger.planned import (
                           ORDER_COLUMNS,
                           derive_planned_orders,
                           planned_orders_from_plan,
                           read_plan_tables,
)
from chainlab.ledger.publish import PublishResult
from chainlab.ledger.types import AccountKind, MoveType, OrderStatus, OrderType, Role

__all__ = [
                           "ORDER_COLUMNS",
                           "AccountBalance",
                           "AccountKind",
                           "AppendOnlyError",
                           "Balance",
                           "ConflictError",
                           "Idempotency",
                           "IdempotencyKeyReused",
                           "KeyInfo",
                           "Ledger",
                           "LedgerError",
                           "Move",
                           "MoveIn",
                           "MoveType",
                           "Order",
                           "OrderFilter",
                           "OrderPage",
                           "OrderStatus",
                           "OrderType",
                           "PlanInfo",
                           "PublishResult",
                           "Role",
                           "SchemaError",
                           "SyncResult",
                           "TransitionError",
                           "TrialBalance",
                           "connect",
                           "default_database_url",
                           "derive_planned_orders",
                           "planned_orders_from_plan",
                           "read_plan_tables",
                           "request_hash",
                           "upgrade",
]
