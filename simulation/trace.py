"""What one replication records: the record type both engines return and :mod:`simulation.kpis`
reads.

Both the SimPy model (:func:`simulation.engine.run`) and the vectorized path
(:func:`simulation.fast.run`) fill a :class:`Trace`; KPIs, per-node figures, series and the
unit balance are computed from it afterwards, never while the replication runs.

Shapes: *nodes* are the model's stock points (``SimModel.nodes``), *streams* its customer x
product demand streams (``SimModel.streams``), *days* the simulated days from the calendar
start. Quantities are in each product's unit; money in the network's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: the unit flows of :class:`Flows`, in the order of the unit balance
FLOW_NAMES = ("bought", "made", "consumed", "delivered", "in_transit", "wip", "end_stock")


@dataclass(frozen=True)
class Flows:
    """Units per product over the whole replication, for the unit balance
    (initial + bought + made = consumed + delivered + end_stock + in_transit + wip).

    Each field maps product ID -> units."""

    #: bought from suppliers (released by the supplier)
    bought: dict[str, float]
    #: made on production lines
    made: dict[str, float]
    #: consumed as components of what was made
    consumed: dict[str, float]
    #: delivered to customers
    delivered: dict[str, float]
    #: still on a lane at the end (shipped, not yet received)
    in_transit: dict[str, float]
    #: components handed to production jobs and not yet used
    wip: dict[str, float]
    #: on hand at all stock points at the end
    end_stock: dict[str, float]


@dataclass(frozen=True, eq=False)
class Trace:
    """The records of one replication (see the module docstring for the shapes).

    Per stock point and day, at the end of the day (``RECORD`` in :mod:`simulation.engine`):

    - ``on_hand`` (nodes, days): units on hand;
    - ``cust_backlog`` (nodes, days): units owed to customers (backorders);
    - ``stockout`` (nodes, days), bool: the stock point could not fill all of the day's
      customer demand.

    Per customer stream and day the units were demanded on (t0):

    - ``filled`` (streams, days): units filled from stock on t0;
    - ``lost`` (streams, days): units lost on t0 (unmet demand lost, not backordered);
    - ``otif`` (streams, days), bool: the order line of t0 arrived in full by its requested
      date (t0 + nominal transit + ``order_lead_days``);
    - ``late_filled`` (streams, days): backordered units filled later (units);
    - ``late_in_period`` (streams, days): of those, units filled by the end of t0's period;
    - ``late_days`` (streams, days): days those units waited, summed (units x days).

    Money per day (currency): ``transport`` (lane cost of what was shipped), ``purchase``
    (supplier price of what was bought), ``production`` (unit cost of what was made).

    ``end_owed`` (streams,): units still owed to customers when the horizon ends;
    ``flows``: the unit balance per product (:class:`Flows`); ``events``: SimPy events
    scheduled (0 for the vectorized path, -1 when unknown).
    """

    on_hand: np.ndarray
    cust_backlog: np.ndarray
    stockout: np.ndarray
    filled: np.ndarray
    lost: np.ndarray
    otif: np.ndarray
    late_filled: np.ndarray
    late_in_period: np.ndarray
    late_days: np.ndarray
    transport: np.ndarray
    purchase: np.ndarray
    production: np.ndarray
    end_owed: np.ndarray
    flows: Flows
    events: int = -1
