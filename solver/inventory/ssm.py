"""Stochastic-service model (SSM): exact echelon base-stock levels of serial systems (Clark &
Scarf 1960, Chen & Zheng 1994; Snyder & Shen ch. 6.2), and a stated heuristic for distribution
trees.

Serial system, stages ``1`` (facing demand) to ``N`` (ordering from an outside supplier that
always delivers), lead time ``L_j`` into stage ``j``, echelon holding cost
``h_j = h'_j - h'_{j+1}`` (local costs ``h'``), stockout cost ``p`` per unit backordered per
period, ``D_j`` demand over ``L_j`` periods. With ``H = sum_j h_j`` (= ``h'_1``):

    C_0(x)  = (p + H) (-x)+
    Ĉ_j(x)  = h_j x + C_{j-1}(x)
    C_j(y)  = E[Ĉ_j(y - D_j)],         S*_j = argmin_y C_j(y)
    C_j(x) := C_j(min{S*_j, x})        (for the next stage up)

``S*_j`` are the optimal echelon base-stock levels, ``C_N(S*_N)`` the optimal expected cost per
period; local levels are ``S*_j - S*_{j-1}``. The functions are held on a uniform grid (step 1
for Poisson demand, so the answer is exact up to truncation of a tail of probability < 1e-12;
``sd / 100`` of the total lead-time demand for normal demand, with demand mass lumped on the
grid by its cdf) and each expectation is one convolution.

Distribution trees (heuristic, not optimal): every path from the root to a demand-facing stage
is solved as a serial system with that stage's demand; a stage on several paths holds the sum of
the paths' mean lead-time demands plus the square root of the sum of squares of their safety
stocks (local level minus mean lead-time demand): the pooling a normal approximation gives
when the paths' safety factors are equal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from chainlab.models.errors import Issue, ValidationError

_STD = NormalDist()


@dataclass(frozen=True)
class Serial:
    """A serial system listed downstream first: ``ids[0]`` faces demand (per period, ``normal``
    with ``demand_mean`` and ``demand_sd``, or ``poisson`` with ``demand_mean``);
    ``holding_costs`` are local (h'_j), ``lead_times`` in periods."""

    ids: tuple[str, ...]
    lead_times: tuple[float, ...]
    holding_costs: tuple[float, ...]
    stockout_cost: float
    demand_mean: float
    demand_sd: float = 0.0
    distribution: str = "normal"
    name: str = ""

    def __post_init__(self):
        n = len(self.ids)
        problems = []
        if not n:
            problems.append("a serial system needs at least one stage")
        if len(self.lead_times) != n or len(self.holding_costs) != n:
            problems.append("ids, lead_times and holding_costs must have one entry per stage")
        if any(x < 0 for x in self.lead_times) or any(h < 0 for h in self.holding_costs):
            problems.append("lead times and holding costs must be >= 0")
        if self.stockout_cost <= 0:
            problems.append(f"stockout_cost(={self.stockout_cost}) must be > 0")
        if self.distribution not in ("normal", "poisson"):
            problems.append(f"distribution(={self.distribution!r}) must be normal or poisson")
        if self.demand_mean < 0 or self.demand_sd < 0:
            problems.append("demand_mean and demand_sd must be >= 0")
        if problems:
            raise ValidationError([Issue("ssm", f"{self.name or 'serial system'}: {m}")
                                   for m in problems])

    @property
    def echelon_costs(self) -> list[float]:
        h = list(self.holding_costs)
        return [h[j] - (h[j + 1] if j + 1 < len(h) else 0.0) for j in range(len(h))]


@dataclass(frozen=True)
class SerialSolution:
    """Echelon and local base-stock levels per stage (keyed by id) and the expected cost per
    period of holding and backorders."""

    cost: float
    echelon: dict[str, float]
    local: dict[str, float]
    seconds: float = 0.0
    name: str = ""
    status: str = "optimal"
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"ssm.SerialSolution({self.name!r}, cost={self.cost:.6g}, echelon={self.echelon})"


def _pmf(s: Serial, periods: float, step: float) -> np.ndarray:
    """Demand over ``periods`` on the grid 0, step, 2 step, ... (mass below 0 at 0)."""
    m = s.demand_mean * periods
    if periods <= 0 or m <= 0:
        return np.ones(1)
    if s.distribution == "poisson":
        kmax = int(math.ceil(m + 14 * math.sqrt(m) + 20))
        k = np.arange(kmax + 1)
        lg = np.array([math.lgamma(i + 1) for i in k])
        return np.exp(k * math.log(m) - m - lg)
    sd = s.demand_sd * math.sqrt(periods)
    if sd <= 0:
        out = np.zeros(int(round(m / step)) + 1)
        out[-1] = 1.0
        return out
    kmax = int(math.ceil((m + 9 * sd) / step))
    edges = (np.arange(kmax + 2) - 0.5) * step
    cdf = np.array([_STD.cdf((e - m) / sd) for e in edges])
    cdf[0] = 0.0
    cdf[-1] = 1.0
    return np.diff(cdf)


def optimize_serial(s: Serial) -> SerialSolution:
    """Exact (up to the grid) echelon base-stock levels; see the module docstring."""
    t0 = time.perf_counter()
    h = s.echelon_costs
    H, p = sum(h), s.stockout_cost
    total_L = sum(s.lead_times)
    mu_tot = s.demand_mean * total_L
    if s.distribution == "poisson":
        step = 1.0
        hi = math.ceil(mu_tot + 14 * math.sqrt(max(mu_tot, 1.0)) + 20)
    else:
        sd_tot = s.demand_sd * math.sqrt(max(total_L, 1e-9))
        step = max(sd_tot / 100.0, 1e-6) if sd_tot > 0 else max(mu_tot / 1000.0, 1e-6)
        hi = math.ceil((mu_tot + 9 * sd_tot) / step) * step
    n = int(round(2 * hi / step)) + 1
    x = -hi + step * np.arange(n)                      # grid [-hi, hi]
    C_bar = (p + H) * np.maximum(-x, 0.0)
    echelon = {}
    cost = 0.0
    for j, sid in enumerate(s.ids):
        C_hat = h[j] * x + C_bar
        P = _pmf(s, s.lead_times[j], step)
        K = len(P) - 1
        slope = (C_hat[1] - C_hat[0]) / step           # linear below the grid
        ext = np.concatenate([C_hat[0] + slope * step * np.arange(-K, 0), C_hat])
        g = np.convolve(ext, P)[K:K + n]
        i = int(np.argmin(g))
        echelon[sid] = float(x[i])
        cost = float(g[i])
        C_bar = np.where(np.arange(n) <= i, g, g[i])
    local, prev = {}, 0.0
    for sid in s.ids:
        local[sid] = echelon[sid] - prev
        prev = echelon[sid]
    return SerialSolution(cost, echelon, local, time.perf_counter() - t0, s.name)


def distribution_heuristic(paths: list[Serial]) -> dict[str, float]:
    """Local base-stock levels of a distribution tree given as its root-to-customer paths
    (each a :class:`Serial` listed downstream first, sharing stage ids upstream); see the
    module docstring for the pooling rule. A heuristic: no optimality is claimed."""
    mean_part: dict[str, list[float]] = {}
    safety: dict[str, list[float]] = {}
    for path in paths:
        sol = optimize_serial(path)
        for sid, L in zip(path.ids, path.lead_times):
            m = path.demand_mean * L
            mean_part.setdefault(sid, []).append(m)
            safety.setdefault(sid, []).append(sol.local[sid] - m)
    return {sid: sum(mean_part[sid]) + math.copysign(
        math.sqrt(sum(v * v for v in safety[sid])), sum(safety[sid])) for sid in mean_part}
