"""Named index arrays of the planning model, computed once from its data.

The model's variable blocks are grids over the data's tables (``make`` is production row x
period, ``ship`` is arc x ship period, ...), and its row families find their terms by looking
up where an arc, a production row or a recipe line meets a stock point or a demand pair.
:func:`plan_index` computes all of these from :class:`~solver.data.PlanData` alone, before any
block is added, so every ``add_*`` function of :mod:`solver.model` (and of network design, and
the reading of the solution) reads the same arrays by name, in whatever order it runs.

The small helpers :func:`grid`, :func:`key_frame` and :func:`lookup` are how those arrays, and
the blocks' keys, are built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.solver.data import PlanData

#: the key columns of a stock point (``PlanData.nodes``) and of a demand pair (``pairs``)
NODE = ["site", "product"]
PAIR = ["customer", "product"]


def grid(n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(item, period) of every cell of an n x T grid, item-major: the order of a block of
    variables or rows over items and periods (cell ``item * T + period``)."""
    return np.repeat(np.arange(n), T), np.tile(np.arange(T), n)


def key_frame(frame: pd.DataFrame, cols: list[str], item: np.ndarray, t: np.ndarray
              ) -> pd.DataFrame:
    """The keys of a block over ``frame``'s rows ``item`` and periods ``t``: the columns
    ``cols`` of those rows, and ``period``."""
    k = {c: frame[c].to_numpy()[item] for c in cols}
    k["period"] = t
    return pd.DataFrame(k)


def lookup(index_frame: pd.DataFrame, cols: list[str], *arrays) -> np.ndarray:
    """Row of ``index_frame`` for each key tuple in ``arrays`` (-1 where absent)."""
    if not len(index_frame):
        return np.full(len(arrays[0]), -1, dtype=np.int64)
    idx = pd.MultiIndex.from_frame(index_frame[cols])
    return idx.get_indexer(pd.MultiIndex.from_arrays(list(arrays)))


@dataclass(frozen=True)
class PlanIndex:
    """Where each variable of the planning model sits in the data, and where arcs, production
    rows and recipe lines meet stock points and demand pairs (-1: they do not)."""

    #: per ``make`` variable (production row x period): its production row k and period t
    make_row: np.ndarray
    make_t: np.ndarray
    #: per ``ship`` variable: its arc, ship period t and arrival period t + L
    ship_arc: np.ndarray
    ship_t: np.ndarray
    ship_arrive: np.ndarray
    #: per arc: the stock point (row of ``nodes``) of its origin / destination and product
    origin_node: np.ndarray
    dest_node: np.ndarray
    #: per arc: the demand pair (row of ``pairs``) of its destination and product
    arc_pair: np.ndarray
    #: per production row: the stock point of its plant and product
    made_node: np.ndarray
    #: per recipe line: the stock point of its component at its plant
    comp_node: np.ndarray


def plan_index(d: PlanData) -> PlanIndex:
    """The :class:`PlanIndex` of ``d``.

    Ship variables: one per arc and ship period t with first <= t <= last (arrival inside the
    horizon; from a supplier, t >= its lead time so the order is not in the past), arc-major."""
    make_row, make_t = grid(len(d.production), d.T)
    a = d.arcs
    first, last = a["first"].to_numpy(), a["last"].to_numpy()
    n_per = np.maximum(last - first + 1, 0)
    arc = np.repeat(np.arange(len(a)), n_per)
    offsets = np.concatenate([[0], np.cumsum(n_per)[:-1]]).astype(np.int64)
    t = first[arc] + (np.arange(len(arc)) - offsets[arc])
    pr, rc = d.production, d.recipes
    return PlanIndex(
        make_row=make_row, make_t=make_t,
        ship_arc=arc, ship_t=t, ship_arrive=t + a["lead"].to_numpy()[arc],
        origin_node=lookup(d.nodes, NODE, a["origin"], a["product"]),
        dest_node=lookup(d.nodes, NODE, a["destination"], a["product"]),
        arc_pair=lookup(d.pairs, PAIR, a["destination"], a["product"]),
        made_node=lookup(d.nodes, NODE, pr["plant"], pr["product"]),
        comp_node=lookup(d.nodes, NODE, rc["plant"], rc["component"]),
    )


__all__ = ["NODE", "PAIR", "PlanIndex", "grid", "key_frame", "lookup", "plan_index"]
