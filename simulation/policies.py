"""Replenishment policies: one small class per policy behind the :class:`Policy` protocol.

Every policy looks at the inventory position ``IP = on hand + on order - owed`` (owed: backorders
of customers and open orders of downstream stock points) at each review and returns the
quantity to order. Reviews happen every ``review_days`` days (1 = every day, which is how this
daily model plays continuous review).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np
import pandas as pd

from chainlab.models.errors import Issue
from chainlab.models.schema import Policy as PolicyName


class Kind(IntEnum):
    """Policy codes of the vectorized path (:mod:`simulation.fast`)."""

    LOT_FOR_LOT = 0
    BASE_STOCK = 1
    S_S = 2
    R_Q = 3


class Policy(Protocol):
    kind: Kind
    review_days: int

    def order(self, position: float) -> float:
        """Units to order when the inventory position is ``position``."""


@dataclass(frozen=True)
class BaseStock:
    """Order up to ``S`` at every review: q = max(0, S - IP)."""

    S: float
    review_days: int = 1
    kind: Kind = Kind.BASE_STOCK

    def order(self, position: float) -> float:
        return self.S - position if position < self.S else 0.0


@dataclass(frozen=True)
class MinMax:
    """(s, S): when IP <= s, order up to S: q = S - IP."""

    s: float
    S: float
    review_days: int = 1
    kind: Kind = Kind.S_S

    def order(self, position: float) -> float:
        return self.S - position if position <= self.s else 0.0


@dataclass(frozen=True)
class ReorderQuantity:
    """(r, Q): when IP <= r, order the fewest multiples of Q that lift IP above r."""

    r: float
    Q: float
    review_days: int = 1
    kind: Kind = Kind.R_Q

    def order(self, position: float) -> float:
        if position > self.r:
            return 0.0
        return self.Q * (math.floor((self.r - position) / self.Q) + 1)


@dataclass(frozen=True)
class LotForLot:
    """Order what is owed beyond stock and pipeline: q = max(0, -IP) (a base stock of 0).

    Stock points without a policy of their own pass orders upstream this way, after using up
    whatever they hold at the start."""

    review_days: int = 1
    kind: Kind = Kind.LOT_FOR_LOT

    def order(self, position: float) -> float:
        return -position if position < 0 else 0.0


def _num(v) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def from_row(site: str, product: str, row: pd.Series, file_row: int | None,
             issues: list[Issue]) -> Policy:
    """The policy of one ``inventory.csv`` row; problems go to ``issues`` (each naming the site,
    product and column) and a lot-for-lot stand-in is returned so checking can go on.

    Policy ``plan`` means "follow the plan"; simulated without a plan, such a stock point
    replaces what is used: a base stock at its starting ``on_hand`` (lot for lot when 0)."""
    where = f"{site}/{product}"
    name = str(row.get("policy") or PolicyName.PLAN)

    def bad(column: str, message: str) -> None:
        issues.append(Issue("inventory.csv", f"{where}: {message}", file_row, column))

    review = _num(row.get("review_days"))
    if review is None:
        R = 1
    elif review < 0:
        bad("review_days", f"review_days(={review:g}) must be >= 0")
        R = 1
    else:
        R = max(1, math.floor(review + 0.5))

    def need(column: str, meaning: str) -> float | None:
        v = _num(row.get(column))
        if v is None:
            bad(column, f"policy {name} needs {column} ({meaning}); fill it in or change "
                        "the policy")
        elif v < 0:
            bad(column, f"{column}(={v:g}) must be >= 0")
            return None
        return v

    if name == PolicyName.BASE_STOCK:
        S = need("order_up_to", "the order-up-to level S")
        return BaseStock(S, R) if S is not None else LotForLot(R)
    if name == PolicyName.S_S:
        s = need("reorder_point", "the reorder point s")
        S = need("order_up_to", "the order-up-to level S")
        if s is None or S is None:
            return LotForLot(R)
        if s >= S:
            bad("reorder_point", f"reorder_point s(={s:g}) must be below order_up_to "
                                 f"S(={S:g}); lower s or raise S")
            return LotForLot(R)
        return MinMax(s, S, R)
    if name == PolicyName.R_Q:
        r = need("reorder_point", "the reorder point r")
        Q = need("order_quantity", "the order quantity Q")
        if r is None or Q is None:
            return LotForLot(R)
        if Q <= 0:
            bad("order_quantity", f"order_quantity Q(={Q:g}) must be > 0")
            return LotForLot(R)
        return ReorderQuantity(r, Q, R)
    if name == PolicyName.PLAN:
        # without a plan to follow: replace what is used, keeping the starting stock
        start = _num(row.get("on_hand")) or 0.0
        return BaseStock(start, R) if start > 0 else LotForLot(R)
    bad("policy", f"policy {name!r} is not one of {', '.join(PolicyName)}")
    return LotForLot(R)


def vector(policies: list[Policy]) -> dict[str, np.ndarray]:
    """The policies as parameter arrays: ``kind``, ``review``, ``a`` (S, s or r), ``b`` (S or
    Q); lot for lot is a base stock of 0."""
    n = len(policies)
    kind = np.empty(n, dtype=np.int8)
    review = np.empty(n, dtype=np.int64)
    a = np.zeros(n)
    b = np.zeros(n)
    for i, p in enumerate(policies):
        kind[i], review[i] = p.kind, p.review_days
        if isinstance(p, BaseStock):
            a[i] = p.S
        elif isinstance(p, MinMax):
            a[i], b[i] = p.s, p.S
        elif isinstance(p, ReorderQuantity):
            a[i], b[i] = p.r, p.Q
    return {"kind": kind, "review": review, "a": a, "b": b}
