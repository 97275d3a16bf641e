"""Inventory optimization of a network: new ``inventory.csv`` policies from a service target.

The maths is :mod:`solver.inventory`; this module reads a network into its problems. It lives in
``scenarios/`` because it sizes policies on the replenishment structure the simulation plays
(:func:`simulation.build.build`: which stock point serves each customer, which lane or plant
replenishes each stock point), so the policies it writes are the ones the simulation then
tests, and because the ``optimize_inventory:`` override of a scenario file uses it.

Per stock point ``n`` (a site x product the simulation holds stock at):

- demand per period: the sum over the customer streams it serves of the mean and variance per
  period (``demand.csv``: its ``quantity`` and ``sd``, averaged over the calendar; a CRM demand
  model: the mean and variance of its joint scenarios, i.e. its forecast and the forecast's
  error), plus the demand of the stock points it replenishes (times the BOM quantity for
  components): means and variances add;
- own lead time ``T_n`` (days): the lane's ``lead_time_days`` (sd ``lead_time_sd_days``) for a
  transfer or a purchase on a lane, the supply's ``lead_time_days`` otherwise, one day to make;
- review ``R_n``: its ``review_days`` (1 day when blank).

Methods (:class:`Method`):

- ``single``: each stock point on its own; its replenishment time is ``T_n`` plus, when its
  source holds no stock of its own (a make-to-order plant, a lot-for-lot node), the source's
  replenishment time, recursively. The level meets the target over ``tau + R`` (alpha or beta,
  :mod:`solver.inventory.single`).
- ``gsm``: the guaranteed-service model (:mod:`solver.inventory.gsm`) over a spanning tree of
  the stock points (arcs that would close a cycle are dropped and listed in the report; demands
  still come from the whole network), in days, with ``k = z_alpha`` of the target and customer
  facing stock points quoting 0 days. It decides *where* stock sits (its net replenishment
  time ``tau_n``); each stock point is then sized for the target over ``tau_n + R_n`` as above.
  Components (stock consumed by production) keep their hand-set policies: their demand comes in
  production lots, which the derived variance does not describe.
- ``ssm``: stock points replenished by transfers form distribution trees; each root-to-leaf
  path is a serial system (Chen-Zheng, :mod:`solver.inventory.ssm`) with stockout cost
  ``p = h alpha / (1 - alpha)`` (the newsvendor ratio of the target), shared stages pooled by
  the stated heuristic of :func:`solver.inventory.ssm.distribution_heuristic`.

Where plants make to order, the lanes understate how long replenishment takes (production waits
for components); :func:`optimize_calibrated` measures it by simulation (``single`` and ``gsm``).
Without that, on the bundled example every method reaches only about 50% fill rate.

Every policy keeps its kind (``plan`` becomes ``base_stock``, which the simulation can play);
(s, S) and (r, Q) keep their hand-set order quantity ``S - s`` or ``Q``. ``safety_stock`` is the
level minus the mean demand over ``tau + R``; ``on_hand`` is left as it was.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from enum import Enum
from statistics import NormalDist

import numpy as np
import pandas as pd

from chainlab.models import Network
from chainlab.models.errors import Issue, ValidationError
from chainlab.simulation.build import Buy, Make, Transfer, build
from chainlab.simulation.demand import source_for
from chainlab.simulation.options import Replenishment, SimOptions
from chainlab.solver.inventory import gsm, ssm
from chainlab.solver.inventory.demand import Family
from chainlab.solver.inventory.single import Item, Measure, PolicyKind, size


class Method(str, Enum):
    SINGLE = "single"
    GSM = "gsm"
    SSM = "ssm"


@dataclass(frozen=True)
class InventoryOptimization:
    """``inventory``: the new ``inventory.csv`` table (indexed like ``net.inventory``);
    ``report``: per stock point where stock sits and why; ``network``: a copy of the network
    with the new table; ``facts``: the method, target and totals."""

    inventory: pd.DataFrame
    report: pd.DataFrame
    network: Network
    facts: dict

    def __repr__(self) -> str:
        f = self.facts
        return (f"InventoryOptimization({f['method']}, {f['measure']} {f['service']}, "
                f"{f['stock_points']} stock points, safety stock cost "
                f"{f['safety_stock_cost']:.2f} per period)")


def _stream_moments(net: Network, demand, n_scen: int, seed: int):
    """Per stream (customer, product): mean and variance of demand per period."""
    src = source_for(net, demand, n_scen, seed)
    if hasattr(src, "scenarios"):
        s = np.asarray(src.scenarios, dtype=float)      # (scenarios, streams, periods)
        return src.pairs, s.mean(axis=(0, 2)), s.var(axis=0, ddof=1).mean(axis=1)
    p = src.params
    mean = src.mean().mean(axis=1) if len(src.pairs) else np.zeros(0)
    var = (p["normal_var"] + p["gamma_var"] + p["poisson_mean"]).mean(axis=1) \
        if len(src.pairs) else np.zeros(0)
    return src.pairs, mean, var


def _holds_stock(node) -> bool:
    return node.listed and type(node.policy).__name__ != "LotForLot"


class _Graph:
    """The simulation's stock points with demand, lead times and arcs."""

    def __init__(self, net: Network, demand, scenarios: int, seed: int):
        pairs, mean, var = _stream_moments(net, demand, scenarios, seed)
        model = build(net, pairs, SimOptions(replications=1, replenishment=Replenishment.POLICY))
        self.net, self.model = net, model
        self.d = net.calendar.days
        nodes = model.nodes
        n = len(nodes)
        self.own_mean = np.zeros(n)
        self.own_var = np.zeros(n)
        stream_node = dict(zip(zip(model.streams["customer"], model.streams["product"]),
                               model.streams["node"]))
        for (c, p), m, v in zip(pairs, mean, var):
            k = stream_node.get((c, p))
            if k is not None:
                self.own_mean[k] += m
                self.own_var[k] += v
        self.customer_facing = set(int(k) for k in model.streams["node"])
        lanes = model.lanes
        sup = model.supplies
        #: arcs (upstream, downstream, units)
        self.arcs: list[tuple[int, int, float]] = []
        self.lead = np.zeros(n)
        self.lead_sd = np.zeros(n)
        for k, node in enumerate(nodes):
            src = node.source
            if isinstance(src, Transfer):
                self.arcs.append((src.upstream, k, 1.0))
                self.lead[k] = lanes.at[src.lane, "lead_mean"]
                self.lead_sd[k] = lanes.at[src.lane, "lead_sd"]
            elif isinstance(src, Make):
                for comp, q in src.components:
                    self.arcs.append((comp, k, float(q)))
                self.lead[k] = 1.0
            elif isinstance(src, Buy):
                if src.lane is not None:
                    self.lead[k] = lanes.at[src.lane, "lead_mean"]
                    self.lead_sd[k] = lanes.at[src.lane, "lead_sd"]
                else:
                    self.lead[k] = float(sup.at[src.supply, "lead_days"])
        self.lead_sd = np.nan_to_num(self.lead_sd)
        self.up: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.down: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for a, b, u in self.arcs:
            self.up[b].append((a, u))
            self.down[a].append((b, u))
        # net demand: downstream first (levels: 0 = nothing downstream)
        self.mean = self.own_mean.copy()
        self.var = self.own_var.copy()
        for k in sorted(range(n), key=lambda i: nodes[i].level):
            for a, u in self.up[k]:
                self.mean[a] += u * self.mean[k]
                self.var[a] += u * u * self.var[k]

    def review_days(self, k: int) -> float:
        return float(self.model.nodes[k].policy.review_days)

    def replenishment(self, k: int, memo: dict) -> tuple[float, float]:
        """(mean, sd) days from ordering to receipt at ``k`` when sources without stock of
        their own pass the wait on (``single``)."""
        if k in memo:
            return memo[k]
        wait, var = self.lead[k], self.lead_sd[k] ** 2
        extra = 0.0
        for a, _ in self.up[k]:
            if not _holds_stock(self.model.nodes[a]):
                m, s = self.replenishment(a, memo)
                if m > extra:
                    extra, var_extra = m, s * s
                    var = self.lead_sd[k] ** 2 + var_extra
        memo[k] = (wait + extra, math.sqrt(var))
        return memo[k]


def optimize_inventory(net: Network, service: float = 0.95, measure: Measure = Measure.BETA,
                       method: Method = Method.SINGLE, demand=None, *, scenarios: int = 200,
                       seed: int = 0, lead_days: dict | None = None) -> InventoryOptimization:
    """New policies for every stock point of ``inventory.csv`` (see the module docstring).
    ``demand``: None (``demand.csv``) or a demand model (the CRM's). Raises
    :class:`ValidationError` for a target outside (0, 1) or a network the simulation cannot
    build."""
    if not (isinstance(service, (int, float)) and 0 < service < 1):
        raise ValidationError([Issue("options", f"service(={service!r}) must be strictly "
                                                "between 0 and 1, e.g. 0.95")])
    measure, method = Measure(measure), Method(method)
    g = _Graph(net, demand, scenarios, seed)
    nodes = g.model.nodes
    hold = net.products["holding_cost"].astype(float).fillna(0.0)
    tau: dict[int, float] = {}
    tau_sd: dict[int, float] = {}
    why: dict[int, str] = {}
    extra_facts: dict = {}
    listed = [k for k, nd in enumerate(nodes) if nd.listed]
    if method is Method.SINGLE:
        memo: dict = {}
        listed = [k for k in listed if k in g.customer_facing]
        for k in listed:
            tau[k], tau_sd[k] = g.replenishment(k, memo)
            why[k] = (f"covers its own replenishment of {tau[k]:.1f} days"
                      + ("" if tau[k] == g.lead[k] else
                         f" ({g.lead[k]:.1f} in transit plus the wait at a source without stock)"))
            seen = (lead_days or {}).get((nodes[k].site, nodes[k].product))
            if seen is not None and seen[0] > tau[k]:
                tau[k], tau_sd[k] = seen
                why[k] = (f"covers a replenishment of {tau[k]:.1f} days as simulated ("
                          f"{g.lead[k]:.1f} in transit, the rest waiting for its source)")
    elif method is Method.GSM:
        measured = {k: (lead_days or {}).get((nd.site, nd.product)) for k, nd in enumerate(nodes)}
        sol, dropped = _gsm(g, service, hold, measured)
        extra_facts["dropped_arcs"] = dropped
        for k in range(len(nodes)):
            st = sol.stages[str(k)]
            tau[k] = float(st.net_lead_time)
            tau_sd[k] = max(g.lead_sd[k], (measured.get(k) or (0.0, 0.0))[1])
            why[k] = (f"GSM: quoted {st.inbound_cst} days by its source, quotes {st.cst} days to "
                      f"its customers, so it protects {st.net_lead_time} days")
        # components (stock consumed by production) keep their hand-set policies: their
        # demand comes in production lots, which the derived variance does not describe
        components = {a for a, b, _ in g.arcs if isinstance(nodes[b].source, Make)}
        listed = [k for k in range(len(nodes))
                  if (nodes[k].listed or tau[k] > 0) and k not in components]
    else:
        return _ssm_result(net, g, service, measure, hold, listed)
    return _result(net, g, service, measure, method, hold, listed, tau, tau_sd, why, extra_facts)


def effective_lead_days(net: Network, sites: pd.DataFrame, demand=None, *, scenarios: int = 200,
                        seed: int = 0, cv: float = 0.5) -> dict[tuple[str, str],
                                                             tuple[float, float]]:
    """Replenishment time of each customer-facing stock point as a simulation of ``net``
    played it (``sites``: ``SimResult.sites``), by Little's law: units on order = demand rate x
    lead time, and on order = inventory position - net stock, so

        L = (E[IP] - (E[on hand] - E[backorders])) / lambda

    with ``E[IP]`` of the policy: ``S - lambda (R - 1) / 2`` for a base stock reviewed every
    ``R`` days, ``r + Q / 2`` for (r, Q), ``(s + S) / 2`` for (s, S). Its standard deviation is
    not observed: it is taken as ``cv`` times the mean (an assumption the report states)."""
    g = _Graph(net, demand, scenarios, seed)
    out = {}
    for k in g.customer_facing:
        nd = g.model.nodes[k]
        key = (nd.site, nd.product)
        lam = g.mean[k] / g.d
        if lam <= 0 or key not in sites.index:
            continue
        pol, R = nd.policy, nd.policy.review_days
        name = type(pol).__name__
        if name == "BaseStock":
            ip = pol.S - lam * (R - 1) / 2
        elif name == "ReorderQuantity":
            ip = pol.r + pol.Q / 2
        elif name == "MinMax":
            ip = (pol.s + pol.S) / 2
        else:
            continue
        ns = float(sites.at[key, "avg_inventory"]) - float(sites.at[key, "backorders"])
        L = max((ip - ns) / lam, 0.0)
        out[key] = (L, cv * L)
    return out


def optimize_calibrated(net: Network, service: float = 0.95, measure: Measure = Measure.BETA,
                        method: Method = Method.SINGLE, demand=None, *, rounds: int = 0,
                        options: SimOptions | None = None, scenarios: int = 200,
                        seed: int = 0) -> InventoryOptimization:
    """:func:`optimize_inventory`, then (``single`` and ``gsm``) ``rounds`` times: simulate the
    network with the new policies, read each customer-facing stock point's replenishment time
    as played (:func:`effective_lead_days`: a make-to-order plant waiting for components makes
    it longer than the lane), and size again on the longest time seen so far. ``options``:
    the simulation of a round (default 8 replications, 28 warm-up days, ``seed``)."""
    from chainlab.simulation.run import simulate

    method = Method(method)
    result = optimize_inventory(net, service, measure, method, demand, scenarios=scenarios,
                                seed=seed)
    if method is Method.SSM or rounds <= 0:
        return result
    options = options or SimOptions(replications=8, seed=seed, warmup_days=28)
    lead: dict = {}
    for _ in range(rounds):
        sim = simulate(result.network, demand=demand, options=options)
        seen = effective_lead_days(result.network, sim.sites, demand, scenarios=scenarios,
                                   seed=seed)
        for key, v in seen.items():
            if v[0] > lead.get(key, (0.0, 0.0))[0]:
                lead[key] = v
        result = optimize_inventory(net, service, measure, method, demand, scenarios=scenarios,
                                    seed=seed, lead_days=lead)
    result.facts["calibration_rounds"] = rounds
    result.facts["calibration_replications"] = options.replications
    return result


def _gsm(g: _Graph, service: float, hold, seen: dict) -> tuple[gsm.Solution, list[str]]:
    nodes = g.model.nodes
    n = len(nodes)
    # spanning forest: keep arcs in order unless they close a cycle (union-find)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    kept, dropped = [], []
    for a, b, u in sorted(g.arcs, key=lambda t: (-g.mean[t[0]] * t[2], t[0], t[1])):
        ra, rb = find(a), find(b)
        if ra == rb:
            dropped.append(f"{nodes[a].site}/{nodes[a].product} -> "
                           f"{nodes[b].site}/{nodes[b].product}")
            continue
        parent[ra] = rb
        kept.append((a, b, u))
    # one GSM per tree of the forest; a virtual root is not needed: the DP accepts any tree
    roots = defaultdict(list)
    for k in range(n):
        roots[find(k)].append(k)
    k_alpha = NormalDist().inv_cdf(service)
    stages: dict[str, gsm.StageResult] = {}
    cost = 0.0
    d = g.d
    for members in roots.values():
        mset = set(members)
        st = tuple(gsm.Stage(
            str(k), int(math.ceil(max(g.lead[k], (seen.get(k) or (0.0,))[0]) - 1e-9)),
            float(hold.get(nodes[k].product, 0.0)) / d,
            external_outbound=0 if k in g.customer_facing else None,
            net_demand=(g.mean[k] / d, math.sqrt(g.var[k] / d))) for k in members)
        # net demand comes from the whole network (set on the stages), not from the tree's arcs
        arcs = tuple((str(a), str(b), u) for a, b, u in kept if a in mset and b in mset)
        sol = gsm.optimize(gsm.Problem(st, arcs, k_alpha))
        stages.update(sol.stages)
        cost += sol.cost
    return gsm.Solution(cost, stages), dropped


def _policy_row(g: _Graph, k: int, row: pd.Series | None, item: Item, service: float,
                measure: Measure):
    kind_name = str(row.get("policy")) if row is not None else "base_stock"
    if kind_name not in (PolicyKind.S_S.value, PolicyKind.R_Q.value):
        kind = PolicyKind.BASE_STOCK
        Q = None
    elif kind_name == PolicyKind.R_Q.value:
        kind, Q = PolicyKind.R_Q, float(row["order_quantity"])
    else:
        kind, Q = PolicyKind.S_S, float(row["order_up_to"]) - float(row["reorder_point"])
    return size(item, kind, service, measure, Q)


def _result(net, g, service, measure, method, hold, listed, tau, tau_sd, why, extra):
    nodes = g.model.nodes
    d = g.d
    inv = net.inventory.copy()
    rows = []
    for k in listed:
        nd = nodes[k]
        key = (nd.site, nd.product)
        row = inv.loc[key] if key in inv.index else None
        R = g.review_days(k)
        item = Item(mean=g.mean[k], sd=math.sqrt(g.var[k]), lead_time=tau[k] / d,
                    lead_time_sd=tau_sd[k] / d, review=R / d, family=Family.AUTO,
                    holding_cost=float(hold.get(nd.product, 0.0)))
        if g.mean[k] <= 0:
            continue
        pol = _policy_row(g, k, row, item, service, measure)
        if pol.level < 0:   # inventory.csv takes levels >= 0; a lower one meets the target too
            pol = replace(pol, level=0.0, safety_stock=-item.demand(item.review).mean,
                          order_up_to=None if pol.order_up_to is None
                          else pol.order_up_to - pol.level)
        before = _level(row)
        new = {"policy": pol.kind.value, "safety_stock": round(max(pol.safety_stock, 0.0), 2),
               "reorder_point": np.nan, "order_up_to": np.nan, "order_quantity": np.nan,
               "review_days": R if pol.kind is PolicyKind.BASE_STOCK or R > 1 else np.nan}
        if pol.kind is PolicyKind.BASE_STOCK:
            new["order_up_to"] = math.ceil(pol.level)
        elif pol.kind is PolicyKind.S_S:
            new["reorder_point"] = math.ceil(pol.level)
            new["order_up_to"] = math.ceil(pol.level) + (pol.order_up_to - pol.level)
        else:
            new["reorder_point"] = math.ceil(pol.level)
            new["order_quantity"] = pol.order_quantity
        if key not in inv.index:
            inv.loc[key, "on_hand"] = 0.0
        for c, v in new.items():
            inv.loc[key, c] = v
        rows.append({"site": nd.site, "product": nd.product, "policy": pol.kind.value,
                     "customer_facing": k in g.customer_facing,
                     "demand_mean": g.mean[k], "demand_sd": math.sqrt(g.var[k]),
                     "own_lead_days": g.lead[k], "protected_days": tau[k], "review_days": R,
                     "level_before": before, "level": pol.level,
                     "safety_stock_before": _num(row, "safety_stock"),
                     "safety_stock": pol.safety_stock, "alpha": pol.alpha, "beta": pol.beta,
                     "safety_stock_cost": pol.safety_stock_cost, "why": why[k]})
    report = pd.DataFrame(rows).set_index(["site", "product"]) if rows else pd.DataFrame()
    return _finish(net, inv, report, method, measure, service, extra)


def _ssm_result(net, g, service, measure, hold, listed):
    nodes = g.model.nodes
    d = g.d
    transfer_up = {b: a for a, b, _ in g.arcs if isinstance(nodes[b].source, Transfer)}
    leaves = [k for k in listed if k in g.customer_facing]
    paths = []
    p_ratio = service / (1 - service)
    for leaf in leaves:
        chain, k = [leaf], leaf
        while k in transfer_up and nodes[transfer_up[k]].listed:
            k = transfer_up[k]
            chain.append(k)
        h = [float(hold.get(nodes[c].product, 0.0)) for c in chain]
        paths.append(ssm.Serial(tuple(str(c) for c in chain),
                                tuple(max(g.lead[c], 0.0) / d + g.review_days(c) / d
                                      for c in chain),
                                tuple(h), max(h[0], 1e-9) * p_ratio, g.own_mean[leaf],
                                math.sqrt(g.own_var[leaf]), name=f"{nodes[leaf].site}"))
    levels = ssm.distribution_heuristic(paths) if paths else {}
    inv = net.inventory.copy()
    rows = []
    for sid, level in levels.items():
        k = int(sid)
        nd = nodes[k]
        key = (nd.site, nd.product)
        prot = g.lead[k] + g.review_days(k)
        ss = level - g.mean[k] * prot / d
        for c, v in {"policy": "base_stock", "order_up_to": math.ceil(level),
                     "safety_stock": round(max(ss, 0.0), 2), "reorder_point": np.nan,
                     "order_quantity": np.nan, "review_days": g.review_days(k)}.items():
            inv.loc[key, c] = v
        h = float(hold.get(nd.product, 0.0))
        rows.append({"site": nd.site, "product": nd.product, "policy": "base_stock",
                     "customer_facing": k in g.customer_facing, "demand_mean": g.mean[k],
                     "demand_sd": math.sqrt(g.var[k]), "own_lead_days": g.lead[k],
                     "protected_days": prot, "review_days": g.review_days(k),
                     "level_before": _level(inv.loc[key] if key in net.inventory.index
                                            else None),
                     "level": level, "safety_stock_before": np.nan, "safety_stock": ss,
                     "alpha": np.nan, "beta": np.nan, "safety_stock_cost": h * max(ss, 0.0),
                     "why": "SSM: local base-stock level of its serial path(s), pooled where "
                            "paths share it (heuristic for distribution trees)"})
    report = pd.DataFrame(rows).set_index(["site", "product"]) if rows else pd.DataFrame()
    return _finish(net, inv, report, Method.SSM, measure, service, {})


def _num(row, col) -> float:
    if row is None:
        return float("nan")
    v = row.get(col)
    return float(v) if v is not None and pd.notna(v) else float("nan")


def _level(row) -> float:
    """The hand-set level: S of a base stock, s or r of (s, S) and (r, Q), else on hand."""
    if row is None:
        return float("nan")
    policy = row.get("policy")
    if policy == PolicyKind.BASE_STOCK.value:
        return _num(row, "order_up_to")
    if policy in (PolicyKind.S_S.value, PolicyKind.R_Q.value):
        return _num(row, "reorder_point")
    return _num(row, "on_hand")


def _finish(net, inv, report, method, measure, service, extra) -> InventoryOptimization:
    out = net.copy()
    out.inventory = inv
    cost = float(report["safety_stock_cost"].sum()) if len(report) else 0.0
    facts = {"method": method.value, "measure": measure.value, "service": service,
             "stock_points": len(report), "safety_stock_cost": cost,
             "safety_stock_units": float(report["safety_stock"].clip(lower=0).sum())
             if len(report) else 0.0, **extra}
    return InventoryOptimization(inv, report, out, facts)
