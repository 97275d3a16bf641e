"""The network design model: the planning model with the design families added.

:func:`build_design` builds the planning model of :mod:`solver.model` over the network with
every site whose opening is decided taken in (so flows, production, stock, lead times and
service are exactly those of :func:`solver.plan`), then adds the design families below, one
``add_*`` per family, on the same :class:`~solver.lp.LinearProgram`; :func:`solver.design`
solves it with the same backends.

Notation: ``y[s]`` = 1 if site s is open (binary; fixed to 1 or 0 when forced, and to 1 for an
existing site whose size alone is decided); ``w[s,k]`` = 1 if s is open at capacity level k;
``z[c,s]`` = 1 if customer c is served by s (single sourcing); ``ship[l,p,t]`` and ``make[k,p,t]``
the planning model's flows; T periods; D[c,p,t] demand; U[p,t] a bound on the useful quantity
of p in period t.

- open/close: ``min_open <= sum_s y[s] <= max_open`` over the decided sites;
- cost: ``T * fixed_cost[s] * y[s] + open_cost[s] * y[s]`` (open cost for candidates only), or
  per level ``T * fixed_cost[k] * w[s,k] + open_cost[k] * w[s,k]``, replacing the planning
  model's constant fixed cost of those sites;
- strong links, one per flow variable at a design site (the x_ij <= y_i of facility location):
  ``ship[l,p,t] <= B[l,p,t] * y[s]`` for every lane l into or out of s, with B the least of
  U[p,t], the lane's capacity, the origin DC's capacity and, into a customer, the demand that
  shipment can serve; ``make[k,p,t] <= M[k,p] * y[k]`` at a design plant;
- capacity: ``sum_{l out of s} sum_p ship[l,p,t] <= cap[s] * y[s]`` (or ``sum_k cap[k] w[s,k]``);
- single source: ``sum_s z[c,s] = 1`` (<= 1 when demand may go unmet), ``ship[l,p,t] <= B z[c,s]``
  on lanes from s into c, ``z[c,s] <= y[s]``, and, when all demand must be met,
  ``sum_c D[c] z[c,s] <= T cap[s] y[s]`` (total demand D[c] over the horizon);
- cover (valid when all demand must be met and only capacitated DCs serve customers):
  ``sum_s T cap[s] y[s] >= sum_c D[c]``.

With ``horizon="aggregate"`` the model has one bucket spanning the whole horizon (demand,
capacities and per-period costs summed over it, lead times ignored): the annualised design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind
from chainlab.solver.data import PlanData, demand_table, prepare
from chainlab.solver.design_network import aggregate, design_network, design_sites
from chainlab.solver.design_options import LEVEL_COLUMNS, DesignOptions, Horizon, Sourcing
from chainlab.solver.index import lookup
from chainlab.solver.lp import INF
from chainlab.solver.model import PlanModel, build
from chainlab.solver.options import Unmet


@dataclass(frozen=True)
class ShipEnds:
    """Per ship variable of the planning model: the design-site position (row of
    ``DesignModel.sites``) of its origin and destination (-1: not a design site), and whether
    it goes to a customer."""

    origin: np.ndarray
    destination: np.ndarray
    to_customer: np.ndarray


@dataclass
class DesignModel:
    """The planning model with the design families added."""

    plan: PlanModel
    #: design sites (index = site ID): kind, status (in the network), decided, forced,
    #: lower/upper of y, fixed_cost, open_cost, capacity, levelled
    sites: pd.DataFrame
    #: capacity levels of the design sites: site, level, capacity, fixed_cost, open_cost
    levels: pd.DataFrame
    options: DesignOptions
    #: the network as designed (decided sites taken in, lanes filtered, maybe aggregated)
    net: Network
    #: B[l,p,t] of every ship variable (see :func:`ship_bounds`)
    ship_bound: np.ndarray = field(init=False)
    #: the design sites at the ends of every ship variable (see :func:`ship_ends`)
    ends: ShipEnds = field(init=False)

    def __post_init__(self):
        # index arrays the families share, computed once before any of them runs
        self.ship_bound = ship_bounds(self)
        self.ends = ship_ends(self)

    @property
    def lp(self):
        return self.plan.lp

    @property
    def data(self) -> PlanData:
        return self.plan.data

    @property
    def unmet(self) -> Unmet:
        return self.options.solve.unmet


def build_design(net: Network, demand, options: DesignOptions) -> DesignModel:
    """Prepare and build the whole design model, as a script of ``add_*`` calls."""
    sites = design_sites(net, options)
    levels = (options.levels if options.levels is not None
              else pd.DataFrame(columns=LEVEL_COLUMNS))
    dnet = design_network(net, sites, options)
    if options.horizon is Horizon.AGGREGATE:
        T = net.calendar.periods
        dnet, demand = aggregate(dnet, demand_table(dnet, demand))
        sites = sites.assign(capacity=sites["capacity"] * T, fixed_cost=sites["fixed_cost"] * T)
        levels = levels.assign(capacity=levels["capacity"] * T,
                               fixed_cost=levels["fixed_cost"] * T)
    data = prepare(dnet, demand, options.solve)
    dm = DesignModel(build(data, options.solve), sites, levels.reset_index(drop=True), options,
                     dnet)
    add_open(dm)
    add_levels(dm)
    add_site_costs(dm)
    add_flow_links(dm)
    add_production_links(dm)
    add_capacity(dm)
    add_single_source(dm)
    add_open_limits(dm)
    add_cover(dm)
    return dm


# ---------------------------------------------------------------- shared index arrays


def ship_bounds(dm: DesignModel) -> np.ndarray:
    """B[l,p,t] for every ship variable: the least of U[p,t], the lane's capacity, the origin
    DC's throughput capacity and, into a customer, the demand that shipment can serve (demand
    of its arrival period; with backlog, all demand up to it)."""
    d, ix = dm.data, dm.plan.ix
    a = d.arcs
    arc, arrive = ix.ship_arc, ix.ship_arrive
    bound_t = getattr(d, "bound_t", None)  # U[p,t] where the planning data has it
    if bound_t is not None:
        b = bound_t[d.products.index.get_indexer(a["product"])[arc], ix.ship_t]
    else:
        b = a["product"].map(d.products["bound"]).to_numpy(dtype=float)[arc]
    lane_cap = d.lanes["capacity"].reindex(a["lane"]).to_numpy(dtype=float)[arc]
    b = np.fmin(b, np.nan_to_num(lane_cap, nan=INF))
    cap = site_capacity(dm).reindex(a["origin"]).to_numpy(dtype=float)[arc]
    b = np.fmin(b, np.nan_to_num(cap, nan=INF))
    pair = ix.arc_pair[arc]
    on = pair >= 0
    if on.any():
        q = d.demand["quantity"].to_numpy(dtype=float)
        if dm.unmet is Unmet.BACKLOG:
            q = d.demand.assign(q=q).groupby("pair")["q"].cumsum().to_numpy()
        b[on] = np.fmin(b[on], q[pair[on] * d.T + arrive[on]])
    return b


def site_capacity(dm: DesignModel) -> pd.Series:
    """Throughput capacity per period of every DC that has one (a levelled DC: its largest
    level), indexed by site."""
    s = dm.data.sites
    cap = s.loc[s["kind"] == SiteKind.DC, "capacity"].astype(float)
    if not dm.levels.empty:
        top = dm.levels.groupby("site")["capacity"].max()
        cap = cap.copy()
        cap.loc[top.index] = top
    return cap.dropna()


def ship_ends(dm: DesignModel) -> ShipEnds:
    """Per ship variable: the design-site position of its origin and destination (-1 if not a
    design site) and whether it goes to a customer."""
    d = dm.data
    a, arc = d.arcs, dm.plan.ix.ship_arc
    pos = pd.Index(dm.sites.index)
    to_customer = a["destination"].map(d.sites["kind"]).eq(SiteKind.CUSTOMER).to_numpy()
    return ShipEnds(pos.get_indexer(a["origin"])[arc], pos.get_indexer(a["destination"])[arc],
                    to_customer[arc])


# ---------------------------------------------------------------- families


def add_open(dm: DesignModel) -> None:
    """y[s] in {0, 1} for each design site; fixed by forcing, and to 1 for an existing site
    that only chooses its size."""
    s = dm.sites
    dm.lp.add_variables("open", pd.DataFrame({"site": s.index.to_numpy()}),
                        s["lower"].to_numpy(), s["upper"].to_numpy(), integer=True)


def add_levels(dm: DesignModel) -> None:
    """w[s,k] in {0, 1}; sum_k w[s,k] = y[s] (open at exactly one level)."""
    L = dm.levels
    if L.empty:
        return
    lp = dm.lp
    w = lp.add_variables("level", L[["site", "level"]], 0.0, 1.0, integer=True)
    sites = pd.Index(sorted(set(L["site"])))
    rows = lp.add_rows("level_choice", pd.DataFrame({"site": sites}), 0.0, 0.0)
    lp.add_terms(rows.start + sites.get_indexer(L["site"]), w.pos(), 1.0)
    y = dm.lp.variables["open"]
    lp.add_terms(rows.pos(), y.start + dm.sites.index.get_indexer(sites), -1.0)


def add_site_costs(dm: DesignModel) -> None:
    """T * fixed_cost[s] * y[s] + open_cost[s] * y[s] (site_fixed, site_open), or the same per
    level on w[s,k]; the planning model's constant for these sites is taken back."""
    lp, s, T = dm.lp, dm.sites, dm.data.T
    y = lp.variables["open"]
    lp.add_constant("site_fixed", -T * float(s["fixed_cost"].sum()))
    plain = ~s["levelled"].to_numpy()
    lp.add_cost("site_fixed", y.pos()[plain], T * s["fixed_cost"].to_numpy()[plain])
    lp.add_cost("site_open", y.pos()[plain], s["open_cost"].to_numpy()[plain])
    if not dm.levels.empty:
        w = lp.variables["level"]
        lp.add_cost("site_fixed", w.pos(), T * dm.levels["fixed_cost"].to_numpy())
        lp.add_cost("site_open", w.pos(), dm.levels["open_cost"].to_numpy())


def add_flow_links(dm: DesignModel) -> None:
    """ship[l,p,t] <= B[l,p,t] * y[s] for each lane l out of or into a design site s (lanes
    into customers are linked through z instead when sourcing is single)."""
    lp, m = dm.lp, dm.plan
    o, de, to_customer = dm.ends.origin, dm.ends.destination, dm.ends.to_customer
    single = dm.options.sourcing is Sourcing.SINGLE
    b = dm.ship_bound
    ship, y = m.var("ship"), lp.variables["open"]
    out_side = np.flatnonzero((o >= 0) & ~(single & to_customer))
    in_side = np.flatnonzero(de >= 0)
    which = np.concatenate([out_side, in_side])
    if not len(which):
        return
    site = np.concatenate([o[out_side], de[in_side]])
    keys = ship.keys.iloc[which].reset_index(drop=True)
    keys.insert(0, "site", dm.sites.index.to_numpy()[site])
    rows = lp.add_rows("open_link", keys, -INF, 0.0)
    lp.add_terms(rows.pos(), ship.pos()[which], 1.0)
    lp.add_terms(rows.pos(), y.start + site, -b[which])


def add_production_links(dm: DesignModel) -> None:
    """make[k,p,t] <= M[k,p] * y[k] at a design plant (M = the planning model's big_m)."""
    lp, m, d = dm.lp, dm.plan, dm.data
    pos = pd.Index(dm.sites.index)
    plant = pos.get_indexer(d.production["plant"])[m.ix.make_row]
    which = np.flatnonzero(plant >= 0)
    if not len(which):
        return
    make, y = m.var("make"), lp.variables["open"]
    big = d.production["big_m"].to_numpy(dtype=float)[m.ix.make_row][which]
    rows = lp.add_rows("make_link", make.keys.iloc[which], -INF, 0.0)
    lp.add_terms(rows.pos(), make.pos()[which], 1.0)
    lp.add_terms(rows.pos(), y.start + plant[which], -np.nan_to_num(big, posinf=1e12))


def capacity_terms(dm: DesignModel, sites: np.ndarray, scale: float = 1.0):
    """(row index into ``sites``, column, coefficient) of ``-scale * cap * y`` (or
    ``-scale * sum_k cap_k w``) for each design site in ``sites`` (positions in dm.sites)."""
    lp, s, L = dm.lp, dm.sites, dm.levels
    y = lp.variables["open"]
    lev = s["levelled"].to_numpy()[sites]
    r_plain = np.flatnonzero(~lev)
    cols = [y.start + sites[r_plain]]
    vals = [-scale * s["capacity"].to_numpy(dtype=float)[sites][r_plain]]
    rows = [r_plain]
    if lev.any():
        w = lp.variables["level"]
        where = pd.Index(s.index.to_numpy()[sites]).get_indexer(L["site"])
        k = np.flatnonzero(where >= 0)
        rows.append(where[k])
        cols.append(w.start + k)
        vals.append(-scale * L["capacity"].to_numpy(dtype=float)[k])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def add_capacity(dm: DesignModel) -> None:
    """sum_{l out of s} sum_p ship[l,p,t] <= cap[s] * y[s] (or sum_k cap[k] w[s,k]) for each
    design DC with a capacity or levels."""
    lp, m, d, s = dm.lp, dm.plan, dm.data, dm.sites
    has = (s["kind"].eq(SiteKind.DC) & (s["capacity"].notna() | s["levelled"])).to_numpy()
    dcs = np.flatnonzero(has)
    if not len(dcs):
        return
    T = d.T
    keys = pd.DataFrame({"site": np.repeat(s.index.to_numpy()[dcs], T),
                         "period": np.tile(np.arange(T), len(dcs))})
    rows = lp.add_rows("open_capacity", keys, -INF, 0.0)
    o = dm.ends.origin
    row_of_site = np.full(len(s), -1)
    row_of_site[dcs] = np.arange(len(dcs))
    r = np.where(o >= 0, row_of_site[np.maximum(o, 0)], -1)
    on = np.flatnonzero(r >= 0)
    lp.add_terms(rows.start + r[on] * T + m.ix.ship_t[on], m.var("ship").pos()[on], 1.0)
    k, col, val = capacity_terms(dm, dcs)
    for t in range(T):
        lp.add_terms(rows.start + k * T + t, col, val)


def add_single_source(dm: DesignModel) -> None:
    """z[c,s] in {0, 1} for each customer c and each site s with a lane into it:
    sum_s z[c,s] = 1 (<= 1 when demand may go unmet, and for customers without demand);
    ship[l,p,t] <= B[l,p,t] * z[c,s] on lanes from s into c; z[c,s] <= y[s] at design sites;
    with all demand met, sum_c D[c] z[c,s] <= T * cap[s] (* y[s]) at DCs with a capacity."""
    if dm.options.sourcing is not Sourcing.SINGLE:
        return
    lp, m, d = dm.lp, dm.plan, dm.data
    a, arc = d.arcs, m.ix.ship_arc
    to_customer = dm.ends.to_customer
    pairs = (a.loc[a["destination"].map(d.sites["kind"]).eq(SiteKind.CUSTOMER),
                   ["destination", "origin"]]
             .drop_duplicates().sort_values(["destination", "origin"]).reset_index(drop=True)
             .rename(columns={"destination": "customer", "origin": "site"}))
    if pairs.empty:
        return
    z = lp.add_variables("assign", pairs, 0.0, 1.0, integer=True)
    totals = d.demand.groupby("customer")["quantity"].sum()  # D[c] over the horizon
    customers = pd.Index(pairs["customer"].unique())
    must = dm.unmet is Unmet.NONE
    lower = np.where(must & (customers.map(totals).fillna(0.0).to_numpy() > 0), 1.0, 0.0)
    one = lp.add_rows("assign_one", pd.DataFrame({"customer": customers}), lower, 1.0)
    lp.add_terms(one.start + customers.get_indexer(pairs["customer"]), z.pos(), 1.0)
    # flows into a customer only from its assigned site
    zi = lookup(pairs, ["customer", "site"], a["destination"], a["origin"])[arc]
    which = np.flatnonzero(to_customer & (zi >= 0))
    ship = m.var("ship")
    rows = lp.add_rows("assign_link", ship.keys.iloc[which], -INF, 0.0)
    lp.add_terms(rows.pos(), ship.pos()[which], 1.0)
    lp.add_terms(rows.pos(), z.start + zi[which], -dm.ship_bound[which])
    # z[c,s] <= y[s]
    y = lp.variables["open"]
    ds = pd.Index(dm.sites.index).get_indexer(pairs["site"])
    k = np.flatnonzero(ds >= 0)
    if len(k):
        rows = lp.add_rows("assign_open", pairs.iloc[k], -INF, 0.0)
        lp.add_terms(rows.pos(), z.start + k, 1.0)
        lp.add_terms(rows.pos(), y.start + ds[k], -1.0)
    if not must:
        return
    # knapsack: sum_c D[c] z[c,s] <= T cap[s] y[s]
    cap = site_capacity(dm)
    sites = pd.Index(sorted(set(pairs["site"]) & set(cap.index)))
    if not len(sites):
        return
    T = d.T
    design = pd.Index(dm.sites.index).get_indexer(sites)
    fixed_cap = np.where(design < 0, T * cap.reindex(sites).to_numpy(dtype=float), 0.0)
    rows = lp.add_rows("assign_capacity", pd.DataFrame({"site": sites}), -INF, fixed_cap)
    kk = np.flatnonzero(sites.get_indexer(pairs["site"]) >= 0)
    lp.add_terms(rows.start + sites.get_indexer(pairs["site"].iloc[kk]), z.start + kk,
                 pairs["customer"].iloc[kk].map(totals).fillna(0.0).to_numpy())
    mine = np.flatnonzero(design >= 0)
    if len(mine):
        r, col, val = capacity_terms(dm, design[mine], scale=T)
        lp.add_terms(rows.start + mine[r], col, val)


def add_open_limits(dm: DesignModel) -> None:
    """min_open <= sum_s y[s] <= max_open over the decided sites."""
    o = dm.options
    if o.min_open is None and o.max_open is None:
        return
    decided = np.flatnonzero(dm.sites["decided"].to_numpy())
    lo = -INF if o.min_open is None else float(o.min_open)
    up = INF if o.max_open is None else float(o.max_open)
    rows = dm.lp.add_rows("open_count", pd.DataFrame({"what": ["decided sites"]}), lo, up)
    dm.lp.add_terms(np.full(len(decided), rows.start), dm.lp.variables["open"].start + decided,
                    1.0)


def add_cover(dm: DesignModel) -> None:
    """sum_s T cap[s] y[s] >= sum_c D[c] - (capacity of the DCs that stay open), when all
    demand must be met and every lane into a customer leaves a DC with a capacity (a valid
    inequality: it only helps the solver's cuts)."""
    if dm.unmet is not Unmet.NONE:
        return
    d = dm.data
    a = d.arcs
    origins = set(a.loc[a["destination"].map(d.sites["kind"]).eq(SiteKind.CUSTOMER), "origin"])
    cap = site_capacity(dm)
    if not origins or not origins <= set(cap.index):
        return
    T = d.T
    pos = pd.Index(dm.sites.index)
    origins = pd.Index(sorted(origins))
    design = pos.get_indexer(origins)
    fixed = float(T * cap.reindex(origins[design < 0]).sum())
    need = float(d.demand["quantity"].sum()) - fixed
    mine = design[design >= 0]
    if not len(mine) or need <= 0:
        return
    rows = dm.lp.add_rows("cover", pd.DataFrame({"what": ["demand"]}), -INF, -need)
    _, col, val = capacity_terms(dm, mine, scale=T)
    dm.lp.add_terms(np.full(len(col), rows.start), col, val)


__all__ = ["DesignModel", "ShipEnds", "build_design", "capacity_terms", "ship_bounds",
           "ship_ends", "site_capacity"]
