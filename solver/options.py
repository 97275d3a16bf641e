"""Options of a planning run, grouped in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np


class Unmet(str, Enum):
    """What happens to demand that is not delivered in its period."""

    #: carried to later periods and penalised per unit and period late; what is still owed at
    #: the end of the horizon is charged as a lost sale
    BACKLOG = "backlog"
    #: lost at once, penalised per unit
    LOST = "lost"
    #: not allowed: every demand is met on time or the plan is infeasible (then diagnosed)
    NONE = "none"


class EndInventory(str, Enum):
    """What the plan must leave in stock after the last period."""

    #: nothing beyond the soft safety-stock floor
    FREE = "free"
    #: at least the starting stock of every site and product (hard)
    INITIAL = "initial"
    #: at least the safety stock of every site and product (hard): the plan does not drain
    #: the DCs in its last periods
    SAFETY = "safety"


class Timing(str, Enum):
    """How the plan's periods (buckets) stand for the network's days.

    A weekly plan that rounds a 3-day truck to 0 weeks, and lets what is bought or made in a
    week leave again in that week, delivers on time in its own accounting while, executed day
    by day (suppliers and lines spread their capacity over the week, trucks take their days),
    much of the stock arrives after the days it is needed. ``ROBUST`` plans for that.
    """

    #: lead times rounded half up to whole buckets (3 days in a week -> 0, 4 -> 1); what is
    #: received or made at a site in a period can leave it in that period
    NOMINAL = "nominal"
    #: lead times rounded up (3 days in a week -> 1, 17 -> 3), so a shipment is never planned
    #: to arrive before it can; and a one-period handling lag: what is received or made at a
    #: plant or DC in period t can leave it (shipped, or used as a component) from t + 1 on
    ROBUST = "robust"

    def to_buckets(self, calendar, days) -> np.ndarray:
        """Lead times in ``days`` as whole buckets of ``calendar`` (``Calendar.to_buckets``,
        half up, for NOMINAL; the ceiling for ROBUST)."""
        if self is Timing.NOMINAL:
            return calendar.to_buckets(days)
        arr = np.nan_to_num(np.asarray(days, dtype=float), nan=0.0)
        # the tolerance keeps 14.000000001 days at 2 weeks
        return np.ceil(arr / calendar.days - 1e-9).astype(np.int64)

    @property
    def lag(self) -> int:
        """Periods between receiving or making a unit at a site and the first period it may
        leave the site."""
        return 1 if self is Timing.ROBUST else 0


class Method(str, Enum):
    """LP algorithm, where the backend lets us choose."""

    AUTO = "auto"
    SIMPLEX = "simplex"
    BARRIER = "barrier"
    PDLP = "pdlp"


def coerce_enums(options, enums: dict[str, type[Enum]]) -> None:
    """Turn the fields ``enums`` names of a frozen dataclass from their values (``"lost"``) into
    their enum members, or raise a ValueError that lists the allowed values."""
    for name, enum in enums.items():
        value = getattr(options, name)
        if not isinstance(value, enum):
            try:
                object.__setattr__(options, name, enum(value))
            except ValueError:
                raise ValueError(f"{name}={value!r} must be one of "
                                 f"{', '.join(e.value for e in enum)}") from None


@dataclass(frozen=True)
class SolveOptions:
    """How to build and solve a plan.

    Penalties left at ``None`` are derived per product from its value ``v`` (``price`` when
    given, else ``standard_cost``; 1 when both are 0), in the network's currency:

    - ``backlog_penalty`` = 0.5 v per unit and period late,
    - ``lost_sales_penalty`` = 5 v per unit not delivered (and per unit still owed at the end),
    - ``safety_stock_penalty`` = 0.05 v per unit and period below safety stock.
    """

    #: backend name (see ``solver.backends.names()``); None = the default backend
    backend: str | None = None
    #: seconds the solver may take (the build is not counted); None = no limit
    time_limit: float | None = None
    #: relative MIP gap at which to stop, |primal - bound| / |primal|
    gap: float = 1e-4
    #: solver threads; None = the solver's default
    threads: int | None = None
    unmet: Unmet = Unmet.BACKLOG
    backlog_penalty: float | None = None
    lost_sales_penalty: float | None = None
    safety_stock_penalty: float | None = None
    end_inventory: EndInventory = EndInventory.FREE
    #: how lead times become periods and when receipts can leave again (see :class:`Timing`);
    #: the default keeps the nominal plan, ``"robust"`` plans for execution day by day
    timing: Timing = Timing.NOMINAL
    #: True: every quantity integer (whole units); None: the orders (make, ship) of each
    #: product whose ``integer_quantities`` in products.csv says so (blank: by its unit, see
    #: ``models.schema.DISCRETE_UNITS``); False: any quantity. Integers turn an LP into a MILP
    integer_quantities: bool | None = False
    method: Method = Method.AUTO
    #: add the lot-sizing inequalities of :mod:`solver.lot_sizing` to a model with setups
    #: (valid cuts: the optimum is the same, the LP bound closer to it); False builds the
    #: setup rows alone, the formulation before them
    lot_sizing_cuts: bool = True
    #: always solve in a worker process that is killed ``grace`` seconds past the limit. The
    #: PuLP backends always do, and so does any backend whose library conflicts with one this
    #: process has loaded (see ``Backend.conflicts``); otherwise the solve runs here and is
    #: interrupted from outside at the same moment (keeping its incumbent)
    isolate: bool = False
    #: seconds past ``time_limit`` before the solve is stopped from outside
    grace: float = 10.0
    #: re-solve an infeasible model with elastic constraints to say what cannot be met
    diagnose: bool = True
    #: marginal values of a MILP plan (capacity ``shadow_price``, demand ``marginal_cost``): the
    #: duals of the LP left when its integer decisions are fixed, solved with the same backend
    #: after the MILP (``plan.duals_seconds``). An LP plan has its duals whatever this says;
    #: ``design()`` does not use it
    duals: bool = True
    #: solver log on stderr
    verbose: bool = False

    def __post_init__(self):
        coerce_enums(self, {"unmet": Unmet, "end_inventory": EndInventory, "method": Method,
                            "timing": Timing})
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit(={self.time_limit}) must be > 0 seconds")
        if not 0 <= self.gap < 1:
            raise ValueError(f"gap(={self.gap}) must be in [0, 1)")
        for name in ("backlog_penalty", "lost_sales_penalty", "safety_stock_penalty"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"{name}(={v}) must be >= 0")

    def replace(self, **changes) -> SolveOptions:
        return replace(self, **changes)
