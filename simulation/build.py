"""The network compiled into what one replication needs: stock points, their sources, lanes,
production lines, supplies, customer streams, costs and disruption calendars, as plain Python
and NumPy objects (cheap to send to worker processes).

Stock points (*nodes*) are the (site, product) pairs of ``inventory.csv`` at existing plants and
DCs, plus those the flows need: the origin that serves each customer, the upstream of every
node's source, the components of everything made. Candidate sites take no part.

Sources (policy replenishment), in order of preference:

1. ``Make``: the node is at a plant that makes the product (``production.csv``); components
   (the plant's own BOM, else the BOM for every plant) come from the plant's component nodes.
2. an inbound lane carrying the product from a site that can provide it: a plant or DC holding
   it (``inventory.csv``), making it, or itself supplied by such a site (``Transfer``), or a
   supplier selling it (``Buy``). The
   origin is the one with the lowest landed cost (lane cost plus the supplier's price or the
   plant's production cost); of its lanes, the fastest (then the cheapest), since inventory
   policies are sized on lead time;
3. at a plant, a supplier selling the product without a lane (``Buy``, the supply's lead time).

Disruptions come from ``SimOptions.disruptions`` (site outages, lane delays, supply cuts) and
from the network's ``capacity_changes`` table (what scenario files write), both turned into
day-by-day calendars: sites down, supply capacity and line hours multipliers, transit changes.

Each customer x product is served by one node: the origin of the lane the plan ships the most
on; without a plan, chosen as in 2 among plants and DCs, stock points of ``inventory.csv`` first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind, SiteStatus, ValidationError
from chainlab.models.errors import Issue
from chainlab.simulation import policies as pol
from chainlab.simulation.options import (
    LaneDelay,
    Replenishment,
    SimOptions,
    SiteOutage,
    SupplyCut,
    Unmet,
)
from chainlab.simulation.plan import PlanReleases

#: kinds of site that hold stock
STOCK_KINDS = (SiteKind.PLANT, SiteKind.DC)


@dataclass(frozen=True)
class Transfer:
    """Ordered from the upstream node, shipped on ``lane``."""

    lane: int
    upstream: int


@dataclass(frozen=True)
class Make:
    """Made on ``line`` at ``hours_per_unit``, consuming ``components`` ((node, units per unit))."""

    line: int
    unit_cost: float
    hours_per_unit: float
    components: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Buy:
    """Bought from ``supply``; shipped on ``lane`` (None: delivered after the supply's lead
    time). ``others``: further (supply, lane) offers, cheapest first, used when the supply
    has no capacity left (see :meth:`simulation.engine.World.place`)."""

    supply: int
    lane: int | None
    others: tuple[tuple[int, int | None], ...] = ()


Source = Transfer | Make | Buy


@dataclass(frozen=True)
class MakeRelease:
    """Plan mode: ``qty`` units released to production at node ``node``."""

    node: int
    qty: float


@dataclass(frozen=True)
class ShipRelease:
    """Plan mode: ``qty`` units shipped on ``lane`` from node ``origin`` to node ``to``."""

    lane: int
    origin: int
    to: int
    qty: float


@dataclass(frozen=True)
class BuyRelease:
    """Plan mode: ``qty`` units shipped by supply ``supply`` on ``lane`` to node ``to``."""

    supply: int
    lane: int
    to: int
    qty: float


Release = MakeRelease | ShipRelease | BuyRelease


@dataclass
class Node:
    site: str
    product: str
    site_index: int
    on_hand: float
    policy: pol.Policy
    source: Source | None = None
    #: 0 = nothing downstream; else 1 + the largest level of the nodes it supplies
    level: int = 0
    #: has a row in inventory.csv
    listed: bool = False


@dataclass
class SimModel:
    """Everything a replication needs (see the module docstring)."""

    name: str
    bucket_days: int
    periods: int
    days: int
    replenishment: Replenishment
    backlog: bool
    sites: list[str]
    nodes: list[Node]
    #: lanes used: id, origin, destination, cost, lead-time mean and sd (days), nominal days
    lanes: pd.DataFrame
    #: supplies used: supplier, product, unit_cost, lead_days, cap_per_day (inf = unlimited)
    supplies: pd.DataFrame
    #: production lines: plant, resource, hours_per_day (inf = unlimited)
    lines: pd.DataFrame
    #: customer streams: customer, product, node, lane
    streams: pd.DataFrame
    #: per product: value, holding (per unit per day), backlog (per unit per day), lost (per unit)
    products: pd.DataFrame
    #: per site and day: True while down
    down: np.ndarray
    #: per supply and day: capacity multiplier of supply cuts
    supply_scale: np.ndarray
    #: per line and day: multiplier of its hours (``capacity_changes`` of plants)
    line_scale: np.ndarray
    #: per lane and day of departure: transit multiplier and extra days of lane delays
    lane_scale: np.ndarray | None
    lane_extra: np.ndarray | None
    #: plan mode: per day, the releases of that day in plan order
    releases: dict[int, list[Release]] = field(default_factory=dict)
    fixed_cost_per_day: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def node_index(self) -> dict[tuple[str, str], int]:
        return {(n.site, n.product): i for i, n in enumerate(self.nodes)}

    def describe(self) -> dict:
        kinds = defaultdict(int)
        for n in self.nodes:
            kinds[type(n.source).__name__ if n.source else "none"] += 1
        return {"nodes": len(self.nodes), "streams": len(self.streams), "lanes": len(self.lanes),
                "lines": len(self.lines), "supplies": len(self.supplies), "sources": dict(kinds),
                "days": self.days}


def build(net: Network, pairs: list[tuple[str, str]], options: SimOptions,
          plan: PlanReleases | None = None) -> SimModel:
    """Compile ``net`` for simulation; ``pairs`` are the (customer, product) demand streams.

    Raises :class:`ValidationError` naming the site, product and field of every problem:
    policies with missing or inconsistent parameters, negative lead times, a plan that does
    not fit the network, demand no stock point can serve, replenishment cycles."""
    b = _Builder(net, options, plan)
    return b.run(pairs)


class _Builder:
    def __init__(self, net: Network, options: SimOptions, plan: PlanReleases | None):
        self.net, self.options, self.plan = net, options, plan
        self.mode = options.replenishment or (Replenishment.PLAN if plan is not None
                                              else Replenishment.POLICY)
        if self.mode is Replenishment.PLAN and plan is None:
            raise ValidationError([Issue("options", "replenishment='plan' needs a plan; pass "
                                               "plan= or use replenishment='policy'")])
        self.issues: list[Issue] = []
        self.warnings: list[str] = []
        s = net.sites
        status = s["status"].fillna(SiteStatus.EXISTING)
        self.active = set(s.index[status != SiteStatus.CANDIDATE])
        self.kind = s["kind"].to_dict()
        self.sites = list(s.index)
        self.site_index = {k: i for i, k in enumerate(self.sites)}
        self.nodes: list[Node] = []
        self.node_of: dict[tuple[str, str], int] = {}
        self.lane_ids: list[str] = []
        self.lane_of: dict[str, int] = {}
        self.supply_keys: list[tuple[str, str]] = []
        self.supply_of: dict[tuple[str, str], int] = {}
        self.line_keys: list[tuple[str, str]] = []
        self.line_of: dict[tuple[str, str], int] = {}
        lanes = net.lanes
        self.lanes_into: dict[str, list[tuple[str, str, str, float]]] = defaultdict(list)
        for lid, o, d, p, c in zip(lanes.index, lanes["origin"], lanes["destination"],
                                   lanes["product"], lanes["cost_per_unit"].fillna(0.0)):
            self.lanes_into[d].append((lid, o, p, float(c)))
        self.production = set(net.production.index)
        self.make_cost = net.production["unit_cost"].astype(float).to_dict()
        self.price = net.supply["unit_cost"].astype(float).to_dict()
        self.lead_of = lanes["lead_time_days"].fillna(0.0).astype(float).to_dict()
        self.origin_of = lanes["origin"].to_dict()
        #: (product, plant) -> [(component, quantity)]; plant '' = every plant
        self.bom: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        for (p, c, k), q in net.bom["quantity"].items():
            self.bom[(p, k)].append((c, float(q)))
        self.supply_keys_all = set(self.price)
        self._provides_memo: dict[tuple[str, str], bool] = {}
        self._check_lead_times()
        self._inventory_nodes()

    # ---------------------------------------------------------------- helpers

    def _active(self, site: str) -> bool:
        return site in self.active

    def _issue(self, file: str, message: str, row=None, column=None) -> None:
        self.issues.append(Issue(file, message, row, column))

    def _row(self, table: str, position: int) -> int | None:
        rows = self.net.rows.get(table)
        return int(rows[position]) if rows is not None and position < len(rows) else None

    def _check_lead_times(self) -> None:
        lanes = self.net.lanes
        for pos, (lid, r) in enumerate(lanes.iterrows()):
            for col in ("lead_time_days", "lead_time_sd_days"):
                v = r[col]
                if pd.notna(v) and v < 0:
                    self._issue("lanes.csv", f"lane {lid} ({r['origin']} -> {r['destination']}"
                                             f"{', ' + r['product'] if r['product'] else ''}): "
                                             f"{col}(={v:g}) must be >= 0", self._row("lanes", pos),
                                col)
        for pos, ((sup, p), r) in enumerate(self.net.supply.iterrows()):
            v = r["lead_time_days"]
            if pd.notna(v) and v < 0:
                self._issue("supply.csv", f"{sup}/{p}: lead_time_days(={v:g}) must be >= 0",
                            self._row("supply", pos), "lead_time_days")

    def _node(self, site: str, product: str, on_hand: float = 0.0,
              policy: pol.Policy | None = None, listed: bool = False) -> int:
        key = (site, product)
        if key in self.node_of:
            return self.node_of[key]
        self.node_of[key] = len(self.nodes)
        self.nodes.append(Node(site, product, self.site_index[site], on_hand,
                               policy or pol.LotForLot(), listed=listed))
        return self.node_of[key]

    def _inventory_nodes(self) -> None:
        inv = self.net.inventory
        for pos, ((site, p), r) in enumerate(inv.iterrows()):
            if site not in self.kind or self.kind[site] not in STOCK_KINDS:
                continue
            if not self._active(site):
                continue
            policy = pol.from_row(site, p, r, self._row("inventory", pos), self.issues)
            on_hand = float(r["on_hand"]) if pd.notna(r["on_hand"]) else 0.0
            self._node(site, p, on_hand, policy, listed=True)

    def _lane(self, lid: str) -> int:
        if lid not in self.lane_of:
            self.lane_of[lid] = len(self.lane_ids)
            self.lane_ids.append(lid)
        return self.lane_of[lid]

    def _supply(self, supplier: str, product: str) -> int:
        key = (supplier, product)
        if key not in self.supply_of:
            self.supply_of[key] = len(self.supply_keys)
            self.supply_keys.append(key)
        return self.supply_of[key]

    def _line(self, plant: str, resource: str, product: str) -> int:
        key = (plant, resource) if resource else (plant, f"\x00{product}")
        if key not in self.line_of:
            self.line_of[key] = len(self.line_keys)
            self.line_keys.append(key)
        return self.line_of[key]

    def _makes(self, site: str, product: str) -> bool:
        return (site, product) in self.production and self._active(site)

    def _sells(self, site: str, product: str) -> bool:
        return (site, product) in self.supply_keys_all and self._active(site)

    def _provides(self, site: str, product: str, seen: frozenset = frozenset()) -> bool:
        """Can ``site`` be the origin of ``product`` shipments? Suppliers that sell it; plants
        and DCs that hold it (``inventory.csv``), make it, or get it from a site that can."""
        key = (site, product)
        if key in self._provides_memo:
            return self._provides_memo[key]
        if not self._active(site):
            return False
        k = self.kind.get(site)
        if k == SiteKind.SUPPLIER:
            ok = self._sells(site, product)
        elif k in STOCK_KINDS:
            ok = key in self.node_of or self._makes(site, product) or any(
                o not in seen and o != site and self._provides(o, product, seen | {site})
                for _, o, _ in self._inbound(site, product))
        else:
            ok = False
        if not seen:
            self._provides_memo[key] = ok
        return ok

    def _inbound(self, site: str, product: str) -> list[tuple[str, str, float]]:
        """(lane id, origin, cost per unit) of the lanes into ``site`` that carry ``product``."""
        return [(lid, o, c) for lid, o, p, c in self.lanes_into.get(site, ())
                if p in ("", product)]

    # ---------------------------------------------------------------- steps

    def run(self, pairs: list[tuple[str, str]]) -> SimModel:
        net = self.net
        planned = self._planned_customer_lanes()
        stream_rows = []
        for c, p in pairs:
            if c not in self.kind or self.kind[c] != SiteKind.CUSTOMER:
                self._issue("demand.csv", f"{c} is not a customer site; fix the demand's "
                                          "customer id", column="customer")
                continue
            if p not in net.products.index:
                self._issue("demand.csv", f"{c}/{p}: product {p!r} is not in products.csv",
                            column="product")
                continue
            lid = planned.get((c, p)) or self._serving_lane(c, p)
            if lid is None:
                self._issue("lanes.csv", f"{c}/{p}: no lane into {c} carries {p} from a plant or "
                                         f"DC that holds or makes it; add such a lane or stock")
                continue
            origin = net.lanes.at[lid, "origin"]
            stream_rows.append((c, p, self._node(origin, p), self._lane(lid)))
        self._resolve_sources()
        plan_releases = self._plan_releases() if self.plan is not None else {}
        if self.issues:
            raise ValidationError(self.issues)
        self._levels()
        if self.issues:
            raise ValidationError(self.issues)
        return self._model(stream_rows, plan_releases)

    def _planned_customer_lanes(self) -> dict[tuple[str, str], str]:
        if self.plan is None or self.plan.shipments.empty:
            return {}
        s = self.plan.shipments
        lanes = self.net.lanes
        known = s[s["lane"].isin(lanes.index)]
        dest = known["lane"].map(lanes["destination"])
        to_cust = known[dest.map(self.kind).eq(SiteKind.CUSTOMER)]
        if to_cust.empty:
            return {}
        vol = to_cust.groupby(["lane", "product"], sort=True)["quantity"].sum().reset_index()
        vol["customer"] = vol["lane"].map(lanes["destination"])
        vol = vol.sort_values(["customer", "product", "quantity", "lane"],
                              ascending=[True, True, False, True], kind="stable")
        best = vol.drop_duplicates(["customer", "product"])
        return {(c, p): lid for c, p, lid in zip(best["customer"], best["product"], best["lane"])}

    def _serving_lane(self, customer: str, product: str) -> str | None:
        return self._choose(customer, product, customer=True)

    def _choose(self, site: str, product: str, customer: bool = False) -> str | None:
        """The lane ``site`` gets ``product`` on: from the origin with the lowest landed cost
        (lane cost, plus the supplier's price or the plant's production cost), by that origin's
        fastest lane (then cheapest). For customers, stock points of ``inventory.csv`` come
        first. None when no origin can provide the product."""
        by_origin: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for lid, o, cost in self._inbound(site, product):
            if o == site or not self._provides(o, product):
                continue
            if customer and self.kind.get(o) not in STOCK_KINDS:
                continue
            by_origin[o].append((self.lead_of[lid], cost, lid))
        if not by_origin:
            return None

        def landed(o: str) -> tuple:
            base = 0.0
            if self.kind[o] == SiteKind.SUPPLIER:
                base = self.price[(o, product)]
            elif (o, product) in self.production:
                base = self.make_cost[(o, product)]
            listed = (o, product) in self.node_of and self.nodes[self.node_of[(o, product)]].listed
            return (customer and not listed, base + min(c for _, c, _ in by_origin[o]), o)

        origin = min(by_origin, key=landed)
        return min(by_origin[origin])[2]

    def _resolve_sources(self) -> None:
        """Give every node its source; new nodes (upstreams, components) join the queue."""
        i = 0
        while i < len(self.nodes):
            n = self.nodes[i]
            n.source = self._source(n)
            i += 1
        if self.mode is Replenishment.POLICY:
            for n in self.nodes:
                if n.source is None and n.listed and not isinstance(n.policy, pol.LotForLot):
                    self._issue("inventory.csv",
                                f"{n.site}/{n.product}: policy {type(n.policy).__name__} but "
                                f"nothing replenishes it; add a lane into {n.site} carrying "
                                f"{n.product} from a site that holds, makes or sells it",
                                column="policy")
                elif n.source is None and n.on_hand == 0:
                    self.warnings.append(f"{n.site}/{n.product} has no stock and no source")

    def _source(self, n: Node) -> Source | None:
        net = self.net
        site, p = n.site, n.product
        if self.kind[site] == SiteKind.PLANT and self._makes(site, p):
            pr = net.production.loc[(site, p)]
            recipe = self.bom.get((p, site)) or self.bom.get((p, ""), [])
            comps = [(self._node(site, c), q) for c, q in recipe if q > 0]
            hpu = float(pr["hours_per_unit"]) if pd.notna(pr["hours_per_unit"]) else 0.0
            res = str(pr["resource"] or "")
            return Make(self._line(site, res, p), float(pr["unit_cost"]), hpu, tuple(comps))
        lid = self._choose(site, p)
        if lid is not None:
            o = self.origin_of[lid]
            if self.kind[o] == SiteKind.SUPPLIER:
                return Buy(self._supply(o, p), self._lane(lid), self._other_offers(site, p, o))
            return Transfer(self._lane(lid), self._node(o, p))
        if self.kind[site] == SiteKind.PLANT and len(net.supply):
            offers = net.supply.reset_index()
            offers = offers[(offers["product"] == p) & offers["supplier"].isin(self.active)]
            if len(offers):
                o = offers.sort_values(["unit_cost", "supplier"]).iloc[0]
                return Buy(self._supply(o["supplier"], p), None)
        return None

    def _other_offers(self, site: str, p: str, chosen: str) -> tuple:
        """Other suppliers' offers of ``p`` into ``site`` by their fastest lane, cheapest
        landed cost first."""
        by_origin: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for lid, o, cost in self._inbound(site, p):
            if o != chosen and self.kind.get(o) == SiteKind.SUPPLIER and self._sells(o, p):
                by_origin[o].append((self.lead_of[lid], cost, lid))
        ranked = sorted((self.price[(o, p)] + min(c for _, c, _ in v), o) for o, v in
                        by_origin.items())
        return tuple((self._supply(o, p), self._lane(min(by_origin[o])[2])) for _, o in ranked)

    def _edges(self) -> list[tuple[int, int]]:
        """(upstream, downstream) node pairs of replenishment and production."""
        e = []
        for i, n in enumerate(self.nodes):
            if isinstance(n.source, Transfer):
                e.append((n.source.upstream, i))
            elif isinstance(n.source, Make):
                e += [(c, i) for c, _ in n.source.components]
        return e

    def _levels(self) -> None:
        """level = 1 + the largest level downstream (reviews run downstream first each day)."""
        down = defaultdict(list)
        for u, d in self._edges():
            down[u].append(d)
        state: dict[int, int] = {}
        level = [0] * len(self.nodes)

        def visit(i: int, path: list[int]) -> int:
            if state.get(i) == 2:
                return level[i]
            if state.get(i) == 1:
                cyc = path[path.index(i):] + [i]
                names = " -> ".join(f"{self.nodes[j].site}/{self.nodes[j].product}"
                                    for j in reversed(cyc))
                self._issue("lanes.csv", f"replenishment cycle {names}; a stock point cannot "
                                         "be its own source: remove or re-cost a lane")
                return 0
            state[i] = 1
            lv = 0
            for d in down[i]:
                lv = max(lv, 1 + visit(d, path + [i]))
            state[i] = 2
            level[i] = lv
            return lv

        for i in range(len(self.nodes)):
            visit(i, [])
        if max(level, default=0) >= 200:
            self._issue("lanes.csv", "more than 200 echelons of stock points")
        for n, lv in zip(self.nodes, level):
            n.level = lv

    def _plan_releases(self) -> dict[int, list[Release]]:
        plan, net = self.plan, self.net
        plan.check(net)
        d = net.calendar.days
        out: dict[int, list[Release]] = defaultdict(list)
        prod = plan.production
        for k, p, t, q in zip(prod["plant"], prod["product"], prod["period"], prod["quantity"]):
            if q > 0 and self._active(k):
                i = self._node(k, p)
                out[int(t) * d].append(MakeRelease(i, float(q)))
        lanes = net.lanes
        sh = plan.shipments
        for lid, p, t, q in zip(sh["lane"], sh["product"], sh["period"], sh["quantity"]):
            if q <= 0:
                continue
            o, dst = lanes.at[lid, "origin"], lanes.at[lid, "destination"]
            if self.kind[dst] == SiteKind.CUSTOMER:
                continue
            if self.kind[dst] not in STOCK_KINDS:
                continue
            to = self._node(dst, p)
            if self.kind[o] == SiteKind.SUPPLIER:
                if not self._sells(o, p):
                    self._issue("shipments.csv", f"lane {lid}: {o} does not sell {p} in "
                                                 "supply.csv; was the plan made for another "
                                                 "network?", column="lane")
                    continue
                out[int(t) * d].append(BuyRelease(self._supply(o, p), self._lane(lid), to,
                                                  float(q)))
            else:
                out[int(t) * d].append(ShipRelease(self._lane(lid), self._node(o, p), to,
                                                   float(q)))
        # production and new nodes may need sources (components) and lanes
        self._resolve_sources()
        return dict(out)

    # ---------------------------------------------------------------- output

    def _model(self, stream_rows, releases) -> SimModel:
        net, cal, opt = self.net, self.net.calendar, self.options
        D = cal.periods * cal.days
        lanes = net.lanes.loc[self.lane_ids] if self.lane_ids else net.lanes.iloc[:0]
        lt = lanes["lead_time_days"].fillna(0.0).to_numpy(dtype=float)
        lanes_df = pd.DataFrame({
            "id": list(lanes.index), "origin": lanes["origin"].to_numpy(),
            "destination": lanes["destination"].to_numpy(),
            "cost": lanes["cost_per_unit"].fillna(0.0).to_numpy(dtype=float),
            "lead_mean": lt, "lead_sd": lanes["lead_time_sd_days"].fillna(0.0).to_numpy(float),
            "nominal": np.floor(lt + 0.5).astype(np.int64)})
        sup = net.supply
        srows = [sup.loc[k] for k in self.supply_keys]
        supplies = pd.DataFrame({
            "supplier": [k[0] for k in self.supply_keys],
            "product": [k[1] for k in self.supply_keys],
            "unit_cost": [float(r["unit_cost"]) for r in srows],
            "lead_days": [math.floor((r["lead_time_days"] if pd.notna(r["lead_time_days"])
                                      else 0.0) + 0.5) for r in srows],
            "cap_per_day": [float(r["capacity_per_period"]) / cal.days
                            if pd.notna(r["capacity_per_period"]) else math.inf for r in srows]})
        res = net.resources
        hours = []
        for plant, r in self.line_keys:
            if r.startswith("\x00") or (plant, r) not in res.index:
                if not r.startswith("\x00"):
                    self.warnings.append(f"resource {plant}/{r} is not in resources.csv; "
                                         "its hours are unlimited")
                hours.append(math.inf)
            else:
                hours.append(float(res.at[(plant, r), "hours_per_period"]) / cal.days)
        lines = pd.DataFrame({"plant": [k[0] for k in self.line_keys],
                              "resource": ["" if k[1].startswith("\x00") else k[1]
                                           for k in self.line_keys],
                              "hours_per_day": hours})
        streams = pd.DataFrame(stream_rows, columns=["customer", "product", "node", "lane"])
        products = self._product_costs()
        down, supply_scale, lane_scale, lane_extra = self._disruptions(lanes_df, supplies, D)
        line_scale = self._capacity_changes(down, supply_scale, supplies, lines, D)
        fixed = net.sites["fixed_cost"].fillna(0.0)
        fixed = float(fixed[fixed.index.isin(self.active)].sum()) / cal.days
        return SimModel(
            name=net.name, bucket_days=cal.days, periods=cal.periods, days=D,
            replenishment=self.mode, backlog=opt.unmet is Unmet.BACKLOG, sites=self.sites,
            nodes=self.nodes, lanes=lanes_df, supplies=supplies, lines=lines, streams=streams,
            products=products, down=down, supply_scale=supply_scale, line_scale=line_scale,
            lane_scale=lane_scale,
            lane_extra=lane_extra, releases=releases, fixed_cost_per_day=fixed,
            warnings=self.warnings)

    def _product_costs(self) -> pd.DataFrame:
        p, opt, d = self.net.products, self.options, self.net.calendar.days
        price = p["price"].fillna(0.0)
        value = price.where(price > 0, p["standard_cost"].fillna(0.0))
        value = value.where(value > 0, 1.0)
        backlog = (pd.Series(opt.backlog_cost, index=p.index, dtype=float)
                   if opt.backlog_cost is not None else 0.5 * value)
        lost = (pd.Series(opt.lost_sales_cost, index=p.index, dtype=float)
                if opt.lost_sales_cost is not None else 5.0 * value)
        return pd.DataFrame({"value": value, "holding": p["holding_cost"].fillna(0.0) / d,
                             "backlog": backlog / d, "lost": lost})

    def _capacity_changes(self, down, supply_scale, supplies, lines, D) -> np.ndarray:
        """Apply the network's ``capacity_changes`` day by day: a site at scale 0 is down; a
        plant's resource (or, without one, all its lines) works scale x its hours; a supplier's
        capacity (for one product, or all) is scaled. A DC above 0 is not limited (DC
        throughput is not simulated) and gets a warning."""
        line_scale = np.ones((len(lines), D))
        cc = getattr(self.net, "capacity_changes", None)
        if cc is None or cc.empty:
            return line_scale
        start = self.net.calendar.start
        flat = cc.reset_index()
        for site, res, prod, s, e, k in zip(flat["site"], flat["resource"], flat["product"],
                                            flat["start"], flat["end"], flat["scale"]):
            a = max(0, (pd.Timestamp(s).date() - start).days)
            b = min(D, (pd.Timestamp(e).date() - start).days + 1)
            if b <= a or site not in self.site_index:
                continue
            kind = self.kind[site]
            if kind == SiteKind.SUPPLIER:
                m = (supplies["supplier"] == site).to_numpy().copy()
                if prod:
                    m = m & (supplies["product"] == prod).to_numpy()
                supply_scale[m, a:b] *= k
            elif kind == SiteKind.PLANT and res:
                m = ((lines["plant"] == site) & (lines["resource"] == res)).to_numpy()
                line_scale[m, a:b] *= k
            elif k == 0:
                down[self.site_index[site], a:b] = True
            elif kind == SiteKind.PLANT:
                line_scale[(lines["plant"] == site).to_numpy(), a:b] *= k
            else:
                self.warnings.append(f"capacity_changes: {site} at {k:g} from {s} to {e} is not "
                                     "simulated (DC throughput is not limited); 0 takes it down")
        return line_scale

    def _disruptions(self, lanes: pd.DataFrame, supplies: pd.DataFrame, D: int):
        cal = self.net.calendar
        down = np.zeros((len(self.sites), D), dtype=bool)
        supply_scale = np.ones((len(supplies), D))
        lane_scale = lane_extra = None
        issues = []
        for k, dis in enumerate(self.options.disruptions):
            where = f"disruption {k + 1} ({type(dis).__name__})"
            a, b = dis.window.days(cal)
            if b <= 0 or a >= D:
                issues.append(Issue("options", f"{where}: window {dis.start}..{dis.end} is "
                                               f"outside the calendar {cal.start}..{cal.end}"))
                continue
            a, b = max(a, 0), min(b, D)
            if isinstance(dis, SiteOutage):
                if dis.site not in self.site_index:
                    issues.append(Issue("options", f"{where}: site {dis.site!r} is not a site"))
                    continue
                down[self.site_index[dis.site], a:b] = True
            elif isinstance(dis, SupplyCut):
                if (dis.supplier not in self.site_index
                        or self.kind[dis.supplier] != SiteKind.SUPPLIER):
                    issues.append(Issue("options", f"{where}: {dis.supplier!r} is not a "
                                                   "supplier"))
                    continue
                m = (supplies["supplier"] == dis.supplier).to_numpy()
                if dis.product:
                    m = m & (supplies["product"] == dis.product).to_numpy()
                supply_scale[m, a:b] *= dis.scale
            elif isinstance(dis, LaneDelay):
                m = np.array([dis.matches(i, o, t) for i, o, t in
                              zip(lanes["id"], lanes["origin"], lanes["destination"])], dtype=bool)
                if dis.lane and dis.lane not in self.net.lanes.index:
                    issues.append(Issue("options", f"{where}: lane {dis.lane!r} is not a lane"))
                    continue
                if lane_scale is None:
                    lane_scale = np.ones((len(lanes), D))
                    lane_extra = np.zeros((len(lanes), D))
                lane_scale[m, a:b] *= dis.scale
                lane_extra[m, a:b] += dis.extra_days
        if issues:
            raise ValidationError(issues)
        return down, supply_scale, lane_scale, lane_extra
