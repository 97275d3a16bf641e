"""A linear program held as index arrays: named blocks of variables and rows, a sparse matrix.

The planning model (:mod:`solver.model`) is written against this small container, never against
a solver library: each ``add_*`` function adds a block of variables or rows keyed by a DataFrame
of network IDs, and the matrix coefficients as whole arrays (row positions, column positions,
values). :meth:`LinearProgram.arrays` then gives every backend the same bulk data (CSR matrix,
bounds, costs, integrality), so a model with a million coefficients is built in a few numpy
calls and handed over without one Python call per element.

Conventions: minimise ``c @ x + offset`` subject to ``row_lower <= A @ x <= row_upper`` and
``lower <= x <= upper``; ``x[j]`` integer where ``integer[j]``. Infinity is ``numpy.inf``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

INF = np.inf


@dataclass(frozen=True)
class Block:
    """A family of variables or rows: positions ``start:stop`` keyed by ``keys`` (one row each)."""

    name: str
    start: int
    keys: pd.DataFrame

    @property
    def stop(self) -> int:
        return self.start + len(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def pos(self, i=None) -> np.ndarray:
        """Global positions of the block's members (all, or those at local indices ``i``)."""
        if i is None:
            return np.arange(self.start, self.stop)
        return self.start + np.asarray(i, dtype=np.int64)


@dataclass(frozen=True)
class LPArrays:
    """Everything a backend needs, as plain arrays (picklable for a worker process).

    ``A`` is in CSR form: row ``i`` has columns ``a_index[a_start[i]:a_start[i+1]]`` with
    values ``a_value[...]``, columns sorted and without duplicates.
    """

    cost: np.ndarray
    offset: float
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray
    a_index: np.ndarray
    a_value: np.ndarray
    var_names: tuple[str, ...] | None = None
    row_names: tuple[str, ...] | None = None

    @property
    def n_vars(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def nnz(self) -> int:
        return len(self.a_value)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def with_integers_fixed(self, x: np.ndarray) -> LPArrays:
        """The LP left when every integer variable is fixed at its value in ``x`` (clipped to
        its bounds and rounded): for a MILP solution, the LP that completes its continuous part
        and whose row duals are its marginal values."""
        r = np.round(np.clip(x, self.lower, self.upper))
        return replace(self, lower=np.where(self.integer, r, self.lower),
                       upper=np.where(self.integer, r, self.upper),
                       integer=np.zeros_like(self.integer))

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The matrix column-wise: (start, row index, value), rows sorted within a column."""
        rows = np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.a_start))
        order = np.lexsort((rows, self.a_index))
        counts = np.bincount(self.a_index, minlength=self.n_vars)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return start, rows[order], self.a_value[order]

    def activity(self, x: np.ndarray) -> np.ndarray:
        """``A @ x`` for a solution ``x``."""
        rows = np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.a_start))
        return np.bincount(rows, weights=self.a_value * x[self.a_index], minlength=self.n_rows)


@dataclass
class LinearProgram:
    """A minimisation LP/MILP under construction. Add blocks with :meth:`add_variables` and
    :meth:`add_rows`, coefficients with :meth:`add_terms`, costs with :meth:`add_cost`."""

    variables: dict[str, Block] = field(default_factory=dict)
    rows: dict[str, Block] = field(default_factory=dict)
    offset: dict[str, float] = field(default_factory=dict)
    #: cost category names, in the order they were first used
    categories: list[str] = field(default_factory=list)
    _lower: list = field(default_factory=list)
    _upper: list = field(default_factory=list)
    _integer: list = field(default_factory=list)
    _row_lower: list = field(default_factory=list)
    _row_upper: list = field(default_factory=list)
    _terms: list = field(default_factory=list)
    _costs: list = field(default_factory=list)
    n_vars: int = 0
    n_rows: int = 0

    def add_variables(self, name: str, keys: pd.DataFrame, lower=0.0, upper=INF,
                      integer=False) -> Block:
        """A block of ``len(keys)`` variables; ``lower``/``upper``/``integer`` scalars or
        arrays."""
        if name in self.variables:
            raise ValueError(f"variable block {name!r} exists already")
        n = len(keys)
        b = Block(name, self.n_vars, keys.reset_index(drop=True))
        self._lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self._upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        self._integer.append(np.broadcast_to(np.asarray(integer, dtype=bool), (n,)).copy())
        self.variables[name] = b
        self.n_vars += n
        return b

    def add_rows(self, name: str, keys: pd.DataFrame, lower=-INF, upper=INF) -> Block:
        """A block of ``len(keys)`` rows ``lower <= a @ x <= upper`` (terms come separately)."""
        if name in self.rows:
            raise ValueError(f"row block {name!r} exists already")
        n = len(keys)
        b = Block(name, self.n_rows, keys.reset_index(drop=True))
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        self.rows[name] = b
        self.n_rows += n
        return b

    def add_terms(self, rows, cols, values) -> None:
        """Coefficients ``A[rows[k], cols[k]] += values[k]`` (global positions)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape)
        if len(rows):
            self._terms.append((rows, cols, values))

    def add_cost(self, category: str, cols, values) -> None:
        """Objective terms ``c[cols[k]] += values[k]``, reported under ``category``."""
        cols = np.asarray(cols, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=float), cols.shape)
        if category not in self.categories:
            self.categories.append(category)
        keep = values != 0
        if keep.any():
            self._costs.append((self.categories.index(category), cols[keep], values[keep]))

    def add_constant(self, category: str, value: float) -> None:
        """A cost that no decision changes (e.g. fixed costs of open sites)."""
        if category not in self.categories:
            self.categories.append(category)
        self.offset[category] = self.offset.get(category, 0.0) + float(value)

    # ------------------------------------------------------------ output

    def cost_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The objective by category: (category code, column, coefficient) per term."""
        if not self._costs:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0)
        cat = np.concatenate([np.full(len(c), k) for k, c, _ in self._costs])
        return cat, np.concatenate([c for _, c, _ in self._costs]), \
            np.concatenate([v for _, _, v in self._costs])

    def costs_by_category(self, x: np.ndarray) -> dict[str, float]:
        """Cost of a solution per category (constants included), in category order."""
        cat, col, val = self.cost_matrix()
        sums = np.bincount(cat, weights=val * x[col], minlength=len(self.categories))
        return {c: float(sums[i]) + self.offset.get(c, 0.0) for i, c in enumerate(self.categories)}

    def arrays(self, names: bool = False) -> LPArrays:
        """The finished model as arrays (CSR matrix with duplicates summed).

        ``names=True`` adds readable names (``block[key1,key2,...]``), for small models and
        for backends that write files.
        """
        n, m = self.n_vars, self.n_rows
        cost = np.zeros(n)
        _, col, val = self.cost_matrix()
        np.add.at(cost, col, val)
        if self._terms:
            r = np.concatenate([t[0] for t in self._terms])
            c = np.concatenate([t[1] for t in self._terms])
            v = np.concatenate([t[2] for t in self._terms])
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        key = r * max(n, 1) + c
        order = np.argsort(key, kind="stable")
        key, v = key[order], v[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        v = np.add.reduceat(v, starts) if len(v) else v
        key = key[starts]
        keep = v != 0
        key, v = key[keep], v[keep]
        r, c = key // max(n, 1), key % max(n, 1)
        a_start = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=m))]).astype(np.int64)

        def cat(parts):
            return np.concatenate(parts) if parts else np.zeros(0)

        return LPArrays(
            cost=cost, offset=float(sum(self.offset.values())),
            lower=cat(self._lower).astype(float), upper=cat(self._upper).astype(float),
            integer=cat(self._integer).astype(bool),
            row_lower=cat(self._row_lower).astype(float),
            row_upper=cat(self._row_upper).astype(float),
            a_start=a_start, a_index=c.astype(np.int64), a_value=v.astype(float),
            var_names=self.names(self.variables) if names else None,
            row_names=self.names(self.rows) if names else None,
        )

    @staticmethod
    def names(blocks: dict[str, Block]) -> tuple[str, ...]:
        """``block[k1,k2,...]`` for every member of every block, in position order."""
        out: list[str] = []
        for b in blocks.values():
            if not len(b):
                continue
            cols = [b.keys[c].astype(str) for c in b.keys.columns]
            joined = cols[0].str.cat(cols[1:], sep=",") if len(cols) > 1 else cols[0]
            out.extend((b.name + "[" + joined + "]").tolist())
        return tuple(out)

    def block_of(self, pos: int, kind: str = "rows") -> tuple[Block, int]:
        """The block holding global position ``pos`` and the local index in it."""
        for b in (self.rows if kind == "rows" else self.variables).values():
            if b.start <= pos < b.stop:
                return b, pos - b.start
        raise IndexError(pos)
