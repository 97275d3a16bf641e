"""Allocation by tier: planners set quotas per product, tier and period
(``allocation_quotas``) and tiers per customer (``customer_tiers``, 1 the highest).

In a period that has quotas for a product, a customer of tier ``t`` may be promised at most
the unused quota of tiers ``t, t+1, ...`` (its own first, then lower tiers', never a higher
tier's); a customer without a tier counts as the lowest tier of that period. Periods without
quotas are not limited.

:class:`Quotas` is the working state a request is promised against (no SQL); the functions
below it read and write the planners' tables.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.db import advisory_lock, lock_key
from chainlab.ledger.errors import ValidationError
from chainlab.ledger.promising.types import MAX_QUANTITY, ZERO
from chainlab.ledger.tables import (
                           AllocationQuota,
                           CustomerTier,
                           Item,
                           Location,
                           PromiseReservation,
                           utcnow,
)
from chainlab.ledger.types import QUANTUM, fixed_sum
from chainlab.models.calendar import out_of_range
from chainlab.models.errors import Issue
from chainlab.models.schema import SiteKind

QUOTAS = AllocationQuota.__table__
TIERS = CustomerTier.__table__
ITEMS = Item.__table__
LOCATIONS = Location.__table__
RESERVATIONS = PromiseReservation.__table__


@dataclass(frozen=True)
class Quota:
    """A planner's quota: ``quantity`` of ``product`` for customers of ``tier`` shipping in
    [``period_start``, ``period_end``); ``used`` by active promises."""

    product: str
    tier: int
    period_start: dt.date
    period_end: dt.date
    quantity: Decimal
    used: Decimal = ZERO


# ------------------------------------------------------------------ the working state

@dataclass
class Quotas:
    """Allocation quotas per product: periods [start, end) with a quantity per tier, and what
    active promises (and this request) have used of each (product, tier, period start)."""

    periods: dict[str, list[tuple[dt.date, dt.date, dict[int, Decimal]]]]
    used: dict[tuple[str, int, dt.date], Decimal]

    def copy(self) -> Quotas:
        return Quotas(self.periods, dict(self.used))

    def period(self, product: str, day: dt.date):
        for start, end, tiers in self.periods.get(product, ()):
            if start <= day < end:
                return start, end, tiers
        return None

    def usable(self, product: str, tier: int | None, day: dt.date
               ) -> list[tuple[int, Decimal]] | None:
        """(tier, unused quota) a customer of ``tier`` may draw on for ``day``, own tier first;
        None when ``day`` is in no quota period of ``product`` (unlimited)."""
        p = self.period(product, day)
        if p is None:
            return None
        start, _, tiers = p
        t = tier if tier is not None else max(tiers)
        return [(k, max(tiers[k] - self.used.get((product, k, start), ZERO), ZERO))
                for k in sorted(tiers) if k >= t]

    def limit(self, product: str, tier: int | None, day: dt.date) -> Decimal | None:
        u = self.usable(product, tier, day)
        return None if u is None else sum((q for _, q in u), ZERO)

    def take(self, product: str, tier: int | None, day: dt.date, qty: Decimal
             ) -> list[tuple[int, dt.date, Decimal]]:
        """Use ``qty`` of quota (own tier first): (tier, period start, quantity) taken."""
        u = self.usable(product, tier, day)
        if u is None:
            return []
        start = self.period(product, day)[0]
        out = []
        for k, free in u:
            if qty <= 0:
                break
            x = min(free, qty)
            if x > 0:
                self.used[(product, k, start)] = self.used.get((product, k, start), ZERO) + x
                out.append((k, start, x))
                qty -= x
        return out


def quotas_of(rows: list[tuple]) -> Quotas:
    """:class:`Quotas` from quota rows ``("q", product, start, end, tier, quantity)`` and use
    rows ``("u", product, day, tier, quantity)``."""
    periods: dict[str, dict[tuple[dt.date, dt.date], dict[int, Decimal]]] = defaultdict(dict)
    for r in rows:
        if r[0] == "q":
            _, product, start, end, tier, qty = r
            periods[product].setdefault((start, end), {})[tier] = qty
    q = Quotas({p: sorted((s, e, t) for (s, e), t in d.items())
                for p, d in periods.items()}, {})
    for r in rows:
        if r[0] == "u":
            _, item, day, tier, qty = r
            p = q.period(item, day)
            if p is not None:
                key = (item, tier, p[0])
                q.used[key] = q.used.get(key, ZERO) + qty
    return q


# ------------------------------------------------------------------ reading

_QUOTA_ROWS = (sa.select(QUOTAS.c.product, QUOTAS.c.period_start, QUOTAS.c.period_end,
                        QUOTAS.c.tier, QUOTAS.c.quantity)
              .where(QUOTAS.c.product.in_(sa.bindparam("products", expanding=True))))
_QUOTA_USED = (sa.select(RESERVATIONS.c.item, RESERVATIONS.c.tier, RESERVATIONS.c.date,
                        fixed_sum(RESERVATIONS.c.quantity))
              .where(RESERVATIONS.c.kind == "quota",
                     RESERVATIONS.c.item.in_(sa.bindparam("products", expanding=True)),
                     sa.or_(RESERVATIONS.c.expires_at.is_(None),
                            RESERVATIONS.c.expires_at > sa.bindparam(
                                "now", type_=RESERVATIONS.c.expires_at.type)))
              .group_by(RESERVATIONS.c.item, RESERVATIONS.c.tier, RESERVATIONS.c.date))


def load_quotas(conn: Connection, products: list[str], now: dt.datetime) -> Quotas:
    """The quotas of ``products`` and what active promises use of them."""
    rows = [("q", *r) for r in conn.execute(_QUOTA_ROWS, {"products": products})]
    if rows:
        rows += [("u", item, day, tier, qty) for item, tier, day, qty in conn.execute(
            _QUOTA_USED, {"products": products, "now": now})]
    return quotas_of(rows)


def customer_tier(conn: Connection, customer: str) -> int | None:
    return conn.execute(sa.select(TIERS.c.tier).where(TIERS.c.customer == customer)).scalar()


def tiers(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(sa.select(TIERS.c.customer, TIERS.c.tier)
                             .order_by(TIERS.c.customer)).all())


def list_quotas(conn: Connection, now: dt.datetime, product: str | None = None
                ) -> list[Quota]:
    Q = QUOTAS.c
    q = sa.select(Q.product, Q.tier, Q.period_start, Q.period_end, Q.quantity).order_by(
        Q.product, Q.period_start, Q.tier)
    if product is not None:
        q = q.where(Q.product == product)
    rows = conn.execute(q).all()
    usage = load_quotas(conn, sorted({r.product for r in rows}), now) if rows else None
    return [Quota(r.product, r.tier, r.period_start, r.period_end, r.quantity,
                  usage.used.get((r.product, r.tier, r.period_start), ZERO))
            for r in rows]


# ------------------------------------------------------------------ writing

def set_tier(conn: Connection, customer: str, tier: int | None) -> int | None:
    """Put ``customer`` in ``tier`` (1 the highest), or out of every tier with None."""
    kind = conn.execute(sa.select(LOCATIONS.c.kind).where(LOCATIONS.c.id == customer)).scalar()
    if kind != SiteKind.CUSTOMER:
        raise ValidationError(f"{customer!r} is not a customer of the ledger" +
                              (f" (it is a {kind})" if kind else ""))
    conn.execute(TIERS.delete().where(TIERS.c.customer == customer))
    if tier is not None:
        if not 1 <= tier <= 99:
            raise ValidationError(f"tier {tier} must be 1 (highest) to 99")
        conn.execute(TIERS.insert().values(customer=customer, tier=tier, updated_at=utcnow()))
    return tier


def set_quotas(conn: Connection, quotas: list[Quota], *, replace_products: bool = False
               ) -> None:
    """Add or change quotas (by product, tier and period start); with ``replace_products``
    every other quota of the products named is removed. Periods of one product may not
    overlap unless they are the same period."""
    issues = []
    products = sorted({q.product for q in quotas})
    known = set(conn.execute(sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(products))).scalars())
    for i, q in enumerate(quotas):
        where = f"quotas[{i}]"
        if q.product not in known:
            issues.append(Issue(where, f"product {q.product!r} is not an item of the ledger",
                                column="product"))
        if not 1 <= q.tier <= 99:
            issues.append(Issue(where, f"tier {q.tier} must be 1 (highest) to 99",
                                column="tier"))
        bad_day = False
        for name in ("period_start", "period_end"):
            day = getattr(q, name)
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                issues.append(Issue(where, f"{name} {day!r} is not a date", column=name))
                bad_day = True
            elif (why := out_of_range(day)) is not None:
                issues.append(Issue(where, f"{name}: {why}", column=name))
                bad_day = True
        if not bad_day and not q.period_start < q.period_end:
            issues.append(Issue(where, f"period_start {q.period_start} must be before "
                                       f"period_end {q.period_end}", column="period_end"))
        try:
            qty = Decimal(q.quantity)
            ok = qty.is_finite() and ZERO <= qty <= MAX_QUANTITY and qty == qty.quantize(QUANTUM)
        except (InvalidOperation, TypeError, ValueError):
            ok = False
        if not ok:
            issues.append(Issue(where, f"quantity {q.quantity} must be >= 0, at most "
                                       f"{MAX_QUANTITY:,f}, with at most 6 decimals",
                                column="quantity"))
    if issues:
        raise ValidationError(issues)
    Q = QUOTAS.c
    if products:
        # the same keys a promise of these products locks (store.lock_keys)
        advisory_lock(conn, sorted(lock_key(f"item:{p}") for p in products))
        if replace_products:
            conn.execute(QUOTAS.delete().where(Q.product.in_(products)))
        else:
            for q in quotas:
                conn.execute(QUOTAS.delete().where(Q.product == q.product, Q.tier == q.tier,
                                                   Q.period_start == q.period_start))
        now = utcnow()
        conn.execute(QUOTAS.insert(), [
            {"product": q.product, "tier": q.tier, "period_start": q.period_start,
             "period_end": q.period_end, "quantity": q.quantity, "updated_at": now}
            for q in quotas])
    for p in products:
        spans = sorted(set(conn.execute(sa.select(Q.period_start, Q.period_end)
                                        .where(Q.product == p)).all()))
        for (s1, e1), (s2, e2) in itertools.pairwise(spans):
            if s2 < e1:
                raise ValidationError(f"quota periods of {p} overlap: {s1} to {e1} and {s2} "
                                      f"to {e2}; give every tier the same periods")
