"""The comparison as one self-contained HTML file: it opens offline, fetches nothing, and its
charts are inline SVG drawn here (no JavaScript).

Sections: the runs (seed, replications, plan), the KPI table (each scenario's value with its
interval, and its difference from the baseline with the interval of the difference, green when
significantly better, red when significantly worse), the differences as a forest plot, cost by
category (simulated, stacked bars, and the plan's own costs), service against cost, inventory
and fill rate over time, and the plan changes (orders added, removed, moved, resized).
"""

from __future__ import annotations

import html
import math
import numbers
from pathlib import Path

import pandas as pd

from chainlab.models.files import atomic_write_text
from chainlab.scenarios.compare import CHANGES, COST_KPIS, MAIN_KPIS, Comparison
from chainlab.scenarios.executor import chainlab_version
from chainlab.scenarios.store import now

#: one colour per scenario (Tableau 10), and per cost category
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
GOOD, BAD = "#1a7f37", "#c62828"


def write_report(c: Comparison, path, title: str | None = None) -> Path:
    """Write :func:`render` to ``path`` (via a temporary file, so a reader never sees half a
    report)."""
    return atomic_write_text(path, render(c, title))


def render(c: Comparison, title: str | None = None) -> str:
    """The report as one HTML document."""
    title = title or f"Scenario comparison: {', '.join(c.scenarios)}"
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(c.scenarios)}
    parts = [
        _head(title),
        f"<h1>{_e(title)}</h1>",
        f"<p class=meta>Baseline <b>{_e(c.baseline)}</b>; {_e(_paired_text(c))}. "
        f"Generated {_e(now())} by chainlab {_e(chainlab_version())}.</p>",
        "".join(f"<p class=note>{_e(n)}</p>" for n in c.notes),
        _runs_table(c, colors),
        "<h2>Key figures</h2>",
        _kpi_table(c),
        "<h2>Differences from the baseline</h2>",
        f"<p class=meta>Mean difference per replication with its {c.confidence:.0%} "
        f"interval; green: significantly better, red: significantly worse, grey: not "
        f"significant.</p>",
        _forest(c),
        "<h2>Cost by category</h2>",
        _cost_chart(c),
        _cost_tables(c),
        "<h2>Service and cost</h2>",
        _service_vs_cost(c, colors),
        "<h2>Over time</h2>",
        _time_chart(c.inventory, "inventory", "units on hand, end of period (mean)",
                    colors, c.scenarios, fmt=_fmt_units),
        _time_chart(c.service, "fill_rate", "fill rate per period (mean)", colors,
                    c.scenarios, fmt=lambda v: f"{v:.2f}", ylim=(None, 1.0)),
        "<h2>Plan changes</h2>",
        _changes(c),
        "</main></body></html>",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------- text helpers


def _e(v) -> str:
    return html.escape(str(v), quote=True)


def _paired_text(c: Comparison) -> str:
    if c.paired:
        return ("differences are paired on common random numbers (same seed and "
                "replications)")
    return "differences are not paired (seeds or replications differ): Welch intervals"


def _finite(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _fmt_units(v) -> str:
    if not _finite(v):
        return "–"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:,.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:,.1f}k"
    return f"{v:,.0f}" if a >= 100 else f"{v:,.1f}"


def _fmt(unit: str):
    if unit == "share":
        return lambda v: f"{v:.3f}" if _finite(v) else "–"
    return _fmt_units


def _fmt_delta(unit: str):
    if unit == "share":
        return lambda v: f"{v:+.3f}" if _finite(v) else "–"

    def fmt(v):
        if _finite(v) and abs(v) < 0.05:
            return "0"
        return ("+" if _finite(v) and v > 0 else "") + _fmt_units(v)

    return fmt


def _head(title: str) -> str:
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>
body {{ font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 0; background: #fafafa; }}
main {{ max-width: 1180px; margin: 0 auto; padding: 24px; background: #fff; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }}
h2 {{ font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }}
.meta {{ color: #555; margin: 4px 0; }}
.note {{ background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; margin: 6px 0; }}
table {{ border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }}
th, td {{ border-bottom: 1px solid #e4e4e4; padding: 4px 10px; text-align: right;
         vertical-align: top; }}
th {{ background: #f3f3f3; font-weight: 600; }}
td.l, th.l {{ text-align: left; }}
.d {{ display: block; font-size: 12px; color: #666; }}
.good {{ color: {GOOD}; font-weight: 600; }}
.bad {{ color: {BAD}; font-weight: 600; }}
.ci {{ color: #888; font-size: 12px; }}
.sw {{ display: inline-block; width: 10px; height: 10px; border-radius: 2px;
      margin-right: 6px; }}
svg {{ display: block; margin: 8px 0 16px; max-width: 100%; height: auto; }}
svg text {{ font: 11px system-ui, sans-serif; fill: #333; }}
details {{ margin: 6px 0; }}
summary {{ cursor: pointer; }}
</style></head><body><main>"""


# ---------------------------------------------------------------- tables


def _runs_table(c: Comparison, colors: dict) -> str:
    rows = []
    for r in c.runs:
        m = r.manifest
        p = m["plan"]
        gap = p.get("gap")
        rows.append(
            f"<tr><td class=l><span class=sw style='background:{colors[r.name]}'></span>"
            f"<b>{_e(r.name)}</b>{' (baseline)' if r.name == c.baseline else ''}"
            f"{'<span class=d>' + _e(m['description']) + '</span>' if m.get('description') else ''}"
            f"</td><td class=l>{_e(p['status'])}</td><td>{_fmt_units(p.get('objective'))}</td>"
            f"<td>{'–' if not _finite(gap) else f'{gap:.2%}'}</td>"
            f"<td>{r.seed}</td><td>{r.n}</td>"
            f"<td>{m['timings'].get('total', 0):.1f}</td>"
            f"<td class=l><code>{_e(r.path)}</code></td></tr>")
    return ("<table><tr><th class=l>scenario</th><th class=l>plan</th><th>objective "
            f"({_e(c.currency)})</th><th>gap</th><th>seed</th><th>replications</th>"
            "<th>seconds</th><th class=l>run folder</th></tr>" + "".join(rows) + "</table>")


def _kpi_table(c: Comparison) -> str:
    rows = c.rows.set_index(["kpi", "scenario"])
    head = "<tr><th class=l>KPI</th>" + "".join(
        f"<th>{_e(s)}{' (baseline)' if s == c.baseline else ''}</th>" for s in c.scenarios)
    out = [f"<table>{head}</tr>"]
    for kpi in MAIN_KPIS:
        if (kpi, c.baseline) not in rows.index:
            continue
        unit = rows.at[(kpi, c.baseline), "unit"]
        f, fd = _fmt(unit), _fmt_delta(unit)
        cells = []
        for s in c.scenarios:
            if (kpi, s) not in rows.index:  # a run stored before the KPI existed
                cells.append("<td>–</td>")
                continue
            r = rows.loc[(kpi, s)]
            v = (f"{f(r['value'])} <span class=ci>[{f(r['value_ci_low'])}, "
                 f"{f(r['value_ci_high'])}]</span>")
            if s != c.baseline:
                cls = {True: "good", False: "bad"}.get(r["better"], "")
                pct = (f" ({r['delta_pct']:+.1%})" if _finite(r["delta_pct"]) and unit != "share"
                       else "")
                v += (f"<span class='d {cls}'>{fd(r['delta'])}{pct} "
                      f"[{fd(r['ci_low'])}, {fd(r['ci_high'])}]</span>")
            cells.append(f"<td>{v}</td>")
        out.append(f"<tr><td class=l>{_e(kpi.replace('_', ' '))} <span class=ci>"
                   f"{_e(unit)}</span></td>{''.join(cells)}</tr>")
    out.append("</table>")
    return "".join(out)


def _cost_tables(c: Comparison) -> str:
    pc = c.plan_costs
    if pc.empty:
        return ""
    cols = [k for k in pc.columns if (pc[k].abs() > 1e-9).any()]
    head = "".join(f"<th>{_e(k.replace('_', ' '))}</th>" for k in cols)
    body = "".join(
        f"<tr><td class=l>{_e(s)}</td>" + "".join(f"<td>{_fmt_units(pc.at[s, k])}</td>"
                                                 for k in cols)
        + f"<td><b>{_fmt_units(pc.loc[s, cols].sum())}</b></td></tr>" for s in pc.index)
    return (f"<details><summary>The plans' own costs by category ({_e(c.currency)}; the "
            f"planner's objective terms, penalties included)</summary><table><tr><th "
            f"class=l>scenario</th>{head}<th>total</th></tr>{body}</table></details>")


def _changes(c: Comparison) -> str:
    counts = c.change_counts()
    head = "".join(f"<th>{x}</th>" for x in CHANGES)
    body = "".join(
        f"<tr><td class=l>{_e(s)}</td>" + "".join(f"<td>{int(counts.at[s, x])}</td>"
                                                 for x in CHANGES)
        + f"<td>{_fmt_delta('units')(counts.at[s, 'units_net'])}</td></tr>"
        for s in c.scenarios if s != c.baseline)
    if not body:
        return "<p class=meta>Only one run: nothing to compare the plan with.</p>"
    out = [f"<p class=meta>Planned orders (production, purchases, transfers) against the "
           f"baseline's plan, per (type, product, from, to) and period.</p><table><tr><th "
           f"class=l>scenario</th>{head}<th>net units</th></tr>{body}</table>"]
    pc = c.plan_changes
    for s in c.scenarios:
        if s == c.baseline:
            continue
        d = pc[pc["scenario"] == s].copy()
        if d.empty:
            out.append(f"<p class=meta>{_e(s)}: the same orders as the baseline.</p>")
            continue
        d["size"] = (d["quantity_after"].fillna(0) - d["quantity_before"].fillna(0)).abs()
        d.loc[d["change"] == "moved", "size"] = d["quantity_before"].fillna(0)
        d = d.sort_values("size", ascending=False, kind="stable").head(40)
        rows = "".join(
            f"<tr><td class=l>{_e(r.change)}</td><td class=l>{_e(r.type)}</td>"
            f"<td class=l>{_e(r.product)}</td><td class=l>{_e(r.from_site)}</td>"
            f"<td class=l>{_e(r.to_site)}</td><td>{_e(_opt(r.date_before))}</td>"
            f"<td>{_e(_opt(r.date_after))}</td><td>{_fmt_units(_num(r.quantity_before))}</td>"
            f"<td>{_fmt_units(_num(r.quantity_after))}</td></tr>" for r in d.itertuples())
        n = int((pc["scenario"] == s).sum())
        out.append(f"<details><summary>{_e(s)}: {n} changed order(s); the largest "
                   f"{min(n, 40)}</summary><table><tr><th class=l>change</th><th "
                   f"class=l>type</th><th class=l>product</th><th class=l>from</th><th "
                   f"class=l>to</th><th>date before</th><th>date after</th><th>quantity "
                   f"before</th><th>quantity after</th></tr>{rows}</table></details>")
    return "".join(out)


def _opt(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


# ---------------------------------------------------------------- charts


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (_finite(lo) and _finite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out, v = [], first
    while v <= hi + step * 1e-9:
        out.append(round(v, 12))
        v += step
    return out


class _Scale:
    def __init__(self, lo, hi, a, b, pad: float = 0.0):
        if not (_finite(lo) and _finite(hi)):
            lo, hi = 0.0, 1.0
        if hi <= lo:
            lo, hi = lo - (abs(lo) * 0.1 or 0.5), hi + (abs(hi) * 0.1 or 0.5)
        span = hi - lo
        self.lo, self.hi = lo - pad * span, hi + pad * span
        self.a, self.b = a, b

    def __call__(self, v: float) -> float:
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def ticks(self, n: int = 5) -> list[float]:
        return [t for t in _ticks(self.lo, self.hi, n) if self.lo - 1e-9 <= t <= self.hi + 1e-9]


def _svg(w: int, h: int, body: str, label: str) -> str:
    return (f"<svg viewBox='0 0 {w} {h}' width='{w}' "
            f"height='{h}' role='img' aria-label='{_e(label)}'>{body}</svg>")


def _legend(names, colors: dict, x: float, y: float) -> str:
    out = []
    for i, s in enumerate(names):
        yy = y + i * 16
        out.append(f"<rect x='{x}' y='{yy - 9}' width='10' height='10' rx='2' "
                   f"fill='{colors[s]}'/><text x='{x + 15}' y='{yy}'>{_e(s)}</text>")
    return "".join(out)


def _forest(c: Comparison) -> str:
    """Differences with their intervals, one panel per KPI, one line per scenario."""
    others = [s for s in c.scenarios if s != c.baseline]
    if not others:
        return "<p class=meta>Only one run.</p>"
    rows = c.rows.set_index(["kpi", "scenario"])
    # KPIs every run has (runs stored before a KPI existed lack it)
    kpis = [k for k in ("fill_rate", "period_fill_rate", "otif", "backorders", "avg_inventory",
                        "total_cost")
            if all((k, s) in rows.index for s in c.scenarios)]
    label_w, panel_w, row_h = 150, 190, 20
    w = label_w + panel_w * len(kpis) + 10
    h = 40 + row_h * len(others) + 30
    body = []
    for j, kpi in enumerate(kpis):
        x0 = label_w + j * panel_w + 10
        vals = [rows.loc[(kpi, s)] for s in others]
        lo = min([0.0] + [v["ci_low"] for v in vals if _finite(v["ci_low"])]
                 + [v["delta"] for v in vals if _finite(v["delta"])])
        hi = max([0.0] + [v["ci_high"] for v in vals if _finite(v["ci_high"])]
                 + [v["delta"] for v in vals if _finite(v["delta"])])
        sx = _Scale(lo, hi, x0, x0 + panel_w - 30, pad=0.08)
        unit = rows.at[(kpi, c.baseline), "unit"]
        fd = _fmt_delta(unit)
        body.append(f"<text x='{x0 + (panel_w - 30) / 2}' y='16' text-anchor='middle' "
                    f"font-weight='600'>Δ {_e(kpi.replace('_', ' '))}</text>")
        zero = sx(0.0)
        body.append(f"<line x1='{zero:.1f}' y1='26' x2='{zero:.1f}' y2='{h - 24}' "
                    f"stroke='#999' stroke-dasharray='3 3'/>")
        for t in sx.ticks(3):
            body.append(f"<text x='{sx(t):.1f}' y='{h - 8}' text-anchor='middle' "
                        f"fill='#777'>{_e(fd(t))}</text>")
        for i, (s, v) in enumerate(zip(others, vals)):
            y = 40 + i * row_h
            color = {True: GOOD, False: BAD}.get(v["better"], "#888")
            if _finite(v["ci_low"]) and _finite(v["ci_high"]):
                body.append(f"<line x1='{sx(v['ci_low']):.1f}' y1='{y}' "
                            f"x2='{sx(v['ci_high']):.1f}' y2='{y}' stroke='{color}' "
                            f"stroke-width='2'/>")
            if _finite(v["delta"]):
                body.append(f"<circle cx='{sx(v['delta']):.1f}' cy='{y}' r='4' "
                            f"fill='{color}'><title>{_e(s)}: {_e(fd(v['delta']))} "
                            f"[{_e(fd(v['ci_low']))}, {_e(fd(v['ci_high']))}]</title>"
                            f"</circle>")
    for i, s in enumerate(others):
        body.append(f"<text x='4' y='{44 + i * row_h}'>{_e(s)}</text>")
    return _svg(w, h, "".join(body), "differences from the baseline")


def _cost_chart(c: Comparison) -> str:
    """Simulated cost by category: one stacked horizontal bar per scenario."""
    costs = c.costs.reindex(c.scenarios).fillna(0.0)
    cats = [k for k in COST_KPIS if k in costs.columns and (costs[k].abs() > 1e-9).any()]
    if not cats:
        return ""
    cat_colors = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(cats)}
    label_w, bar_h, gap = 150, 22, 10
    w, plot_w = 900, 560
    h = 30 + len(costs) * (bar_h + gap) + 30
    total = float(costs[cats].clip(lower=0).sum(axis=1).max()) or 1.0
    sx = _Scale(0.0, total, label_w, label_w + plot_w)
    body = []
    for t in sx.ticks(5):
        x = sx(t)
        body.append(f"<line x1='{x:.1f}' y1='24' x2='{x:.1f}' y2='{h - 26}' stroke='#eee'/>"
                    f"<text x='{x:.1f}' y='{h - 10}' text-anchor='middle' fill='#777'>"
                    f"{_e(_fmt_units(t))}</text>")
    for i, s in enumerate(costs.index):
        y = 28 + i * (bar_h + gap)
        x = label_w
        body.append(f"<text x='4' y='{y + bar_h * 0.7:.1f}'>{_e(s)}</text>")
        for k in cats:
            v = max(0.0, float(costs.at[s, k]))
            bw = sx(v) - label_w
            if bw > 0:
                body.append(f"<rect x='{x:.1f}' y='{y}' width='{bw:.1f}' height='{bar_h}' "
                            f"fill='{cat_colors[k]}'><title>{_e(s)}: {_e(k.replace('_', ' '))} "
                            f"{_e(_fmt_units(v))} {_e(c.currency)}</title></rect>")
            x += bw
        tot = float(costs.loc[s, cats].sum())
        body.append(f"<text x='{x + 6:.1f}' y='{y + bar_h * 0.7:.1f}'>"
                    f"{_e(_fmt_units(tot))}</text>")
    body.append(_legend([k for k in cats], {k: cat_colors[k] for k in cats},
                        label_w + plot_w + 70, 36).replace("_cost<", "<")
                .replace("_", " "))
    return _svg(w, h, "".join(body), "simulated cost by category")


def _service_vs_cost(c: Comparison, colors: dict) -> str:
    """Fill rate against total cost, each with its interval."""
    rows = c.rows.set_index(["kpi", "scenario"])
    if ("fill_rate", c.baseline) not in rows.index or ("total_cost", c.baseline) not in rows.index:
        return ""
    pts = []
    for s in c.scenarios:
        fr, tc = rows.loc[("fill_rate", s)], rows.loc[("total_cost", s)]
        pts.append((s, tc["value"], tc["value_ci_low"], tc["value_ci_high"], fr["value"],
                    fr["value_ci_low"], fr["value_ci_high"]))
    xs = [v for p in pts for v in p[1:4] if _finite(v)]
    ys = [v for p in pts for v in p[4:7] if _finite(v)]
    w, h, left, right, top, bottom = 720, 380, 70, 170, 20, 50
    sx = _Scale(min(xs, default=0), max(xs, default=1), left, w - right, pad=0.08)
    sy = _Scale(min(ys, default=0), max(ys, default=1), h - bottom, top, pad=0.08)
    body = [f"<rect x='{left}' y='{top}' width='{w - left - right}' "
            f"height='{h - top - bottom}' fill='none' stroke='#ccc'/>"]
    for t in sx.ticks(5):
        body.append(f"<line x1='{sx(t):.1f}' y1='{top}' x2='{sx(t):.1f}' y2='{h - bottom}' "
                    f"stroke='#f0f0f0'/><text x='{sx(t):.1f}' y='{h - bottom + 16}' "
                    f"text-anchor='middle' fill='#777'>{_e(_fmt_units(t))}</text>")
    for t in sy.ticks(5):
        body.append(f"<line x1='{left}' y1='{sy(t):.1f}' x2='{w - right}' y2='{sy(t):.1f}' "
                    f"stroke='#f0f0f0'/><text x='{left - 6}' y='{sy(t) + 4:.1f}' "
                    f"text-anchor='end' fill='#777'>{t:.3g}</text>")
    body.append(f"<text x='{(left + w - right) / 2}' y='{h - 12}' text-anchor='middle'>total "
                f"cost ({_e(c.currency)}, simulated mean with {c.confidence:.0%} CI)</text>")
    body.append(f"<text x='14' y='{(top + h - bottom) / 2}' text-anchor='middle' "
                f"transform='rotate(-90 14 {(top + h - bottom) / 2})'>fill rate</text>")
    for i, (s, x, xl, xh, y, yl, yh) in enumerate(pts):
        col = colors[s]
        if _finite(xl) and _finite(xh):
            body.append(f"<line x1='{sx(xl):.1f}' y1='{sy(y):.1f}' x2='{sx(xh):.1f}' "
                        f"y2='{sy(y):.1f}' stroke='{col}' stroke-width='1.5'/>")
        if _finite(yl) and _finite(yh):
            body.append(f"<line x1='{sx(x):.1f}' y1='{sy(yl):.1f}' x2='{sx(x):.1f}' "
                        f"y2='{sy(yh):.1f}' stroke='{col}' stroke-width='1.5'/>")
        dy = -7 if i % 2 == 0 else 15
        body.append(f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='5' fill='{col}'>"
                    f"<title>{_e(s)}: fill rate {y:.3f}, total cost {_e(_fmt_units(x))}"
                    f"</title></circle><text x='{sx(x) + 7:.1f}' y='{sy(y) + dy:.1f}'>"
                    f"{_e(s)}</text>")
    body.append(f"<text x='{w - right + 12}' y='{top + 12}' fill='#777'>better: up and left</text>")
    return _svg(w, h, "".join(body), "fill rate against total cost")


def _time_chart(df: pd.DataFrame, column: str, label: str, colors: dict, names,
                fmt=_fmt_units, ylim=(None, None)) -> str:
    """One line per scenario of ``column`` per period."""
    if df is None or df.empty or column not in df.columns:
        return ""
    df = df.copy()
    df[column] = pd.to_numeric(df[column], errors="coerce")
    if "period" not in df.columns:
        df["period"] = df.groupby("scenario").cumcount()
    vals = df[column].dropna()
    if vals.empty:
        return ""
    w, h, left, right, top, bottom = 860, 300, 70, 170, 24, 46
    periods = sorted(df["period"].dropna().astype(int).unique())
    sx = _Scale(min(periods), max(periods), left, w - right)
    lo = float(vals.min()) if ylim[0] is None else ylim[0]
    hi = float(vals.max()) if ylim[1] is None else max(ylim[1], float(vals.max()))
    sy = _Scale(lo, hi, h - bottom, top, pad=0.04)
    body = [f"<text x='{left}' y='14' font-weight='600'>{_e(label)}</text>",
            f"<rect x='{left}' y='{top}' width='{w - left - right}' height='{h - top - bottom}' "
            f"fill='none' stroke='#ccc'/>"]
    for t in sy.ticks(5):
        body.append(f"<line x1='{left}' y1='{sy(t):.1f}' x2='{w - right}' y2='{sy(t):.1f}' "
                    f"stroke='#f0f0f0'/><text x='{left - 6}' y='{sy(t) + 4:.1f}' "
                    f"text-anchor='end' fill='#777'>{_e(fmt(t))}</text>")
    dates = df.drop_duplicates("period").set_index("period").get("date")
    step = max(1, len(periods) // 8)
    for p in periods[::step]:
        lab = str(dates.get(p, p)) if dates is not None else str(p)
        body.append(f"<text x='{sx(p):.1f}' y='{h - bottom + 16}' text-anchor='middle' "
                    f"fill='#777'>{_e(lab)}</text>")
    for s in names:
        d = df[df["scenario"] == s].sort_values("period")
        pts = [(sx(p), sy(v)) for p, v in zip(d["period"], d[column]) if _finite(v)]
        if not pts:
            continue
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(pts))
        body.append(f"<path d='{path}' fill='none' stroke='{colors[s]}' stroke-width='2'>"
                    f"<title>{_e(s)}</title></path>")
    body.append(_legend(names, colors, w - right + 14, top + 10))
    return _svg(w, h, "".join(body), label)
