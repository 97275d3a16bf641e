"""What order promising needs to know about the network a plan was made for, stored with each
plan version, and the capacity side of capable-to-promise (CTP).

Publishing a plan with its network stores, per plan version (:func:`promising_data`,
:func:`store`):

- ``plan_lanes``: every lane (origin, destination, product or '' for all, mode, lead time in
  days, cost per unit): which DCs can serve a customer and how long the trip takes;
- ``plan_routings``: per plant and product the resource, hours per unit ``h``, the days from the
  end of the producing bucket to output, and the unit cost;
- ``plan_bom``: component units per product unit (``plant`` '' = every plant);
- ``plan_capacity``: per plant, resource and bucket [start, end) the hours available (the plan's
  ``capacity`` table, or ``resources.csv`` x ``capacity_changes``) and the hours the version's
  production orders use (sum of quantity x ``h`` over the orders released in the bucket, firm
  orders carried from the previous version included).

A plan published without its network (``POST /v1/plans``) keeps the previous version's lanes,
routings, bills of material and available hours; the used hours are those of its own orders.

Spare hours of a bucket = available - used - hours held by active CTP promises
(``promise_reservations`` of kind ``hours``); :class:`Capacity` keeps them while a promise is
worked out, so two lines of one request (or two promises, which lock each other out) never
spend the same hour.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.accounts import STOCKING_KINDS
from chainlab.ledger.tables import Item, Location, PlanBom, PlanCapacity, PlanLane, PlanRouting
from chainlab.ledger.types import QUANTUM, SCALE, quantize

LANES = PlanLane.__table__
ROUTINGS = PlanRouting.__table__
BOM = PlanBom.__table__
CAPACITY = PlanCapacity.__table__
LOCATIONS = Location.__table__
ITEMS = Item.__table__

ZERO = Decimal(0)

LANE_COLUMNS = ["origin", "destination", "product", "mode", "lead_time_days", "cost_per_unit"]
ROUTING_COLUMNS = ["plant", "product", "resource", "hours_per_unit", "lead_time_days",
                   "unit_cost"]
BOM_COLUMNS = ["plant", "product", "component", "quantity"]
CAPACITY_COLUMNS = ["plant", "resource", "period_start", "period_end", "available_hours"]


def floor6(x: Decimal) -> Decimal:
    """``x`` rounded down to the ledger's 6 decimals (a promise never rounds up)."""
    return x.quantize(QUANTUM, rounding=ROUND_FLOOR)


# ------------------------------------------------------------------ from a plan and network

@dataclass(frozen=True)
class PromisingData:
    """The network facts a plan version is promised against (see the module docstring); each
    a DataFrame with the ``*_COLUMNS`` of this module."""

    lanes: pd.DataFrame
    routings: pd.DataFrame
    bom: pd.DataFrame
    capacity: pd.DataFrame


def promising_data(plan, net) -> PromisingData:
    """The lanes, routings, bills of material and available resource hours per bucket of
    network ``net`` for ``plan`` (a ``Plan`` or a plan folder). Available hours come from the
    plan's ``capacity`` table (kind ``resource``) when it has one, else from ``resources.csv``
    scaled by ``capacity_changes``."""
    lanes = net.lanes.reset_index(drop=True)
    lanes = pd.DataFrame({
        "origin": lanes["origin"].astype(str), "destination": lanes["destination"].astype(str),
        "product": _blank(lanes["product"]), "mode": _blank(lanes["mode"]),
        "lead_time_days": _num(lanes["lead_time_days"]),
        "cost_per_unit": _num(lanes["cost_per_unit"])})
    # one row per key (the network's key is unique; keep the cheapest should it not be)
    lanes = lanes.sort_values("cost_per_unit", kind="stable").drop_duplicates(
        ["origin", "destination", "product", "mode"])
    prod = net.production.reset_index()
    routings = pd.DataFrame({
        "plant": prod["plant"].astype(str), "product": prod["product"].astype(str),
        "resource": _blank(prod["resource"]) if "resource" in prod else "",
        "hours_per_unit": _num(prod.get("hours_per_unit", pd.Series(0.0, index=prod.index))),
        "lead_time_days": _num(prod["lead_time_days"]) if "lead_time_days" in prod else 0.0,
        "unit_cost": _num(prod["unit_cost"])})
    bom = net.bom.reset_index()
    bom = pd.DataFrame({"plant": _blank(bom["plant"]), "product": bom["product"].astype(str),
                        "component": bom["component"].astype(str),
                        "quantity": _num(bom["quantity"])})
    return PromisingData(lanes.reset_index(drop=True), routings, bom,
                         available_hours(plan, net))


def available_hours(plan, net) -> pd.DataFrame:
    """Hours of each plant's resource per bucket (:data:`CAPACITY_COLUMNS`): the plan's
    ``capacity`` table (kind ``resource``) when it has one, else ``resources.csv`` x
    ``capacity_changes`` (``plan`` may then be None)."""
    cal = net.calendar
    table = None
    if isinstance(plan, (str, Path)):
        f = Path(plan) / "capacity.csv"
        if f.exists():
            table = pd.read_csv(f, dtype={"site": str, "item": str, "kind": str})
    else:
        table = getattr(plan, "capacity", None)
    if isinstance(table, pd.DataFrame) and len(table) and {"kind", "site", "item", "period",
                                                             "available"} <= set(table.columns):
        res = table[table["kind"] == "resource"]
        period = res["period"].to_numpy(dtype=np.int64)
        plant, resource, hours = (res["site"].astype(str).to_numpy(),
                                  res["item"].astype(str).to_numpy(),
                                  _num(res["available"]).to_numpy())
    else:
        res = net.resources.reset_index()
        n, T = len(res), cal.periods
        period = np.tile(np.arange(T), n)
        plant = np.repeat(res["plant"].astype(str).to_numpy(), T)
        resource = np.repeat(res["resource"].astype(str).to_numpy(), T)
        hours = np.repeat(_num(res["hours_per_period"]).to_numpy(), T) * _factors(net, res)
    start = np.datetime64(cal.start, "D") + (period * cal.days).astype("timedelta64[D]")
    return pd.DataFrame({"plant": plant, "resource": resource,
                         "period_start": pd.to_datetime(start).date,
                         "period_end": pd.to_datetime(start + np.timedelta64(cal.days, "D")).date,
                         "available_hours": np.maximum(hours, 0.0)})


def _factors(net, res: pd.DataFrame) -> np.ndarray:
    """Capacity multiplier of each resource and period (``capacity_changes``), flattened like
    ``np.repeat(resources, periods)``."""
    T = net.calendar.periods
    out = np.ones(len(res) * T)
    try:
        f = net.capacity_factors()
    except Exception:  # noqa: BLE001 - a network without capacity changes
        return out
    if f.empty:
        return out
    idx = {(str(s), "" if pd.isna(r) else str(r), "" if pd.isna(p) else str(p)): i
           for i, (s, r, p) in enumerate(f.index)}
    values = f.to_numpy(dtype=float)
    for i, (plant, resource) in enumerate(zip(res["plant"], res["resource"])):
        scale = np.ones(T)
        for key in ((str(plant), "", ""), (str(plant), str(resource), "")):
            j = idx.get(key)
            if j is not None:
                scale = scale * values[j]
        out[i * T:(i + 1) * T] = scale
    return out


def _blank(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str).replace("nan", "")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").fillna(0.0).astype(float)


# ------------------------------------------------------------------ storing with a version

def store(conn: Connection, plan_id: int, data: PromisingData | None, orders: pd.DataFrame,
          previous: int | None) -> None:
    """Write the promising data of new plan version ``plan_id`` whose orders (all of them,
    carried ones included) are ``orders``; without ``data``, carry the previous version's."""
    if data is None:
        if previous is None:
            return
        data = load_data(conn, previous)
    rows = {
        LANES: data.lanes[LANE_COLUMNS],
        ROUTINGS: data.routings[ROUTING_COLUMNS],
        BOM: data.bom[BOM_COLUMNS],
        CAPACITY: _with_used(data.capacity[CAPACITY_COLUMNS], data.routings, orders),
    }
    for table, df in rows.items():
        if len(df):
            records = df.assign(plan_version_id=plan_id).to_dict("records")
            for r in records:
                for k, v in r.items():
                    if isinstance(v, float):
                        r[k] = quantize(round(v, SCALE))
            conn.execute(table.insert(), records)


def _with_used(cap: pd.DataFrame, routings: pd.DataFrame, orders: pd.DataFrame
               ) -> pd.DataFrame:
    """Available hours with the hours the version's production orders use in each bucket."""
    cap = cap.copy()
    cap["used_hours"] = 0.0
    if not len(cap) or orders is None or not len(orders):
        return cap
    prod = orders[orders["type"] == "production"]
    if not len(prod):
        return cap
    r = routings[routings["resource"] != ""].set_index(["plant", "product"])
    key = pd.MultiIndex.from_arrays([prod["from_site"].astype(str), prod["product"].astype(str)])
    h = r["hours_per_unit"].reindex(key).to_numpy(dtype=float)
    resource = r["resource"].reindex(key).to_numpy(dtype=object)
    ok = ~np.isnan(h)
    if not ok.any():
        return cap
    use = pd.DataFrame({"plant": prod["from_site"].astype(str).to_numpy()[ok],
                        "resource": resource[ok],
                        "date": pd.to_datetime(prod["release_date"]).to_numpy()[ok],
                        "hours": prod["quantity"].astype(float).to_numpy()[ok] * h[ok]})
    for (plant, res), grp in use.groupby(["plant", "resource"]):
        mask = ((cap["plant"] == plant) & (cap["resource"] == res)).to_numpy()
        if not mask.any():
            continue
        starts = pd.to_datetime(cap.loc[mask, "period_start"]).to_numpy()
        order = np.argsort(starts)
        pos = np.searchsorted(starts[order], grp["date"].to_numpy(), side="right") - 1
        used = np.zeros(mask.sum())
        inside = pos >= 0
        np.add.at(used, order[pos[inside]], grp["hours"].to_numpy()[inside])
        cap.loc[mask, "used_hours"] = cap.loc[mask, "used_hours"].to_numpy() + used
    return cap


def load_data(conn: Connection, plan_id: int) -> PromisingData:
    """The promising data stored with plan version ``plan_id`` (as floats, for carrying)."""
    def frame(table, cols):
        rows = conn.execute(sa.select(*[table.c[c] for c in cols])
                            .where(table.c.plan_version_id == plan_id)).all()
        df = pd.DataFrame(rows, columns=cols)
        for c in cols:
            if len(df) and isinstance(df[c].iloc[0], Decimal):
                df[c] = df[c].astype(float)
        return df

    return PromisingData(frame(LANES, LANE_COLUMNS), frame(ROUTINGS, ROUTING_COLUMNS),
                         frame(BOM, BOM_COLUMNS), frame(CAPACITY, CAPACITY_COLUMNS))


# ------------------------------------------------------------------ read back for promising

@dataclass(frozen=True)
class Lane:
    origin: str
    destination: str
    product: str
    mode: str
    lead_days: int
    cost: Decimal

    @property
    def label(self) -> str:
        return f"{self.origin}>{self.destination}" + (f" by {self.mode}" if self.mode else "")


@dataclass(frozen=True)
class Routing:
    plant: str
    product: str
    resource: str
    hours_per_unit: Decimal
    lead_days: int
    unit_cost: Decimal


@dataclass(frozen=True)
class Bucket:
    """One bucket of a resource: [start, end) with the hours the plan leaves free."""

    start: dt.date
    end: dt.date
    available: Decimal
    used: Decimal

    @property
    def spare(self) -> Decimal:
        return max(self.available - self.used, ZERO)


@dataclass
class Statics:
    """A plan version's promising data, read once and kept (a version never changes): lanes by
    destination, routings by product, BOM rows by (plant, product), buckets by (plant,
    resource), and the kind of every site."""

    plan_id: int | None
    kinds: dict[str, str] = field(default_factory=dict)
    items: frozenset[str] = frozenset()
    lanes_to: dict[str, list[Lane]] = field(default_factory=dict)
    routings: dict[str, list[Routing]] = field(default_factory=dict)
    bom: dict[tuple[str, str], list[tuple[str, Decimal]]] = field(default_factory=dict)
    buckets: dict[tuple[str, str], list[Bucket]] = field(default_factory=dict)
    _parents: dict[str, set[str]] | None = field(default=None, repr=False)
    #: the version's orders as read by ATP, by (products, sites, order-events marker): a
    #: version's orders change only by status changes, which the marker counts
    order_rows: dict = field(default_factory=dict, repr=False)

    def lanes(self, origin: str, destination: str, product: str) -> list[Lane]:
        return [ln for ln in self.lanes_to.get(destination, ())
                if ln.origin == origin and ln.product in ("", product)]

    def sources(self, customer: str, product: str) -> list[Lane]:
        """Lanes from a plant or DC to ``customer`` that carry ``product``."""
        return [ln for ln in self.lanes_to.get(customer, ())
                if ln.product in ("", product) and self.kinds.get(ln.origin) in STOCKING_KINDS]

    def components(self, plant: str, product: str) -> list[tuple[str, Decimal]]:
        """(component, units per unit) of ``product`` made at ``plant``: the plant's own rows
        when it has any, else the rows for every plant."""
        own = self.bom.get((plant, product))
        return own if own is not None else self.bom.get(("", product), [])

    def parents(self, components: set[str]) -> set[str]:
        """Products whose bill of material uses any of ``components``."""
        if self._parents is None:
            index: dict[str, set[str]] = {}
            for (_, p), rows in self.bom.items():
                for c, _ in rows:
                    index.setdefault(c, set()).add(p)
            self._parents = index
        out: set[str] = set()
        for c in components:
            out |= self._parents.get(c, set())
        return out


def load_statics(conn: Connection, plan_id: int | None) -> Statics:
    """The :class:`Statics` of plan version ``plan_id`` (empty without a plan)."""
    st = Statics(plan_id, kinds=dict(conn.execute(sa.select(LOCATIONS.c.id,
                                                             LOCATIONS.c.kind)).all()),
                 items=frozenset(conn.execute(sa.select(ITEMS.c.id)).scalars()))
    if plan_id is None:
        return st
    for r in conn.execute(sa.select(LANES).where(LANES.c.plan_version_id == plan_id)
                          .order_by(LANES.c.cost_per_unit, LANES.c.origin, LANES.c.mode)):
        st.lanes_to.setdefault(r.destination, []).append(
            Lane(r.origin, r.destination, r.product, r.mode, _days(r.lead_time_days),
                 r.cost_per_unit))
    for r in conn.execute(sa.select(ROUTINGS).where(ROUTINGS.c.plan_version_id == plan_id)
                          .order_by(ROUTINGS.c.unit_cost, ROUTINGS.c.plant)):
        st.routings.setdefault(r.product, []).append(
            Routing(r.plant, r.product, r.resource, r.hours_per_unit, _days(r.lead_time_days),
                    r.unit_cost))
    for r in conn.execute(sa.select(BOM).where(BOM.c.plan_version_id == plan_id)
                          .order_by(BOM.c.plant, BOM.c.product, BOM.c.component)):
        st.bom.setdefault((r.plant, r.product), []).append((r.component, r.quantity))
    for r in conn.execute(sa.select(CAPACITY).where(CAPACITY.c.plan_version_id == plan_id)
                          .order_by(CAPACITY.c.plant, CAPACITY.c.resource,
                                    CAPACITY.c.period_start)):
        st.buckets.setdefault((r.plant, r.resource), []).append(
            Bucket(r.period_start, r.period_end, r.available_hours, r.used_hours))
    return st


def _days(x: Decimal) -> int:
    """Lead time in whole days, rounded up (a promise is never earlier than the trip)."""
    return int(-(-x // 1))


# ------------------------------------------------------------------ spare hours

class Capacity:
    """Spare hours of the resources while a promise is worked out: the plan's spare hours per
    bucket less what active promises hold (``held``: (plant, resource) -> {bucket start:
    hours}) less what this request has taken so far."""

    def __init__(self, statics: Statics, held: dict[tuple[str, str], dict[dt.date, Decimal]]):
        self._statics = statics
        self._held = held
        self.taken: dict[tuple[str, str, dt.date], Decimal] = defaultdict(Decimal)

    def copy(self) -> Capacity:
        c = Capacity(self._statics, self._held)
        c.taken = defaultdict(Decimal, self.taken)
        return c

    def buckets(self, plant: str, resource: str) -> list[Bucket]:
        return self._statics.buckets.get((plant, resource), [])

    def free(self, plant: str, resource: str, b: Bucket, today: dt.date) -> Decimal:
        """Hours of bucket ``b`` still free, pro rata for the days left when it has begun."""
        held = self._held.get((plant, resource), {}).get(b.start, ZERO)
        spare = b.spare
        if b.start < today:
            days = (b.end - b.start).days
            spare = spare * max((b.end - today).days, 0) / days if days > 0 else ZERO
        return max(spare - held - self.taken[(plant, resource, b.start)], ZERO)

    def take(self, plant: str, resource: str, start: dt.date, hours: Decimal) -> None:
        self.taken[(plant, resource, start)] += hours

    def bucket_at(self, plant: str, resource: str, day: dt.date) -> Bucket | None:
        bs = self.buckets(plant, resource)
        i = bisect_right([b.start for b in bs], day) - 1
        return bs[i] if i >= 0 and day < bs[i].end else None
