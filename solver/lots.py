"""Order sizes an ERP can execute: lot multiples of production, minimum order quantities and
order multiples of suppliers (families of the planning model, called by
:func:`solver.model.build`).

Notation as in :mod:`solver.model`; in addition

- ``lots[k,p,t]`` integer: the number of lot multiples made at plant k in t;
- ``buy[u,p,t]`` = sum_l ship[l,p,t] over the lanes out of supplier u (what u ships of p in
  t, ordered its lead time earlier); ``order[u,p,t]`` binary: u is sent an order for p;
  ``packs[u,p,t]`` integer: the number of order multiples.
"""

from __future__ import annotations

import numpy as np

from chainlab.solver.index import grid, key_frame, lookup
from chainlab.solver.lp import INF

#: big-M rows ``x <= M y`` of this module -> their binary ``y`` (see ``PlanModel.pricing_lp``)
BIG_M_ROWS = {"order_max": "order"}


def _positive(values) -> np.ndarray:
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    return v > 0


def add_lot_multiples(m) -> None:
    """make[k,p,t] = lot_multiple[k,p] * lots[k,p,t], lots integer >= 0, for production rows
    with a lot multiple (with ``max_lot`` the make bound keeps lots <= max_lot / multiple)."""
    d, lp = m.data, m.lp
    pr = d.production
    which = np.flatnonzero(_positive(pr["lot_multiple"]))
    if not len(which):
        return
    k, t = grid(len(which), d.T)
    row = which[k]
    keys = key_frame(pr, ["plant", "product"], row, t)
    lots = lp.add_variables("lots", keys, 0.0, INF, integer=True)
    rows = lp.add_rows("lot_multiple", keys, 0.0, 0.0)
    lp.add_terms(rows.pos(), m.var("make").start + row * d.T + t, 1.0)
    lp.add_terms(rows.pos(), lots.pos(), -pr["lot_multiple"].to_numpy(dtype=float)[row])


def add_supplier_orders(m) -> None:
    """For supply offers with a minimum order or an order multiple, with
    buy[u,p,t] = sum_l ship[l,p,t] (out of u):

    - buy[u,p,t] >= min_order[u,p] * order[u,p,t] and buy[u,p,t] <= M[u,p,t] * order[u,p,t],
      M = max(min(capacity * f, n_lanes * U[p,t]), min_order) (U: see ``solver.data._bounds``);
    - buy[u,p,t] = order_multiple[u,p] * packs[u,p,t], packs integer >= 0.

    t is the ship period, as in :func:`~solver.model.add_supplier_capacity`; the order is
    placed the supplier's lead time earlier."""
    d, lp = m.data, m.lp
    sup = d.supply
    moq = np.nan_to_num(sup["min_order"].to_numpy(dtype=float), nan=0.0)
    mult = np.nan_to_num(sup["order_multiple"].to_numpy(dtype=float), nan=0.0)
    a = d.arcs
    s_of = lookup(sup, ["supplier", "product"], a["origin"], a["product"])
    arc, st = m.ix.ship_arc, m.ix.ship_t
    T = d.T
    ship = m.var("ship")

    def rows_of(name: str, which: np.ndarray, lower, upper):
        """A row per (offer in ``which``, ship period) holding buy[u,p,t]."""
        item, t = grid(len(which), T)
        cell = np.full(len(sup), -1)
        cell[which] = np.arange(len(which))
        rows = lp.add_rows(name, key_frame(sup, ["supplier", "product"], which[item], t),
                           lower, upper)
        c = np.where(s_of[arc] >= 0, cell[np.maximum(s_of[arc], 0)], -1)
        on = c >= 0
        lp.add_terms(rows.start + c[on] * T + st[on], ship.pos()[on], 1.0)
        return rows, which[item], t

    has_moq = np.flatnonzero(moq > 0)
    if len(has_moq):
        lo, off, t = rows_of("min_order", has_moq, 0.0, INF)
        order = lp.add_variables("order", lo.keys, 0.0, 1.0, integer=True)
        lp.add_terms(lo.pos(), order.pos(), -moq[off])
        up, _, _ = rows_of("order_max", has_moq, -INF, 0.0)
        n_lanes = np.bincount(s_of[s_of >= 0], minlength=len(sup))
        u = d.bound_t[d.products.index.get_indexer(sup["product"].to_numpy()[off]), t]
        f = d.factor(sup["supplier"].to_numpy(), product=sup["product"].to_numpy())[off, t]
        cap = np.nan_to_num(sup["capacity"].to_numpy(dtype=float), nan=INF)[off] * f
        big_m = np.fmax(np.fmin(cap, n_lanes[off] * u), moq[off])
        lp.add_terms(up.pos(), order.pos(), -big_m)
    has_mult = np.flatnonzero(mult > 0)
    if len(has_mult):
        eq, off, _ = rows_of("order_multiple", has_mult, 0.0, 0.0)
        packs = lp.add_variables("packs", eq.keys, 0.0, INF, integer=True)
        lp.add_terms(eq.pos(), packs.pos(), -mult[off])


__all__ = ["BIG_M_ROWS", "add_lot_multiples", "add_supplier_orders"]
