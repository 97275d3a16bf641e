"""The network read into the sets the planning model is written over.

:func:`prepare` keeps the sites that take part in a plan (existing suppliers, plants and DCs, and
every customer; candidate sites are for network design), expands lanes that carry every product
into one arc per product that can reach the origin and is wanted at the destination, expands BOM
rows that apply to every plant, converts lead times to buckets (as ``options.timing`` says:
rounded half up, or up, with or without a handling lag), and puts demand on the
customer x product x period grid. Everything is a DataFrame keyed by network IDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind, SiteStatus, ValidationError
from chainlab.models.errors import Issue
from chainlab.models.schema import DISCRETE_UNITS
from chainlab.solver.options import SolveOptions, Unmet

#: site kinds that hold stock (and get inventory variables)
STOCK_KINDS = (SiteKind.PLANT, SiteKind.DC)


@dataclass
class PlanData:
    """The sets and parameters of one planning model (see module docstring)."""

    net: Network
    T: int
    #: active sites: kind, fixed_cost, capacity (DC throughput)
    sites: pd.DataFrame
    #: per product: holding_cost (h), value (v), backlog, lost, safety penalties, bound (U),
    #: whole (planned in whole units when ``options.integer_quantities`` is None)
    products: pd.DataFrame
    #: U[p,t], products x periods (see ``_bounds``)
    bound_t: np.ndarray
    #: production rows at active plants: plant, product, unit_cost, resource, hours_per_unit,
    #: setup_cost, min_lot, max_lot, lot_multiple (NaN = none), setup_hours, lead (buckets
    #: from release to output), hours_available, big_m (over the horizon)
    production: pd.DataFrame
    #: components used per production row: prow (row of ``production``), plant, product,
    #: component, quantity
    recipes: pd.DataFrame
    #: resources at active plants: plant, resource, hours_per_period
    resources: pd.DataFrame
    #: supply offers of active suppliers: supplier, product, unit_cost, capacity, lead (buckets),
    #: min_order, order_multiple (NaN = none)
    supply: pd.DataFrame
    #: active lanes (index = lane ID): origin, destination, cost_per_unit, lead (buckets),
    #: capacity, fixed_cost, min_shipment, origin_kind, destination_kind, big_m
    lanes: pd.DataFrame
    #: lane x product: lane, product, origin, destination, lead, cost_per_unit, purchase_cost,
    #: first (first ship period), last (last ship period)
    arcs: pd.DataFrame
    #: stock points (plant or DC x product): site, product, on_hand, safety_stock, max_stock
    nodes: pd.DataFrame
    #: customer x product pairs with demand: customer, product
    pairs: pd.DataFrame
    #: demand per pair and period, dense: pair (row of ``pairs``), customer, product, period,
    #: quantity
    demand: pd.DataFrame
    #: capacity multipliers per period from ``net.capacity_changes`` (outages, slowdowns):
    #: rows (site, resource, product), columns periods; absent rows mean 1
    factors: pd.DataFrame | None = None
    #: handling lag (periods): what is received or made at a stock point in t can leave it
    #: from t + lag on (``Timing.lag``)
    lag: int = 0

    @property
    def periods(self) -> np.ndarray:
        return np.arange(self.T)

    def factor(self, site, resource=None, product=None) -> np.ndarray:
        """f[i, t]: the capacity multiplier of each (site[i], resource[i] / product[i]) in
        each period; a whole-site change multiplies a resource's or a product's own."""
        site = np.asarray(site, dtype=object)
        out = np.ones((len(site), self.T))
        f = self.factors
        if f is None or f.empty:
            return out
        keys = [(site, np.full(len(site), ""), np.full(len(site), ""))]
        if resource is not None:
            keys.append((site, np.asarray(resource, dtype=object), np.full(len(site), "")))
        if product is not None:
            keys.append((site, np.full(len(site), ""), np.asarray(product, dtype=object)))
        values = f.to_numpy()
        for k in keys:
            pos = f.index.get_indexer(pd.MultiIndex.from_arrays(list(k)))
            hit = pos >= 0
            out[hit] *= values[pos[hit]]
        return out


def demand_table(net: Network, demand=None) -> pd.DataFrame:
    """Demand as columns customer, product, period, quantity (summed, inside the horizon).

    ``demand`` may be None (the network's own ``demand.csv``), a DataFrame with ``customer``,
    ``product``, ``quantity`` and ``period`` or ``date`` (as columns or index levels), or an
    object with an ``expected()`` method returning such a frame (a CRM demand model).
    """
    if demand is None:
        d = net.demand_by_period().reset_index()
    else:
        if callable(getattr(demand, "expected_demand", None)):  # models.demand.DemandModel
            demand = demand.expected_demand()
        elif callable(getattr(demand, "expected", None)):
            demand = demand.expected()
        if not isinstance(demand, pd.DataFrame):
            raise TypeError(f"demand must be a DataFrame or a demand model with "
                            f"expected_demand(); got {type(demand).__name__}")
        d = demand.reset_index() if any(n in ("customer", "product", "period", "date")
                                        for n in demand.index.names if n) else demand.copy()
        missing = [c for c in ("customer", "product", "quantity") if c not in d.columns]
        if "period" not in d.columns and "date" not in d.columns:
            missing.append("period or date")
        if missing:
            raise ValidationError(f"demand table lacks column(s) {', '.join(missing)}")
        if "period" not in d.columns:
            d["period"] = net.calendar.period_of(d["date"])
    if d.empty:
        return pd.DataFrame({"customer": pd.Series(dtype=str), "product": pd.Series(dtype=str),
                             "period": pd.Series(dtype=np.int64),
                             "quantity": pd.Series(dtype=float)})
    d = d[["customer", "product", "period", "quantity"]].copy()
    d["customer"] = d["customer"].astype(str)
    d["product"] = d["product"].astype(str)
    d["period"] = d["period"].astype(np.int64)
    d["quantity"] = d["quantity"].astype(float)
    issues = []
    customers = net.sites.index[net.sites["kind"] == SiteKind.CUSTOMER]
    for col, known, what in (("customer", customers, "a customer in sites.csv"),
                             ("product", net.products.index, "a product in products.csv")):
        bad = sorted(set(d[col]) - set(known))
        for b in bad[:20]:
            issues.append(Issue("demand", f"{col} {b!r} is not {what}; add it or fix the id",
                                column=col))
    neg = d["quantity"] < 0
    if neg.any() or d["quantity"].isna().any():
        r = d[neg | d["quantity"].isna()].iloc[0]
        issues.append(Issue("demand", f"quantity(={r['quantity']}) for {r['customer']}/"
                                      f"{r['product']} period {r['period']} must be >= 0",
                            column="quantity"))
    if issues:
        raise ValidationError(issues)
    inside = (d["period"] >= 0) & (d["period"] < net.calendar.periods)
    return (d[inside].groupby(["customer", "product", "period"], as_index=False, sort=True)
            ["quantity"].sum())


def prepare(net: Network, demand=None, options: SolveOptions | None = None) -> PlanData:
    """The sets of the planning model for ``net`` and ``demand`` (see :func:`demand_table`)."""
    options = options or SolveOptions()
    cal = net.calendar
    T = cal.periods
    s = net.sites
    active = (s["status"] != SiteStatus.CANDIDATE) | (s["kind"] == SiteKind.CUSTOMER)
    sites = s.loc[active, ["kind", "fixed_cost", "capacity"]].copy()
    kind = sites["kind"]

    products = product_parameters(net, options)

    prod = _with_columns(net.production.reset_index(), LOT_COLUMNS)
    prod = prod[prod["plant"].map(kind).eq(SiteKind.PLANT)].reset_index(drop=True)
    # production lead time in buckets: an order released in t - lead delivers in t
    prod["lead"] = options.timing.to_buckets(cal, prod["lead_time_days"].to_numpy())
    recipes = recipe_lines(net, prod)

    res = net.resources.reset_index()
    res = res[res["plant"].map(kind).eq(SiteKind.PLANT)].reset_index(drop=True)

    sup = _with_columns(net.supply.reset_index(), ORDER_COLUMNS)
    sup = sup[sup["supplier"].map(kind).eq(SiteKind.SUPPLIER)].reset_index(drop=True)
    sup = sup.rename(columns={"capacity_per_period": "capacity"})
    sup["lead"] = options.timing.to_buckets(cal, sup["lead_time_days"].to_numpy())

    lanes = net.lanes.copy()
    lanes["origin_kind"] = lanes["origin"].map(kind)
    lanes["destination_kind"] = lanes["destination"].map(kind)
    lanes = lanes[lanes["origin_kind"].isin([SiteKind.SUPPLIER, *STOCK_KINDS])
                  & lanes["destination_kind"].isin([*STOCK_KINDS, SiteKind.CUSTOMER])].copy()
    lanes["lead"] = options.timing.to_buckets(cal, lanes["lead_time_days"].to_numpy())
    lanes = lanes.rename(columns={"capacity_per_period": "capacity"})

    inv = net.inventory.reset_index()
    inv = inv[inv["site"].map(kind).isin(STOCK_KINDS)]

    d = demand_table(net, demand)
    d = d[d["customer"].map(kind).eq(SiteKind.CUSTOMER)]

    arcs, avail, wanted = _arcs(lanes, prod, sup, inv, d, recipes, kind)

    # stock points: every plant/DC x product that can be there and is wanted, held or made
    keep = pd.concat([wanted, inv.loc[inv["on_hand"] > 0, ["site", "product"]],
                      prod[["plant", "product"]].rename(columns={"plant": "site"})])
    nodes = avail.merge(keep.drop_duplicates(), on=["site", "product"])
    nodes = nodes[nodes["site"].map(kind).isin(STOCK_KINDS)].copy()
    nodes = nodes.merge(inv[["site", "product", "on_hand", "safety_stock", "max_stock"]],
                        on=["site", "product"], how="left")
    nodes["on_hand"] = nodes["on_hand"].fillna(0.0)
    nodes["safety_stock"] = nodes["safety_stock"].fillna(0.0)
    nodes = nodes.sort_values(["site", "product"]).reset_index(drop=True)

    # arcs: lead times, first/last ship period, purchase price on supplier lanes
    arcs = arcs.merge(lanes[["lead", "cost_per_unit"]], left_on="lane", right_index=True)
    arcs = arcs.merge(sup[["supplier", "product", "unit_cost", "lead"]].rename(
        columns={"supplier": "origin", "unit_cost": "purchase_cost", "lead": "supply_lead"}),
        on=["origin", "product"], how="left")
    from_supplier = arcs["origin"].map(kind).eq(SiteKind.SUPPLIER).to_numpy()
    arcs["purchase_cost"] = arcs["purchase_cost"].fillna(0.0)
    arcs["first"] = np.where(from_supplier, arcs["supply_lead"].fillna(0), 0).astype(np.int64)
    arcs["last"] = (T - 1 - arcs["lead"]).astype(np.int64)
    arcs = arcs[arcs["first"] <= arcs["last"]].drop(columns="supply_lead")
    arcs = arcs.sort_values(["lane", "product"]).reset_index(drop=True)

    pairs = d[["customer", "product"]].drop_duplicates().sort_values(
        ["customer", "product"]).reset_index(drop=True)
    grid = pairs.reset_index(names="pair").merge(pd.DataFrame({"period": np.arange(T)}),
                                                 how="cross")
    grid = grid.merge(d, on=["customer", "product", "period"], how="left")
    grid["quantity"] = grid["quantity"].fillna(0.0)
    grid = grid.sort_values(["pair", "period"]).reset_index(drop=True)

    # upper bounds on useful quantities, for big-M constraints of the MILP features
    # what rounding up to a lot or order size can add to a period's quantity
    rounding = pd.concat([prod[["product", "lot_multiple"]].set_axis(["product", "q"], axis=1),
                          sup[["product", "order_multiple"]].set_axis(["product", "q"], axis=1),
                          sup[["product", "min_order"]].set_axis(["product", "q"], axis=1)])
    rounding = rounding.groupby("product")["q"].max().reindex(products.index).fillna(0.0)
    bound_t = _bounds(products.index, d, nodes, recipes, T,
                      carried=options.unmet is Unmet.BACKLOG, extra=rounding.to_numpy())
    products["bound"] = bound_t.max(axis=1)
    prod = prod.merge(res, on=["plant", "resource"], how="left")
    prod["hours_available"] = prod["hours_per_period"]
    prod = prod.drop(columns="hours_per_period")
    by_hours = max_by_hours(prod)
    # a minimum lot may force more than is needed: M >= min_lot keeps that possible
    prod["big_m"] = np.fmax(np.fmin(by_hours, prod["product"].map(products["bound"]).to_numpy()),
                            prod["min_lot"].to_numpy())
    lane_bound = arcs.assign(b=arcs["product"].map(products["bound"])).groupby("lane")["b"].sum()
    lanes["big_m"] = np.fmin(lanes["capacity"].fillna(np.inf),
                             np.fmax(lane_bound.reindex(lanes.index).fillna(0.0),
                                     lanes["min_shipment"]))
    lanes = lanes[lanes.index.isin(arcs["lane"])]

    return PlanData(net=net, T=T, sites=sites, products=products, bound_t=bound_t,
                    production=prod,
                    recipes=recipes, resources=res, supply=sup, lanes=lanes, arcs=arcs,
                    nodes=nodes, pairs=pairs, demand=grid, factors=net.capacity_factors(),
                    lag=options.timing.lag)


#: optional production columns of lots and lead times, and their defaults (NaN = none)
LOT_COLUMNS = {"max_lot": np.nan, "lot_multiple": np.nan, "setup_hours": 0.0,
               "lead_time_days": 0.0}
#: optional supply columns of order sizes, and their defaults
ORDER_COLUMNS = {"min_order": 0.0, "order_multiple": np.nan}


def _with_columns(df: pd.DataFrame, defaults: dict) -> pd.DataFrame:
    """``df`` with every column of ``defaults`` (tables built in code may lack the optional
    ones), blanks filled with the default."""
    df = df.copy()
    for c, v in defaults.items():
        df[c] = df[c].astype(float).fillna(v) if c in df.columns else v
    return df


def max_by_hours(prod: pd.DataFrame) -> np.ndarray:
    """Most each production row can make in a period: the hours of its resource less one
    setup, over the hours per unit, and at most ``max_lot`` (inf when neither limits it)."""
    hpu = prod["hours_per_unit"].to_numpy(dtype=float)
    hours = prod["hours_available"].to_numpy(dtype=float) - prod["setup_hours"].to_numpy()
    by_hours = np.where(hpu > 0, np.maximum(hours, 0.0) / np.where(hpu > 0, hpu, 1.0), np.inf)
    by_hours = np.nan_to_num(by_hours, nan=np.inf)
    return np.fmin(by_hours, np.nan_to_num(prod["max_lot"].to_numpy(dtype=float), nan=np.inf))


def product_parameters(net: Network, options: SolveOptions) -> pd.DataFrame:
    """Per product (index = product ID): holding_cost (h), value (v: price, else
    standard_cost, else 1) and the backlog, lost-sales and safety-stock penalties
    (``options``, or their defaults in v: see :class:`SolveOptions`)."""
    p = net.products
    price = p["price"].fillna(0.0)
    value = price.where(price > 0, p["standard_cost"].fillna(0.0))
    value = value.where(value > 0, 1.0)
    out = pd.DataFrame({"holding_cost": p["holding_cost"].fillna(0.0), "value": value})
    out["whole"] = whole_units(p)

    def pen(opt, factor):
        return pd.Series(opt, index=p.index, dtype=float) if opt is not None else factor * value

    out["backlog_penalty"] = pen(options.backlog_penalty, 0.5)
    out["lost_penalty"] = pen(options.lost_sales_penalty, 5.0)
    out["safety_penalty"] = pen(options.safety_stock_penalty, 0.05)
    return out


def whole_units(products: pd.DataFrame) -> np.ndarray:
    """Per product: planned in whole units when ``integer_quantities`` asks for it (``yes``),
    or when it is blank and the product's unit counts pieces (``DISCRETE_UNITS``)."""
    n = len(products)
    flag = (products["integer_quantities"].fillna("").astype(str).str.lower().to_numpy()
            if "integer_quantities" in products.columns else np.full(n, ""))
    unit = (products["unit"].fillna("ea").astype(str).str.strip().str.lower()
            if "unit" in products.columns else pd.Series("ea", index=products.index))
    by_unit = unit.isin(DISCRETE_UNITS).to_numpy()
    return np.where(flag == "yes", True, np.where(flag == "no", False, by_unit))


def recipe_lines(net: Network, prod: pd.DataFrame) -> pd.DataFrame:
    """Component use per production row: a plant's own recipe for a product replaces the
    recipe that applies to every plant."""
    cols = ["prow", "plant", "product", "component", "quantity"]
    bom = net.bom.reset_index()
    if bom.empty or prod.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "quantity" else object)
                             for c in cols}).astype({"prow": np.int64})
    rows = prod[["plant", "product"]].reset_index(names="prow")
    own = rows.merge(bom[bom["plant"] != ""], on=["plant", "product"])
    generic = rows.merge(bom[bom["plant"] == ""].drop(columns="plant"), on="product")
    generic = generic[~generic["prow"].isin(own["prow"])]
    return pd.concat([own, generic])[cols].sort_values(["prow", "component"]).reset_index(drop=True)


def _arcs(lanes, prod, sup, inv, d, recipes, kind):
    """Lane x product arcs that can carry something useful; the (site, product) pairs where a
    product can be, forward from its sources (supply, production, stock on hand); and those
    where it is wanted, backward from customer demand, components and stock floors."""
    lanes_flat = lanes.reset_index(names="lane")[["lane", "origin", "destination", "product"]]
    generic = lanes_flat[lanes_flat["product"] == ""].drop(columns="product")
    specific = lanes_flat[lanes_flat["product"] != ""]

    def expand(have):
        a = generic.merge(have.rename(columns={"site": "origin"}), on="origin")
        b = specific.merge(have.rename(columns={"site": "origin"}), on=["origin", "product"])
        return pd.concat([a, b], ignore_index=True)

    key = ["site", "product"]
    avail = pd.concat([
        sup[["supplier", "product"]].rename(columns={"supplier": "site"}),
        prod[["plant", "product"]].rename(columns={"plant": "site"}),
        inv.loc[inv["on_hand"] > 0, key],
    ]).drop_duplicates()
    while True:
        arcs = expand(avail)
        reach = arcs[arcs["destination"].map(kind).isin(STOCK_KINDS)][["destination", "product"]]
        new = pd.concat([avail, reach.rename(columns={"destination": "site"})]).drop_duplicates()
        if len(new) == len(avail):
            break
        avail = new

    wanted = pd.concat([
        d[["customer", "product"]].rename(columns={"customer": "site"}),
        inv.loc[inv["safety_stock"] > 0, key],
        recipes[["plant", "component"]].rename(columns={"plant": "site", "component": "product"}),
    ]).drop_duplicates()
    while True:
        back = arcs.merge(wanted.rename(columns={"site": "destination"}),
                          on=["destination", "product"])[["origin", "product"]]
        new = pd.concat([wanted, back.rename(columns={"origin": "site"})]).drop_duplicates()
        if len(new) == len(wanted):
            break
        wanted = new
    arcs = arcs.merge(wanted.rename(columns={"site": "destination"}), on=["destination", "product"])
    return (arcs[["lane", "product", "origin", "destination"]], avail.reset_index(drop=True),
            wanted.reset_index(drop=True))


def _bounds(products: pd.Index, d: pd.DataFrame, nodes: pd.DataFrame, recipes: pd.DataFrame,
            T: int, carried: bool, extra: np.ndarray | None = None) -> np.ndarray:
    """U[p,t] (products x periods): more of product p than any cost-minimal plan makes or
    moves in period t: the demand for p still to come from t on (all of it when unmet
    demand is carried, since backlog from before t may be served in t), plus stock on hand
    twice (it may be moved, and rebuilt by the end), plus safety stocks, plus ``extra[p]``
    (the most that rounding a lot or an order of p up to its multiple or minimum adds), plus
    what the products made from p need:
    U[p,t] = rest[p,t] + 2 stock[p] + floors[p] + extra[p] + sum_q bom[q,p] U[q,t].
    """
    n = len(products)
    pos = pd.Index(products)
    dem = np.zeros((n, T))
    if len(d):
        np.add.at(dem, (pos.get_indexer(d["product"]), d["period"].to_numpy()),
                  d["quantity"].to_numpy())
    rest = np.cumsum(dem[:, ::-1], axis=1)[:, ::-1]  # demand from t to the end
    if carried:
        rest = np.repeat(rest[:, :1], T, axis=1)
    stock = np.zeros(n)
    if len(nodes):
        np.add.at(stock, pos.get_indexer(nodes["product"]),
                  2 * nodes["on_hand"].to_numpy() + nodes["safety_stock"].to_numpy())
    base = rest + stock[:, None]
    if extra is not None:
        # a lot or order rounded up to its multiple (or minimum) makes or buys up to this more
        base = base + extra[:, None]
    use = recipes.groupby(["product", "component"])["quantity"].max().reset_index()
    parent = pos.get_indexer(use["product"])
    child = pos.get_indexer(use["component"])
    q = use["quantity"].to_numpy()
    u = base.copy()
    for _ in range(n + 1):  # BOMs are acyclic: depth <= number of products
        new = base.copy()
        np.add.at(new, child, q[:, None] * u[parent])
        if np.allclose(new, u):
            break
        u = new
    return u + 1.0
