"""A solver's solution vector read back into tables keyed by the network's IDs, and the
:class:`~solver.result.Plan` made of them (:func:`make_plan`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.models import SiteKind
from chainlab.solver.backends.base import RawResult
from chainlab.solver.lp import LPArrays
from chainlab.solver.model import PlanModel
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Diagnosis, Plan, SolveInfo, Status

#: values smaller than this (in units) are read as zero
TOL = 1e-9

#: capacity row families: block name -> (kind, site column, item column)
CAPACITY_ROWS = {
    "resource": ("resource", "plant", "resource"),
    "supplier": ("supplier", "supplier", "product"),
    "lane": ("lane", None, "lane"),
    "throughput": ("throughput", "site", None),
    "storage": ("storage", "site", "product"),
}


def clean(x: np.ndarray, lp: LPArrays) -> np.ndarray:
    """Clip a solution to its bounds and round integers and specks (|v| < TOL) away."""
    x = np.clip(x, lp.lower, lp.upper)
    x = np.where(lp.integer, np.round(x), x)
    return np.where(np.abs(x) < TOL, 0.0, x)


def tables(m: PlanModel, lp: LPArrays, raw: RawResult) -> dict[str, pd.DataFrame]:
    """The plan's tables (see :class:`solver.result.Plan`) from a solution."""
    x = clean(raw.x, lp)
    duals = raw.duals
    d = m.data
    dates = np.asarray(d.net.calendar.dates.strftime("%Y-%m-%d"))
    act = lp.activity(x)

    def val(name):
        b = m.lp.variables.get(name)
        return None if b is None else x[b.start:b.stop]

    def with_date(df):
        df.insert(df.columns.get_loc("period") + 1, "date", dates[df["period"].to_numpy()])
        return df

    # production
    mk = m.lp.variables["make"]
    pr = d.production
    prow = m.ix.make_row
    prod = mk.keys.copy()
    prod["quantity"] = val("make")
    # the period the order making it is released (its components are used then)
    prod["release_period"] = prod["period"].to_numpy() - pr["lead"].to_numpy()[prow]
    prod["resource"] = pr["resource"].to_numpy()[prow]
    prod["hours"] = prod["quantity"] * pr["hours_per_unit"].to_numpy()[prow]
    prod["cost"] = prod["quantity"] * pr["unit_cost"].to_numpy()[prow]
    if "setup" in m.lp.variables:
        s = m.lp.variables["setup"]
        on = pd.Series(val("setup"), index=pd.MultiIndex.from_frame(s.keys))
        prod["setup"] = on.reindex(pd.MultiIndex.from_frame(mk.keys[["plant", "product", "period"]])
                                   ).fillna(0.0).to_numpy() > 0.5
        prod["cost"] += np.where(prod["setup"], pr["setup_cost"].to_numpy()[prow], 0.0)
        prod["hours"] += np.where(prod["setup"], pr["setup_hours"].to_numpy()[prow], 0.0)
    else:
        prod["setup"] = False
    prod = with_date(prod[prod["quantity"] > TOL].reset_index(drop=True))

    # shipments and purchases
    sh = m.lp.variables["ship"]
    a = d.arcs
    arc, t_ship, arrive = m.ix.ship_arc, m.ix.ship_t, m.ix.ship_arrive
    q = val("ship")
    ship = sh.keys.copy()
    ship["origin"] = a["origin"].to_numpy()[arc]
    ship["destination"] = a["destination"].to_numpy()[arc]
    ship["arrival"] = arrive
    ship["quantity"] = q
    ship["cost"] = q * a["cost_per_unit"].to_numpy()[arc]
    nz = q > TOL
    from_supplier = ship["origin"].map(d.sites["kind"]).eq(SiteKind.SUPPLIER).to_numpy()
    pk = nz & from_supplier
    purchases = pd.DataFrame({
        "supplier": ship["origin"].to_numpy()[pk], "product": ship["product"].to_numpy()[pk],
        "destination": ship["destination"].to_numpy()[pk],
        "period": t_ship[pk] - a["first"].to_numpy()[arc][pk],
        "ship_period": t_ship[pk], "arrival": arrive[pk], "lane": ship["lane"].to_numpy()[pk],
        "quantity": q[pk], "unit_cost": a["purchase_cost"].to_numpy()[arc][pk],
    })
    purchases["cost"] = purchases["quantity"] * purchases["unit_cost"]
    purchases = with_date(purchases.sort_values(["supplier", "product", "destination", "period"])
                          .reset_index(drop=True))
    ship = with_date(ship[nz].reset_index(drop=True))

    # inventory
    iv = m.lp.variables["inv"]
    inv = iv.keys.copy()
    inv["quantity"] = val("inv")
    node = np.repeat(np.arange(len(d.nodes)), d.T)
    inv["safety_stock"] = d.nodes["safety_stock"].to_numpy()[node]
    inv["below_safety"] = np.maximum(inv["safety_stock"] - inv["quantity"], 0.0)
    inv["max_stock"] = d.nodes["max_stock"].to_numpy()[node]
    inv = with_date(inv)

    # customer service: demand, deliveries, backlog, lost (FIFO for on-time)
    dem = d.demand[["customer", "product", "period", "quantity"]].rename(
        columns={"quantity": "demand"}).copy()
    pair = m.ix.arc_pair
    on = pair[arc] >= 0
    delivered = np.bincount(pair[arc][on] * d.T + arrive[on], weights=q[on],
                            minlength=len(dem)) if len(dem) else np.zeros(0)
    dem["delivered"] = delivered
    back = val("backlog")
    dem["backlog"] = back if back is not None else 0.0
    lost = val("lost")
    dem["lost"] = lost if lost is not None else 0.0
    prev = np.where(dem["period"].to_numpy() > 0, np.roll(dem["backlog"].to_numpy(), 1), 0.0)
    dem["on_time"] = np.clip(delivered - prev, 0.0, dem["demand"].to_numpy())
    rb = m.lp.rows["demand"]
    dem["marginal_cost"] = duals[rb.start:rb.stop] if duals is not None else np.nan
    dem = with_date(dem)

    # capacity use and shadow prices
    cap = [_capacity(m, lp, act, duals, name) for name in CAPACITY_ROWS if name in m.lp.rows]
    cap = pd.concat(cap, ignore_index=True) if cap else pd.DataFrame(
        columns=["kind", "site", "item", "period", "used", "available", "utilisation",
                 "shadow_price"])
    cap = with_date(cap) if len(cap) else cap.assign(date=pd.Series(dtype=str))
    return {"production": prod, "purchases": purchases, "shipments": ship, "inventory": inv,
            "backlog": dem, "capacity": cap}


def _capacity(m: PlanModel, lp: LPArrays, act, duals, name: str) -> pd.DataFrame:
    b = m.lp.rows[name]
    kind, site_col, item_col = CAPACITY_ROWS[name]
    k = b.keys
    if name == "lane":
        site = m.data.lanes.loc[k["lane"], "origin"].to_numpy()
    else:
        site = k[site_col].to_numpy()
    used = act[b.start:b.stop]
    avail = lp.row_upper[b.start:b.stop]
    out = pd.DataFrame({
        "kind": kind, "site": site,
        "item": k[item_col].to_numpy() if item_col else "",
        "period": k["period"].to_numpy(),
        "used": np.where(np.abs(used) < TOL, 0.0, used), "available": avail,
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["utilisation"] = np.where(avail > 0, out["used"] / avail, np.nan)
    # minimisation: the dual of a <= row is d(objective)/d(capacity) <= 0; one more unit saves -dual
    out["shadow_price"] = -duals[b.start:b.stop] if duals is not None else np.nan
    if duals is not None:
        out["shadow_price"] = np.where(np.abs(out["shadow_price"]) < 1e-9, 0.0,
                                       out["shadow_price"])
    return out


def make_plan(model: PlanModel, lp: LPArrays, raw: RawResult, info: SolveInfo,
              options: SolveOptions, diagnosis: Diagnosis | None = None) -> Plan:
    """The :class:`Plan` of ``model`` from what the backend returned for its arrays ``lp``
    (``info``: what the solve established; without a solution, empty tables)."""
    net = model.data.net
    if raw.x is not None and raw.status.has_solution:
        t = tables(model, lp, raw)
        costs = model.lp.costs_by_category(clean(raw.x, lp))
    else:
        zero = RawResult(Status.OPTIMAL, x=np.zeros(lp.n_vars), duals=None)
        t = {k: v.iloc[0:0] for k, v in tables(model, lp, zero).items()}
        costs = {}
    return Plan(**info.info_fields(), network=net.name, currency=net.currency,
                calendar=net.calendar, costs=costs, diagnosis=diagnosis, options=options, **t)


__all__ = ["CAPACITY_ROWS", "TOL", "clean", "make_plan", "tables"]
