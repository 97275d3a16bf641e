"""Demand over a protection interval as a distribution with its loss function.

Notation (Snyder & Shen, *Fundamentals of Supply Chain Theory*, ch. 4-5; Zipkin, *Foundations of
Inventory Management*, ch. 6): ``D`` is demand over an interval, ``F`` its cdf, and

    first-order loss   n(x) = E[(D - x)+]   (expected units short when stock x faces D)
    complementary      n̄(x) = E[(x - D)+] = x - E[D] + n(x)

For ``D ~ N(mu, sigma)`` with ``z = (x - mu) / sigma``: ``n(x) = sigma L(z)``, where the standard
normal loss function is ``L(z) = phi(z) - z (1 - Phi(z))``. For discrete ``D`` on the integers,
``n(x) = E[D] - x + sum_{d <= x} (x - d) P(D = d)`` (exact, a finite sum).

Demand over ``T`` periods whose per-period demand has mean ``mu`` and standard deviation
``sigma``, with a random lead time of mean ``E[T]`` and standard deviation ``sd_T`` (independent
of demand), has mean ``mu E[T]`` and variance ``E[T] sigma^2 + mu^2 sd_T^2`` (the random-sum
formula, Silver, Pyke & Peterson eq. 7.xx). :func:`over` builds that distribution in the family
asked for: normal, Poisson (mean only; its variance equals its mean) or negative binomial (fitted
by its mean and a variance above it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from statistics import NormalDist

import numpy as np

_STD = NormalDist()


class Family(str, Enum):
    """Distribution family of demand over an interval."""

    NORMAL = "normal"
    POISSON = "poisson"
    NEGBIN = "negbin"
    #: normal, unless the interval's mean is small (< 30 units): then Poisson when the variance
    #: is close to the mean, negative binomial when above it
    AUTO = "auto"


def std_loss(z: float) -> float:
    """Standard normal first-order loss ``L(z) = phi(z) - z (1 - Phi(z))``."""
    return _STD.pdf(z) - z * (1.0 - _STD.cdf(z))


@dataclass(frozen=True)
class Normal:
    """``D ~ N(mean, sd)``; continuous (negative values are allowed, as in the textbook)."""

    mean: float
    sd: float
    discrete = False

    def cdf(self, x: float) -> float:
        if self.sd <= 0:
            return 1.0 if x >= self.mean else 0.0
        return _STD.cdf((x - self.mean) / self.sd)

    def ppf(self, q: float) -> float:
        if self.sd <= 0:
            return self.mean
        return self.mean + self.sd * _STD.inv_cdf(min(max(q, 1e-15), 1 - 1e-15))

    def loss(self, x: float) -> float:
        """``n(x) = sd L((x - mean) / sd)``."""
        if self.sd <= 0:
            return max(self.mean - x, 0.0)
        return self.sd * std_loss((x - self.mean) / self.sd)

    @property
    def var(self) -> float:
        return self.sd ** 2


class _Discrete:
    """A distribution on 0, 1, 2, ... held as a pmf table up to far in its right tail."""

    discrete = True
    mean: float

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def cdf(self, x: float) -> float:
        pmf, cdf = self._table()
        k = math.floor(x)
        if k < 0:
            return 0.0
        return float(cdf[min(k, len(cdf) - 1)])

    def ppf(self, q: float) -> float:
        """Smallest integer ``x`` with ``F(x) >= q``."""
        _, cdf = self._table()
        k = int(np.searchsorted(cdf, q - 1e-12, side="left"))
        return float(min(k, len(cdf) - 1))

    def loss(self, x: float) -> float:
        """``n(x) = mean - x + sum_{d <= x} (x - d) P(D = d)``."""
        pmf, _ = self._table()
        k = math.floor(x)
        if k < 0:
            return self.mean - x
        d = np.arange(min(k, len(pmf) - 1) + 1)
        return float(self.mean - x + np.sum((x - d) * pmf[d]))


def _tail_end(mean: float, var: float) -> int:
    return int(math.ceil(mean + 12.0 * math.sqrt(max(var, 1e-9)) + 20))


class Poisson(_Discrete):
    """``D ~ Poisson(mean)``: P(D = d) = e^-m m^d / d!."""

    def __init__(self, mean: float):
        self.mean = float(mean)
        n = _tail_end(self.mean, self.mean)
        d = np.arange(n + 1)
        if self.mean > 0:
            logp = d * math.log(self.mean) - self.mean - np.array([math.lgamma(k + 1) for k in d])
            pmf = np.exp(logp)
        else:
            pmf = (d == 0).astype(float)
        self._pmf, self._cdf = pmf, np.minimum(np.cumsum(pmf), 1.0)

    def _table(self):
        return self._pmf, self._cdf

    @property
    def var(self) -> float:
        return self.mean

    def __repr__(self) -> str:
        return f"Poisson(mean={self.mean:g})"


class NegBinomial(_Discrete):
    """Negative binomial by mean ``m`` and variance ``v > m``: ``r = m^2 / (v - m)``,
    ``p = m / v``, ``P(D = d) = C(d + r - 1, d) p^r (1 - p)^d``."""

    def __init__(self, mean: float, var: float):
        if not var > mean > 0:
            raise ValueError(f"negative binomial needs variance(={var:g}) > mean(={mean:g}) > 0")
        self.mean, self._var = float(mean), float(var)
        r, p = mean * mean / (var - mean), mean / var
        n = _tail_end(mean, var)
        d = np.arange(n + 1)
        lg = np.array([math.lgamma(k + r) - math.lgamma(k + 1) for k in d]) - math.lgamma(r)
        pmf = np.exp(lg + r * math.log(p) + d * math.log1p(-p))
        self.r, self.p = r, p
        self._pmf, self._cdf = pmf, np.minimum(np.cumsum(pmf), 1.0)

    def _table(self):
        return self._pmf, self._cdf

    @property
    def var(self) -> float:
        return self._var

    def __repr__(self) -> str:
        return f"NegBinomial(mean={self.mean:g}, var={self._var:g})"


Distribution = Normal | Poisson | NegBinomial


def over(periods: float, mean: float, sd: float, family: Family = Family.NORMAL,
         periods_sd: float = 0.0) -> Distribution:
    """Demand over ``periods`` (mean ``E[T]``, standard deviation ``periods_sd``) when one
    period's demand has ``mean`` and ``sd``: mean ``mean E[T]``, variance
    ``E[T] sd^2 + mean^2 periods_sd^2``."""
    if periods < 0 or periods_sd < 0 or mean < 0 or sd < 0:
        raise ValueError(f"periods(={periods:g}), periods_sd(={periods_sd:g}), mean(={mean:g}) "
                         f"and sd(={sd:g}) must be >= 0")
    m = mean * periods
    v = periods * sd * sd + mean * mean * periods_sd * periods_sd
    family = Family(family)
    if family is Family.AUTO:
        if m >= 30 or m <= 0:
            family = Family.NORMAL
        elif v > 1.05 * m:
            family = Family.NEGBIN
        else:
            family = Family.POISSON
    if family is Family.NORMAL:
        return Normal(m, math.sqrt(v))
    if family is Family.POISSON:
        return Poisson(m)
    if v <= m:  # not over-dispersed: the negative binomial's limit is the Poisson
        return Poisson(m)
    return NegBinomial(m, v)
