"""Hand-set against optimized policies through the simulation, per DC and paired.

:func:`compare_policies` simulates two versions of a network (typically the hand-set
``inventory.csv`` and the one :func:`scenarios.inventory.optimize_calibrated` wrote) replication
by replication with the same seeds, so both see the same demand and the same transit times
(common random numbers). Replication ``i`` of both runs with root seed ``seed + i``. Per
replication it keeps, for every DC, the fill rate of its customer demand (units filled from stock
on the day / units demanded, over the DC's stock points) and the network's KPIs; the answer is
the t interval of each mean and of the paired differences (optimized minus hand-set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind
from chainlab.simulation.kpis import interval
from chainlab.simulation.options import SimOptions
from chainlab.simulation.run import simulate

#: network KPIs compared
KPIS = ("fill_rate", "avg_inventory", "holding_cost", "backlog_cost", "total_cost")


@dataclass(frozen=True)
class PolicyComparison:
    """``sites``: per DC, ``fill_a``/``fill_b`` mean, ``ci_low``, ``ci_high`` (a = hand-set,
    b = optimized); ``kpis``: per KPI the means of a and b and the paired difference b - a with
    its interval; ``replications``."""

    sites: pd.DataFrame
    kpis: pd.DataFrame
    replications: int
    seed: int

    def meets(self, target: float) -> pd.Series:
        """Per DC: does the optimized fill rate reach ``target`` within its interval
        (``ci_high_b >= target``)?"""
        return self.sites["ci_high_b"] >= target


def _dc_fill(net: Network, sites: pd.DataFrame) -> pd.Series:
    s = sites.reset_index()
    dcs = set(net.sites.index[net.sites["kind"] == SiteKind.DC])
    s = s[s["site"].isin(dcs) & (s["demand"] > 0)]
    filled = (s["demand"] * s["fill_rate"]).groupby(s["site"]).sum()
    return filled / s.groupby("site")["demand"].sum()


def compare_policies(a: Network, b: Network, demand=None, *, replications: int = 10,
                     seed: int = 0, warmup_days: int = 28,
                     confidence: float = 0.95) -> PolicyComparison:
    """Simulate ``a`` and ``b`` on the same seeds; see the module docstring."""
    fills: dict[str, list[pd.Series]] = {"a": [], "b": []}
    kpis: dict[str, list[dict]] = {"a": [], "b": []}
    for i in range(replications):
        options = SimOptions(replications=1, seed=seed + i, warmup_days=warmup_days, workers=1,
                             series=False)
        for tag, net in (("a", a), ("b", b)):
            res = simulate(net, demand=demand, options=options)
            fills[tag].append(_dc_fill(net, res.sites))
            kpis[tag].append({k: res.kpi(k) for k in KPIS})
    rows = []
    fa, fb = pd.DataFrame(fills["a"]), pd.DataFrame(fills["b"])
    for site in sorted(set(fa.columns) | set(fb.columns)):
        ma, la, ha, _ = interval(fa.get(site, pd.Series(dtype=float)), confidence)
        mb, lb, hb, _ = interval(fb.get(site, pd.Series(dtype=float)), confidence)
        rows.append({"site": site, "fill_a": ma, "ci_low_a": la, "ci_high_a": ha,
                     "fill_b": mb, "ci_low_b": lb, "ci_high_b": hb})
    ka, kb = pd.DataFrame(kpis["a"]), pd.DataFrame(kpis["b"])
    krows = []
    for k in KPIS:
        m, lo, hi, _ = interval(np.asarray(kb[k]) - np.asarray(ka[k]), confidence)
        krows.append({"kpi": k, "a": float(ka[k].mean()), "b": float(kb[k].mean()),
                      "delta": m, "ci_low": lo, "ci_high": hi})
    return PolicyComparison(pd.DataFrame(rows).set_index("site"),
                            pd.DataFrame(krows).set_index("kpi"), replications, seed)
