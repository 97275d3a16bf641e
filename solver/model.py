"""The multi-period production-distribution planning model, one ``add_*`` function per family.

Notation (all quantities in product units, money in the network's currency, t a period):

- ``make[k,p,t]`` made at plant k; ``ship[l,p,t]`` shipped on lane l in t, arriving in
  t + L_l (L in buckets, rounded as ``options.timing`` says); on a lane out of a supplier,
  shipping in t means ordering in t - Ls.
- ``inv[s,p,t]`` stock at plant or DC s at the end of t; ``inv[s,p,-1]`` = on_hand.
- ``back[c,p,t]`` owed to customer c at the end of t; ``lost[c,p,t]`` given up in t.
- ``short[s,p,t]`` units below safety stock; ``setup[k,p,t]``, ``use[l,t]`` binaries (only
  where the data has setup costs, minimum lots, lane fixed costs or minimum shipments).

:func:`build` runs the script; ``elastic=True`` builds the diagnosis variant used when the
plan is infeasible: every cost is dropped, demand may go unmet, storage and end-of-horizon
floors may be violated, and the objective is the total violation (units), so its solution
says what cannot be met and its duals say which capacities bind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from chainlab.models import SiteKind
from chainlab.solver.data import STOCK_KINDS, PlanData, max_by_hours
from chainlab.solver.index import NODE, PAIR, PlanIndex, grid, key_frame, lookup, plan_index
from chainlab.solver.lot_sizing import CUT_ROWS, add_lot_sizing_cuts, setup_rows
from chainlab.solver.lots import BIG_M_ROWS as ORDER_BIG_M_ROWS
from chainlab.solver.lots import add_lot_multiples, add_supplier_orders
from chainlab.solver.lp import INF, Block, LinearProgram, LPArrays
from chainlab.solver.options import EndInventory, SolveOptions, Unmet


@dataclass
class PlanModel:
    """A built model: the LP, the data it came from, and the index arrays the families share
    (computed from the data before any family runs)."""

    lp: LinearProgram
    data: PlanData
    options: SolveOptions
    elastic: bool = False
    #: arc and period of each ship variable, stock point of each arc end, ... (see
    #: :class:`~solver.index.PlanIndex`)
    ix: PlanIndex = field(init=False)
    #: M[k,p,t] of each setup variable (see :func:`add_setups`), for the cuts that tighten it
    setup_big_m: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self):
        self.ix = plan_index(self.data)

    def cost(self, category: str, cols, values) -> None:
        """An objective term; the elastic variant keeps only its violation costs, the
        planning model all but those."""
        if self.elastic == (category == "violation"):
            self.lp.add_cost(category, cols, values)

    def var(self, name: str) -> Block:
        return self.lp.variables[name]

    def pricing_lp(self, lp: LPArrays, x: np.ndarray) -> LPArrays:
        """The LP whose row duals are the marginal values of the MILP solution ``x`` of ``lp``
        (this model's arrays): the integer decisions fixed at their values in ``x`` and, where
        a setup or lane use is fixed at 1, its row ``make <= M setup`` (``ship <= M use``)
        dropped. With the binary at 1 that row only restates a limit that the capacity rows
        or the bound U already impose (see :func:`add_setups`, :func:`add_lane_fixed_costs`),
        so dropping it changes no optimum; kept, it ties with a binding capacity row
        (M = hours / hours_per_unit) and may take the dual that belongs to the capacity."""
        fixed = lp.with_integers_fixed(x)
        upper = fixed.row_upper.copy()
        lower = fixed.row_lower.copy()
        for row in CUT_ROWS:
            if row in self.lp.rows:
                r = self.lp.rows[row]
                lower[r.start:r.stop], upper[r.start:r.stop] = -INF, INF
        for row, var in BIG_M_ROWS.items():
            if row in self.lp.rows:
                r, v = self.lp.rows[row], self.lp.variables[var]
                upper[r.start:r.stop][fixed.lower[v.start:v.stop] > 0.5] = INF
        return replace(fixed, row_lower=lower, row_upper=upper)


#: big-M rows ``x <= M y`` -> their binary ``y``, keyed alike (row i of the block goes with
#: variable i): see :meth:`PlanModel.pricing_lp`
BIG_M_ROWS = {"setup_max": "setup", "lane_use_max": "use", **ORDER_BIG_M_ROWS}


def build(data: PlanData, options: SolveOptions, elastic: bool = False) -> PlanModel:
    """The whole model, as a script: variables first, then one family of rows per call."""
    m = PlanModel(LinearProgram(), data, options, elastic)
    add_production(m)
    add_shipments(m)
    add_inventory(m)
    add_customer_service(m)
    add_inventory_balance(m)
    add_handling_lag(m)
    add_demand_balance(m)
    add_resource_capacity(m)
    add_supplier_capacity(m)
    add_lane_capacity(m)
    add_dc_throughput(m)
    add_storage_limits(m)
    add_safety_stock(m)
    add_end_inventory(m)
    add_setups(m)
    add_lot_multiples(m)
    add_supplier_orders(m)
    if options.lot_sizing_cuts:
        add_lot_sizing_cuts(m)
    add_lane_fixed_costs(m)
    add_site_fixed_costs(m)
    return m


# ---------------------------------------------------------------- helpers


def _integer(m: PlanModel) -> bool:
    """Every quantity integer (``integer_quantities=True``)."""
    return m.options.integer_quantities is True


def _whole(m: PlanModel, product) -> np.ndarray | bool:
    """Integer orders of ``product`` (an array of IDs): all with ``integer_quantities=True``,
    none with False, those whose product is planned in whole units with None."""
    if m.options.integer_quantities is None:
        return m.data.products["whole"].reindex(np.asarray(product)).fillna(False).to_numpy(
            dtype=bool)
    return _integer(m)


def component_use(m: PlanModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(recipe line, period t, make variable) of every component use: the components of an
    order are used when it is released, so line r in t goes with make[k,p,t + lead[k,p]]
    (-1 where that is past the horizon)."""
    d = m.data
    rc = d.recipes
    r_item, r_t = grid(len(rc), d.T)
    prow = rc["prow"].to_numpy()[r_item]
    out_t = r_t + d.production["lead"].to_numpy()[prow]
    pos = np.where(out_t < d.T, m.var("make").start + prow * d.T + out_t, -1)
    return r_item, r_t, pos


# ---------------------------------------------------------------- variables


def add_production(m: PlanModel) -> None:
    """0 <= make[k,p,t] <= max_lot[k,p] for each production row, the output of the orders
    due in t (released in t - lead[k,p], so make = 0 for t < lead); cost: unit_cost * make
    (production)."""
    d = m.data
    item, t = m.ix.make_row, m.ix.make_t
    # a product whose component can never be at the plant cannot be made there
    blocked = np.zeros(len(d.production), dtype=bool)
    blocked[d.recipes["prow"].to_numpy()[m.ix.comp_node < 0]] = True
    # a plant that is down for a whole period makes nothing in it (capacity_changes)
    down = d.factor(d.production["plant"].to_numpy())[item, t] <= 0
    # an order delivering in t is released in t - lead: not before the first period
    early = t < d.production["lead"].to_numpy()[item]
    most = np.nan_to_num(d.production["max_lot"].to_numpy(dtype=float), nan=INF)[item]
    b = m.lp.add_variables("make", key_frame(d.production, ["plant", "product"], item, t),
                           upper=np.where(blocked[item] | down | early, 0.0, most),
                           integer=_whole(m, d.production["product"].to_numpy()[item]))
    m.cost("production", b.pos(), d.production["unit_cost"].to_numpy()[item])


def add_shipments(m: PlanModel) -> None:
    """ship[l,p,t] >= 0 for each arc and each t with first <= t <= last (arrival inside the
    horizon; from a supplier, t >= its lead time so the order is not in the past: see
    :func:`~solver.index.plan_index`); cost: cost_per_unit * ship (transport) + unit_cost of
    the supplier * ship (purchase)."""
    a = m.data.arcs
    arc, t, arrive = m.ix.ship_arc, m.ix.ship_t, m.ix.ship_arrive
    # nothing leaves a site (or a supplier's product) that is down in the ship period, and
    # nothing arrives at a site that is down in the arrival period (capacity_changes)
    f_out = m.data.factor(a["origin"].to_numpy(), product=a["product"].to_numpy())
    f_in = m.data.factor(a["destination"].to_numpy())
    T = m.data.T
    down = (f_out[arc, np.minimum(t, T - 1)] <= 0) | (f_in[arc, np.minimum(arrive, T - 1)] <= 0)
    b = m.lp.add_variables("ship", key_frame(a, ["lane", "product"], arc, t),
                           upper=np.where(down, 0.0, INF),
                           integer=_whole(m, a["product"].to_numpy()[arc]))
    m.cost("transport", b.pos(), a["cost_per_unit"].to_numpy()[arc])
    m.cost("purchase", b.pos(), a["purchase_cost"].to_numpy()[arc])


def add_inventory(m: PlanModel) -> None:
    """inv[s,p,t] >= 0 at every stock point; cost: holding_cost[p] * inv (holding)."""
    d = m.data
    item, t = grid(len(d.nodes), d.T)
    b = m.lp.add_variables("inv", key_frame(d.nodes, NODE, item, t),
                           integer=_integer(m))
    h = d.nodes["product"].map(d.products["holding_cost"]).to_numpy()
    m.cost("holding", b.pos(), h[item])


def add_customer_service(m: PlanModel) -> None:
    """back[c,p,t] >= 0 (unmet = backlog), lost[c,p,t] >= 0 (unmet = lost, and in the elastic
    variant); cost: backlog_penalty * back + lost_penalty * (lost + back[c,p,T-1])."""
    d = m.data
    item, t = grid(len(d.pairs), d.T)
    keys = key_frame(d.pairs, PAIR, item, t)
    prod = d.pairs["product"].to_numpy()[item]
    lost_pen = pd.Series(prod).map(d.products["lost_penalty"]).to_numpy()
    if m.options.unmet is Unmet.BACKLOG:
        b = m.lp.add_variables("backlog", keys, integer=_integer(m))
        back_pen = pd.Series(prod).map(d.products["backlog_penalty"]).to_numpy()
        m.cost("backlog", b.pos(), back_pen)
        end = t == d.T - 1
        m.cost("lost_sales", b.pos()[end], lost_pen[end])
    if m.options.unmet is Unmet.LOST or m.elastic:
        b = m.lp.add_variables("lost", keys, integer=_integer(m))
        m.cost("lost_sales", b.pos(), lost_pen)
        # a unit short costs 1; early periods a little more, so the diagnosis serves demand
        # first come, first served and names the later shortfalls when there is a choice
        m.cost("violation", b.pos(), 1.0 + 1e-3 * (d.T - 1 - t) / d.T)


# ---------------------------------------------------------------- rows


def add_inventory_balance(m: PlanModel) -> None:
    """inv[s,p,t] = inv[s,p,t-1] + sum_l ship[l,p,t-L_l] (into s) + make[s,p,t]
    - sum_l ship[l,p,t] (out of s) - sum_q bom[q,p,s] * make[s,q,t+lead[s,q]],
    inv[s,p,-1] = on_hand (components are used when an order is released)."""
    d, lp = m.data, m.lp
    T = d.T
    nodes = d.nodes
    item, t = grid(len(nodes), T)
    rhs = np.where(t == 0, nodes["on_hand"].to_numpy()[item], 0.0)
    rows = lp.add_rows("balance", key_frame(nodes, NODE, item, t), rhs, rhs)
    inv = m.var("inv")
    # inv[t] - inv[t-1]
    lp.add_terms(rows.pos(), inv.pos(), 1.0)
    later = t > 0
    lp.add_terms(rows.pos()[later], inv.pos()[later] - 1, -1.0)
    # shipments out of and into stock points
    ix = m.ix
    ship, arc = m.var("ship"), ix.ship_arc
    on = ix.origin_node[arc] >= 0
    lp.add_terms(rows.start + ix.origin_node[arc][on] * T + ix.ship_t[on], ship.pos()[on], 1.0)
    on = ix.dest_node[arc] >= 0
    lp.add_terms(rows.start + ix.dest_node[arc][on] * T + ix.ship_arrive[on],
                 ship.pos()[on], -1.0)
    # production in, components out
    make, prow, mt = m.var("make"), ix.make_row, ix.make_t
    on = ix.made_node[prow] >= 0
    lp.add_terms(rows.start + ix.made_node[prow][on] * T + mt[on], make.pos()[on], -1.0)
    rc = d.recipes
    if len(rc):
        # every (recipe line, period): the component node's row, the parent's make variable
        r_item, r_t, make_pos = component_use(m)
        cn = ix.comp_node[r_item]
        ok = (cn >= 0) & (make_pos >= 0)
        lp.add_terms(rows.start + cn[ok] * T + r_t[ok], make_pos[ok],
                     rc["quantity"].to_numpy()[r_item][ok])


def add_handling_lag(m: PlanModel) -> None:
    """sum_l ship[l,p,t] (out of s) + sum_q bom[q,p,s] * make[s,q,t] <= inv[s,p,t-1]
    (inv[s,p,-1] = on_hand) at every plant or DC s and product p that can leave it, when the
    data has a handling lag (``Timing.ROBUST``): what leaves a stock point in t, shipped on or
    used in production, was in stock at the start of t; so what is received or made in t can
    leave only from t + 1. With the inventory balance this is inv[s,p,t] >= receipts and
    production of t: each unit is held at least to the end of the period it comes in."""
    d, lp = m.data, m.lp
    if d.lag == 0:
        return
    if d.lag != 1:
        raise ValueError(f"handling lag(={d.lag}) must be 0 or 1 periods")
    T, nodes = d.T, d.nodes
    origin_node, arc, st = m.ix.origin_node, m.ix.ship_arc, m.ix.ship_t
    out = origin_node[arc] >= 0
    rc = d.recipes
    comp_node = m.ix.comp_node
    leaving = np.union1d(origin_node[arc][out], comp_node[comp_node >= 0]).astype(np.int64)
    if not len(leaving):
        return
    row_of = np.full(len(nodes), -1, dtype=np.int64)
    row_of[leaving] = np.arange(len(leaving))
    k, t = grid(len(leaving), T)
    node = leaving[k]
    rhs = np.where(t == 0, nodes["on_hand"].to_numpy()[node], 0.0)
    rows = lp.add_rows("handling", key_frame(nodes, NODE, node, t), -INF, rhs)
    inv = m.var("inv")
    later = t > 0
    lp.add_terms(rows.pos()[later], inv.start + node[later] * T + t[later] - 1, -1.0)
    lp.add_terms(rows.start + row_of[origin_node[arc][out]] * T + st[out],
                 m.var("ship").pos()[out], 1.0)
    if len(rc):
        r_item, r_t, make_pos = component_use(m)
        cn = comp_node[r_item]
        ok = (cn >= 0) & (make_pos >= 0)
        lp.add_terms(rows.start + row_of[cn[ok]] * T + r_t[ok], make_pos[ok],
                     rc["quantity"].to_numpy()[r_item][ok])


def add_demand_balance(m: PlanModel) -> None:
    """sum_l ship[l,p,t-L_l] (into c) + back[c,p,t] - back[c,p,t-1] + lost[c,p,t] = d[c,p,t]
    (back only when unmet demand is backlogged, lost when it is lost or in the elastic
    variant; with neither, demand is met exactly on time)."""
    d, lp = m.data, m.lp
    T = d.T
    q = d.demand["quantity"].to_numpy()
    rows = lp.add_rows("demand", d.demand[["customer", "product", "period"]], q, q)
    pair, arc = m.ix.arc_pair, m.ix.ship_arc
    on = pair[arc] >= 0
    lp.add_terms(rows.start + pair[arc][on] * T + m.ix.ship_arrive[on],
                 m.var("ship").pos()[on], 1.0)
    if "backlog" in lp.variables:
        b = m.var("backlog")
        lp.add_terms(rows.pos(), b.pos(), 1.0)
        later = d.demand["period"].to_numpy() > 0
        lp.add_terms(rows.pos()[later], b.pos()[later] - 1, -1.0)
    if "lost" in lp.variables:
        lp.add_terms(rows.pos(), m.var("lost").pos(), 1.0)


def add_resource_capacity(m: PlanModel) -> None:
    """sum_p hours_per_unit[k,p] * make[k,p,t] <= hours_per_period[k,r] * f[k,r,t] for each
    resource r of plant k, f the capacity multiplier of capacity_changes (capacity; dual =
    value of one more hour)."""
    d, lp = m.data, m.lp
    res, pr = d.resources, d.production
    if res.empty:
        return
    item, t = grid(len(res), d.T)
    f = d.factor(res["plant"].to_numpy(), resource=res["resource"].to_numpy())
    rows = lp.add_rows("resource", key_frame(res, ["plant", "resource"], item, t), -INF,
                       res["hours_per_period"].to_numpy()[item] * f[item, t])
    r_of = lookup(res, ["plant", "resource"], pr["plant"], pr["resource"])
    prow, mt = m.ix.make_row, m.ix.make_t
    on = r_of[prow] >= 0
    lp.add_terms(rows.start + r_of[prow][on] * d.T + mt[on], m.var("make").pos()[on],
                 pr["hours_per_unit"].to_numpy()[prow][on])


def add_supplier_capacity(m: PlanModel) -> None:
    """sum_l ship[l,p,t] (out of supplier u) <= capacity_per_period[u,p] * f[u,p,t] (the ship
    period t is the order period + lead time; f from capacity_changes)."""
    d, lp = m.data, m.lp
    sup = d.supply[d.supply["capacity"].notna()].reset_index(drop=True)
    if sup.empty:
        return
    item, t = grid(len(sup), d.T)
    f = d.factor(sup["supplier"].to_numpy(), product=sup["product"].to_numpy())
    rows = lp.add_rows("supplier", key_frame(sup, ["supplier", "product"], item, t), -INF,
                       sup["capacity"].to_numpy()[item] * f[item, t])
    a = d.arcs
    s_of = lookup(sup, ["supplier", "product"], a["origin"], a["product"])
    arc = m.ix.ship_arc
    on = s_of[arc] >= 0
    lp.add_terms(rows.start + s_of[arc][on] * d.T + m.ix.ship_t[on],
                 m.var("ship").pos()[on], 1.0)


def add_lane_capacity(m: PlanModel) -> None:
    """sum_p ship[l,p,t] <= capacity_per_period[l]."""
    d, lp = m.data, m.lp
    lanes = d.lanes[d.lanes["capacity"].notna()]
    if lanes.empty:
        return
    item, t = grid(len(lanes), d.T)
    keys = pd.DataFrame({"lane": lanes.index.to_numpy()[item], "period": t})
    rows = lp.add_rows("lane", keys, -INF, lanes["capacity"].to_numpy()[item])
    l_of = pd.Index(lanes.index).get_indexer(d.arcs["lane"])
    arc = m.ix.ship_arc
    on = l_of[arc] >= 0
    lp.add_terms(rows.start + l_of[arc][on] * d.T + m.ix.ship_t[on],
                 m.var("ship").pos()[on], 1.0)


def add_dc_throughput(m: PlanModel) -> None:
    """sum_{l out of j} sum_p ship[l,p,t] <= capacity[j] * f[j,t] for each DC j with a
    capacity (throughput = units shipped out per period; f from capacity_changes)."""
    d, lp = m.data, m.lp
    s = d.sites
    dcs = s[(s["kind"] == SiteKind.DC) & s["capacity"].notna()]
    if dcs.empty:
        return
    item, t = grid(len(dcs), d.T)
    keys = pd.DataFrame({"site": dcs.index.to_numpy()[item], "period": t})
    f = d.factor(dcs.index.to_numpy())
    rows = lp.add_rows("throughput", keys, -INF, dcs["capacity"].to_numpy()[item] * f[item, t])
    j_of = pd.Index(dcs.index).get_indexer(d.arcs["origin"])
    arc = m.ix.ship_arc
    on = j_of[arc] >= 0
    lp.add_terms(rows.start + j_of[arc][on] * d.T + m.ix.ship_t[on],
                 m.var("ship").pos()[on], 1.0)


def add_storage_limits(m: PlanModel) -> None:
    """inv[s,p,t] <= max_stock[s,p] (the elastic variant adds over[s,p,t] >= 0 on the left,
    at a violation cost of 1 per unit)."""
    d, lp = m.data, m.lp
    nodes = d.nodes
    which = np.flatnonzero(nodes["max_stock"].notna().to_numpy())
    if not len(which):
        return
    k, t = grid(len(which), d.T)
    node = which[k]
    rows = lp.add_rows("storage", key_frame(nodes, NODE, node, t), -INF,
                       nodes["max_stock"].to_numpy()[node])
    lp.add_terms(rows.pos(), m.var("inv").start + node * d.T + t, 1.0)
    if m.elastic:
        over = lp.add_variables("over_storage", rows.keys)
        lp.add_terms(rows.pos(), over.pos(), -1.0)
        m.cost("violation", over.pos(), 1.0)


def add_safety_stock(m: PlanModel) -> None:
    """inv[s,p,t] + short[s,p,t] >= safety_stock[s,p], a soft floor;
    cost: safety_stock_penalty[p] * short (safety_stock)."""
    d, lp = m.data, m.lp
    nodes = d.nodes
    which = np.flatnonzero((nodes["safety_stock"] > 0).to_numpy())
    if not len(which):
        return
    k, t = grid(len(which), d.T)
    node = which[k]
    keys = key_frame(nodes, NODE, node, t)
    ss = nodes["safety_stock"].to_numpy()[node]
    short = lp.add_variables("short", keys, 0.0, ss, integer=_integer(m))
    rows = lp.add_rows("safety", keys, ss, INF)
    lp.add_terms(rows.pos(), m.var("inv").start + node * d.T + t, 1.0)
    lp.add_terms(rows.pos(), short.pos(), 1.0)
    pen = nodes["product"].map(d.products["safety_penalty"]).to_numpy()[node]
    m.cost("safety_stock", short.pos(), pen)


def add_end_inventory(m: PlanModel) -> None:
    """inv[s,p,T-1] >= target[s,p]: on_hand[s,p] when the end inventory must be the initial
    one, safety_stock[s,p] when it must be the safety stock (the elastic variant adds
    end_short[s,p] >= 0 on the left at a violation cost of 0.5)."""
    d, lp = m.data, m.lp
    column = {EndInventory.INITIAL: "on_hand", EndInventory.SAFETY: "safety_stock"}.get(
        m.options.end_inventory)
    if column is None:
        return
    nodes = d.nodes
    target = nodes[column].to_numpy()
    which = np.flatnonzero(target > 0)
    if not len(which):
        return
    keys = nodes.iloc[which][["site", "product"]].reset_index(drop=True)
    rows = lp.add_rows("end_stock", keys, target[which], INF)
    lp.add_terms(rows.pos(), m.var("inv").start + which * d.T + d.T - 1, 1.0)
    if m.elastic:
        under = lp.add_variables("end_short", keys)
        lp.add_terms(rows.pos(), under.pos(), 1.0)
        # cheaper than unmet demand: when stock could serve either, the diagnosis blames the
        # end-of-horizon target (the extra requirement), not the customer
        m.cost("violation", under.pos(), 0.5)


def add_setups(m: PlanModel) -> None:
    """make[k,p,t] <= M[k,p] * setup[k,p,t] and make[k,p,t] >= min_lot[k,p] * setup[k,p,t]
    for production rows with a setup cost, a minimum lot or setup hours; cost: setup_cost *
    setup (setup); setup_hours[k,p] * setup[k,p,t] more on the left of the resource row of
    (k, t) (:func:`add_resource_capacity`). M[k,p,t] = max(min((hours - setup_hours) /
    hours_per_unit, max_lot, U[p,t]), min_lot[k,p]) with U[p,t] a bound on what period t can
    usefully make (see ``solver.data._bounds``)."""
    d, lp = m.data, m.lp
    pr = d.production
    which = setup_rows(pr)
    if not len(which):
        return
    k, t = grid(len(which), d.T)
    row = which[k]
    keys = key_frame(pr, ["plant", "product"], row, t)
    setup = lp.add_variables("setup", keys, 0.0, 1.0, integer=True)
    make_pos = m.var("make").start + row * d.T + t
    up = lp.add_rows("setup_max", keys, -INF, 0.0)
    lp.add_terms(up.pos(), make_pos, 1.0)
    # M[k,p,t] = max(min((hours - setup_hours) / hours_per_unit, max_lot, U[p,t]), min_lot)
    by_hours = max_by_hours(pr)[row]
    u = d.bound_t[d.products.index.get_indexer(pr["product"].to_numpy()[row]), t]
    big_m = np.fmax(np.fmin(by_hours, u), pr["min_lot"].to_numpy()[row])
    m.setup_big_m = big_m
    lp.add_terms(up.pos(), setup.pos(), -big_m)
    lot = pr["min_lot"].to_numpy()[row]
    has_lot = lot > 0
    if has_lot.any():
        lo = lp.add_rows("min_lot", keys[has_lot], 0.0, INF)
        lp.add_terms(lo.pos(), make_pos[has_lot], 1.0)
        lp.add_terms(lo.pos(), setup.pos()[has_lot], -lot[has_lot])
    m.cost("setup", setup.pos(), pr["setup_cost"].to_numpy()[row])
    sh = pr["setup_hours"].to_numpy()[row]
    if "resource" in lp.rows and (sh > 0).any():
        r_of = lookup(d.resources, ["plant", "resource"], pr["plant"], pr["resource"])[row]
        on = (sh > 0) & (r_of >= 0)
        lp.add_terms(lp.rows["resource"].start + r_of[on] * d.T + t[on], setup.pos()[on], sh[on])


def add_lane_fixed_costs(m: PlanModel) -> None:
    """sum_p ship[l,p,t] <= M[l] * use[l,t] and sum_p ship[l,p,t] >= min_shipment[l] * use[l,t]
    for lanes with a fixed cost or a minimum shipment; cost: fixed_cost * use (lane_fixed).
    M[l] = min(capacity, sum_p U[p]) over the products on the lane."""
    d, lp = m.data, m.lp
    lanes = d.lanes[(d.lanes["fixed_cost"] > 0) | (d.lanes["min_shipment"] > 0)]
    if lanes.empty:
        return
    item, t = grid(len(lanes), d.T)
    keys = pd.DataFrame({"lane": lanes.index.to_numpy()[item], "period": t})
    use = lp.add_variables("use", keys, 0.0, 1.0, integer=True)
    l_of = pd.Index(lanes.index).get_indexer(d.arcs["lane"])
    arc, st = m.ix.ship_arc, m.ix.ship_t
    on = l_of[arc] >= 0
    ship_row = l_of[arc][on] * d.T + st[on]
    up = lp.add_rows("lane_use_max", keys, -INF, 0.0)
    lp.add_terms(up.start + ship_row, m.var("ship").pos()[on], 1.0)
    lp.add_terms(up.pos(), use.pos(), -lanes["big_m"].to_numpy()[item])
    ms = lanes["min_shipment"].to_numpy()[item]
    has = ms > 0
    if has.any():
        lo = lp.add_rows("min_shipment", keys[has], 0.0, INF)
        cell = np.full(len(keys), -1)
        cell[has] = np.arange(int(has.sum()))
        r = cell[ship_row]
        ok = r >= 0
        lp.add_terms(lo.start + r[ok], m.var("ship").pos()[on][ok], 1.0)
        lp.add_terms(lo.pos(), use.pos()[has], -ms[has])
    m.cost("lane_fixed", use.pos(), lanes["fixed_cost"].to_numpy()[item])


def add_site_fixed_costs(m: PlanModel) -> None:
    """A constant: sum_s fixed_cost[s] * T over the sites in the plan (they are open)."""
    s = m.data.sites
    total = float(s.loc[s["kind"] != SiteKind.CUSTOMER, "fixed_cost"].fillna(0).sum()) * m.data.T
    if not m.elastic:
        m.lp.add_constant("site_fixed", total)


__all__ = ["STOCK_KINDS", "PlanModel", "build"]
