"""An independent check of a plan against its network: the tests' oracle for every solved plan.

:func:`check_plan` recomputes everything from the plan's tables and the network's own tables,
without the model's index arrays: flow is conserved at every plant and DC for every product and
period, deliveries and backlog add up to the demand, every capacity and storage limit holds,
shipments arrive exactly one lane lead time after they leave (and inside the horizon),
purchases ship one supplier lead time after the order (lead times in buckets as the plan's
``options.timing`` rounds them), with a handling lag nothing leaves a plant or DC before it
was in stock there, minimum lots and shipments hold, and
the costs by category, recomputed from prices and quantities, add up to the objective.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind, SiteStatus
from chainlab.solver.data import demand_table, product_parameters, recipe_lines
from chainlab.solver.options import Timing, Unmet
from chainlab.solver.result import Plan


def check_plan(plan: Plan, net: Network, demand=None, tol: float = 1e-6) -> list[str]:
    """Every way ``plan`` breaks the network's rules (an empty list for a sound plan).

    ``tol`` is relative to the size of the quantities compared (and absolute below 1)."""
    if not plan.has_solution:
        return []
    problems: list[str] = []
    cal = net.calendar
    T = cal.periods
    opts = plan.options
    timing = opts.timing if opts is not None else Timing.NOMINAL

    def close(a, b, scale=None):
        s = max(1.0, abs(a), abs(b)) if scale is None else max(1.0, scale)
        return abs(a - b) <= tol * s

    prod, ship, pur, inv, back = (plan.production, plan.shipments, plan.purchases,
                                  plan.inventory, plan.backlog)
    for name, df, cols in (("production", prod, ["quantity"]), ("shipments", ship, ["quantity"]),
                           ("purchases", pur, ["quantity"]), ("inventory", inv, ["quantity"]),
                           ("backlog", back, ["delivered", "backlog", "lost"])):
        for c in cols:
            if len(df) and (df[c] < -tol).any():
                problems.append(f"{name}: negative {c} in {(df[c] < -tol).sum()} row(s)")

    # lanes, products on lanes, lead times
    lanes = net.lanes
    unknown = ~ship["lane"].isin(lanes.index)
    if unknown.any():
        problems.append(f"shipments on unknown lanes: {sorted(set(ship['lane'][unknown]))[:5]}")
    ship = ship[~unknown]
    lp = lanes.loc[ship["lane"], "product"].to_numpy()
    wrong = (lp != "") & (lp != ship["product"].to_numpy())
    if wrong.any():
        problems.append(f"{wrong.sum()} shipment(s) carry a product their lane does not")
    lead = timing.to_buckets(cal, lanes.loc[ship["lane"], "lead_time_days"].to_numpy())
    bad = ship["arrival"].to_numpy() != ship["period"].to_numpy() + lead
    if bad.any():
        r = ship[bad].iloc[0]
        problems.append(f"{bad.sum()} shipment(s) arrive off their lane's lead time, e.g. "
                        f"{r['lane']} {r['product']} period {r['period']} -> {r['arrival']}")
    if len(ship) and ((ship["arrival"] >= T) | (ship["period"] < 0)).any():
        problems.append("shipments leave before the horizon or arrive after it")
    kind = net.sites["kind"]
    if len(ship):
        o = ship["origin"].to_numpy()
        if (o != lanes.loc[ship["lane"], "origin"].to_numpy()).any() or (
                ship["destination"].to_numpy() != lanes.loc[ship["lane"], "destination"].to_numpy()
        ).any():
            problems.append("shipments whose origin/destination differ from their lane's")

    # purchases = shipments out of suppliers, a supplier lead time after the order
    from_sup = ship[ship["origin"].map(kind).eq(SiteKind.SUPPLIER)]
    sup = net.supply
    if len(from_sup):
        keys = list(zip(from_sup["origin"], from_sup["product"]))
        missing = [k for k in keys if k not in sup.index]
        if missing:
            problems.append(f"shipments of products a supplier does not offer: {missing[:5]}")
    if len(pur):
        keys = list(zip(pur["supplier"], pur["product"]))
        sl = timing.to_buckets(cal, sup.loc[keys, "lead_time_days"].to_numpy())
        if (pur["ship_period"].to_numpy() != pur["period"].to_numpy() + sl).any():
            problems.append("purchases not shipped one supplier lead time after the order")
        if (pur["period"] < 0).any():
            problems.append("purchases ordered before the horizon")
    if not close(float(pur["quantity"].sum()) if len(pur) else 0.0,
                 float(from_sup["quantity"].sum()) if len(from_sup) else 0.0):
        problems.append("purchases do not add up to the shipments out of suppliers")

    # production only where the network says, consuming BOM components
    pidx = net.production.index
    keys = list(zip(prod["plant"], prod["product"]))
    if any(k not in pidx for k in keys):
        problems.append("production of a product at a plant that cannot make it")
    recipes = recipe_lines(net, net.production.reset_index())
    rows = net.production.reset_index()[["plant", "product"]].reset_index(names="prow")
    recipes = recipes.drop(columns=["plant", "product"]).merge(rows, on="prow")
    use = prod.merge(recipes, on=["plant", "product"])
    # components are used when the order is released, the production lead time before output
    plead = timing.to_buckets(cal, net.production["lead_time_days"].to_numpy())
    plead = pd.Series(plead, index=net.production.index)
    released = use["period"].to_numpy() - plead.loc[list(zip(use["plant"], use["product"]))
                                                    ].to_numpy() if len(use) else use["period"]
    use = pd.DataFrame({"site": use["plant"], "product": use["component"],
                        "period": released, "q": use["quantity_x"] * use["quantity_y"]})
    if keys and (prod["period"].to_numpy() < plead.loc[keys].to_numpy()).any():
        problems.append("production released before the horizon (output earlier than its "
                        "lead time)")

    # flow conservation at plants and DCs
    flows = pd.concat([
        pd.DataFrame({"site": ship["destination"], "product": ship["product"],
                      "period": ship["arrival"], "q": ship["quantity"]}),
        pd.DataFrame({"site": ship["origin"], "product": ship["product"],
                      "period": ship["period"], "q": -ship["quantity"]}),
        pd.DataFrame({"site": prod["plant"], "product": prod["product"],
                      "period": prod["period"], "q": prod["quantity"]}),
        use.assign(q=-use["q"]),
    ])
    flows = flows[flows["site"].map(kind).isin([SiteKind.PLANT, SiteKind.DC])]
    net_flow = flows.groupby(["site", "product", "period"])["q"].sum()
    stock = inv.set_index(["site", "product", "period"])["quantity"]
    on_hand = net.inventory["on_hand"] if len(net.inventory) else pd.Series(dtype=float)
    pairs = pd.concat([flows[["site", "product"]], inv[["site", "product"]]]).drop_duplicates()
    pairs = pairs.sort_values(["site", "product"]).reset_index(drop=True)
    grid = pd.MultiIndex.from_frame(pairs.merge(pd.DataFrame({"period": range(T)}), how="cross"))
    level = stock.reindex(grid).fillna(0.0).to_numpy().reshape(-1, T)
    flow = net_flow.reindex(grid).fillna(0.0).to_numpy().reshape(-1, T)
    prev = np.empty_like(level)
    prev[:, 0] = on_hand.reindex(pd.MultiIndex.from_frame(pairs)).fillna(0.0).to_numpy() \
        if len(on_hand) else 0.0
    prev[:, 1:] = level[:, :-1]
    expect = prev + flow
    scale = np.maximum.reduce([np.ones_like(level), np.abs(level), np.abs(expect), np.abs(prev)])
    bad = np.abs(level - expect) > tol * scale
    if bad.any():
        i, t = np.argwhere(bad)[0]
        s, p = pairs.iloc[i]
        problems.append(f"flow not conserved at {s} for {p} in period {t}: stock "
                        f"{level[i, t]:.6g}, inflow-outflow says {expect[i, t]:.6g} "
                        f"({bad.sum()} cell(s) in all)")

    # handling lag: what leaves in t (shipped on, or used as a component) was in stock at the
    # end of t - 1
    if timing.lag:
        leaving = flows[flows["q"] < 0].groupby(["site", "product", "period"])["q"].sum()
        out_flow = -leaving.reindex(grid).fillna(0.0).to_numpy().reshape(-1, T)
        start = prev  # stock at the end of t - 1, on hand at t = 0
        early = out_flow > start + tol * np.maximum(1.0, start)
        if early.any():
            i, t = np.argwhere(early)[0]
            s, p = pairs.iloc[i]
            problems.append(f"{s} sends out {out_flow[i, t]:.6g} of {p} in period {t} but "
                            f"holds only {start[i, t]:.6g} at its start, and what comes in "
                            f"during a period may leave only from the next "
                            f"({early.sum()} cell(s) in all)")

    # customers: deliveries, backlog and lost add up to demand
    d = demand_table(net, demand)
    to_cust = ship[ship["destination"].map(kind).eq(SiteKind.CUSTOMER)]
    got = to_cust.groupby(["destination", "product", "arrival"])["quantity"].sum()
    want = d.set_index(["customer", "product", "period"])["quantity"]
    b = back.set_index(["customer", "product", "period"])
    for (c, p, t), q in got.items():
        if (c, p, t) not in b.index:
            problems.append(f"{c} receives {p} in period {t} without a demand row")
            break
    unmet = opts.unmet if opts is not None else Unmet.BACKLOG
    if len(back):
        bk = back.sort_values(["customer", "product", "period"])
        idx = pd.MultiIndex.from_frame(bk[["customer", "product", "period"]])
        dq = want.reindex(idx).fillna(0.0).to_numpy()
        dl = got.reindex(idx).fillna(0.0).to_numpy()
        if not (np.allclose(bk["demand"], dq, rtol=tol, atol=tol)
                and np.allclose(bk["delivered"], dl, rtol=tol, atol=tol)):
            problems.append("backlog table disagrees with the demand or the deliveries")
        first = ((bk["customer"] != bk["customer"].shift())
                 | (bk["product"] != bk["product"].shift()))
        prev = np.where(first, 0.0, bk["backlog"].shift().fillna(0.0))
        expect = prev + dq - dl - bk["lost"].to_numpy()
        scale = np.maximum.reduce([np.ones(len(bk)), prev, dq, dl])
        bad = np.abs(bk["backlog"].to_numpy() - expect) > tol * scale
        if bad.any():
            r = bk[bad].iloc[0]
            problems.append(f"backlog of {r['customer']} {r['product']} in period {r['period']}"
                            f" is {r['backlog']:.6g}, should be {expect[bad][0]:.6g}")
    if unmet is Unmet.NONE and len(back) and (back[["backlog", "lost"]].abs() > tol).any().any():
        problems.append("demand is not met on time although unmet demand is not allowed")
    if unmet is Unmet.LOST and len(back) and (back["backlog"].abs() > tol).any():
        problems.append("backlog although unmet demand is lost")
    if unmet is Unmet.BACKLOG and len(back) and (back["lost"].abs() > tol).any():
        problems.append("lost sales although unmet demand is backlogged")

    # capacities
    res = net.resources["hours_per_period"]
    p_rows = net.production
    made = prod["quantity"].to_numpy() > tol
    hours = prod.assign(h=prod["quantity"] * p_rows.loc[keys, "hours_per_unit"].to_numpy()
                        + made * p_rows.loc[keys, "setup_hours"].to_numpy(),
                        r=p_rows.loc[keys, "resource"].to_numpy() if keys else [])
    used_hours = hours[hours["r"] != ""].groupby(["plant", "r", "period"])["h"].sum()
    for (k, r, t), h in used_hours.items():
        cap = res.get((k, r))
        if cap is not None and h > cap + tol * max(1, cap):
            problems.append(f"{r} at {k} works {h:.6g} h in period {t}, over its {cap:.6g} h")
    for (u, p, t), q in from_sup.groupby(["origin", "product", "period"])["quantity"].sum().items():
        cap = sup.loc[(u, p), "capacity_per_period"]
        if np.isfinite(cap) and q > cap + tol * max(1, cap):
            problems.append(f"supplier {u} ships {q:.6g} of {p} in period {t}, over {cap:.6g}")
    for (lane, t), q in ship.groupby(["lane", "period"])["quantity"].sum().items():
        cap = lanes.loc[lane, "capacity_per_period"]
        if np.isfinite(cap) and q > cap + tol * max(1, cap):
            problems.append(f"lane {lane} carries {q:.6g} in period {t}, over {cap:.6g}")
        ms = lanes.loc[lane, "min_shipment"]
        if q > tol and q < ms - tol * max(1, ms):
            problems.append(f"lane {lane} carries {q:.6g} in period {t}, under its minimum {ms}")
    for (j, t), q in ship.groupby(["origin", "period"])["quantity"].sum().items():
        cap = net.sites.loc[j, "capacity"]
        if kind[j] == SiteKind.DC and np.isfinite(cap) and q > cap + tol * max(1, cap):
            problems.append(f"{j} ships out {q:.6g} in period {t}, over its throughput {cap:.6g}")
    mx = net.inventory["max_stock"] if len(net.inventory) else pd.Series(dtype=float)
    for r in inv.itertuples(index=False):
        cap = mx.get((r.site, r.product), np.nan)
        if np.isfinite(cap) and r.quantity > cap + tol * max(1, cap):
            problems.append(f"{r.site} holds {r.quantity:.6g} of {r.product} in period "
                            f"{r.period}, over its max_stock {cap:.6g}")
            break
    lots = prod.merge(p_rows["min_lot"].reset_index(), on=["plant", "product"])
    small = (lots["quantity"] > tol) & (lots["quantity"] < lots["min_lot"] - tol)
    if small.any():
        problems.append(f"{small.sum()} production lot(s) under their minimum lot")
    if keys:
        q = prod["quantity"].to_numpy()
        most = p_rows.loc[keys, "max_lot"].to_numpy(dtype=float)
        if (q > most + tol * np.maximum(1, most)).any():
            problems.append("production lot(s) over their maximum lot")
        problems += _multiples("production", q, p_rows.loc[keys, "lot_multiple"], tol)
    bought = from_sup.groupby(["origin", "product", "period"])["quantity"].sum()
    if len(bought):
        offer = sup.loc[list(zip(bought.index.get_level_values(0),
                                 bought.index.get_level_values(1)))]
        moq = offer["min_order"].to_numpy(dtype=float)
        q = bought.to_numpy()
        if ((q > tol) & (q < moq - tol * np.maximum(1, moq))).any():
            problems.append("supplier order(s) under their minimum order quantity")
        problems += _multiples("supplier orders", q, offer["order_multiple"], tol)

    # costs by category, recomputed
    pen = product_parameters(net, opts) if opts is not None else None
    costs = {
        "production": float((prod["quantity"] * p_rows.loc[keys, "unit_cost"].to_numpy()).sum())
        if keys else 0.0,
        "transport": float((ship["quantity"] * lanes.loc[ship["lane"], "cost_per_unit"].to_numpy()
                            ).sum()),
        "purchase": float((pur["quantity"] * sup.loc[list(zip(pur["supplier"], pur["product"])),
                                                      "unit_cost"].to_numpy()).sum())
        if len(pur) else 0.0,
        "holding": float((inv["quantity"] * inv["product"].map(net.products["holding_cost"])
                          .fillna(0)).sum()),
    }
    if pen is not None:
        costs["backlog"] = float((back["backlog"] * back["product"].map(
            pen["backlog_penalty"])).sum())
        end = back["period"] == T - 1
        costs["lost_sales"] = float((back["lost"] * back["product"].map(pen["lost_penalty"])
                                     ).sum() + (back["backlog"][end] * back["product"][end].map(
                                         pen["lost_penalty"])).sum())
        below = (inv["safety_stock"] - inv["quantity"]).clip(lower=0)
        costs["safety_stock"] = float((below * inv["product"].map(pen["safety_penalty"])).sum())
    setup_cost = p_rows.loc[keys, "setup_cost"].to_numpy() if keys else np.zeros(0)
    costs["setup"] = float((setup_cost * (prod["quantity"].to_numpy() > tol)).sum())
    used = ship[ship["quantity"] > tol][["lane", "period"]].drop_duplicates()
    costs["lane_fixed"] = float(lanes.loc[used["lane"], "fixed_cost"].sum())
    active = net.sites[(net.sites["status"] != SiteStatus.CANDIDATE) & (kind != SiteKind.CUSTOMER)]
    costs["site_fixed"] = float(active["fixed_cost"].fillna(0).sum() * T)
    for cat, v in costs.items():
        got_v = plan.costs.get(cat, 0.0)
        if not close(v, got_v):
            problems.append(f"cost {cat}: the plan says {got_v:,.6f}, its tables say {v:,.6f}")
    total = sum(costs.values())
    if plan.objective is not None and not close(total, plan.objective):
        problems.append(f"objective {plan.objective:,.6f} differs from the recomputed cost "
                        f"{total:,.6f}")
    return problems


def _multiples(what: str, q: np.ndarray, multiple: pd.Series, tol: float) -> list[str]:
    """A problem when a quantity with a multiple (not NaN) is not a whole number of it."""
    m = multiple.to_numpy(dtype=float)
    has = np.isfinite(m) & (m > 0)
    n = np.where(has, q / np.where(has, m, 1.0), 0.0)
    off = has & (np.abs(n - np.round(n)) > tol * np.maximum(1.0, n))
    return [f"{off.sum()} {what} not a whole number of their multiple"] if off.any() else []
