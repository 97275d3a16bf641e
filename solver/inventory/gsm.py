"""Guaranteed-service model (GSM) on trees: committed service times by dynamic programming
(Graves & Willems 2000; Snyder & Shen ch. 6.3).

Every stage ``j`` of a tree (assembly, distribution, or any spanning tree) quotes an outbound
committed service time ``S_j`` to its customers and is quoted an inbound one ``SI_j`` by its
suppliers (``SI_j >= S_i`` for each supplier ``i``). With processing time ``T_j`` its net
replenishment time is ``tau_j = SI_j + T_j - S_j >= 0`` and it holds

    base-stock level  B_j = mu_j tau_j + k_j sigma_j sqrt(tau_j)
    safety stock      SS_j = k_j sigma_j sqrt(tau_j)

where ``mu_j`` and ``sigma_j`` are the mean and standard deviation of its net demand per period
(its own external demand plus, for each customer stage ``c``, ``u_jc`` times the customer's: means
add, variances add with ``u^2``), and ``k_j`` is the demand-bound constant (``z_alpha`` for a
service level ``alpha``). The model chooses the integer service times that minimize the holding
cost of safety stock ``sum_j h_j SS_j`` subject to ``SI_j >= external inbound time`` at sources
and ``S_j <= external outbound time`` (the service promised to end customers).

Dynamic programming over the tree: label the stages so that each has at most one neighbour with a
larger label ``p(k)`` (peel leaves). For stage ``k``,

    c_k(S, SI) = h_k k_k sigma_k sqrt(SI + T_k - S)
                 + sum_{i supplies k, i < k} min_{x <= SI} f_i(x)
                 + sum_{j served by k, j < k} min_{y >= S} g_j(y)

and ``f_k(S) = min_SI c_k(S, SI)`` when ``p(k)`` is downstream, ``g_k(SI) = min_S c_k(S, SI)``
when it is upstream; the last stage gives the optimum ``min_SI g_N(SI)``. As in stockpyl, a
supplier may quote less than ``SI`` (the ``min_{x <= SI}``) and a customer may be quoted more
than ``S``. Times range over ``0..M`` with ``M`` the longest path of processing times, so the
work is ``O(N M^2)``, done as NumPy array operations per stage.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from chainlab.models.errors import Issue, ValidationError


@dataclass(frozen=True)
class Stage:
    """One stage: ``processing_time`` T (periods, integer), ``holding_cost`` h (per unit per
    period), external demand ``demand_mean`` / ``demand_sd`` per period, ``external_inbound``
    (service time its outside supplier guarantees; sources), ``external_outbound`` (the most it
    may quote its end customers; None = no limit), ``demand_bound`` k (None = the problem's)."""

    id: str
    processing_time: int
    holding_cost: float
    demand_mean: float = 0.0
    demand_sd: float = 0.0
    external_inbound: int = 0
    external_outbound: int | None = None
    demand_bound: float | None = None
    #: (mean, sd) of net demand per period when known from outside the tree (a spanning tree
    #: of a network whose other arcs also carry demand); None = derived from the tree
    net_demand: tuple[float, float] | None = None


@dataclass(frozen=True)
class Problem:
    """Stages, arcs ``(supplier, customer, units)`` (units of the supplier's item per unit of
    the customer's; 1 for distribution), and the default demand-bound constant ``k``."""

    stages: tuple[Stage, ...]
    arcs: tuple[tuple[str, str, float], ...]
    demand_bound: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class StageResult:
    id: str
    cst: int              # S, outbound committed service time
    inbound_cst: int      # SI
    net_lead_time: int    # tau = SI + T - S
    net_demand_mean: float
    net_demand_sd: float
    safety_stock: float
    base_stock: float
    cost: float


@dataclass(frozen=True)
class Solution:
    """The optimal service times; ``cost`` is the holding cost of safety stock per period."""

    cost: float
    stages: dict[str, StageResult]
    seconds: float = 0.0
    name: str = ""
    status: str = "optimal"
    extra: dict = field(default_factory=dict)

    @property
    def cst(self) -> dict[str, int]:
        return {k: s.cst for k, s in self.stages.items()}

    def __repr__(self) -> str:
        return (f"gsm.Solution({self.name!r}, cost={self.cost:.6g}, stages={len(self.stages)}, "
                f"{self.seconds:.3f}s)")


def _invalid(message: str) -> ValidationError:
    return ValidationError([Issue("gsm", message)])


def _check(problem: Problem) -> tuple[list[str], dict[str, Stage]]:
    ids = [s.id for s in problem.stages]
    by_id = {s.id: s for s in problem.stages}
    if len(by_id) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise _invalid(f"stage ids {dup} appear twice; give each stage one id")
    for s in problem.stages:
        if int(s.processing_time) != s.processing_time or s.processing_time < 0:
            raise _invalid(f"stage {s.id}: processing_time(={s.processing_time}) must be an "
                           "integer >= 0 periods")
        if s.holding_cost < 0 or s.demand_mean < 0 or s.demand_sd < 0:
            raise _invalid(f"stage {s.id}: holding_cost, demand_mean and demand_sd must be >= 0")
        if s.external_inbound < 0 or (s.external_outbound is not None
                                      and s.external_outbound < 0):
            raise _invalid(f"stage {s.id}: external service times must be >= 0")
    for a, b, u in problem.arcs:
        for x in (a, b):
            if x not in by_id:
                raise _invalid(f"arc {a} -> {b}: {x!r} is not a stage; add it or fix the arc")
        if not u > 0:
            raise _invalid(f"arc {a} -> {b}: units(={u}) must be > 0")
    if len(problem.arcs) != len(ids) - 1 and ids:
        raise _invalid(f"{len(ids)} stages need {len(ids) - 1} arcs to form a tree, got "
                       f"{len(problem.arcs)}; the GSM here solves trees (spanning trees of "
                       "a network)")
    return ids, by_id


def _labels(ids: list[str], adj: dict[str, set[str]]) -> list[str]:
    """Stages in an order where each has at most one later neighbour (Graves & Willems)."""
    degree = {k: len(adj[k]) for k in ids}
    order, done = [], set()
    queue = [k for k in ids if degree[k] <= 1]
    while queue:
        k = queue.pop()
        if k in done:
            continue
        done.add(k)
        order.append(k)
        for n in adj[k]:
            if n not in done:
                degree[n] -= 1
                if degree[n] <= 1:
                    queue.append(n)
    if len(order) != len(ids):
        raise _invalid("the arcs contain a cycle or leave stages unconnected; the GSM needs a "
                       "tree")
    return order


def optimize(problem: Problem) -> Solution:
    """Optimal committed service times, base-stock levels and safety-stock cost (see the
    module docstring). Raises :class:`ValidationError` for a graph that is not a tree."""
    t0 = time.perf_counter()
    ids, by_id = _check(problem)
    if not ids:
        return Solution(0.0, {}, 0.0, problem.name)
    preds: dict[str, list[tuple[str, float]]] = defaultdict(list)
    succs: dict[str, list[tuple[str, float]]] = defaultdict(list)
    adj: dict[str, set[str]] = {k: set() for k in ids}
    for a, b, u in problem.arcs:
        preds[b].append((a, float(u)))
        succs[a].append((b, float(u)))
        adj[a].add(b)
        adj[b].add(a)
    order = _labels(ids, adj)
    # net demand (downstream first) and longest replenishment paths (upstream first)
    topo = _topological(ids, preds, succs)
    mean = {k: by_id[k].demand_mean for k in ids}
    var = {k: by_id[k].demand_sd ** 2 for k in ids}
    for k in reversed(topo):
        for i, u in preds[k]:
            mean[i] += u * mean[k]
            var[i] += u * u * var[k]
    for k in ids:
        if by_id[k].net_demand is not None:
            mean[k], var[k] = by_id[k].net_demand[0], by_id[k].net_demand[1] ** 2
    M = {}
    for k in topo:
        st = by_id[k]
        up = max((M[i] for i, _ in preds[k]), default=st.external_inbound)
        M[k] = max(up, st.external_inbound) + int(st.processing_time)
    Mmax = max(M.values())
    n = Mmax + 1
    grid = np.arange(n)
    INF = np.inf
    pos = {k: r for r, k in enumerate(order)}
    f_best: dict[str, np.ndarray] = {}     # prefix minima of f_i and their argmins
    f_arg: dict[str, np.ndarray] = {}
    g_best: dict[str, np.ndarray] = {}     # suffix minima of g_j and their argmins
    g_arg: dict[str, np.ndarray] = {}
    choice: dict[str, np.ndarray] = {}    # f: best SI per S; g: best S per SI
    out_side: dict[str, bool] = {}
    last_g = None
    for r, k in enumerate(order):
        st = by_id[k]
        T = int(st.processing_time)
        kk = st.demand_bound if st.demand_bound is not None else problem.demand_bound
        coef = st.holding_cost * kk * math.sqrt(var[k])
        S = grid[:, None]
        SI = grid[None, :]
        tau = SI + T - S
        ext_out = st.external_outbound if st.external_outbound is not None else Mmax
        ok = (tau >= 0) & (SI >= st.external_inbound) & (SI <= M[k] - T) & (S <= ext_out)
        c = np.where(ok, coef * np.sqrt(np.maximum(tau, 0)), INF)
        for i, _ in preds[k]:
            if pos[i] < r:
                c = c + f_best[i][None, :]
        for j, _ in succs[k]:
            if pos[j] < r:
                c = c + g_best[j][:, None]
        later = [x for x in adj[k] if pos[x] > r]
        downstream = bool(later) and later[0] in {j for j, _ in succs[k]}
        out_side[k] = downstream
        if downstream:       # f_k(S): min over SI
            arg = np.argmin(c, axis=1)
            f = c[grid, arg]
            choice[k] = arg
            f_best[k] = np.minimum.accumulate(f)
            f_arg[k] = _prefix_first(f)
        else:                # g_k(SI): min over S
            arg = np.argmin(c, axis=0)
            g = c[arg, grid]
            choice[k] = arg
            g_best[k] = np.minimum.accumulate(g[::-1])[::-1]
            g_arg[k] = _suffix_first(g)
            last_g = g
    root = order[-1]
    if not np.isfinite(last_g).any():
        raise _invalid("no service times satisfy the external service times; raise an "
                       "external outbound time or lower an external inbound one")
    SI_of, S_of = {}, {}
    SI_of[root] = int(np.argmin(last_g))
    S_of[root] = int(choice[root][SI_of[root]])
    for k in reversed(order[:-1]):
        p = next(x for x in adj[k] if pos[x] > pos[k])
        if out_side[k]:      # k supplies p: its S is the best x <= SI_p
            S_of[k] = int(f_arg[k][SI_of[p]])
            SI_of[k] = int(choice[k][S_of[k]])
        else:                # p supplies k: its SI is the best y >= S_p
            SI_of[k] = int(g_arg[k][S_of[p]])
            S_of[k] = int(choice[k][SI_of[k]])
    stages, total = {}, 0.0
    for k in ids:
        st = by_id[k]
        kk = st.demand_bound if st.demand_bound is not None else problem.demand_bound
        S = S_of[k]
        if st.external_outbound is not None:
            S = min(S, st.external_outbound)
        tau = SI_of[k] + int(st.processing_time) - S_of[k]
        sd = math.sqrt(var[k])
        ss = kk * sd * math.sqrt(tau)
        cost = st.holding_cost * ss
        total += cost
        stages[k] = StageResult(k, S, SI_of[k], tau, mean[k], sd, ss, mean[k] * tau + ss, cost)
    return Solution(total, stages, time.perf_counter() - t0, problem.name)


def _prefix_first(f: np.ndarray) -> np.ndarray:
    """For each x, the smallest x' <= x with f[x'] == min f[0..x]."""
    out = np.empty(len(f), dtype=np.int64)
    cur = 0
    for x in range(len(f)):
        if f[x] < f[cur]:
            cur = x
        out[x] = cur
    return out


def _suffix_first(g: np.ndarray) -> np.ndarray:
    """For each y, the smallest y' >= y with g[y'] == min g[y..]."""
    n = len(g)
    out = np.empty(n, dtype=np.int64)
    cur = n - 1
    for y in range(n - 1, -1, -1):
        if g[y] <= g[cur]:
            cur = y
        out[y] = cur
    return out


def _topological(ids, preds, succs) -> list[str]:
    """Suppliers before customers."""
    indeg = {k: len(preds[k]) for k in ids}
    queue = [k for k in ids if indeg[k] == 0]
    out = []
    while queue:
        k = queue.pop()
        out.append(k)
        for j, _ in succs[k]:
            indeg[j] -= 1
            if indeg[j] == 0:
                queue.append(j)
    if len(out) != len(ids):
        raise _invalid("the arcs contain a cycle; the GSM needs a tree")
    return out
