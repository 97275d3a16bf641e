"""Joint scenarios of the CRM demand model (:mod:`models.demand`): the parameters of its
run-rate part, the draws of firm orders + run rate + pipeline, and the scenarios record.

Each draw has lognormal uncertainty of each product's level and each customer's share, renewal
timing of each customer's orders, gamma order sizes, and each open opportunity won or lost
whole, landing in one bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DemandScenarios:
    """``n`` joint demand scenarios: ``values[k, i, t]`` is the demand of pair ``pairs[i]``
    (customer, product) in bucket ``t`` (starting on ``dates[t]``) in scenario ``k``."""

    values: np.ndarray
    pairs: pd.MultiIndex
    dates: pd.DatetimeIndex
    seed: int | np.random.SeedSequence | None

    @property
    def n(self) -> int:
        return self.values.shape[0]

    def frame(self, k: int) -> pd.DataFrame:
        """Scenario ``k`` as a demand table (fixed quantities, no zero rows)."""
        v = self.values[k]
        i, t = np.nonzero(v > 0)
        return pd.DataFrame({
            "customer": self.pairs.get_level_values(0)[i],
            "product": self.pairs.get_level_values(1)[i],
            "date": self.dates[t], "quantity": v[i, t], "sd": np.nan, "distribution": "fixed"})

    def long(self) -> pd.DataFrame:
        """Every scenario, pair and bucket as rows: scenario, customer, product, period, date,
        quantity (customer and product categorical)."""
        n, p, h = self.values.shape
        k, i, t = np.indices((n, p, h)).reshape(3, -1)
        cust = pd.Categorical(self.pairs.get_level_values(0))
        prod = pd.Categorical(self.pairs.get_level_values(1))
        return pd.DataFrame({"scenario": k, "customer": cust[i], "product": prod[i],
                             "period": t, "date": self.dates[t],
                             "quantity": self.values.reshape(-1)})


@dataclass(frozen=True)
class RunRate:
    """What the run-rate part needs to give its mean and draw scenarios (index: pairs)."""

    rate: np.ndarray  # (pairs, H) expected intake per bucket if orders came evenly, f
    gap_mean: np.ndarray  # (pairs,) mean gap between ordering buckets
    hazard: np.ndarray  # (pairs, A + 1) P(order | buckets since last order = a), a = 0..A
    age0: np.ndarray  # (pairs,) buckets since the last order at the origin (capped at A)
    size_cv: np.ndarray  # (pairs,) CV of an order's size around its mean
    share_sd: np.ndarray  # (pairs,) sd of log share (estimation error of the customer's share)
    product: np.ndarray  # (pairs,) index into products
    product_sd: np.ndarray  # (products, H) sd of the log of the product's forecast level
    arrivals: np.ndarray  # (pairs, H) expected number of ordering buckets, u
    rows: np.ndarray  # (pairs,) row of each pair in the model's grid



def draw(firm: np.ndarray, rr: RunRate, lag: np.ndarray, opportunities: pd.DataFrame,
         opp_pmf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Joint draws (n, pairs, H) of firm + run rate + pipeline.

    ``firm`` (pairs, H): firm orders, in every draw; ``rr``: the run-rate part; ``lag``:
    P(delivery bucket - order bucket = l); ``opportunities``: open opportunities (``row``,
    ``quantity``, ``win_rate``) with ``opp_pmf`` (opportunities, H + 1) the pmf of their
    delivery bucket (column H: beyond the horizon)."""
    H = firm.shape[1]
    out = np.broadcast_to(firm, (n,) + firm.shape).copy()
    if len(rr.rows):
        npairs, nprod = len(rr.gap_mean), rr.product_sd.shape[0]
        zp = rng.standard_normal((n, nprod))
        level = np.exp(zp[:, :, None] * rr.product_sd - rr.product_sd ** 2 / 2)
        share = np.exp(rng.standard_normal((n, npairs)) * rr.share_sd - rr.share_sd ** 2 / 2)
        share_gap = (share * rr.gap_mean).ravel()
        k = 1.0 / rr.size_cv ** 2
        age = np.broadcast_to(rr.age0, (n, npairs)).copy()
        amax = rr.hazard.shape[1] - 1
        cols = np.arange(npairs)
        lag_cdf = np.cumsum(lag)
        for t in range(H):
            hit = rng.random((n, npairs)) < rr.hazard[cols, age]
            idx = np.flatnonzero(hit)
            r, c = np.divmod(idx, npairs)
            amount = (rng.gamma(k[c], 1.0 / k[c]) * level[r, rr.product[c], t]
                      * share_gap[idx] * rr.rate[c, t])
            land = t + np.minimum(np.searchsorted(lag_cdf, rng.random(len(idx)),
                                                  side="right"), len(lag) - 1)
            ok = land < H
            # each (scenario, pair) orders at most once per bucket: no repeated targets
            out[r[ok], rr.rows[c[ok]], land[ok]] += amount[ok]
            age += 1
            np.minimum(age, amax, out=age)
            age[hit] = 1
    if len(opportunities):
        rows = opportunities["row"].to_numpy()
        qty = opportunities["quantity"].to_numpy(dtype=float)
        prob = opportunities["win_rate"].to_numpy(dtype=float)
        won = rng.random((n, len(rows))) < prob
        cdf = np.cumsum(opp_pmf, axis=1)
        u = rng.random((n, len(rows)))
        for j in range(len(rows)):
            b = np.minimum(np.searchsorted(cdf[j], u[:, j], side="right"), H)
            ok = won[:, j] & (b < H)
            out[np.flatnonzero(ok), rows[j], b[ok]] += qty[j]
    return out
