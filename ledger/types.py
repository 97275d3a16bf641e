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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

#: decimal places kept for quantities, unit costs and amounts
SCALE = 6
QUANTUM = Decimal(1).scaleb(-SCALE)
_FACTOR = 10**SCALE
#: the largest quantity or amount one row holds (a move's quantity and value, an order's or a
#: quota's quantity): it fits NUMERIC(20, 6) and SQLite's 64-bit micro-units (9.2e18); sums
#: of any number of rows are read with :class:`fixed_sum`, which cannot overflow
MAX_AMOUNT = Decimal("9e12")


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


#: SQLite: a Fixed value's micro-units split as ``hi * 2**32 + lo`` (``lo`` in [0, 2**32)), which
#: :class:`fixed_sum` sums apart so that neither sum can overflow a 64-bit integer
_SPLIT = 32


class SumOfFixed(TypeDecorator):
    """The result of :class:`fixed_sum`: a Decimal with :data:`SCALE` places on either engine.
    On SQLite the database answers ``'hi:lo'`` (the sums of the two halves of the micro-units),
    which Python adds exactly; an integer (``coalesce(..., 0)``) is micro-units."""

    impl = sa.Numeric(38, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        raise TypeError("a sum of a ledger amount is read, not written")

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            hi, _, lo = value.partition(":")
            micro = (int(hi) << _SPLIT) + int(lo or 0)
            return Decimal(micro).scaleb(-SCALE)
        if isinstance(value, int) and dialect.name == "sqlite":
            return Decimal(value).scaleb(-SCALE)
        return quantize(value)


class fixed_sum(FunctionElement):  # noqa: N801 (an SQL function, named like sa.func.sum)
    """``SUM`` of a :class:`Fixed` expression that cannot overflow on either engine, read as a
    Decimal (NULL over no rows, as ``SUM``).

    PostgreSQL sums NUMERIC exactly at any size. SQLite keeps micro-units in 64-bit integers
    and its ``SUM`` fails with "integer overflow" past 9.2e18 micro-units (9.2e12 units: two
    moves of the ledger's largest quantity), which would make every later read of the total
    fail. There each value is split as ``hi * 2**32 + lo`` and the halves are summed apart
    (``hi`` is below 2**31 in size, ``lo`` below 2**32, so neither sum can overflow before
    2**31 rows); Python adds them exactly."""

    type = SumOfFixed()
    name = "fixed_sum"
    inherit_cache = True


@compiles(fixed_sum)
def _fixed_sum(element, compiler, **kw):
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(fixed_sum, "sqlite")
def _fixed_sum_sqlite(element, compiler, **kw):
    x = compiler.process(element.clauses, **kw)
    return (f"(sum(({x}) >> {_SPLIT}) || ':' || "
            f"sum(({x}) & {(1 << _SPLIT) - 1}))")


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
