"""Column types and the closed vocabularies of the ledger (move types, order types and statuses,
roles, account kinds). Ledger records become JSON and back through
:class:`models.records.JsonRecord`.

Quantities and money are exact decimals with six places (:data:`SCALE`). PostgreSQL stores them
as ``NUMERIC(20, 6)``. SQLite has no decimal type (its NUMERIC affinity keeps 0.1 as a binary
float), so there they are stored as 64-bit integers of micro-units, which SQLite adds exactly;
:class:`Fixed` converts both ways, so SQL ``SUM`` of a :class:`Fixed` column is a ``Decimal`` on
either engine.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

#: decimal places kept for quantities, unit costs and amounts
SCALE = 6
QUANTUM = Decimal(1).scaleb(-SCALE)
_FACTOR = 10**SCALE


def quantize(x) -> Decimal:
    """``x`` as a Decimal rounded half-even to :data:`SCALE` places."""
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    return d.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def fixed_ddl_type() -> sa.types.TypeEngine:
    """The DDL type of a :class:`Fixed` column: NUMERIC(20, 6), BIGINT micro-units on SQLite."""
    return sa.Numeric(20, SCALE).with_variant(sa.BigInteger(), "sqlite")


class Fixed(TypeDecorator):
    """An exact decimal with :data:`SCALE` places: NUMERIC on PostgreSQL, integer micro-units
    on SQLite. Python values are ``Decimal``."""

    impl = sa.Numeric(20, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(20, SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = quantize(value)
        if dialect.name == "sqlite":
            return int(value.scaleb(SCALE))
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-SCALE)
        return quantize(value)

    def coerce_compared_value(self, op, value):
        return self


class MoveType(str, enum.Enum):
    """Kinds of stock move; :attr:`sign` is the move's effect on on-hand at its site."""

    RECEIPT = "receipt"            # goods received from a supplier
    SHIPMENT = "shipment"          # goods shipped to a customer
    TRANSFER_OUT = "transfer_out"  # leaves a site for another of ours (goes in transit)
    TRANSFER_IN = "transfer_in"    # arrives from another of our sites (leaves transit)
    PRODUCTION = "production"      # output of a production order at a plant
    CONSUMPTION = "consumption"    # component issued to production at a plant
    ADJUSTMENT = "adjustment"      # count correction; quantity signed
    OPENING = "opening"            # starting stock (network on_hand), posted by publishing

    @property
    def sign(self) -> int:
        """+1 adds to on-hand, -1 takes away; 0 for adjustments (the quantity carries the sign)."""
        return _SIGN[self]


_SIGN = {MoveType.RECEIPT: 1, MoveType.SHIPMENT: -1, MoveType.TRANSFER_OUT: -1,
         MoveType.TRANSFER_IN: 1, MoveType.PRODUCTION: 1, MoveType.CONSUMPTION: -1,
         MoveType.ADJUSTMENT: 0, MoveType.OPENING: 1}


class OrderType(str, enum.Enum):
    """Kinds of planned order the ERP executes."""

    PRODUCTION = "production"  # make ``product`` at plant ``to_site`` (``from_site`` = the plant)
    PURCHASE = "purchase"      # buy from supplier ``from_site`` into ``to_site``
    TRANSFER = "transfer"      # move stock from ``from_site`` to ``to_site`` (plants, DCs)


class OrderStatus(str, enum.Enum):
    """Life of a planned order: planned -> firm -> released -> closed, forward only.

    A ``planned`` order belongs to its plan version and is replaced when a new plan is
    published; ``firm`` and ``released`` orders are carried into every new version until they
    are ``closed``.
    """

    PLANNED = "planned"
    FIRM = "firm"
    RELEASED = "released"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(OrderStatus).index(self)

    @property
    def carried(self) -> bool:
        """Whether an order in this status survives republishing."""
        return self in (OrderStatus.FIRM, OrderStatus.RELEASED)


class Role(str, enum.Enum):
    """API key roles (CONTRACTS §5). ``admin`` reaches every route."""

    SALES = "sales"
    PLANNER = "planner"
    ERP = "erp"
    ADMIN = "admin"


class AccountKind(str, enum.Enum):
    """Kinds of general-ledger account; debits increase assets and expenses, credits
    liabilities, equity and income."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    EXPENSE = "expense"
    INCOME = "income"


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"timestamp {value} has no time zone; use UTC")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value
