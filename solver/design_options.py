"""The options of network design (:func:`solver.design`): which sites the design decides,
how customers are sourced, over which buckets it is evaluated, and the limits it must keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import Enum

import pandas as pd

from chainlab.solver.options import SolveOptions, coerce_enums

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
    #: not proven by :func:`~solver.design.cost_of_forcing`)
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



__all__ = ["LEVEL_COLUMNS", "OPTIONS", "DesignOptions", "Horizon", "Sourcing"]
