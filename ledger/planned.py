"""Planned orders from a plan: what the ERP executes.

:func:`derive_planned_orders` is the one place that turns a plan's tables (plain DataFrames keyed
by the network's IDs and periods) into dated orders; :func:`planned_orders_from_plan` is the thin
adapter that finds those tables in a plan folder (``Plan.to_folder``) or a ``Plan`` object and
looks the lead times up in the network.

Dates follow the plan's buckets so the ERP's dates and the plan's inventory balance agree: an
order that starts in period ``t`` (production starts, goods ship) with a lead time of ``L`` days
is released on ``period_start(t - Lr)`` and due on ``period_start(t + L')`` where ``L'`` and
``Lr`` are the lead times in whole buckets (:meth:`models.Calendar.to_buckets`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.ledger.accounts import STOCKING_KINDS
from chainlab.ledger.types import SCALE, OrderType
from chainlab.models.calendar import Calendar
from chainlab.models.errors import Issue, NotFoundError, ValidationError
from chainlab.models.schema import SiteKind

#: columns of a planned-orders table, in order
ORDER_COLUMNS = ["type", "product", "from_site", "to_site", "quantity", "release_date",
                 "due_date"]
#: quantities below this are solver noise, not orders
MIN_QUANTITY = 1e-6

#: input columns per order type: (from-site column, to-site column)
_SITES = {OrderType.PRODUCTION: ("plant", "plant"),
          OrderType.PURCHASE: ("supplier", "destination"),
          OrderType.TRANSFER: ("origin", "destination")}


def derive_planned_orders(calendar: Calendar, production: pd.DataFrame | None = None,
                          purchases: pd.DataFrame | None = None,
                          transfers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Planned orders (:data:`ORDER_COLUMNS`) from a plan's flows.

    - ``production``: ``plant``, ``product``, ``period`` (when production starts), ``quantity``;
      optional ``lead_time_days`` (start to output, default 0).
    - ``purchases``: ``supplier``, ``destination``, ``product``, ``period`` (when the supplier
      ships), ``quantity``; optional ``lead_time_days`` (transit to the destination) and
      ``release_lead_days`` (the supplier's lead time: the order is released that long before
      it ships).
    - ``transfers``: ``origin``, ``destination``, ``product``, ``period`` (ship), ``quantity``;
      optional ``lead_time_days`` (transit).

    Any table may give ``due_period`` (the period the order is due, e.g. a shipment's arrival)
    instead of lead times, or ``release_date`` instead of ``period`` (and then ``due_date`` or
    lead times). Rows with the same type, product, sites and dates are summed; quantities under
    :data:`MIN_QUANTITY` are dropped; quantities are rounded to the ledger's 6 decimals. The
    result is sorted (type, product, from, to, release, due) so the same plan always gives the
    same orders in the same order, and therefore the same :func:`content_hash`.
    """
    parts = []
    for kind, df in ((OrderType.PRODUCTION, production), (OrderType.PURCHASE, purchases),
                     (OrderType.TRANSFER, transfers)):
        if df is not None and len(df):
            parts.append(_orders_of(kind, df, calendar))
    if not parts:
        return empty_orders()
    out = pd.concat(parts, ignore_index=True)
    out = out[out["quantity"] >= MIN_QUANTITY]
    out = (out.groupby(ORDER_COLUMNS[:4] + ORDER_COLUMNS[5:], as_index=False, sort=True)
           ["quantity"].sum())
    out["quantity"] = out["quantity"].round(SCALE)
    return out[ORDER_COLUMNS].reset_index(drop=True)


def empty_orders() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c == "quantity" else object)
                         for c in ORDER_COLUMNS})


def _orders_of(kind: OrderType, df: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    src, dst = _SITES[kind]
    table = kind.value if kind is not OrderType.PURCHASE else "purchases"
    df = df.reset_index() if not set(df.index.names) <= {None} else df
    need = [src, dst, "product", "quantity"]
    missing = [c for c in dict.fromkeys(need) if c not in df.columns]
    if "period" not in df.columns and "release_date" not in df.columns:
        missing.append("period (or release_date)")
    if missing:
        raise ValidationError(f"{table}: missing column(s) {', '.join(missing)}; a plan's "
                              f"{table} table needs {', '.join(dict.fromkeys(need))} and period")
    qty = pd.to_numeric(df["quantity"], errors="coerce")
    bad = qty.isna() | ~np.isfinite(qty) | (qty < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError([Issue(table, f"quantity {_show(df['quantity'].iloc[i])} must be a "
                                            f"number >= 0", row=i + 2, column="quantity")])
    lead = _days(df, "lead_time_days")
    rel_lead = _days(df, "release_lead_days")
    if "period" in df.columns:
        period = pd.to_numeric(df["period"], errors="coerce")
        if period.isna().any():
            i = int(np.flatnonzero(period.isna().to_numpy())[0])
            raise ValidationError([Issue(table, f"period {_show(df['period'].iloc[i])} is not a "
                                                f"whole number", row=i + 2, column="period")])
        period = period.to_numpy(dtype=np.int64)
        release = _starts(cal, period - cal.to_buckets(rel_lead))
        if "due_period" in df.columns:
            due_p = pd.to_numeric(df["due_period"], errors="coerce")
            due_p = np.where(due_p.isna(), period + cal.to_buckets(lead), due_p)
            due = _starts(cal, np.maximum(due_p.astype(np.int64), period))
        else:
            due = _starts(cal, period + cal.to_buckets(lead))
    else:
        release = pd.to_datetime(df["release_date"]).to_numpy(dtype="datetime64[D]")
        due = (pd.to_datetime(df["due_date"]).to_numpy(dtype="datetime64[D]")
               if "due_date" in df.columns else release + lead.astype("timedelta64[D]"))
    return pd.DataFrame({
        "type": kind.value, "product": df["product"].astype(str).to_numpy(),
        "from_site": df[src].astype(str).to_numpy(), "to_site": df[dst].astype(str).to_numpy(),
        "quantity": qty.to_numpy(dtype=float),
        "release_date": pd.to_datetime(release).date, "due_date": pd.to_datetime(due).date,
    })


def _show(v) -> str:
    """A cell for a message: numbers as they read, text quoted."""
    v = v.item() if hasattr(v, "item") else v
    return repr(v) if isinstance(v, str) else str(v)


def _days(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.zeros(len(df))
    return np.nan_to_num(pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float))


def _starts(cal: Calendar, periods: np.ndarray) -> np.ndarray:
    return np.datetime64(cal.start, "D") + (periods * cal.days).astype("timedelta64[D]")


def content_hash(orders: pd.DataFrame) -> str:
    """SHA-256 of the orders as :func:`derive_planned_orders` sorts them: the identity of a
    plan for idempotent publishing (its name and where it came from do not count)."""
    h = hashlib.sha256(b"chainlab-plan-v1")
    h.update(len(orders).to_bytes(8, "little"))
    for c in ORDER_COLUMNS[:4]:
        h.update("\x1f".join(map(str, orders[c].tolist())).encode() + b"\x1e")
    micro = np.rint(orders["quantity"].to_numpy(dtype=float) * 10**SCALE).astype("<i8")
    h.update(micro.tobytes())
    for c in ORDER_COLUMNS[5:]:
        days = pd.to_datetime(orders[c]).to_numpy().astype("datetime64[D]").astype("<i8")
        h.update(days.tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------ adapter

#: the tables the adapter reads from a plan folder (``Plan.to_folder``) or ``Plan`` attributes
PLAN_TABLES = {
    "production": "plant, product, period (when the output is due), quantity; "
                  "release_period (when the order is released) if it has a lead time",
    "purchases": "supplier, product, destination, period (when the order is placed), "
                 "quantity; arrival (period it arrives) or else lane lead times from the network",
    "shipments": "origin, destination, product, period (when it leaves), quantity; arrival "
                 "(period it arrives) or else lane (ID) lead times from the network",
}


def read_plan_tables(plan) -> dict[str, pd.DataFrame]:
    """The ``production``, ``purchases`` and ``shipments`` tables of a plan: a folder written by
    ``Plan.to_folder`` (``production.csv`` ...), or an object with those attributes. Missing
    tables are left out."""
    out = {}
    if isinstance(plan, (str, Path)):
        path = Path(plan)
        if not path.is_dir():
            raise NotFoundError(f"plan folder {path} does not exist; write one with "
                                f"`chainlab plan NET --out {path}`")
        for name in PLAN_TABLES:
            f = path / f"{name}.csv"
            if f.exists():
                out[name] = pd.read_csv(f, dtype={c: str for c in _ID_COLUMNS})
        if not out:
            raise ValidationError(f"{path} has none of "
                                  f"{', '.join(f'{n}.csv' for n in PLAN_TABLES)}; is it a plan "
                                  f"folder (`chainlab plan NET --out DIR`)?")
        return out
    for name in PLAN_TABLES:
        df = getattr(plan, name, None)
        if isinstance(df, pd.DataFrame):
            out[name] = df.reset_index() if not set(df.index.names) <= {None} else df
    return out


_ID_COLUMNS = ("plant", "product", "supplier", "origin", "destination", "lane", "resource")


def plan_calendar(plan, net=None) -> Calendar:
    """The plan's calendar: the network's, the ``Plan``'s, or (for a folder) rebuilt from
    ``summary.json`` (bucket, periods) and the tables' ``period`` and ``date`` columns."""
    if net is not None:
        return net.calendar
    cal = getattr(plan, "calendar", None)
    if isinstance(cal, Calendar):
        return cal
    if isinstance(plan, (str, Path)):
        path = Path(plan)
        try:
            summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = {}
        bucket, periods = summary.get("bucket"), summary.get("periods")
        for df in read_plan_tables(path).values():
            if bucket and periods and {"period", "date"} <= set(df.columns) and len(df):
                days = {"week": 7, "day": 1}.get(bucket, 1)
                start = (pd.Timestamp(df["date"].iloc[0])
                         - pd.Timedelta(days=days * int(df["period"].iloc[0]))).date()
                return Calendar(bucket=bucket, start=start, periods=int(periods))
    raise ValidationError("cannot tell the plan's calendar; publish it with its network "
                          "(--network NET)")


def planned_orders_from_plan(plan, net=None, *, site_kinds: dict[str, str] | None = None
                             ) -> pd.DataFrame:
    """Planned orders of a plan folder or ``Plan`` (see :data:`PLAN_TABLES`).

    Production released in ``release_period`` (when the table has it) and due in
    ``period``; purchases from ``purchases`` (placed in ``period``, due in ``arrival``);
    transfers are shipments between plants and DCs (leave in ``period``, due in ``arrival``).
    Shipments to customers are deliveries, not planned orders. Without ``arrival`` columns the
    lead times come from network ``net`` (lanes, and ``supply.csv`` for the supplier's lead
    time before a purchase ships). Site kinds come from ``net`` or ``site_kinds``."""
    t = read_plan_tables(plan)
    cal = plan_calendar(plan, net)
    if net is not None:
        kind = net.sites["kind"]
    elif site_kinds:
        kind = pd.Series(site_kinds, dtype=object)
    else:
        raise ValidationError("cannot tell plants and DCs from customers without the "
                              "network; publish the plan with its network (--network NET)")
    ships = t.get("shipments")
    transfers = supplier_ships = None
    if ships is not None and len(ships):
        ships = _with_due(ships.copy(), net, "shipments")
        ok, dk = ships["origin"].map(kind), ships["destination"].map(kind)
        stocking = list(STOCKING_KINDS)
        transfers = ships[ok.isin(stocking) & dk.isin(stocking)]
        supplier_ships = ships[(ok == SiteKind.SUPPLIER) & dk.isin(stocking)]
    purchases = t.get("purchases")
    if purchases is not None and "arrival" in purchases.columns:
        purchases = purchases.assign(due_period=purchases["arrival"])
    if purchases is None or "destination" not in purchases.columns:
        purchases = None if supplier_ships is None else _supplier_lead(
            supplier_ships.rename(columns={"origin": "supplier"}), net)
    elif "arrival" not in purchases.columns and "due_period" not in purchases.columns:
        purchases = _supplier_lead(_with_due(purchases.rename(columns={"supplier": "origin"}),
                                             net, "purchases")
                                   .rename(columns={"origin": "supplier"}), net)
    production = t.get("production")
    if production is not None and "release_period" in production.columns:
        # released the production lead time before the output is due
        production = production.assign(due_period=production["period"],
                                       period=production["release_period"])
    return derive_planned_orders(cal, production=production, purchases=purchases,
                                 transfers=transfers)


def _with_due(ships: pd.DataFrame, net, table: str) -> pd.DataFrame:
    """Shipments with ``due_period`` (their ``arrival``) or else ``lead_time_days`` (lanes)."""
    if "arrival" in ships.columns:
        return ships.assign(due_period=ships["arrival"])
    if net is None:
        raise ValidationError(f"{table} has no arrival column; publish the plan with its "
                              f"network so lane lead times give the due dates")
    return ships.assign(lead_time_days=_lane_lead(ships, net))


def _supplier_lead(purchases: pd.DataFrame, net) -> pd.DataFrame:
    """Supplier shipments as purchases placed the supplier's lead time before they ship."""
    if net is None or "period" not in purchases.columns:
        return purchases
    sup = net.supply.reset_index()
    lead = dict(zip(zip(sup["supplier"], sup["product"]), sup["lead_time_days"]))
    days = [lead.get(k, 0.0) for k in zip(purchases["supplier"], purchases["product"])]
    return purchases.assign(release_lead_days=days)


def _lane_lead(ships: pd.DataFrame, net) -> np.ndarray:
    """Lead time in days of each shipment's lane: by lane ID when given, else the fastest lane
    between its origin and destination."""
    lanes = net.lanes
    by_pair = lanes.groupby(["origin", "destination"])["lead_time_days"].min()
    pair = pd.MultiIndex.from_arrays([ships["origin"], ships["destination"]])
    lead = pd.Series(by_pair.reindex(pair).to_numpy(), index=ships.index)
    if "lane" in ships.columns:
        by_id = ships["lane"].map(lanes["lead_time_days"])
        lead = by_id.where(by_id.notna(), lead)
    return np.nan_to_num(lead.to_numpy(dtype=float))
