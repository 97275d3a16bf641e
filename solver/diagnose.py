"""Why a plan is infeasible: an elastic re-solve, and the lead-time and route facts behind it.

The elastic variant of the model (``solver.model.build(..., elastic=True)``) lets demand go unmet
and storage and end-of-horizon floors be violated, at a cost of 1 per unit, and drops every other
cost, so its optimum is the least violation the hard constraints force. Its solution names the
demand that cannot be met; the duals of its capacity rows (one more unit of capacity meets that
many more units of demand) name what binds it. A MILP's elastic solution is re-solved as an LP
with its integer decisions fixed, to get those duals. Unmet demand that no route can bring, or
that is due before anything can arrive, is said so directly.
"""

from __future__ import annotations

import numpy as np

from chainlab.solver.backends.base import Capability
from chainlab.solver.data import STOCK_KINDS, PlanData
from chainlab.solver.model import build
from chainlab.solver.options import EndInventory, SolveOptions
from chainlab.solver.result import Bottleneck, Diagnosis, Shortfall
from chainlab.solver.solution import CAPACITY_ROWS, TOL, clean
from chainlab.solver.solve import solve_lp, with_fallback


def diagnose(data: PlanData, options: SolveOptions) -> Diagnosis:
    """A :class:`Diagnosis` of the infeasible model built from ``data`` and ``options``."""
    opts = options.replace(diagnose=False)
    m = build(data, opts, elastic=True)
    lp = m.lp.arrays()
    raw = solve_lp(lp, opts)
    if not raw.status.has_solution:
        return Diagnosis(note=f"the elastic re-solve found no answer either ({raw.status.value}:"
                              f" {raw.detail})")
    x = clean(raw.x, lp)
    duals = raw.duals
    if duals is None:
        # fix the integer decisions, solve the LP that is left for its duals
        fixed = m.pricing_lp(lp, x)
        lp_raw = solve_lp(fixed, opts.replace(backend=with_fallback(opts.backend,
                                                                    Capability.DUALS)))
        if lp_raw.status.has_solution:
            duals = lp_raw.duals
    dates = np.asarray(data.net.calendar.dates.strftime("%Y-%m-%d"))
    shortfalls = _shortfalls(m, x, dates)
    binding = _binding(m, lp, x, duals, dates, data.net.calendar.bucket)
    violations = _violations(m, x)
    note = ""
    if shortfalls and not binding and any(s.reason == "" for s in shortfalls):
        note = "no single capacity binds: the demand exceeds what the network can supply"
    return Diagnosis(tuple(shortfalls), tuple(binding), tuple(violations), note)


def _shortfalls(m, x, dates) -> list[Shortfall]:
    b = m.lp.variables.get("lost")
    if b is None:
        return []
    short = x[b.start:b.stop]
    k = b.keys[short > TOL]
    q = short[short > TOL]
    earliest = earliest_arrival(m.data)
    out = []
    for (c, p, t), qty in zip(k[["customer", "product", "period"]].itertuples(index=False), q):
        e = earliest.get((c, p))
        if e is None:
            reason = f"no lane brings {p} to {c} from a site that can have it"
        elif t < e:
            reason = (f"nothing can reach {c} before {dates[e]} (period {e}), given lead "
                      f"times and starting stock")
        else:
            reason = ""
        out.append(Shortfall(c, p, int(t), str(dates[t]), float(qty), reason))
    return out


def _binding(m, lp, x, duals, dates, bucket) -> list[Bottleneck]:
    if duals is None:
        return []
    act = lp.activity(x)
    out = []
    for name, (kind, site_col, item_col) in CAPACITY_ROWS.items():
        rb = m.lp.rows.get(name)
        if rb is None:
            continue
        value = -duals[rb.start:rb.stop]
        for i in np.flatnonzero(value > 1e-7):
            k = rb.keys.iloc[i]
            site = (m.data.lanes.loc[k["lane"], "origin"] if name == "lane" else k[site_col])
            t = int(k["period"])
            out.append(Bottleneck(kind, str(site), str(k[item_col]) if item_col else "", t,
                                  str(dates[t]), bucket, float(act[rb.start + i]),
                                  float(lp.row_upper[rb.start + i]), float(value[i]), "units"))
    out.sort(key=lambda b: (-b.value, b.kind, b.site, b.item, b.period))
    return out


def _violations(m, x) -> list[str]:
    out = []
    b = m.lp.variables.get("over_storage")
    if b is not None:
        v = x[b.start:b.stop]
        nodes = m.data.nodes.set_index(["site", "product"])["max_stock"]
        for (s, p, t), over in zip(b.keys.itertuples(index=False), v):
            if over > TOL:
                cap = nodes.loc[(s, p)]
                out.append(f"{s} must hold {cap + over:,.6g} of {p} at the end of period "
                           f"{t}, above its max_stock {cap:,.6g}")
    b = m.lp.variables.get("end_short")
    if b is not None:
        v = x[b.start:b.stop]
        initial = m.options.end_inventory is EndInventory.INITIAL
        column, what = ("on_hand", "starting stock") if initial else ("safety_stock",
                                                                       "safety stock")
        target = m.data.nodes.set_index(["site", "product"])[column]
        for (s, p), under in zip(b.keys.itertuples(index=False), v):
            if under > TOL:
                oh = target.loc[(s, p)]
                out.append(f"{s} can end with at most {oh - under:,.6g} of {p}, below its "
                           f"{what} {oh:,.6g} (end_inventory={m.options.end_inventory.value})")
    return out


def earliest_arrival(data: PlanData) -> dict[tuple[str, str], int]:
    """The first period each (site, product) can have the product, ignoring capacities:
    0 where there is stock or it is made from nothing, a supplier's lead time at a supplier,
    the latest of its components where it is made, plus lane lead times along the way; at a
    plant or DC, the first period it can leave (with a handling lag, ``data.lag`` periods
    after it is received or made). Customers are included; pairs that nothing can reach are
    absent."""
    big = 10 ** 9
    lag = data.lag
    stock_point = data.sites["kind"].isin(STOCK_KINDS)
    e: dict[tuple[str, str], int] = {}
    for r in data.supply.itertuples(index=False):
        e[(r.supplier, r.product)] = int(r.lead)
    for r in data.nodes.itertuples(index=False):
        if r.on_hand > 0:
            e[(r.site, r.product)] = 0
    recipes = data.recipes.groupby("prow")
    arcs = list(data.arcs[["origin", "destination", "product", "lead"]].itertuples(index=False))
    for _ in range(len(data.sites) + 2):
        changed = False
        for i, r in enumerate(data.production.itertuples(index=False)):
            comps = recipes.get_group(i)["component"] if i in recipes.groups else []
            t = max((e.get((r.plant, c), big) for c in comps), default=0) + lag
            if t < e.get((r.plant, r.product), big):
                e[(r.plant, r.product)] = t
                changed = True
        for o, d, p, lead in arcs:
            t = e.get((o, p), big) + int(lead) + (lag if stock_point.get(d, False) else 0)
            if t < e.get((d, p), big):
                e[(d, p)] = t
                changed = True
        if not changed:
            break
    return {k: v for k, v in e.items() if v < big}


__all__ = ["diagnose", "earliest_arrival"]
