"""KPIs computed from the records of a replication, and confidence intervals across replications.

Every KPI counts days from ``warmup_days`` on (stock and orders still evolve during warm-up);
the fill rates and days late count the units demanded on those days, however late they are
filled.
Customer-facing figures are over all customer x product streams.

Three fill measures, for units demanded on day t in period P(t) (buckets of the calendar):

- ``fill_rate``: filled from stock on day t (type 2 service);
- ``period_fill_rate``: filled by the last day of P(t), on day t or as a backorder later in
  P(t); what a planner calls on time in a weekly plan, so a weekly plan that delivers each
  week's demand within the week has period_fill_rate 1 however little it fills on the day;
- ``avg_days_late``: over the backordered units filled before the horizon ends, the mean of
  (fill day - t).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from chainlab.simulation.trace import Trace

#: name -> (unit, meaning); the order is the order of ``SimResult.kpis``
KPIS: dict[str, tuple[str, str]] = {
    "fill_rate": ("share", "units filled from stock on the day they were demanded / units "
                           "demanded (type 2 service)"),
    "period_fill_rate": ("share", "units filled from stock by the end of the period (the "
                                  "calendar's week or day) they were demanded in / units "
                                  "demanded: the planner's on-time measure; unlike fill_rate, "
                                  "a backorder filled later in the same period counts (equal "
                                  "to fill_rate with daily buckets)"),
    "avg_days_late": ("days", "days from demand to fill, averaged over backordered units "
                              "filled later; lost units and units still owed at the end are "
                              "left out (see lost_sales, backorders)"),
    "otif": ("share", "order lines (a customer's demand of a product on a day) delivered in full "
                      "by the requested date / order lines"),
    "cycle_service_level": ("share", "review cycles of customer-facing stock points without a "
                                     "stockout / cycles (type 1 service)"),
    "backorders": ("units", "units owed to customers at the end of a day, averaged over days"),
    "units_short": ("units", "units not filled on the day they were demanded"),
    "lost_sales": ("units", "units lost (when unmet demand is lost)"),
    "stockout_days": ("days", "days on which a customer-facing stock point could not fill all "
                              "demand, summed over stock points"),
    "avg_inventory": ("units", "units on hand at the end of a day over all stock points, "
                               "averaged over days"),
    "peak_inventory": ("units", "most units on hand at the end of any day, over all stock "
                                "points"),
    "demand": ("units", "units demanded"),
    "holding_cost": ("currency", "holding cost of end-of-day stock"),
    "transport_cost": ("currency", "lane cost of every unit shipped"),
    "purchase_cost": ("currency", "supplier price of every unit bought"),
    "production_cost": ("currency", "unit cost of every unit made"),
    "backlog_cost": ("currency", "backlog cost per unit owed to customers per period"),
    "lost_sales_cost": ("currency", "lost-sales cost of units lost and of units still owed at "
                                    "the end"),
    "fixed_cost": ("currency", "fixed cost of the open sites"),
    "total_cost": ("currency", "sum of the costs above"),
}

#: per stock point (site x product), in ``SimResult.sites``
SITE_KPIS = ("avg_inventory", "peak_inventory", "backorders", "stockout_days", "demand",
             "fill_rate")


@dataclass(frozen=True, eq=False)
class Replication:
    """The figures of one replication, computed from its :class:`~simulation.trace.Trace`.

    - ``kpis``: KPI name -> value, in the order of :data:`KPIS`;
    - ``sites``: name of :data:`SITE_KPIS` -> value per stock point (nodes,);
    - ``series``: ``inventory`` and ``backlog`` at the end of each period (nodes, periods),
      ``demand`` and ``filled`` (on the day) per period (periods,), in units;
    - ``balance``: product -> units initial, bought, made, consumed, delivered, end_stock,
      in_transit, wip and the ``imbalance`` (0 up to rounding);
    - ``events``: SimPy events scheduled (see :class:`~simulation.trace.Trace`).
    """

    kpis: dict[str, float]
    sites: dict[str, np.ndarray]
    series: dict[str, np.ndarray]
    balance: dict[str, dict[str, float]]
    events: int


def replication(model, demand: np.ndarray, rec: Trace, warmup: int) -> Replication:
    """KPIs, per-node figures, per-period series and the unit balance of one replication, from
    its records ``rec`` and its demand (streams x days)."""
    D = model.days
    w = min(warmup, D - 1)
    nodes = model.nodes
    N, M = len(nodes), len(model.streams)
    prod = model.products
    node_product = [n.product for n in nodes]
    h = prod["holding"].reindex(node_product).to_numpy(dtype=float) if N else np.zeros(0)
    b = prod["backlog"].reindex(node_product).to_numpy(dtype=float) if N else np.zeros(0)
    stream_product = model.streams["product"].tolist()
    lost_c = (prod["lost"].reindex(stream_product).to_numpy(dtype=float) if M
              else np.zeros(0))

    dem = demand[:, w:]
    filled = rec.filled[:, w:]
    lost = rec.lost[:, w:]
    on_hand = rec.on_hand[:, w:]
    owed = rec.cust_backlog[:, w:]
    stockout = rec.stockout[:, w:]
    total_demand = float(dem.sum())
    lines = dem > 0
    n_lines = int(lines.sum())
    stock_total = on_hand.sum(axis=0)

    facing = sorted(set(model.streams["node"].tolist()))
    cycles = cycles_out = 0
    for n in facing:
        R = nodes[n].policy.review_days
        k = (D - w) // R
        if k:
            blocks = stockout[n, :k * R].reshape(k, R).any(axis=1)
            cycles += k
            cycles_out += int(blocks.sum())

    k = {}
    k["fill_rate"] = float(filled.sum()) / total_demand if total_demand > 0 else math.nan
    late_filled = float(rec.late_filled[:, w:].sum())
    in_period = float(filled.sum()) + float(rec.late_in_period[:, w:].sum())
    k["period_fill_rate"] = in_period / total_demand if total_demand > 0 else math.nan
    k["avg_days_late"] = (float(rec.late_days[:, w:].sum()) / late_filled if late_filled > 0
                          else math.nan)
    k["otif"] = float(rec.otif[:, w:][lines].sum()) / n_lines if n_lines else math.nan
    k["cycle_service_level"] = 1.0 - cycles_out / cycles if cycles else math.nan
    k["backorders"] = float(owed.sum(axis=0).mean()) if N else 0.0
    k["units_short"] = float((dem - filled).sum())
    k["lost_sales"] = float(lost.sum())
    k["stockout_days"] = float(stockout[facing].sum()) if facing else 0.0
    k["avg_inventory"] = float(stock_total.mean()) if N else 0.0
    k["peak_inventory"] = float(stock_total.max()) if N else 0.0
    k["demand"] = total_demand
    k["holding_cost"] = float(h @ on_hand.sum(axis=1)) if N else 0.0
    k["transport_cost"] = float(rec.transport[w:].sum())
    k["purchase_cost"] = float(rec.purchase[w:].sum())
    k["production_cost"] = float(rec.production[w:].sum())
    k["backlog_cost"] = float(b @ owed.sum(axis=1)) if N else 0.0
    k["lost_sales_cost"] = float(lost_c @ (lost.sum(axis=1) + rec.end_owed)) if M else 0.0
    k["fixed_cost"] = model.fixed_cost_per_day * (D - w)
    k["total_cost"] = sum(k[c] for c in ("holding_cost", "transport_cost", "purchase_cost",
                                         "production_cost", "backlog_cost", "lost_sales_cost",
                                         "fixed_cost"))

    node_demand = np.zeros(N)
    node_filled = np.zeros(N)
    sn = model.streams["node"].to_numpy(dtype=np.int64)
    np.add.at(node_demand, sn, dem.sum(axis=1))
    np.add.at(node_filled, sn, filled.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        node_fill = np.where(node_demand > 0, node_filled / node_demand, np.nan)
    sites = {
        "avg_inventory": on_hand.mean(axis=1), "peak_inventory": on_hand.max(axis=1),
        "backorders": owed.mean(axis=1), "stockout_days": stockout.sum(axis=1).astype(float),
        "demand": node_demand, "fill_rate": node_fill,
    }

    d = model.bucket_days
    ends = np.arange(model.periods) * d + d - 1
    per = np.arange(D) // d
    period_demand = np.zeros(model.periods)
    period_filled = np.zeros(model.periods)
    np.add.at(period_demand, per, demand.sum(axis=0))
    np.add.at(period_filled, per, rec.filled.sum(axis=0))
    series = {"inventory": rec.on_hand[:, ends], "backlog": rec.cust_backlog[:, ends],
              "demand": period_demand, "filled": period_filled}

    f = rec.flows
    products = sorted(f.end_stock)
    initial = {p: 0.0 for p in products}
    for n in nodes:
        initial[n.product] += n.on_hand
    balance = {p: {"initial": initial[p], **{x: getattr(f, x)[p] for x in (
        "bought", "made", "consumed", "delivered", "end_stock", "in_transit", "wip")}}
        for p in products}
    for v in balance.values():
        v["imbalance"] = (v["initial"] + v["bought"] + v["made"] - v["consumed"] - v["delivered"]
                          - v["end_stock"] - v["in_transit"] - v["wip"])
    return Replication(kpis=k, sites=sites, series=series, balance=balance, events=rec.events)


def t_cdf(x: float, df: int) -> float:
    """CDF of Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4, exact series)."""
    theta = math.atan(x / math.sqrt(df))
    c2, sn = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd: A = (2/pi) (theta + sin cos (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        a = 2 / math.pi * (theta + sn * math.cos(theta) * total)
    else:  # even: A = sin (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ...)
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= c2 * (2 * k - 1) / (2 * k)
            total += term
        a = sn * total
    return 0.5 + a / 2


@functools.lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom: the Cornish-Fisher
    expansion (A&S 26.7.5) polished by bisection on :func:`t_cdf` (exact to 1e-10)."""
    if df < 1:
        return math.nan
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    z = NormalDist().inv_cdf(p)
    if df > 1000:
        return z
    v = float(df)
    g1 = (z ** 3 + z) / 4
    g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
    g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
    x = z + g1 / v + g2 / v ** 2 + g3 / v ** 3
    lo, hi = x - 0.5 - abs(x) * 0.2, x + 0.5 + abs(x) * 0.2
    for _ in range(60):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def interval(values, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, ci_low, ci_high, sd) of per-replication values (NaNs left out); the interval is
    the t interval of the mean, NaN with fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd
