"""Options of a simulation run and the disruptions it can be asked to play out."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np


class Unmet(str, Enum):
    """What happens to customer demand that stock cannot fill on the day it arrives."""

    #: owed to the customer and shipped first when stock comes in; charged per unit and period late
    BACKLOG = "backlog"
    #: the customer buys elsewhere; charged per unit once
    LOST = "lost"


class Replenishment(str, Enum):
    """What moves goods into stock points."""

    #: each stock point follows its ``inventory.csv`` policy; stock points without one (policy
    #: ``plan`` or no row) order exactly what was taken from them (lot for lot)
    POLICY = "policy"
    #: the plan's production, purchases and shipments are released as scheduled
    PLAN = "plan"


class Engine(str, Enum):
    """Which implementation runs a replication."""

    #: the NumPy fast path where the network allows it (see :mod:`simulation.fast`) and has
    #: enough stock points for it to pay (``simulation.run.FAST_MIN_NODES``), else SimPy
    AUTO = "auto"
    SIMPY = "simpy"
    #: the vectorized path; an error where the network has what it cannot model
    NUMPY = "numpy"


def _as_date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name}(={value!r}) must be an ISO date like 2027-04-05") from None


@dataclass(frozen=True)
class Window:
    """Days ``start`` to ``end`` (both included, as in a scenario file's ``from``/``to``)."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        object.__setattr__(self, "start", _as_date(self.start, "from"))
        object.__setattr__(self, "end", _as_date(self.end, "to"))
        if self.end < self.start:
            raise ValueError(f"window to(={self.end}) is before from(={self.start})")

    def days(self, calendar) -> tuple[int, int]:
        """Simulation days [first, last + 1) of the window, counted from the calendar start."""
        first = (self.start - calendar.start).days
        last = (self.end - calendar.start).days
        return first, last + 1


@dataclass(frozen=True)
class SiteOutage:
    """``site`` is down from ``start`` to ``end``: it neither ships, receives, produces nor
    sells; shipments that reach it wait at the gate and are received when it is back up."""

    site: str
    start: dt.date
    end: dt.date

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)


@dataclass(frozen=True)
class LaneDelay:
    """Shipments leaving on matching lanes between ``start`` and ``end`` take ``extra_days``
    longer, on top of a transit time scaled by ``scale``. A lane matches by ``lane`` ID, or by
    ``origin`` and/or ``destination`` (blank = any)."""

    start: dt.date
    end: dt.date
    lane: str = ""
    origin: str = ""
    destination: str = ""
    extra_days: float = 0.0
    scale: float = 1.0

    def __post_init__(self):
        if not (self.lane or self.origin or self.destination):
            raise ValueError("LaneDelay needs lane, origin or destination")
        if self.extra_days < 0 or self.scale < 0:
            raise ValueError(f"LaneDelay extra_days(={self.extra_days}) and scale(={self.scale}) "
                             "must be >= 0")

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    def matches(self, lane_id: str, origin: str, destination: str) -> bool:
        if self.lane:
            return lane_id == self.lane
        return ((not self.origin or origin == self.origin)
                and (not self.destination or destination == self.destination))


@dataclass(frozen=True)
class SupplyCut:
    """``supplier``'s capacity (for ``product``, blank = all) is multiplied by ``scale`` from
    ``start`` to ``end``. A supplier without ``capacity_per_period`` stays unlimited unless
    ``scale`` is 0 (it ships nothing)."""

    supplier: str
    start: dt.date
    end: dt.date
    scale: float = 0.0
    product: str = ""

    def __post_init__(self):
        if self.scale < 0:
            raise ValueError(f"SupplyCut scale(={self.scale}) must be >= 0")

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)


Disruption = SiteOutage | LaneDelay | SupplyCut


@dataclass(frozen=True)
class SimOptions:
    """How to simulate.

    Costs left at ``None`` are derived per product from its value ``v`` (``price`` when given,
    else ``standard_cost``, else 1), the same defaults the planner uses:
    ``backlog_cost`` = 0.5 v per unit and period late, ``lost_sales_cost`` = 5 v per unit.
    """

    replications: int = 30
    #: root of every random stream; None draws fresh entropy (recorded in the result)
    seed: int | None = 0
    #: worker processes; None = min(cpu count, replications); 1 runs in this process
    workers: int | None = None
    unmet: Unmet = Unmet.BACKLOG
    #: None = ``plan`` when a plan is given, else ``policy``
    replenishment: Replenishment | None = None
    engine: Engine = Engine.AUTO
    #: days at the start left out of every KPI (stock and costs still evolve in them)
    warmup_days: int = 0
    #: days a customer allows beyond the lane's nominal transit time (requested date = order day
    #: + nominal transit + this); OTIF counts order lines delivered in full by then
    order_lead_days: int = 0
    backlog_cost: float | None = None
    lost_sales_cost: float | None = None
    disruptions: tuple[Disruption, ...] = ()
    #: keep per-period time series per site x product (mean over replications)
    series: bool = True
    confidence: float = 0.95

    def __post_init__(self):
        for name, enum in (("unmet", Unmet), ("engine", Engine)):
            value = getattr(self, name)
            if not isinstance(value, enum):
                try:
                    object.__setattr__(self, name, enum(value))
                except ValueError:
                    raise ValueError(f"{name}={value!r} must be one of "
                                     f"{', '.join(e.value for e in enum)}") from None
        if self.replenishment is not None and not isinstance(self.replenishment, Replenishment):
            try:
                object.__setattr__(self, "replenishment", Replenishment(self.replenishment))
            except ValueError:
                raise ValueError(f"replenishment={self.replenishment!r} must be policy or "
                                 "plan") from None
        if not isinstance(self.replications, (int, np.integer)) or self.replications < 1:
            raise ValueError(f"replications(={self.replications}) must be an integer >= 1")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers(={self.workers}) must be >= 1")
        if self.seed is not None and (not isinstance(self.seed, (int, np.integer))
                                      or self.seed < 0):
            raise ValueError(f"seed(={self.seed}) must be an integer >= 0")
        if self.warmup_days < 0 or self.order_lead_days < 0:
            raise ValueError(f"warmup_days(={self.warmup_days}) and order_lead_days"
                             f"(={self.order_lead_days}) must be >= 0")
        for name in ("backlog_cost", "lost_sales_cost"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"{name}(={v}) must be >= 0")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence(={self.confidence}) must be in (0, 1)")
        object.__setattr__(self, "disruptions", tuple(self.disruptions))
        for d in self.disruptions:
            if not isinstance(d, (SiteOutage, LaneDelay, SupplyCut)):
                raise TypeError(f"disruption {d!r} must be a SiteOutage, LaneDelay or SupplyCut")

    def replace(self, **changes) -> SimOptions:
        return replace(self, **changes)

    def n_workers(self) -> int:
        if self.workers is not None:
            return min(self.workers, self.replications)
        return max(1, min(os.cpu_count() or 1, self.replications))
