"""The vectorized path: a replication of a pure-policy system as NumPy operations over all
stock points at once, one step per day.

It applies where stock points do not interact: policy replenishment, every stock point that
orders buys from a supplier with unlimited capacity (directly or over a lane), nothing is made
or transferred between stock points, and no site is down and no supply is cut (lane delays are
fine: they are part of the transit days). It keeps the order of events of
:mod:`simulation.engine` (receive and fill backorders, review and order, demand, record) and
uses the same random inputs, so it reproduces the SimPy model's records up to floating-point
rounding; ``tests/simulation`` checks that replication by replication.
"""

from __future__ import annotations

import numpy as np

from chainlab.simulation.build import Buy, SimModel
from chainlab.simulation.engine import EPS
from chainlab.simulation.options import Replenishment
from chainlab.simulation.policies import Kind, vector
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
    D, N, M = model.days, len(model.nodes), len(model.streams)
    nodes = model.nodes
    on_hand = np.array([n.on_hand for n in nodes], dtype=float)
    on_order = np.zeros(N)
    owed = np.zeros(N)
    arrivals = np.zeros((D, N))  # day-major: each day is one contiguous row

    pv = vector([n.policy for n in nodes])
    kind, review, pa, pb = pv["kind"], pv["review"], pv["a"], pv["b"]
    ordering = np.array([n.source is not None for n in nodes], dtype=bool)
    sup = model.supplies
    s_idx = np.array([n.source.supply if n.source is not None else 0 for n in nodes], np.int64)
    lane = np.array([n.source.lane if n.source is not None and n.source.lane is not None
                     else -1 for n in nodes], dtype=np.int64)
    has_lane = lane >= 0
    lane_cost = model.lanes["cost"].to_numpy(dtype=float)
    unit_cost = sup["unit_cost"].to_numpy(dtype=float)[s_idx] if len(sup) else np.zeros(N)
    delay = sup["lead_days"].to_numpy(dtype=np.int64)[s_idx] if len(sup) else np.zeros(N, int)
    ship_cost = np.where(has_lane, lane_cost[np.maximum(lane, 0)] if len(lane_cost) else 0.0, 0.)
    is_bs, is_ss = kind == Kind.BASE_STOCK, kind == Kind.S_S
    is_rq, is_lfl = kind == Kind.R_Q, kind == Kind.LOT_FOR_LOT
    q_safe = np.where(is_rq, pb, 1.0)

    sn = model.streams["node"].to_numpy(dtype=np.int64)
    sl = model.streams["lane"].to_numpy(dtype=np.int64)
    s_cost = lane_cost[sl] if M else np.zeros(0)
    due = (model.lanes["nominal"].to_numpy(dtype=np.int64)[sl] + order_lead_days) if M else sl
    # streams grouped by node, in stream order within a node (the order the SimPy model sells)
    grp = np.argsort(sn, kind="stable")
    g_node = sn[grp]
    first = np.r_[True, g_node[1:] != g_node[:-1]] if M else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    group_sizes = np.diff(np.append(starts, M))

    filled = np.zeros((D, M))
    lost = np.zeros((D, M))
    otif = np.zeros((D, M), dtype=bool)
    stockout = np.zeros((D, N), dtype=bool)
    on_hand_rec = np.zeros((D, N))
    owed_rec = np.zeros((D, N))
    late = np.zeros((D, N))
    lead_t = np.ascontiguousarray(lead.T)  # (days, lanes)
    demand_t = np.ascontiguousarray(demand[grp].T) if M else np.zeros((D, 0))
    transport = np.zeros(D)
    purchase = np.zeros(D)
    bo_day, bo_stream, bo_qty = [], [], []
    bought = np.zeros(N)
    received_now = np.zeros(N)
    backorder = model.backlog

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
                late[t, fill] = f
        # 2. review and order
        due_now = ordering & (t % review == 0)
        if due_now.any():
            ip = on_hand + on_order - owed
            q = np.zeros(N)
            q = np.where(is_bs & (ip < pa), pa - ip, q)
            q = np.where(is_ss & (ip <= pa), pb - ip, q)
            q = np.where(is_rq & (ip <= pa), q_safe * (np.floor((pa - ip) / q_safe) + 1), q)
            q = np.where(is_lfl & (ip < 0), -ip, q)
            place = due_now & (q > EPS)
            if place.any():
                qp = q[place]
                on_order[place] += qp
                bought[place] += qp
                purchase[t] += float(qp @ unit_cost[place])
                transport[t] += float(qp @ ship_cost[place])
                depart = t + delay[place]
                lp = lane[place]
                arrive = depart.copy()
                ok = (lp >= 0) & (depart < D)
                arrive[ok] = depart[ok] + lead_t[depart[ok], lp[ok]]
                arrive[(lp >= 0) & (depart >= D)] = D
                idx = np.flatnonzero(place)
                later = (arrive > t) & (arrive < D)
                arrivals[arrive[later], idx[later]] += qp[later]
                # a transit of 0 days arrives at once and fills backorders first
                now = arrive == t
                if now.any():
                    i_now = idx[now]
                    on_hand[i_now] += qp[now]
                    on_order[i_now] -= qp[now]
                    received_now[i_now] += qp[now]
                    f = np.minimum(owed[i_now], on_hand[i_now])
                    f = np.where((owed[i_now] > 0) & (on_hand[i_now] > EPS), f, 0.0)
                    on_hand[i_now] -= f
                    owed[i_now] -= f
                    late[t, i_now] += f
        # 3. demand, filled in stream order within each stock point
        if M:
            dq = demand_t[t]
            cum = np.cumsum(dq)
            base = np.repeat(cum[starts] - dq[starts], group_sizes)
            before = cum - dq - base
            f = np.clip(on_hand[g_node] - before, 0.0, dq)
            f = np.where(f > EPS, f, 0.0)
            short = dq - f
            bo = (short > EPS) & (dq > 0)
            filled[t, grp] = f
            on_hand -= np.bincount(g_node, weights=f, minlength=N)
            transport[t] += float(f @ s_cost[grp])
            if bo.any():
                stockout[t, g_node[bo]] = True
                if backorder:
                    owed += np.bincount(g_node[bo], weights=short[bo], minlength=N)
                    bo_day.append(np.full(int(bo.sum()), t))
                    bo_stream.append(grp[bo])
                    bo_qty.append(short[bo])
                else:
                    lost[t, grp[bo]] = short[bo]
            full = (dq > 0) & ~bo
            m_full = grp[full]
            otif[t, m_full] = lead_t[t, sl[m_full]] <= due[m_full]
        # 4. record
        on_hand_rec[t] = on_hand
        owed_rec[t] = owed

    filled, lost, otif = filled.T.copy(), lost.T.copy(), otif.T.copy()
    stockout, late = stockout.T.copy(), late.T.copy()
    end_owed = np.zeros(M)
    waited = {k: np.zeros((M, D)) for k in ("late_filled", "late_in_period", "late_days")}
    delivered_late = late.sum(axis=1)
    if bo_day:
        _settle_backorders(np.concatenate(bo_day), np.concatenate(bo_stream),
                           np.concatenate(bo_qty), sn, sl, s_cost, due, late, lead, otif,
                           transport, end_owed, waited, model.bucket_days)

    products = sorted({n.product for n in nodes} | set(model.streams["product"]))
    flows = Flows(**{k: dict.fromkeys(products, 0.0) for k in FLOW_NAMES})
    received = arrivals.sum(axis=0) + received_now
    for i, n in enumerate(nodes):
        flows.bought[n.product] += bought[i]
        flows.in_transit[n.product] += bought[i] - received[i]
        flows.end_stock[n.product] += on_hand[i]
        flows.delivered[n.product] += delivered_late[i]
    for m, p in enumerate(model.streams["product"]):
        flows.delivered[p] += filled[m].sum()
    return Trace(on_hand=on_hand_rec.T.copy(), cust_backlog=owed_rec.T.copy(),
                 stockout=stockout, filled=filled, lost=lost, otif=otif,
                 late_filled=waited["late_filled"], late_in_period=waited["late_in_period"],
                 late_days=waited["late_days"], transport=transport, purchase=purchase,
                 production=np.zeros(D), end_owed=end_owed, flows=flows, events=0)


def _settle_backorders(day, stream, qty, sn, sl, s_cost, due, late, lead, otif, transport,
                       end_owed, waited, bucket) -> None:
    """Backorders are filled oldest first (order day, then stream order): from the units each
    node filled late per day, find when each order line was complete (OTIF), what its
    shipments cost (lane cost per unit of its stream), what is still owed at the end, and, in
    ``waited`` by stream and order day, the units filled late, how many of them by the end of
    the order day's period (of ``bucket`` days), and the days they waited (units x days).

    A line holds the positions [start, end) of its node's queue; with F(t) the units the node
    filled late up to day t, the line has min(q, max(0, F(t) - start)) by day t. The days its
    units waited are G(end) - G(start) - d0 x (units filled), G(x) the sum of fill days of
    positions below x: piecewise linear in x, of slope t on (F(t-1), F(t)]."""
    D = late.shape[1]
    node = sn[stream]
    order = np.lexsort((stream, day, node))  # FIFO within each node
    day, stream, qty, node = day[order], stream[order], qty[order], node[order]
    bounds = np.flatnonzero(np.diff(node)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(node)]):
        n = node[a]
        q, m, d0 = qty[a:b], stream[a:b], day[a:b]
        end = np.cumsum(q)
        start = end - q
        cum_fill = np.cumsum(late[n])
        # cost of the units filled late, day by day: C(x) is the lane cost of positions 0..x
        C = np.interp(cum_fill, np.r_[0.0, end], np.r_[0.0, np.cumsum(q * s_cost[m])])
        transport += np.diff(np.r_[0.0, C])
        done = np.searchsorted(cum_fill, end - 1e-9 * np.maximum(1.0, end), side="left")
        ok = done < D
        dc = done[ok]
        otif[m[ok], d0[ok]] = dc + lead[sl[m[ok]], dc] <= d0[ok] + due[m[ok]]
        got = np.clip(cum_fill[-1] - start, 0.0, q)
        np.add.at(end_owed, m, q - got)
        period_end = np.minimum((d0 // bucket + 1) * bucket, D) - 1
        in_period = np.clip(cum_fill[period_end] - start, 0.0, q)
        days = np.flatnonzero(late[n] > 0)
        G = np.r_[0.0, np.cumsum(days * late[n, days])]
        F = np.r_[0.0, cum_fill[days]]
        waited_days = np.interp(end, F, G) - np.interp(start, F, G) - d0 * got
        np.add.at(waited["late_filled"], (m, d0), got)
        np.add.at(waited["late_in_period"], (m, d0), in_period)
        np.add.at(waited["late_days"], (m, d0), waited_days)
