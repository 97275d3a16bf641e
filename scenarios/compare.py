"""Comparing stored runs: KPIs per scenario with deltas against a baseline and confidence
intervals of the differences, costs by category, and what changed in the plans.

Differences are paired when the runs share their seed and number of replications: replication r
of every scenario then saw the same demand noise and the same transit-time draws (common random
numbers, :mod:`simulation.streams`), so the interval of the mean difference is the t interval of
the per-replication differences d_r = x_r(scenario) - x_r(baseline), far narrower than the
intervals of the two means would suggest. Otherwise the interval is Welch's (unpaired), and the
comparison says so.

Plan differences are at the level of planned orders, what an ERP would see: production (plant),
purchases (supplier -> destination) and transfers (shipments between plants and DCs), keyed by
(type, product, from, to) and summed per period. Against the baseline, an order in the same
period is *resized* when its quantity changed; orders left over on both sides are paired as
*moved* (at most ``max_shift`` periods apart; orders of the same quantity first, then the
nearest periods); the rest are *added* or *removed*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainlab.scenarios.store import RunError, StoredRun, find_runs
from chainlab.simulation.kpis import KPIS, interval, t_quantile

#: KPIs where more is better; for the others (costs, backorders, ...) less is better
HIGHER_IS_BETTER = frozenset({"fill_rate", "period_fill_rate", "otif", "cycle_service_level"})
#: KPIs that describe the input rather than how well the network did
NEUTRAL = frozenset({"demand"})
#: simulated cost KPIs, by category
COST_KPIS = ("production_cost", "purchase_cost", "transport_cost", "holding_cost",
             "backlog_cost", "lost_sales_cost", "fixed_cost")
#: KPIs shown first (the report's table, the CLI's)
MAIN_KPIS = ("fill_rate", "period_fill_rate", "otif", "cycle_service_level", "backorders",
             "stockout_days", "avg_inventory", "total_cost") + COST_KPIS
CHANGES = ("added", "removed", "moved", "resized")


@dataclass(frozen=True, repr=False)
class Comparison:
    """What :func:`compare` returns.

    - ``rows``: one row per scenario x KPI: ``value`` (mean) with ``value_ci_low/high``,
      ``delta`` (vs the baseline), ``delta_pct``, ``ci_low``/``ci_high`` (the interval of the
      difference), ``significant`` (the interval excludes 0), ``better`` (True, False, or None
      when not significant or neutral);
    - ``costs``: simulated cost by category (mean), one row per scenario; ``plan_costs``: the
      plan's own cost categories;
    - ``plans``: status, objective, gap of each scenario's plan;
    - ``plan_changes``: every changed order vs the baseline (scenario, change, type, product,
      from_site, to_site, period_before/after, date_before/after, quantity_before/after);
    - ``inventory`` and ``service``: per scenario and period, total end-of-period inventory
      and the fill rate, for charts.
    """

    baseline: str
    runs: tuple[StoredRun, ...]
    rows: pd.DataFrame
    costs: pd.DataFrame
    plan_costs: pd.DataFrame
    plans: pd.DataFrame
    plan_changes: pd.DataFrame
    inventory: pd.DataFrame
    service: pd.DataFrame
    paired: bool
    confidence: float
    currency: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scenarios(self) -> list[str]:
        return [r.name for r in self.runs]

    def table(self, kpis: Sequence[str] = MAIN_KPIS, column: str = "value") -> pd.DataFrame:
        """KPIs x scenarios of one column of :attr:`rows` (``value``, ``delta``, ...)."""
        t = self.rows.pivot(index="kpi", columns="scenario", values=column)
        return t.reindex(index=[k for k in kpis if k in t.index], columns=self.scenarios)

    def change_counts(self) -> pd.DataFrame:
        """Per scenario: how many orders were added, removed, moved, resized vs the baseline,
        and the units added and removed."""
        pc = self.plan_changes
        out = pd.DataFrame(0, index=pd.Index(self.scenarios, name="scenario"),
                           columns=list(CHANGES), dtype=int)
        if len(pc):
            counts = pc.groupby(["scenario", "change"]).size().unstack(fill_value=0)
            out.update(counts.reindex(columns=list(CHANGES), fill_value=0))
            q_after = pc["quantity_after"].fillna(0)
            q_before = pc["quantity_before"].fillna(0)
            net = (q_after - q_before).groupby(pc["scenario"]).sum()
            out["units_net"] = net.reindex(out.index, fill_value=0.0)
        else:
            out["units_net"] = 0.0
        return out.astype({c: int for c in CHANGES})

    def to_excel(self, path):
        """One workbook: ``kpis`` (the comparison rows), ``costs``, ``plans``, ``plan changes``
        (counts, then order by order), ``inventory`` and ``service``."""
        from chainlab.models.workbook import money_units, write_workbook

        return write_workbook(path, {
            "kpis": self.rows, "costs": self.costs.rename_axis("scenario"),
            "plan costs": self.plan_costs.rename_axis("scenario"), "plans": self.plans,
            "plan change counts": self.change_counts().rename_axis("scenario"),
            "plan changes": self.plan_changes, "inventory": self.inventory,
            "service": self.service}, money_units(self.currency))

    def as_dict(self) -> dict:
        """The JSON form (CONTRACTS §3): ``baseline`` and ``rows`` [{scenario, kpi, value,
        delta, ci_low, ci_high, ...}], plus costs, plans, plan changes and notes."""
        def clean(v):
            if isinstance(v, (float, np.floating)):
                return None if not math.isfinite(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        def records(df):
            return [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]

        counts = self.change_counts()
        return {
            "baseline": self.baseline,
            "scenarios": self.scenarios,
            "paired": self.paired,
            "confidence": self.confidence,
            "currency": self.currency,
            "rows": records(self.rows),
            "costs": {s: {k: clean(v) for k, v in r.items()}
                      for s, r in self.costs.to_dict("index").items()},
            "plan_costs": {s: {k: clean(v) for k, v in r.items()}
                           for s, r in self.plan_costs.to_dict("index").items()},
            "plans": records(self.plans.reset_index()),
            "plan_changes": {s: {k: clean(v) for k, v in r.items()}
                             for s, r in counts.to_dict("index").items()},
            "runs": {r.name: str(r.path) for r in self.runs},
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        t = self.table(("fill_rate", "total_cost"), "delta")
        parts = [f"{s}: " + ", ".join(f"{k} {t.at[k, s]:+,.3g}" for k in t.index)
                 for s in self.scenarios if s != self.baseline]
        return (f"<Comparison of {len(self.runs)} runs vs {self.baseline!r} "
                f"({'paired' if self.paired else 'unpaired'}): " + "; ".join(parts) + ">")


def difference_interval(x, y, confidence: float = 0.95, paired: bool = True
                        ) -> tuple[float, float, float]:
    """(mean difference, ci_low, ci_high) of x - y from per-replication values: the t
    interval of the paired differences (replications where either is NaN left out), or
    Welch's interval when ``paired`` is False."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if paired:
        d = x - y
        mean, lo, hi, _ = interval(d, confidence)
        if not math.isnan(mean) and np.all(d[~np.isnan(d)] == d[~np.isnan(d)][0]):
            lo = hi = mean  # identical differences in every replication (often all 0)
        return mean, lo, hi
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if not len(x) or not len(y):
        return math.nan, math.nan, math.nan
    mean = float(x.mean() - y.mean())
    if len(x) < 2 or len(y) < 2:
        return mean, math.nan, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return mean, mean, mean
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    half = t_quantile(0.5 + confidence / 2, max(1, int(df))) * se
    return mean, mean - half, mean + half


def compare(runs: Sequence, baseline: str | None = None, confidence: float = 0.95,
            max_shift: int = 4) -> Comparison:
    """Compare runs (:class:`StoredRun` objects, run folders, or folders of runs).

    ``baseline``: the name of the run the others are compared with; default the run named
    ``baseline``, else the first. ``max_shift``: how many periods apart two orders may be and
    still count as one order moved.
    """
    runs = [x for r in runs for x in ([r] if isinstance(r, StoredRun) else find_runs([r]))]
    if not runs:
        raise RunError("nothing to compare: give at least one run")
    names = [r.name for r in runs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RunError(f"runs of the same scenario name: {', '.join(dup)} "
                       f"({', '.join(str(r.path) for r in runs if r.name in dup)}); compare "
                       f"one run per scenario")
    if baseline is None:
        baseline = "baseline" if "baseline" in names else names[0]
    if baseline not in names:
        raise RunError(f"baseline {baseline!r} is not among the runs ({', '.join(names)})")
    base = runs[names.index(baseline)]
    notes = []
    paired = all(r.seed == base.seed and r.n == base.n for r in runs)
    if not paired:
        notes.append("the runs differ in seed or number of replications, so their differences "
                     "are not paired on common random numbers: intervals are Welch's "
                     "(wider); rerun with one --seed and --replications to pair them")
    demand = {r.manifest.get("demand") for r in runs}
    if len(demand) > 1:
        notes.append("some runs take demand from the CRM model and others from demand.csv; "
                     "their demand noise is not common")
    for r in runs:
        if r.manifest["plan"]["status"] != "optimal":
            notes.append(f"{r.name}: the plan is {r.manifest['plan']['status']} (gap "
                         f"{r.manifest['plan']['gap']}), not proven optimal")

    rows = []
    for r in runs:
        k = r.kpis
        for kpi in KPIS:
            if kpi not in k.index:
                continue
            value = float(k.at[kpi, "mean"])
            if r is base:
                delta, lo, hi = 0.0, 0.0, 0.0
            elif kpi not in base.replications.columns:  # a run from before the KPI existed
                delta, lo, hi = math.nan, math.nan, math.nan
            else:
                delta, lo, hi = difference_interval(
                    r.replications[kpi].to_numpy(), base.replications[kpi].to_numpy(),
                    confidence, paired)
            b = float(base.kpis.at[kpi, "mean"]) if kpi in base.kpis.index else math.nan
            sig = bool(not math.isnan(lo) and (lo > 0 or hi < 0))
            better = None
            if sig and kpi not in NEUTRAL:
                better = (delta > 0) == (kpi in HIGHER_IS_BETTER)
            rows.append({"scenario": r.name, "kpi": kpi, "unit": KPIS[kpi][0], "value": value,
                         "value_ci_low": float(k.at[kpi, "ci_low"]),
                         "value_ci_high": float(k.at[kpi, "ci_high"]),
                         "delta": delta,
                         "delta_pct": delta / abs(b) if b and not math.isnan(b) else math.nan,
                         "ci_low": lo, "ci_high": hi, "significant": sig, "better": better})
    table = pd.DataFrame(rows)

    costs = pd.DataFrame({r.name: {c: float(r.kpis.at[c, "mean"]) for c in COST_KPIS
                                   if c in r.kpis.index} for r in runs}).T
    costs.index.name = "scenario"
    plan_costs = pd.DataFrame({r.name: r.plan_costs for r in runs}).T.fillna(0.0)
    plan_costs.index.name = "scenario"
    plans = pd.DataFrame([{"scenario": r.name, "status": r.manifest["plan"]["status"],
                           "objective": r.manifest["plan"]["objective"],
                           "gap": r.manifest["plan"]["gap"],
                           "backend": r.manifest["plan"].get("backend"),
                           "seed": r.seed, "replications": r.n,
                           "seconds": r.manifest["timings"].get("total")}
                          for r in runs]).set_index("scenario")

    base_orders = plan_orders(base)
    changes = [diff_orders(base_orders, plan_orders(r), max_shift).assign(scenario=r.name)
               for r in runs if r is not base]
    plan_changes = (pd.concat(changes, ignore_index=True) if changes else _empty_changes())
    plan_changes = plan_changes[["scenario"] + [c for c in plan_changes.columns
                                                if c != "scenario"]]

    inventory = pd.concat([_inventory(r) for r in runs], ignore_index=True)
    service = pd.concat([r.service.assign(scenario=r.name) for r in runs], ignore_index=True)
    currency = _currency(base)
    return Comparison(baseline, tuple(runs), table, costs, plan_costs, plans, plan_changes,
                      inventory, service, paired, confidence, currency, tuple(notes))


def _currency(run: StoredRun) -> str:
    p = run.path / "plan" / "summary.json"
    try:
        import json

        return json.loads(p.read_text(encoding="utf-8")).get("currency", "")
    except (OSError, ValueError):
        return ""


def _inventory(run: StoredRun) -> pd.DataFrame:
    s = run.series
    if s.empty:
        return pd.DataFrame(columns=["scenario", "period", "date", "inventory", "backlog"])
    g = s.groupby(["period"], sort=True).agg(date=("date", "first"),
                                              inventory=("inventory", "sum"),
                                              backlog=("backlog", "sum")).reset_index()
    return g.assign(scenario=run.name)


# ---------------------------------------------------------------- plan differences

ORDER_COLUMNS = ["type", "product", "from_site", "to_site", "period", "date", "quantity"]


def plan_orders(run: StoredRun) -> pd.DataFrame:
    """The planned orders of a run's plan: production, purchase and transfer (shipments that
    neither leave a supplier nor reach a customer), summed per (type, product, from, to,
    period)."""
    parts = []
    prod = run.plan_table("production")
    if len(prod):
        parts.append(pd.DataFrame({"type": "production", "product": prod["product"],
                                   "from_site": prod["plant"], "to_site": prod["plant"],
                                   "period": prod["period"], "date": prod["date"],
                                   "quantity": prod["quantity"]}))
    pur = run.plan_table("purchases")
    if len(pur):
        parts.append(pd.DataFrame({"type": "purchase", "product": pur["product"],
                                   "from_site": pur["supplier"], "to_site": pur["destination"],
                                   "period": pur["period"], "date": pur["date"],
                                   "quantity": pur["quantity"]}))
    ship = run.plan_table("shipments")
    if len(ship):
        customers = set(run.plan_table("backlog")["customer"].astype(str))
        suppliers = set(pur["supplier"].astype(str)) if len(pur) else set()
        keep = ~ship["destination"].astype(str).isin(customers) & \
            ~ship["origin"].astype(str).isin(suppliers)
        s = ship[keep]
        parts.append(pd.DataFrame({"type": "transfer", "product": s["product"],
                                   "from_site": s["origin"], "to_site": s["destination"],
                                   "period": s["period"], "date": s["date"],
                                   "quantity": s["quantity"]}))
    if not parts:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    df = pd.concat(parts, ignore_index=True)
    df = df[df["quantity"] > 1e-9]
    return (df.groupby(ORDER_COLUMNS[:5], sort=True)
            .agg(date=("date", "first"), quantity=("quantity", "sum")).reset_index())


def _empty_changes() -> pd.DataFrame:
    return pd.DataFrame(columns=["scenario", "change", "type", "product", "from_site",
                                 "to_site", "period_before", "period_after", "date_before",
                                 "date_after", "quantity_before", "quantity_after"])


def diff_orders(before: pd.DataFrame, after: pd.DataFrame, max_shift: int = 4,
                tol: float = 1e-6) -> pd.DataFrame:
    """Orders of ``after`` against ``before`` (both from :func:`plan_orders`): one row per
    changed order (see the module docstring); unchanged orders are left out."""
    key = ["type", "product", "from_site", "to_site"]
    out = []
    b_groups = {k: g for k, g in before.groupby(key, sort=False)} if len(before) else {}
    a_groups = {k: g for k, g in after.groupby(key, sort=False)} if len(after) else {}

    def row(k, change, pb=None, pa=None, db=None, da=None, qb=None, qa=None):
        out.append({"change": change, **dict(zip(key, k)), "period_before": pb,
                    "period_after": pa, "date_before": db, "date_after": da,
                    "quantity_before": qb, "quantity_after": qa})

    for k in sorted(set(b_groups) | set(a_groups), key=lambda t: tuple(map(str, t))):
        gb, ga = b_groups.get(k), a_groups.get(k)
        b = {} if gb is None else {int(p): (d, float(q)) for p, d, q in
                                   zip(gb["period"], gb["date"], gb["quantity"])}
        a = {} if ga is None else {int(p): (d, float(q)) for p, d, q in
                                   zip(ga["period"], ga["date"], ga["quantity"])}
        for p in sorted(set(a) & set(b)):
            (db, qb), (da, qa) = b[p], a[p]
            if abs(qa - qb) > tol * max(1.0, abs(qb)):
                row(k, "resized", p, p, db, da, qb, qa)
        left_b = sorted(set(b) - set(a))
        left_a = sorted(set(a) - set(b))
        # pair leftovers: orders of the same quantity first, then by nearest period, then
        # by nearest quantity
        pairs = sorted((abs(a[pa][1] - b[pb][1]) > tol * max(1.0, abs(b[pb][1])),
                         abs(pa - pb), abs(a[pa][1] - b[pb][1]), pb, pa)
                        for pb in left_b for pa in left_a if abs(pa - pb) <= max_shift)
        used_b, used_a = set(), set()
        for *_, pb, pa in pairs:
            if pb in used_b or pa in used_a:
                continue
            used_b.add(pb)
            used_a.add(pa)
            row(k, "moved", pb, pa, b[pb][0], a[pa][0], b[pb][1], a[pa][1])
        for pb in left_b:
            if pb not in used_b:
                row(k, "removed", pb, None, b[pb][0], None, b[pb][1], None)
        for pa in left_a:
            if pa not in used_a:
                row(k, "added", None, pa, None, a[pa][0], None, a[pa][1])
    if not out:
        return _empty_changes().drop(columns="scenario")
    df = pd.DataFrame(out)
    for c in ("period_before", "period_after"):
        df[c] = df[c].astype("Int64")
    return df
