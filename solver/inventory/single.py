"""Single-echelon policies from a service target: base-stock, (s, S) and (r, Q).

Notation (Snyder & Shen ch. 4-5; Silver, Pyke & Peterson ch. 7): per-period demand of mean ``mu``
and standard deviation ``sigma``; lead time ``L`` periods (standard deviation ``sd_L``); review
every ``R`` periods; ``D_T`` demand over ``T`` periods and ``n_T`` its loss function
(:mod:`solver.inventory.demand`). Two service measures:

- **alpha** (type 1, cycle service level): the probability of no stockout in a replenishment
  cycle. Stock must cover the *protection interval* ``L + R``: ``S = F_{L+R}^-1(alpha)``.
- **beta** (type 2, fill rate): the share of demand filled from stock. Units short in one review
  cycle of a base-stock policy are ``E[(D_{L+R} - S)+] - E[(D_L - S)+] = n_{L+R}(S) - n_L(S)``
  (Hadley & Whitin), so ``beta = 1 - (n_{L+R}(S) - n_L(S)) / (mu R)``; for a reorder point
  ``r`` with order quantity ``Q`` the shortage per cycle is ``n(r) - n(r + Q)`` and
  ``beta = 1 - (n(r) - n(r + Q)) / Q``. Both are increasing in ``S`` (or ``r``), so the
  smallest level that meets the target is found by bisection (integer search for discrete
  demand).

Base-stock (order up to ``S`` every ``R``) uses ``D_{L+R}``; (r, Q) and (s, S) reviewed every
``R`` use ``D_{L+R}`` for the reorder point (``R`` small for continuous review), with ``Q`` (or
``S - s``) given, because the network carries no fixed ordering cost to set it by (the EOQ is
:func:`eoq` for callers that have one). The undershoot of ``s`` under periodic review is left
out (a slightly optimistic service for (s, S)).

Safety stock is ``SS = level - E[D_{L+R}]``; its holding cost ``h SS`` is what the optimizers
compare. The textbook newsvendor / base-stock cost ``g(S) = h (S - mu) + (h + p) n(S)`` and its
optimum ``S* = F^-1(p / (p + h))`` are :func:`base_stock_cost` and :func:`optimal_base_stock`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from chainlab.solver.inventory.demand import Distribution, Family, over


class Measure(str, Enum):
    """Service measure of a target."""

    #: type 1: probability of no stockout per replenishment cycle
    ALPHA = "alpha"
    #: type 2: share of demand filled from stock
    BETA = "beta"


class PolicyKind(str, Enum):
    """The replenishment policies of ``inventory.csv``."""

    BASE_STOCK = "base_stock"
    S_S = "s_S"
    R_Q = "r_Q"


@dataclass(frozen=True)
class Item:
    """One stock point's demand and replenishment, in periods of the calendar.

    ``mean``, ``sd``: demand per period (mu, sigma); ``lead_time``, ``lead_time_sd``: L and sd_L
    in periods; ``review``: R in periods (a daily review in a weekly calendar is 1/7);
    ``family``: distribution of demand over an interval; ``holding_cost``: h per unit per period.
    """

    mean: float
    sd: float
    lead_time: float
    lead_time_sd: float = 0.0
    review: float = 1.0
    family: Family = Family.NORMAL
    holding_cost: float = 0.0

    def __post_init__(self):
        for name in ("mean", "sd", "lead_time", "lead_time_sd", "holding_cost"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name}(={v!r}) must be a finite number >= 0")
        if not self.review > 0:
            raise ValueError(f"review(={self.review!r}) must be > 0 periods")
        object.__setattr__(self, "family", Family(self.family))

    def demand(self, periods: float) -> Distribution:
        """Demand over the lead time plus ``periods`` more."""
        return over(self.lead_time + periods, self.mean, self.sd, self.family, self.lead_time_sd)


@dataclass(frozen=True)
class Policy:
    """A sized policy: ``level`` is S (base-stock), s (s, S) or r (r, Q); ``order_up_to`` and
    ``order_quantity`` where the policy has them; the service it gives by the formulas of the
    module docstring, and its safety stock and holding cost of safety stock per period."""

    kind: PolicyKind
    level: float
    safety_stock: float
    alpha: float
    beta: float
    order_up_to: float | None = None
    order_quantity: float | None = None
    review: float = 1.0
    holding_cost: float = 0.0
    demand: Distribution | None = field(default=None, repr=False)

    @property
    def safety_stock_cost(self) -> float:
        return self.holding_cost * max(self.safety_stock, 0.0)


def _smallest(fn, target: float, dist: Distribution) -> float:
    """Smallest x (integer for discrete demand) with fn(x) >= target, fn increasing."""
    lo = dist.mean - 10 * math.sqrt(dist.var) - 1
    hi = dist.mean + 12 * math.sqrt(dist.var) + 1
    while fn(hi) < target and hi < 1e15:
        hi = hi * 2 + 1
    if dist.discrete:
        lo_i, hi_i = math.floor(min(lo, 0)), math.ceil(hi)
        while hi_i - lo_i > 1:
            mid = (lo_i + hi_i) // 2
            if fn(mid) >= target:
                hi_i = mid
            else:
                lo_i = mid
        return float(hi_i)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if fn(mid) >= target:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-9 * max(1.0, abs(hi)):
            break
    return hi


def _check_target(target: float) -> None:
    if not 0 < target < 1:
        raise ValueError(f"service target(={target!r}) must be strictly between 0 and 1")


def base_stock_fill_rate(item: Item, S: float) -> float:
    """``beta(S) = 1 - (n_{L+R}(S) - n_L(S)) / (mu R)``."""
    if item.mean <= 0:
        return 1.0
    short = item.demand(item.review).loss(S) - item.demand(0.0).loss(S)
    return 1.0 - max(short, 0.0) / (item.mean * item.review)


def base_stock(item: Item, target: float, measure: Measure = Measure.BETA) -> Policy:
    """The smallest order-up-to level ``S`` reviewed every ``R`` that meets ``target``."""
    _check_target(target)
    measure = Measure(measure)
    dist = item.demand(item.review)
    if measure is Measure.ALPHA:
        S = dist.ppf(target)
    else:
        S = _smallest(lambda x: base_stock_fill_rate(item, x), target, dist)
    return Policy(PolicyKind.BASE_STOCK, S, S - dist.mean, dist.cdf(S),
                  base_stock_fill_rate(item, S), order_up_to=S, review=item.review,
                  holding_cost=item.holding_cost, demand=dist)


def reorder_fill_rate(item: Item, r: float, Q: float) -> float:
    """``beta(r, Q) = 1 - (n(r) - n(r + Q)) / Q`` over the protection interval ``L + R``."""
    dist = item.demand(item.review)
    return 1.0 - max(dist.loss(r) - dist.loss(r + Q), 0.0) / Q


def reorder_point(item: Item, Q: float, target: float, measure: Measure = Measure.BETA,
                  kind: PolicyKind = PolicyKind.R_Q) -> Policy:
    """The smallest reorder point ``r`` (or ``s``, with ``S = s + Q``) that meets ``target``
    when each order brings ``Q`` units."""
    _check_target(target)
    if not Q > 0:
        raise ValueError(f"order quantity Q(={Q!r}) must be > 0")
    measure, kind = Measure(measure), PolicyKind(kind)
    dist = item.demand(item.review)
    if measure is Measure.ALPHA:
        r = dist.ppf(target)
    else:
        r = _smallest(lambda x: reorder_fill_rate(item, x, Q), target, dist)
    return Policy(kind, r, r - dist.mean, dist.cdf(r), reorder_fill_rate(item, r, Q),
                  order_up_to=r + Q if kind is PolicyKind.S_S else None,
                  order_quantity=Q if kind is PolicyKind.R_Q else None, review=item.review,
                  holding_cost=item.holding_cost, demand=dist)


def eoq(fixed_cost: float, holding_cost: float, demand_rate: float) -> float:
    """Economic order quantity ``Q* = sqrt(2 K lambda / h)``."""
    if not (fixed_cost >= 0 and holding_cost > 0 and demand_rate >= 0):
        raise ValueError("eoq needs fixed_cost >= 0, holding_cost > 0 and demand_rate >= 0")
    return math.sqrt(2.0 * fixed_cost * demand_rate / holding_cost)


def base_stock_cost(S: float, holding_cost: float, stockout_cost: float,
                    dist: Distribution) -> float:
    """Expected cost per period ``g(S) = h (S - E[D]) + (h + p) n(S)``
    (= ``E[h (S - D)+ + p (D - S)+]``)."""
    return holding_cost * (S - dist.mean) + (holding_cost + stockout_cost) * dist.loss(S)


def optimal_base_stock(holding_cost: float, stockout_cost: float,
                       dist: Distribution) -> tuple[float, float]:
    """``(S*, g(S*))`` with ``S* = F^-1(p / (p + h))`` (the newsvendor critical ratio; the
    smallest such integer for discrete demand)."""
    ratio = stockout_cost / (stockout_cost + holding_cost)
    S = dist.ppf(ratio)
    return S, base_stock_cost(S, holding_cost, stockout_cost, dist)


def size(item: Item, kind: PolicyKind, target: float, measure: Measure = Measure.BETA,
         order_quantity: float | None = None) -> Policy:
    """A policy of ``kind`` for ``item``; (s, S) and (r, Q) need ``order_quantity``."""
    kind = PolicyKind(kind)
    if kind is PolicyKind.BASE_STOCK:
        return base_stock(item, target, measure)
    if order_quantity is None:
        raise ValueError(f"policy {kind.value} needs an order quantity")
    return reorder_point(item, order_quantity, target, measure, kind)
