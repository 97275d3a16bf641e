"""Lot-sizing inequalities that tighten the planning model's setup rows (valid cuts: they
change no optimum, only the LP bound the MILP search starts from).

The setup row ``make[k,p,t] <= M setup[k,p,t]`` alone lets the LP relaxation open a setup
by the fraction ``make / M``: with a line that could make 1,750 units a week of a product sold
50 a week, a setup costs the LP 3% of its price, and branch and bound has to close the rest.
The classical remedy for single-item lot sizing is the family of (l, S) inequalities of
Barany, Van Roy and Wolsey (1984), ``x_t <= D_{t,l} y_t + s_l``: what is made in t either
serves demand of t..l or is still in stock at the end of l. In a network the stock of a
product is spread over plants, DCs and lanes, so ``s_l`` becomes its echelon stock, and with
backlog the demand of t..l may include what was owed at the end of t - 1:

    make[k,p,t] <= D[p, t..l] * setup[k,p,t] + E[p,l] + B[p,t-1]          for t <= l

- ``D[p, t..l]``: the customer demand for p in periods t..l (a constant);
- ``E[p,l] = sum_s inv[s,p,l] + sum of ship[a,p,t'] in transit at the end of l``
  (t' <= l < t' + L_a), the echelon stock of p;
- ``B[p,t] = sum_c back[c,p,t]``, what customers are owed at the end of t (0 without
  backlog).

Why it holds for a product p that no supplier sells and no recipe uses (the only products
it is written for): when the setup is off, make = 0. When it is on, make[k,p,t] <= the
production of p in t..l, which (flow conservation over the echelon) equals
E[p,l] - E[p,t-1] + deliveries to customers in t..l, and the deliveries are
D[p,t..l] + B[p,t-1] - B[p,l] - lost[p,t..l] <= D[p,t..l] + B[p,t-1]; E[p,t-1] >= 0.

They are written for every t <= l with D[p,t..l] < M[k,p,t] (otherwise the setup row is
the stronger one), through the two auxiliary families E and B so that each cut has at most
five terms. The pricing LP of a MILP plan (marginal values) drops them: once the setups are
fixed they are implied by the other rows and would only take duals that belong to those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.solver.index import grid
from chainlab.solver.lp import INF

#: the row families of this module, all implied by the others once setups are fixed
CUT_ROWS = ("lot_sizing",)


def setup_rows(production: pd.DataFrame) -> np.ndarray:
    """Production rows (positions) with a setup variable: a setup cost, a minimum lot or
    setup hours."""
    return np.flatnonzero(((production["setup_cost"] > 0) | (production["min_lot"] > 0)
                           | (production["setup_hours"] > 0)).to_numpy())


def cut_products(m) -> list[str]:
    """Products made under a setup for which the inequalities hold: no supplier sells them,
    no recipe uses them, and every arc that carries them leaves a stock point of the model."""
    d = m.data
    pr = d.production
    made = set(pr["product"].to_numpy()[setup_rows(pr)])
    bought = set(d.supply["product"]) | set(d.recipes["component"])
    loose = d.arcs["product"].to_numpy()[m.ix.origin_node < 0]
    return sorted(made - bought - set(loose))


def add_lot_sizing_cuts(m) -> None:
    """make[k,p,t] <= D[p,t..l] setup[k,p,t] + E[p,l] + B[p,t-1] for t <= l (see the module
    docstring), with E[p,l] >= 0 the echelon stock and B[p,t] >= 0 the backlog of p."""
    d, lp = m.data, m.lp
    if "setup" not in lp.variables:
        return
    products = cut_products(m)
    if not products:
        return
    T = d.T
    P = pd.Index(products)
    # D[p, t..l] = cum[p, l] - cum[p, t-1]
    dem = np.zeros((len(P), T))
    q = d.demand
    on = P.get_indexer(q["product"]) >= 0
    np.add.at(dem, (P.get_indexer(q["product"][on]), q["period"].to_numpy()[on]),
              q["quantity"].to_numpy()[on])
    cum = np.concatenate([np.zeros((len(P), 1)), np.cumsum(dem, axis=1)], axis=1)

    # E[p,l] - sum_s inv[s,p,l] - (ships of p in transit at the end of l) = 0
    pi, li = grid(len(P), T)
    keys = pd.DataFrame({"product": P.to_numpy()[pi], "period": li})
    # sums of integers where quantities are (an all-integer model stays all-integer)
    whole = m.options.integer_quantities
    echelon = lp.add_variables("echelon", keys, integer=whole)
    rows = lp.add_rows("echelon_def", keys, 0.0, 0.0)
    lp.add_terms(rows.pos(), echelon.pos(), 1.0)
    node_p = P.get_indexer(d.nodes["product"])
    n_item, n_t = grid(len(d.nodes), T)
    ok = node_p[n_item] >= 0
    lp.add_terms(rows.start + node_p[n_item][ok] * T + n_t[ok],
                 m.var("inv").pos()[ok], -1.0)
    ix = m.ix
    arc_p = P.get_indexer(d.arcs["product"])[ix.ship_arc]
    to_customer = ix.arc_pair[ix.ship_arc] >= 0
    ends_nowhere = (ix.dest_node[ix.ship_arc] < 0) & ~to_customer
    # in transit from its ship period to the period before it arrives (for ever if it
    # arrives at no stock point and no customer); on the way to a customer it is counted
    # in the demand it arrives for instead (the horizon of D is extended by the lead)
    until = np.where(ends_nowhere, T, np.where(to_customer, ix.ship_t, ix.ship_arrive))
    span = np.where(arc_p >= 0, np.maximum(until - ix.ship_t, 0), 0)
    sv = np.repeat(np.arange(len(span)), span)
    offs = np.arange(len(sv)) - np.repeat(np.cumsum(span) - span, span)
    lt = ix.ship_t[sv] + offs
    lp.add_terms(rows.start + arc_p[sv] * T + lt, m.var("ship").pos()[sv], -1.0)

    # B[p,t] - sum_c back[c,p,t] = 0
    back = None
    if "backlog" in lp.variables:
        back = lp.add_variables("backlog_total", keys, integer=whole)
        brows = lp.add_rows("backlog_total_def", keys, 0.0, 0.0)
        lp.add_terms(brows.pos(), back.pos(), 1.0)
        pair_p = P.get_indexer(d.pairs["product"])
        c_item, c_t = grid(len(d.pairs), T)
        ok = pair_p[c_item] >= 0
        lp.add_terms(brows.start + pair_p[c_item][ok] * T + c_t[ok],
                     m.var("backlog").pos()[ok], -1.0)

    # the cuts, for each setup row of a product in P and each t <= l with D[t..l] < M
    pr = d.production
    which = setup_rows(pr)
    setup = m.var("setup")
    k_local, t = grid(len(which), T)
    row = which[k_local]
    p_of = P.get_indexer(pr["product"].to_numpy()[row])
    big = m.setup_big_m  # M[k,p,t] of each setup variable, as add_setups computed it
    cand = np.flatnonzero(p_of >= 0)
    tt = np.repeat(t[cand], T - t[cand])
    cc = np.repeat(cand, T - t[cand])
    ll = tt + (np.arange(len(cc)) - np.repeat(np.cumsum(T - t[cand]) - (T - t[cand]),
                                              T - t[cand]))
    p = p_of[cc]
    # Lc[p]: the longest lead time to a customer, so D[p, t..l+Lc] bounds what is delivered
    # in t..l or on the way to a customer at the end of l
    a = d.arcs
    to_c = ix.arc_pair >= 0
    lc = np.zeros(len(P), dtype=np.int64)
    ap = P.get_indexer(a["product"])
    on = to_c & (ap >= 0)
    np.maximum.at(lc, ap[on], a["lead"].to_numpy()[on].astype(np.int64))
    dtl = cum[p, np.minimum(ll + lc[p], T - 1) + 1] - cum[p, tt]
    keep = dtl < big[cc]
    cc, tt, ll, p, dtl = cc[keep], tt[keep], ll[keep], p[keep], dtl[keep]
    if not len(cc):
        return
    ckeys = pd.DataFrame({"plant": pr["plant"].to_numpy()[row[cc]],
                          "product": pr["product"].to_numpy()[row[cc]],
                          "period": tt, "through": ll})
    cuts = lp.add_rows("lot_sizing", ckeys, -INF, 0.0)
    lp.add_terms(cuts.pos(), echelon.start + p * T + ll, -1.0)
    # one term per period tau of t..l: make - D[tau..l+Lc] setup - B[tau-1]
    span = ll - tt + 1
    cut = np.repeat(np.arange(len(cc)), span)
    tau = tt[cut] + (np.arange(len(cut)) - np.repeat(np.cumsum(span) - span, span))
    var = cc[cut] + tau - tt[cut]  # the setup variable of (row, tau)
    pc = p[cut]
    d_tau = cum[pc, np.minimum(ll[cut] + lc[pc], T - 1) + 1] - cum[pc, tau]
    lp.add_terms(cuts.start + cut, m.var("make").start + row[var] * T + tau, 1.0)
    lp.add_terms(cuts.start + cut, setup.start + var, -d_tau)
    if back is not None:
        later = tau > 0
        lp.add_terms(cuts.start + cut[later], back.start + pc[later] * T + tau[later] - 1, -1.0)

__all__ = ["CUT_ROWS", "add_lot_sizing_cuts", "cut_products", "setup_rows"]
