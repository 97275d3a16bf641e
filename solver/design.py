"""Network design (facility location): which candidate plants and DCs to open, which existing
ones to keep, which customers each serves, and at what total cost.

:func:`design` builds the planning model of :mod:`solver.model` over the network with every site
whose opening is decided taken in (so flows, production, stock, lead times and service are
exactly those of :func:`solver.plan`), then adds the design families below, one ``add_*`` per
family, on the same :class:`~solver.lp.LinearProgram`, and solves it with the same backends.

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

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from enum import Enum

import numpy as np
import pandas as pd

from chainlab.models import Calendar, Network, ValidationError
from chainlab.models.errors import Issue
from chainlab.models.network import TABLE_NAMES
from chainlab.solver import backends
from chainlab.solver.data import PlanData, demand_table, prepare
from chainlab.solver.lp import INF
from chainlab.solver.model import PlanModel, _lookup, build
from chainlab.solver.options import SolveOptions, Unmet, coerce_enums
from chainlab.solver.result import Progress, Status

ProgressFn = Callable[[Progress], None]

#: site kinds whose opening a design may decide
DESIGN_KINDS = ("supplier", "plant", "dc")
#: existing kinds that ``close_existing`` lets the design close
CLOSABLE_KINDS = ("plant", "dc")
EARTH_RADIUS_KM = 6371.0088
#: where option errors are said to be (the ``file`` of their :class:`Issue`)
OPTIONS = "design options"


class Sourcing(str, Enum):
    """How many sites may serve one customer."""

    #: any number, each a share of the customer's demand
    MULTI = "multi"
    #: exactly one site serves all of a customer's demand (every product, every period)
    SINGLE = "single"


class Horizon(str, Enum):
    """Over which time buckets the design is evaluated."""

    #: every period of the network's calendar, as :func:`solver.plan` plans them (multi-period)
    PERIODS = "periods"
    #: one bucket spanning the whole horizon: demand, capacities and per-period costs summed,
    #: lead times ignored (the single-period, annualised design; faster, approximate)
    AGGREGATE = "aggregate"


LEVEL_COLUMNS = ("site", "level", "capacity", "fixed_cost", "open_cost")


@dataclass(frozen=True)
class DesignOptions:
    """How to build and solve a design. ``solve`` holds the planning options (backend, time
    limit, gap, unmet demand, penalties, ...); the rest are the design's own."""

    #: backend, time limit, gap, threads, unmet demand and its penalties, ... (see
    #: :class:`SolveOptions`; the same defaults as :func:`solver.plan`: a design is proven
    #: optimal to a relative gap of 1e-4, and a decision worth less than that is reported as
    #: not proven by :meth:`~solver.design_result.Design.cost_of_forcing`)
    solve: SolveOptions = field(default_factory=SolveOptions)
    sourcing: Sourcing = Sourcing.MULTI
    horizon: Horizon = Horizon.PERIODS
    #: existing plants and DCs may be closed too (else they stay open and only candidates
    #: are decided)
    close_existing: bool = False
    #: sites that must be open / closed (a forced site counts as decided)
    force_open: tuple[str, ...] = ()
    force_closed: tuple[str, ...] = ()
    #: bounds on the number of open sites among the decided ones
    min_open: int | None = None
    max_open: int | None = None
    #: a customer may only be served over lanes no longer than this (great-circle distance
    #: between the sites' lat/lon, km; lanes with an end without coordinates are kept)
    max_distance_km: float | None = None
    #: ... and no slower than this (the lane's lead_time_days)
    max_lead_time_days: float | None = None
    #: discrete capacity levels of DCs: columns site, level, capacity (units per period),
    #: fixed_cost (per period), open_cost (once); a DC with levels is open at exactly one of
    #: them, which replaces its own capacity and costs
    levels: pd.DataFrame | None = field(default=None, compare=False)

    def __post_init__(self):
        coerce_enums(self, {"sourcing": Sourcing, "horizon": Horizon})
        for name in ("force_open", "force_closed"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str)
                               else tuple(str(v) for v in value))
        for name in ("min_open", "max_open"):
            v = getattr(self, name)
            if v is not None and (int(v) != v or v < 0):
                raise ValueError(f"{name}(={v}) must be a whole number >= 0")
        if self.min_open is not None and self.max_open is not None \
                and self.min_open > self.max_open:
            raise ValueError(f"min_open(={self.min_open}) must be <= max_open(={self.max_open})")
        for name in ("max_distance_km", "max_lead_time_days"):
            v = getattr(self, name)
            if v is not None and not v >= 0:
                raise ValueError(f"{name}(={v}) must be >= 0")
        if self.levels is not None:
            object.__setattr__(self, "levels", _levels_frame(self.levels))

    def replace(self, **changes) -> DesignOptions:
        """A copy with ``changes``; names of :class:`SolveOptions` fields (``backend``,
        ``time_limit``, ``gap``, ``unmet``, ...) change ``solve``."""
        own = {f.name for f in fields(self)}
        solve_names = {f.name for f in fields(SolveOptions)}
        mine = {k: v for k, v in changes.items() if k in own}
        theirs = {k: v for k, v in changes.items() if k not in own}
        unknown = set(theirs) - solve_names
        if unknown:
            raise TypeError(f"unknown design option(s) {', '.join(sorted(unknown))}; known: "
                            f"{', '.join(sorted(own | solve_names))}")
        if theirs:
            mine["solve"] = mine.get("solve", self.solve).replace(**theirs)
        return replace(self, **mine)


def _levels_frame(levels) -> pd.DataFrame:
    if not isinstance(levels, pd.DataFrame):
        levels = pd.read_csv(levels, dtype={"site": str, "level": str})
    missing = [c for c in ("site", "level", "capacity") if c not in levels.columns]
    if missing:
        raise ValueError(f"capacity levels lack column(s) {', '.join(missing)}; expected "
                         f"{', '.join(LEVEL_COLUMNS)}")
    out = pd.DataFrame({
        "site": levels["site"].astype(str), "level": levels["level"].astype(str),
        "capacity": pd.to_numeric(levels["capacity"], errors="coerce"),
        "fixed_cost": pd.to_numeric(levels.get("fixed_cost", 0.0), errors="coerce"),
        "open_cost": pd.to_numeric(levels.get("open_cost", 0.0), errors="coerce"),
    }).fillna({"fixed_cost": 0.0, "open_cost": 0.0}).reset_index(drop=True)
    bad = out[out["capacity"].isna() | (out["capacity"] < 0) | (out["fixed_cost"] < 0)
              | (out["open_cost"] < 0)]
    if len(bad):
        r = bad.iloc[0]
        raise ValueError(f"capacity level {r['site']}/{r['level']}: capacity(={r['capacity']}), "
                         f"fixed_cost and open_cost must be numbers >= 0")
    dup = out.duplicated(["site", "level"])
    if dup.any():
        r = out[dup].iloc[0]
        raise ValueError(f"capacity level {r['site']}/{r['level']} is given twice")
    return out


# ---------------------------------------------------------------- the model


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
    #: index arrays the families share (computed once): ship bounds, ship ends
    ix: dict = field(default_factory=dict)

    @property
    def lp(self):
        return self.plan.lp

    @property
    def data(self) -> PlanData:
        return self.plan.data

    @property
    def unmet(self) -> Unmet:
        return self.options.solve.unmet


def design_sites(net: Network, options: DesignOptions) -> pd.DataFrame:
    """The sites that get an open variable: candidates, existing plants and DCs when they may
    close, forced sites, and DCs with capacity levels; with the bounds of their ``y``."""
    s = net.sites
    levels = options.levels if options.levels is not None else pd.DataFrame(columns=LEVEL_COLUMNS)
    issues = []
    for name in ("force_open", "force_closed"):
        for sid in getattr(options, name):
            if sid not in s.index:
                issues.append(Issue(OPTIONS, f"{name} names {sid!r}, which is not a site; "
                                             f"fix the id"))
            elif s.at[sid, "kind"] == "customer":
                issues.append(Issue(OPTIONS, f"{name} names {sid!r}, a customer; only "
                                             f"suppliers, plants and DCs open or close"))
    both = sorted(set(options.force_open) & set(options.force_closed))
    if both:
        issues.append(Issue(OPTIONS, f"{', '.join(both)} forced both open and closed"))
    for sid in sorted(set(levels["site"])):
        if sid not in s.index or s.at[sid, "kind"] != "dc":
            issues.append(Issue("capacity levels", f"levels for {sid!r}, which is not a DC; "
                                                   f"levels apply to DCs", column="site"))
    if issues:
        raise ValidationError(issues)
    kind, status = s["kind"], s["status"]
    candidate = (status == "candidate") & kind.isin(DESIGN_KINDS)
    closable = (status != "candidate") & kind.isin(CLOSABLE_KINDS) & options.close_existing
    forced = s.index.isin(options.force_open) | s.index.isin(options.force_closed)
    levelled = s.index.isin(levels["site"])
    keep = candidate | closable | forced | levelled
    out = pd.DataFrame({
        "kind": kind[keep], "status": status[keep],
        "decided": (candidate | closable | forced)[keep],
        "forced": np.where(s.index.isin(options.force_open), "open",
                           np.where(s.index.isin(options.force_closed), "closed", ""))[keep],
        "fixed_cost": s["fixed_cost"].fillna(0.0)[keep],
        "open_cost": s["open_cost"].fillna(0.0)[keep].where(status[keep] == "candidate", 0.0),
        "capacity": s["capacity"][keep].astype(float),
        "levelled": levelled[keep],
    })
    out["lower"] = np.where((out["forced"] == "open") | ~out["decided"], 1.0, 0.0)
    out["upper"] = np.where(out["forced"] == "closed", 0.0, 1.0)
    out.index.name = "site"
    n_forced_open = int((out["forced"] == "open").sum())
    if options.max_open is not None and n_forced_open > options.max_open:
        raise ValidationError([Issue(OPTIONS, f"{n_forced_open} sites are forced open, more "
                                              f"than max_open={options.max_open}; raise "
                                              f"max_open or force fewer")])
    n_can = int((out["decided"] & (out["upper"] > 0)).sum())
    if options.min_open is not None and options.min_open > n_can:
        raise ValidationError([Issue(OPTIONS, f"min_open={options.min_open} but only {n_can} "
                                              f"decided site(s) can open; lower min_open, or "
                                              f"add candidates")])
    return out


def design_network(net: Network, sites: pd.DataFrame, options: DesignOptions) -> Network:
    """A copy of ``net`` with every design site taken in as existing (the planning model then
    includes it), levelled DCs unlimited (their level rows limit them) and lanes into
    customers that break ``max_distance_km`` / ``max_lead_time_days`` removed."""
    n = net.copy()
    n.sites.loc[sites.index, "status"] = "existing"
    levelled = sites.index[sites["levelled"]]
    n.sites.loc[levelled, "capacity"] = np.nan
    lanes = n.lanes
    to_customer = lanes["destination"].map(n.sites["kind"]).eq("customer")
    drop = pd.Series(False, index=lanes.index)
    if options.max_distance_km is not None:
        km = lane_km(n, lanes)
        drop |= to_customer & (km > options.max_distance_km)
    if options.max_lead_time_days is not None:
        drop |= to_customer & (lanes["lead_time_days"].fillna(0.0) > options.max_lead_time_days)
    if drop.any():
        n.lanes = lanes[~drop].copy()
    return n


def lane_km(net: Network, lanes: pd.DataFrame | None = None) -> pd.Series:
    """Great-circle distance of each lane in km (NaN where an end has no lat/lon)."""
    lanes = net.lanes if lanes is None else lanes
    s = net.sites
    def rad(end, c):
        return np.radians(lanes[end].map(s[c]).to_numpy(dtype=float))

    lat1, lon1, lat2, lon2 = (rad("origin", "lat"), rad("origin", "lon"),
                              rad("destination", "lat"), rad("destination", "lon"))
    h = np.sin((lat2 - lat1) / 2) ** 2 \
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return pd.Series(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))), index=lanes.index)


def aggregate(net: Network, demand: pd.DataFrame) -> tuple[Network, pd.DataFrame]:
    """The network as one bucket spanning its whole horizon, and ``demand`` (customer, product,
    period, quantity) summed into it: per-period capacities and costs times T, lead times 0.
    Setups, minimum lots and lane minimum shipments count once for the whole horizon."""
    T = net.calendar.periods
    t = {name: getattr(net, name).copy() for name in TABLE_NAMES}
    t["sites"]["capacity"] *= T
    t["sites"]["fixed_cost"] = t["sites"]["fixed_cost"].fillna(0.0) * T
    t["resources"]["hours_per_period"] *= T
    t["supply"]["capacity_per_period"] *= T
    t["supply"]["lead_time_days"] = 0.0
    t["lanes"]["capacity_per_period"] *= T
    t["lanes"]["fixed_cost"] = t["lanes"]["fixed_cost"].fillna(0.0) * T
    t["lanes"]["lead_time_days"] = 0.0
    cal = Calendar(net.calendar.bucket, net.calendar.start, 1)
    one = Network(net.name, cal, t, net.currency, net.source)
    d = demand.groupby(["customer", "product"], as_index=False)["quantity"].sum()
    d["period"] = 0
    return one, d[["customer", "product", "period", "quantity"]]


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


def ship_bounds(dm: DesignModel) -> np.ndarray:
    """B[l,p,t] for every ship variable: the least of U[p,t], the lane's capacity, the origin
    DC's throughput capacity and, into a customer, the demand that shipment can serve (demand
    of its arrival period; with backlog, all demand up to it)."""
    if "bounds" not in dm.ix:
        dm.ix["bounds"] = _ship_bounds(dm)
    return dm.ix["bounds"]


def _ship_bounds(dm: DesignModel) -> np.ndarray:
    d, m = dm.data, dm.plan
    a = d.arcs
    arc, arrive = m.ix["ship_arc"], m.ix["ship_arrive"]
    bound_t = getattr(d, "bound_t", None)  # U[p,t] where the planning data has it
    if bound_t is not None:
        b = bound_t[d.products.index.get_indexer(a["product"])[arc], m.ix["ship_t"]]
    else:
        b = a["product"].map(d.products["bound"]).to_numpy(dtype=float)[arc]
    lane_cap = d.lanes["capacity"].reindex(a["lane"]).to_numpy(dtype=float)[arc]
    b = np.fmin(b, np.nan_to_num(lane_cap, nan=INF))
    cap = site_capacity(dm).reindex(a["origin"]).to_numpy(dtype=float)[arc]
    b = np.fmin(b, np.nan_to_num(cap, nan=INF))
    pair = _lookup(d.pairs, ["customer", "product"], a["destination"], a["product"])[arc]
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
    cap = s.loc[s["kind"] == "dc", "capacity"].astype(float)
    if not dm.levels.empty:
        top = dm.levels.groupby("site")["capacity"].max()
        cap = cap.copy()
        cap.loc[top.index] = top
    return cap.dropna()


def _ship_ends(dm: DesignModel):
    """Per ship variable: the design-site position of its origin and destination (-1 if not a
    design site) and whether it goes to a customer."""
    if "ends" not in dm.ix:
        d, m = dm.data, dm.plan
        a, arc = d.arcs, m.ix["ship_arc"]
        pos = pd.Index(dm.sites.index)
        o = pos.get_indexer(a["origin"])[arc]
        de = pos.get_indexer(a["destination"])[arc]
        to_customer = a["destination"].map(d.sites["kind"]).eq("customer").to_numpy()[arc]
        dm.ix["ends"] = (o, de, to_customer)
    return dm.ix["ends"]


def add_flow_links(dm: DesignModel) -> None:
    """ship[l,p,t] <= B[l,p,t] * y[s] for each lane l out of or into a design site s (lanes
    into customers are linked through z instead when sourcing is single)."""
    lp, m = dm.lp, dm.plan
    o, de, to_customer = _ship_ends(dm)
    single = dm.options.sourcing is Sourcing.SINGLE
    b = ship_bounds(dm)
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
    plant = pos.get_indexer(d.production["plant"])[m.ix["make_row"]]
    which = np.flatnonzero(plant >= 0)
    if not len(which):
        return
    make, y = m.var("make"), lp.variables["open"]
    big = d.production["big_m"].to_numpy(dtype=float)[m.ix["make_row"]][which]
    rows = lp.add_rows("make_link", make.keys.iloc[which], -INF, 0.0)
    lp.add_terms(rows.pos(), make.pos()[which], 1.0)
    lp.add_terms(rows.pos(), y.start + plant[which], -np.nan_to_num(big, posinf=1e12))


def _capacity_terms(dm: DesignModel, sites: np.ndarray, scale: float = 1.0):
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
    has = (s["kind"].eq("dc") & (s["capacity"].notna() | s["levelled"])).to_numpy()
    dcs = np.flatnonzero(has)
    if not len(dcs):
        return
    T = d.T
    keys = pd.DataFrame({"site": np.repeat(s.index.to_numpy()[dcs], T),
                         "period": np.tile(np.arange(T), len(dcs))})
    rows = lp.add_rows("open_capacity", keys, -INF, 0.0)
    o, _, _ = _ship_ends(dm)
    row_of_site = np.full(len(s), -1)
    row_of_site[dcs] = np.arange(len(dcs))
    r = np.where(o >= 0, row_of_site[np.maximum(o, 0)], -1)
    on = np.flatnonzero(r >= 0)
    lp.add_terms(rows.start + r[on] * T + m.ix["ship_t"][on], m.var("ship").pos()[on], 1.0)
    k, col, val = _capacity_terms(dm, dcs)
    for t in range(T):
        lp.add_terms(rows.start + k * T + t, col, val)


def _customer_totals(dm: DesignModel) -> pd.Series:
    """Total demand over the horizon per customer."""
    d = dm.data.demand
    return d.groupby("customer")["quantity"].sum()


def add_single_source(dm: DesignModel) -> None:
    """z[c,s] in {0, 1} for each customer c and each site s with a lane into it:
    sum_s z[c,s] = 1 (<= 1 when demand may go unmet, and for customers without demand);
    ship[l,p,t] <= B[l,p,t] * z[c,s] on lanes from s into c; z[c,s] <= y[s] at design sites;
    with all demand met, sum_c D[c] z[c,s] <= T * cap[s] (* y[s]) at DCs with a capacity."""
    if dm.options.sourcing is not Sourcing.SINGLE:
        return
    lp, m, d = dm.lp, dm.plan, dm.data
    a, arc = d.arcs, m.ix["ship_arc"]
    _, _, to_customer = _ship_ends(dm)
    pairs = (a.loc[a["destination"].map(d.sites["kind"]).eq("customer"), ["destination", "origin"]]
             .drop_duplicates().sort_values(["destination", "origin"]).reset_index(drop=True)
             .rename(columns={"destination": "customer", "origin": "site"}))
    if pairs.empty:
        return
    z = lp.add_variables("assign", pairs, 0.0, 1.0, integer=True)
    totals = _customer_totals(dm)
    customers = pd.Index(pairs["customer"].unique())
    must = dm.unmet is Unmet.NONE
    lower = np.where(must & (customers.map(totals).fillna(0.0).to_numpy() > 0), 1.0, 0.0)
    one = lp.add_rows("assign_one", pd.DataFrame({"customer": customers}), lower, 1.0)
    lp.add_terms(one.start + customers.get_indexer(pairs["customer"]), z.pos(), 1.0)
    # flows into a customer only from its assigned site
    zi = _lookup(pairs, ["customer", "site"], a["destination"], a["origin"])[arc]
    which = np.flatnonzero(to_customer & (zi >= 0))
    ship = m.var("ship")
    rows = lp.add_rows("assign_link", ship.keys.iloc[which], -INF, 0.0)
    lp.add_terms(rows.pos(), ship.pos()[which], 1.0)
    lp.add_terms(rows.pos(), z.start + zi[which], -ship_bounds(dm)[which])
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
        r, col, val = _capacity_terms(dm, design[mine], scale=T)
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
    origins = set(a.loc[a["destination"].map(d.sites["kind"]).eq("customer"), "origin"])
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
    _, col, val = _capacity_terms(dm, mine, scale=T)
    dm.lp.add_terms(np.full(len(col), rows.start), col, val)


# ---------------------------------------------------------------- solve


def design(net: Network, options: DesignOptions | None = None, *, demand=None,
           progress: ProgressFn | None = None, **option_changes):
    """The network design of ``net``: which sites to open, which customers each serves, the
    flows, and what it all costs over the calendar (see the module docstring).

    ``options`` and/or keyword changes to them; names of :class:`SolveOptions` fields go to
    ``options.solve`` (``design(net, backend="ortools-scip", time_limit=60, max_open=3)``).
    ``demand`` as in :func:`solver.plan`. Returns a :class:`~solver.design_result.Design`
    whatever the solver found; raises :class:`~models.ValidationError` for bad input and
    :class:`~models.errors.SolverError` when a backend fails.
    """
    from chainlab.solver.design_result import make_design
    from chainlab.solver.planner import make_plan, polish, solve_lp

    options = options or DesignOptions()
    if option_changes:
        options = options.replace(**option_changes)
    so = options.solve
    start = time.perf_counter()

    def report(phase, **kw):
        if progress is not None:
            progress(Progress(phase, time.perf_counter() - start, **kw))

    backend_cls = backends.backend_class(so.backend)
    if not backend_cls.is_available():
        backends.get(so.backend)  # raises with the list of available backends
    report("prepare")
    dm = build_design(net, demand, options)
    report("build")
    lp = dm.lp.arrays()
    build_seconds = time.perf_counter() - start
    report("solve", message=f"{lp.n_vars:,} variables ({int(lp.integer.sum()):,} integer), "
                            f"{lp.n_rows:,} constraints, {lp.nnz:,} nonzeros")

    def solve_progress(p: Progress):
        report("solve", incumbent=p.incumbent, bound=p.bound, message=p.message)

    raw = solve_lp(lp, so, progress=solve_progress)
    raw = polish(lp, raw, so)
    report("read")
    diagnosis = None
    if raw.status is Status.INFEASIBLE and so.diagnose:
        report("diagnose")
        diagnosis = _diagnose(dm)
    plan = make_plan(dm.plan, lp, raw, so, backend_cls.name, build_seconds, diagnosis)
    result = make_design(dm, lp, raw, plan, net, demand)
    report("done", incumbent=result.objective, bound=result.bound)
    return result


def _diagnose(dm: DesignModel):
    """Why a design is infeasible: the planning diagnosis with every design site open says
    what no design can meet; if everything can be met that way, the design's own rules are
    the cause and the note says which ones are set."""
    from chainlab.solver.diagnose import diagnose
    from chainlab.solver.result import Diagnosis

    o = dm.options
    d = diagnose(dm.data, o.solve)
    if d.shortfalls or d.violations:
        return replace(d, note=(d.note + "; " if d.note else "") +
                       "this holds with every candidate site open")
    rules = []
    if o.force_closed:
        rules.append(f"force_closed={list(o.force_closed)}")
    if o.force_open:
        rules.append(f"force_open={list(o.force_open)}")
    if o.max_open is not None:
        rules.append(f"max_open={o.max_open}")
    if o.min_open is not None:
        rules.append(f"min_open={o.min_open}")
    if o.sourcing is Sourcing.SINGLE:
        rules.append("single sourcing (a customer's demand may exceed what one site can "
                     "deliver)")
    if not o.close_existing and dm.sites["levelled"].any():
        rules.append("capacity levels")
    text = ("every demand can be met with every design site open, so the design's own limits "
            "make it infeasible" + (f": {', '.join(rules)}" if rules else ""))
    return Diagnosis(note=text)


__all__ = ["DESIGN_KINDS", "DesignModel", "DesignOptions", "Horizon", "Sourcing", "aggregate",
           "build_design", "design", "design_network", "design_sites", "lane_km"]
