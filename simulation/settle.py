"""Backorders of the vectorized path (:mod:`simulation.fast`) settled after the day loop, for
all stock points and replications of a block at once.

The arithmetic is that of a per-stock-point loop over sorted arrays with ``np.cumsum``,
``np.interp`` and ``np.searchsorted``; here the stock points (*groups*: replication x stock
point) are laid side by side, and :func:`segmented_cumsum`, :func:`group_interp` and
:func:`group_searchsorted` do for every group at once what those functions do for one,
performing the same floating-point operations in the same order (so the results are the
same to the last bit; ``tests/simulation/test_settle.py`` checks them against the NumPy
functions).
"""

from __future__ import annotations

import numpy as np


def segmented_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``np.cumsum`` of each run of equal ``group`` (runs contiguous), restarted per run."""
    n = len(values)
    if n == 0:
        return values.astype(float)
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    run = np.cumsum(first) - 1
    pos = np.arange(n) - starts[run]
    pad = np.zeros((len(starts), int(pos.max()) + 1))
    pad[run, pos] = values
    return np.cumsum(pad, axis=1)[run, pos]


def _keys(group: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(group, x) as complex numbers: NumPy orders them by real part, then imaginary part."""
    k = np.empty(len(x), dtype=np.complex128)
    k.real = group
    k.imag = x
    return k


def group_searchsorted(hay_group: np.ndarray, hay: np.ndarray, group: np.ndarray,
                       x: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted(hay[hay_group == g], x, side)`` for each ``x`` of group ``g``, as an
    index into ``hay`` (``hay`` sorted within each group, groups in ascending order)."""
    return np.searchsorted(_keys(hay_group, hay), _keys(group, x), side=side)


def group_interp(group: np.ndarray, x: np.ndarray, xp_group: np.ndarray, xp: np.ndarray,
                 fp: np.ndarray) -> np.ndarray:
    """``np.interp(x, xp[g], fp[g])`` for each ``x`` of group ``g`` (``xp_group`` ascending,
    ``xp`` ascending within each group, every group of ``group`` present in ``xp_group``).

    The branches and formulas of NumPy's ``interp`` (left of the first point: the first
    value; at or right of the last: the last value; on a point: its value; else the slope
    between the neighbours times the distance from the left one, plus its value)."""
    j = group_searchsorted(xp_group, xp, group, x, "right") - 1
    lo = np.searchsorted(xp_group, group, side="left")
    hi = np.searchsorted(xp_group, group, side="right") - 1
    out = np.empty(len(x))
    left = j < lo
    right = ~left & (j >= hi)
    out[left] = fp[lo[left]]
    out[right] = fp[hi[right]]
    mid = ~left & ~right
    jm, xm = j[mid], x[mid]
    on = xp[jm] == xm
    res = np.where(on, fp[jm], 0.0)
    k, xk = jm[~on], xm[~on]
    slope = (fp[k + 1] - fp[k]) / (xp[k + 1] - xp[k])
    v = slope * (xk - xp[k]) + fp[k]
    bad = np.isnan(v)
    if bad.any():  # NumPy tries from the right neighbour, then takes a flat segment's value
        kb = k[bad]
        w = slope[bad] * (xk[bad] - xp[kb + 1]) + fp[kb + 1]
        w = np.where(np.isnan(w) & (fp[kb] == fp[kb + 1]), fp[kb], w)
        v[bad] = w
    res[~on] = v
    out[mid] = res
    return out


def settle_backorders(rep, day, stream, qty, sn, sl, s_cost, due, late, lead, otif, transport,
                      end_owed, waited, bucket) -> None:
    """The backorder lines (``rep``, ``day``, ``stream``, ``qty``) come in the order they were
    made: by day, and within a day by replication and then in stream order at each node.

    Backorders are filled oldest first (order day, then stream order): from the units each
    node filled late per day (``late``: replications x nodes x days), find when each order
    line was complete (OTIF), what its shipments cost (lane cost per unit of its stream), what
    is still owed at the end, and, in ``waited`` by replication, stream and order day, the
    units filled late, how many of them by the end of the order day's period (of ``bucket``
    days), and the days they waited (units x days).

    A line holds the positions [start, end) of its node's queue; with F(t) the units the node
    filled late up to day t, the line has min(q, max(0, F(t) - start)) by day t. The days its
    units waited are G(end) - G(start) - d0 x (units filled), G(x) the sum of fill days of
    positions below x: piecewise linear in x, of slope t on (F(t-1), F(t)]."""
    R, N, D = late.shape
    node = sn[stream]
    g = rep * N + node  # group of each line
    # FIFO within each node: the lines come by day, and within a day in stream order at each
    # node, so a stable sort by group orders them by (group, day, stream)
    order = np.argsort(g, kind="stable")
    rep, day, stream, qty, node, g = (rep[order], day[order], stream[order], qty[order],
                                      node[order], g[order])
    end = segmented_cumsum(qty, g)
    start = end - qty
    cost = segmented_cumsum(qty * s_cost[stream], g)
    cum_fill = np.cumsum(late, axis=2)

    # the days each group filled something late (groups ascending, days ascending)
    fr, fn, fd = np.nonzero(late > 0)
    fg = fr * N + fn
    F = cum_fill[fr, fn, fd]

    # cost of the units filled late, day by day: C(x) is the lane cost of positions 0..x
    # (xp = [0, end of each line], fp = [0, cumulated cost]) and a day costs the rise of C
    first = np.r_[True, g[1:] != g[:-1]]
    heads = np.flatnonzero(first)
    xp_g = np.insert(g, heads, g[heads])
    xp = np.insert(end, heads, 0.0)
    fp = np.insert(cost, heads, 0.0)
    C = group_interp(fg, F, xp_g, xp, fp)
    f_first = np.r_[True, fg[1:] != fg[:-1]]
    rise = C - np.where(f_first, 0.0, np.r_[0.0, C[:-1]])
    # transport[r, d] + rise + rise ... in group order: bincount adds a bin's weights in
    # input order, starting from 0 (and 0 + x is x), the day's own cost first
    flat = transport.ravel()
    transport[...] = np.bincount(np.r_[np.arange(flat.size), fr * D + fd],
                                 weights=np.r_[flat, rise],
                                 minlength=flat.size).reshape(transport.shape)

    # the day each line was complete: the first day F reaches its end
    threshold = end - 1e-9 * np.maximum(1.0, end)
    k = group_searchsorted(fg, F, g, threshold, "left")
    within = (k < len(F)) & (fg[np.minimum(k, len(F) - 1)] == g) if len(F) else k < 0
    done = np.where(within, fd[np.minimum(k, max(len(F) - 1, 0))] if len(F) else 0, D)
    done = np.where(threshold <= 0, 0, done)
    ok = done < D
    dc, m_ok, d_ok, r_ok = done[ok], stream[ok], day[ok], rep[ok]
    otif[r_ok, m_ok, d_ok] = dc + lead[r_ok, sl[m_ok], dc] <= d_ok + due[m_ok]

    got = np.clip(cum_fill[rep, node, D - 1] - start, 0.0, qty)
    M = end_owed.shape[1]
    end_owed += np.bincount(rep * M + stream, weights=qty - got,
                            minlength=end_owed.size).reshape(end_owed.shape)
    period_end = np.minimum((day // bucket + 1) * bucket, D) - 1
    in_period = np.clip(cum_fill[rep, node, period_end] - start, 0.0, qty)

    # G at the fill days: the running sum of day x units; xp = [0, F...], fp = [0, G...]
    G = segmented_cumsum(fd * late[fr, fn, fd], fg)
    f_heads = np.flatnonzero(f_first)
    gx_g = np.insert(fg, f_heads, fg[f_heads])
    gx = np.insert(F, f_heads, 0.0)
    gf = np.insert(G, f_heads, 0.0)
    # groups without late fills: xp = [0], fp = [0]
    lone = np.setdiff1d(g[heads], fg[f_heads], assume_unique=True)
    if len(lone):
        at = np.searchsorted(gx_g, lone)
        gx_g = np.insert(gx_g, at, lone)
        gx = np.insert(gx, at, 0.0)
        gf = np.insert(gf, at, 0.0)
    waited_days = (group_interp(g, end, gx_g, gx, gf) - group_interp(g, start, gx_g, gx, gf)
                   - day * got)
    # one line per replication, stream and day: each cell is 0 + its line's value
    waited["late_filled"][rep, stream, day] = 0.0 + got
    waited["late_in_period"][rep, stream, day] = 0.0 + in_period
    waited["late_days"][rep, stream, day] = 0.0 + waited_days
