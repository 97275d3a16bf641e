"""The vectorized path: replications of a pure-policy system as NumPy operations over all
stock points and a block of replications at once, one step per day.

It applies where stock points do not interact: policy replenishment, every stock point that
orders buys from a supplier with unlimited capacity (directly or over a lane), nothing is made
or transferred between stock points, and no site is down and no supply is cut (lane delays are
fine: they are part of the transit days). It keeps the order of events of
:mod:`simulation.engine` (receive and fill backorders, review and order, demand, record) and
uses the same random inputs, so it reproduces the SimPy model's records up to floating-point
rounding; ``tests/simulation`` checks that replication by replication.

A block of replications shares every step of the day loop (arrays of replications x stock
points), so NumPy's per-call cost is paid once per block rather than once per replication.
Each replication's numbers are computed by the same floating-point operations in the same
order as when it runs alone (sums along a replication's own row, sequential accumulations in
the same order), so a replication's records do not depend on the block it runs in.
"""

from __future__ import annotations

import numpy as np

from chainlab.simulation.build import Buy, SimModel
from chainlab.simulation.engine import EPS
from chainlab.simulation.options import Replenishment
from chainlab.simulation.policies import Kind, vector
from chainlab.simulation.settle import settle_backorders
from chainlab.simulation.trace import FLOW_NAMES, Flows, Trace


def unsupported(model: SimModel) -> str | None:
    """Why the vectorized path cannot run ``model`` (None when it can)."""
    if model.replenishment is not Replenishment.POLICY:
        return "it executes a plan"
    if model.down.any():
        return "a site is down"
    if (model.supply_scale != 1).any():
        return "a supply is cut"
    cap = model.supplies["cap_per_day"].to_numpy()
    for n in model.nodes:
        if n.source is None:
            continue
        if not isinstance(n.source, Buy):
            return (f"{n.site}/{n.product} is replenished by "
                    f"{type(n.source).__name__.lower()}")
        if np.isfinite(cap[n.source.supply]):
            return f"{n.site}/{n.product} buys from a supplier with limited capacity"
    return None


def run(model: SimModel, demand: np.ndarray, lead: np.ndarray, order_lead_days: int = 0) -> Trace:
    """One replication; the same records as :func:`simulation.engine.run`."""
    return run_block(model, [demand], [lead], order_lead_days)[0]


class _Static:
    """The per-node and per-stream constants of a model (shared by every day of a block)."""

    def __init__(self, model: SimModel, order_lead_days: int):
        nodes = model.nodes
        N, M = len(nodes), len(model.streams)
        self.N, self.M = N, M
        self.on_hand0 = np.array([n.on_hand for n in nodes], dtype=float)
        pv = vector([n.policy for n in nodes])
        kind = pv["kind"]
        self.review, self.pa, self.pb = pv["review"], pv["a"], pv["b"]
        self.ordering = np.array([n.source is not None for n in nodes], dtype=bool)
        sup = model.supplies
        s_idx = np.array([n.source.supply if n.source is not None else 0 for n in nodes],
                         np.int64)
        self.lane = np.array([n.source.lane if n.source is not None and n.source.lane
                              is not None else -1 for n in nodes], dtype=np.int64)
        has_lane = self.lane >= 0
        lane_cost = model.lanes["cost"].to_numpy(dtype=float)
        self.unit_cost = (sup["unit_cost"].to_numpy(dtype=float)[s_idx] if len(sup)
                          else np.zeros(N))
        self.delay = (sup["lead_days"].to_numpy(dtype=np.int64)[s_idx] if len(sup)
                      else np.zeros(N, int))
        self.ship_cost = np.where(has_lane, lane_cost[np.maximum(self.lane, 0)]
                                  if len(lane_cost) else 0.0, 0.)
        self.is_bs, self.is_ss = kind == Kind.BASE_STOCK, kind == Kind.S_S
        self.is_rq, self.is_lfl = kind == Kind.R_Q, kind == Kind.LOT_FOR_LOT
        self.q_safe = np.where(self.is_rq, self.pb, 1.0)
        sn = model.streams["node"].to_numpy(dtype=np.int64)
        sl = model.streams["lane"].to_numpy(dtype=np.int64)
        self.sn, self.sl = sn, sl
        self.s_cost = lane_cost[sl] if M else np.zeros(0)
        self.due = ((model.lanes["nominal"].to_numpy(dtype=np.int64)[sl] + order_lead_days)
                    if M else sl)
        # streams grouped by node, in stream order within a node (the order the SimPy model
        # sells)
        grp = np.argsort(sn, kind="stable")
        g_node = sn[grp]
        first = np.r_[True, g_node[1:] != g_node[:-1]] if M else np.zeros(0, bool)
        self.grp, self.g_node = grp, g_node
        self.starts = np.flatnonzero(first)
        self.group_sizes = np.diff(np.append(self.starts, M))
        self.s_cost_grp = np.ascontiguousarray(self.s_cost[grp])
        self.sl_grp = sl[grp]
        self.due_grp = self.due[grp]


def run_block(model: SimModel, demands: list[np.ndarray], leads: list[np.ndarray],
              order_lead_days: int = 0) -> list[Trace]:
    """Replications with demands ``demands[k]`` (streams x days) and transit days
    ``leads[k]`` (lanes x days), all at once; the same records as :func:`run` of each."""
    R, D = len(demands), model.days
    c = _Static(model, order_lead_days)
    N, M = c.N, c.M
    on_hand = np.repeat(c.on_hand0[None, :], R, axis=0)
    on_order = np.zeros((R, N))
    owed = np.zeros((R, N))
    arrivals = np.zeros((D, R, N))  # day-major: each day is one contiguous block

    filled = np.zeros((D, R, M))  # streams in node-grouped order (c.grp)
    lost = np.zeros((D, R, M))
    otif = np.zeros((D, R, M), dtype=bool)
    stockout = np.zeros((D, R, N), dtype=bool)
    on_hand_rec = np.zeros((D, R, N))
    owed_rec = np.zeros((D, R, N))
    late = np.zeros((D, R, N))
    # (replications, days, lanes): a day's transit times of every replication
    lead_t = np.stack([np.asarray(x).T for x in leads]) if R else np.zeros((0, D, 0))
    demand_t = (np.stack([d[c.grp].T for d in demands], axis=1) if M
                else np.zeros((D, R, 0)))  # (days, replications, streams)
    transport = np.zeros((R, D))
    purchase = np.zeros((R, D))
    bo_rep, bo_day, bo_stream, bo_qty = [], [], [], []
    bought = np.zeros((R, N))
    received_now = np.zeros((R, N))
    backorder = model.backlog
    review_day = c.ordering & (np.arange(D)[:, None] % c.review[None, :] == 0)
    rep_base = (np.arange(R) * N)[:, None]
    bins = (rep_base + c.g_node[None, :]).ravel()
    delay = np.broadcast_to(c.delay, (R, N))
    lane = np.broadcast_to(c.lane, (R, N))
    unit_cost, ship_cost = c.unit_cost, c.ship_cost

    for t in range(D):
        # 1. receive, and fill backorders from what came in
        arr = arrivals[t]
        got = arr > 0
        if got.any():
            on_hand[got] += arr[got]
            on_order[got] -= arr[got]
            fill = got & (owed > 0) & (on_hand > EPS)
            if fill.any():
                f = np.minimum(owed[fill], on_hand[fill])
                on_hand[fill] -= f
                owed[fill] -= f
                late[t][fill] = f
        # 2. review and order
        due_now = review_day[t]
        if due_now.any():
            ip = on_hand + on_order - owed
            q = np.zeros((R, N))
            q = np.where(c.is_bs & (ip < c.pa), c.pa - ip, q)
            q = np.where(c.is_ss & (ip <= c.pa), c.pb - ip, q)
            q = np.where(c.is_rq & (ip <= c.pa),
                         c.q_safe * (np.floor((c.pa - ip) / c.q_safe) + 1), q)
            q = np.where(c.is_lfl & (ip < 0), -ip, q)
            place = due_now & (q > EPS)
            if place.any():
                rr, idx = np.nonzero(place)
                qp = q[rr, idx]
                on_order[rr, idx] += qp
                bought[rr, idx] += qp
                for r in np.unique(rr):
                    sel = place[r]
                    qr = q[r][sel]
                    purchase[r, t] += float(qr @ unit_cost[sel])
                    transport[r, t] += float(qr @ ship_cost[sel])
                depart = t + delay[rr, idx]
                lp = lane[rr, idx]
                arrive = depart.copy()
                ok = (lp >= 0) & (depart < D)
                arrive[ok] = depart[ok] + lead_t[rr[ok], depart[ok], lp[ok]]
                arrive[(lp >= 0) & (depart >= D)] = D
                later = (arrive > t) & (arrive < D)
                arrivals[arrive[later], rr[later], idx[later]] += qp[later]
                # a transit of 0 days arrives at once and fills backorders first
                now = arrive == t
                if now.any():
                    r_now, i_now = rr[now], idx[now]
                    on_hand[r_now, i_now] += qp[now]
                    on_order[r_now, i_now] -= qp[now]
                    received_now[r_now, i_now] += qp[now]
                    ow, oh = owed[r_now, i_now], on_hand[r_now, i_now]
                    f = np.where((ow > 0) & (oh > EPS), np.minimum(ow, oh), 0.0)
                    on_hand[r_now, i_now] -= f
                    owed[r_now, i_now] -= f
                    late[t, r_now, i_now] += f
        # 3. demand, filled in stream order within each stock point
        if M:
            dq = demand_t[t]
            cum = np.cumsum(dq, axis=1)
            base = np.repeat(cum[:, c.starts] - dq[:, c.starts], c.group_sizes, axis=1)
            before = cum - dq - base
            f = np.clip(on_hand[:, c.g_node] - before, 0.0, dq)
            f = np.where(f > EPS, f, 0.0)
            short = dq - f
            bo = (short > EPS) & (dq > 0)
            filled[t] = f
            on_hand -= np.bincount(bins, weights=f.ravel(), minlength=R * N).reshape(R, N)
            for r in range(R):
                transport[r, t] += float(f[r] @ c.s_cost_grp)
            if bo.any():
                br, bj = np.nonzero(bo)
                stockout[t, br, c.g_node[bj]] = True
                if backorder:
                    owed += np.bincount(br * N + c.g_node[bj], weights=short[br, bj],
                                        minlength=R * N).reshape(R, N)
                    bo_rep.append(br)
                    bo_day.append(np.full(len(br), t))
                    bo_stream.append(c.grp[bj])
                    bo_qty.append(short[br, bj])
                else:
                    lost[t, br, bj] = short[br, bj]
            fr, fj = np.nonzero((dq > 0) & ~bo)
            otif[t, fr, fj] = lead_t[fr, t, c.sl_grp[fj]] <= c.due_grp[fj]
        # 4. record
        on_hand_rec[t] = on_hand
        owed_rec[t] = owed

    inv = np.empty(M, dtype=np.int64)
    inv[c.grp] = np.arange(M)
    # per replication: (streams, days) in stream order, (nodes, days)
    filled = filled[:, :, inv].transpose(1, 2, 0).copy()
    lost = lost[:, :, inv].transpose(1, 2, 0).copy()
    otif = otif[:, :, inv].transpose(1, 2, 0).copy()
    stockout = stockout.transpose(1, 2, 0).copy()
    late = late.transpose(1, 2, 0).copy()
    end_owed = np.zeros((R, M))
    waited = {k: np.zeros((R, M, D)) for k in ("late_filled", "late_in_period", "late_days")}
    if bo_day:
        lead = np.stack([np.asarray(x) for x in leads])
        settle_backorders(np.concatenate(bo_rep), np.concatenate(bo_day),
                          np.concatenate(bo_stream), np.concatenate(bo_qty), c.sn, c.sl,
                          c.s_cost, c.due, late, lead, otif, transport, end_owed, waited,
                          model.bucket_days)
    delivered_late = late.sum(axis=2)
    received = arrivals.sum(axis=0) + received_now

    nodes = model.nodes
    products = sorted({n.product for n in nodes} | set(model.streams["product"]))
    out = []
    for r in range(R):
        flows = Flows(**{k: dict.fromkeys(products, 0.0) for k in FLOW_NAMES})
        for i, n in enumerate(nodes):
            flows.bought[n.product] += bought[r, i]
            flows.in_transit[n.product] += bought[r, i] - received[r, i]
            flows.end_stock[n.product] += on_hand[r, i]
            flows.delivered[n.product] += delivered_late[r, i]
        for m, p in enumerate(model.streams["product"]):
            flows.delivered[p] += filled[r, m].sum()
        out.append(Trace(
            on_hand=on_hand_rec[:, r].T.copy(), cust_backlog=owed_rec[:, r].T.copy(),
            stockout=stockout[r], filled=filled[r], lost=lost[r], otif=otif[r],
            late_filled=waited["late_filled"][r], late_in_period=waited["late_in_period"][r],
            late_days=waited["late_days"][r], transport=transport[r], purchase=purchase[r],
            production=np.zeros(D), end_owed=end_owed[r], flows=flows, events=0))
    return out
