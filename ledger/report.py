"""The plan report: what the planner's web page shows of a published plan version, stored with
the version as one JSON document (``plan_reports``) when a plan is published with its network.

:func:`plan_report` builds it from a ``solver.Plan`` or a plan folder (``Plan.to_folder``) and
the :class:`models.Network` it was made for::

    {"plan_version_id": 1, "name": "Acme", "network": "Acme", "currency": "USD",
     "bucket": "week", "dates": ["2027-01-04", ...],    # start of each period; index = period
     "status": "optimal", "objective": 7574940.99, "gap": 0.0008,
     "costs": {"production": 1159597.03, ...},
     "sites": [{"id", "kind", "name", "lat", "lon", "region", "status"}, ...],
     "lanes": [{"origin", "destination", "mode", "cost_per_unit", "lead_time_days",
                "flow"}, ...],
     "site_tables": {site: {"capacity": [{"item", "per_period", "unit"}],
                            "inventory": [{"product", "on_hand", "safety_stock"}],
                            "demand": [{"product", "total", "per_period": [...]}]}},
     "production": {plant: {"quantity": [...], "used_hours": [...],
                            "available_hours": [...]}},
     "inventory": {dc: [...]},
     "bottlenecks": [{"kind", "site", "item", "period", "date", "used", "available",
                      "utilisation", "shadow_price"}, ...]}

- ``lanes``: one per (origin, destination, mode) of ``lanes.csv`` (cost and lead time of its
  first row there); ``flow`` the units the plan ships on it over the horizon.
- ``site_tables[site]["capacity"]``: a plant's resources (hours per period), a DC's throughput,
  a supplier's capacity per product (units per period); ``per_period`` null = unlimited.
  ``demand``: a customer's demand per product and period (:meth:`Network.demand_by_period`).
- ``production``: every plant's units made per period (all products) and its resources' hours
  used and available per period (the plan's ``capacity`` rows of kind ``resource``).
- ``inventory``: every DC's end-of-period stock per period, all products.
- ``bottlenecks``: the :data:`TOP` capacity rows with the highest ``shadow_price`` > 0 (what one
  more unit saves, as :meth:`solver.Plan.bottlenecks` ranks them); a plan without duals (a MILP)
  gives its rows used to :data:`BINDING` or more, highest utilisation first, with
  ``shadow_price`` null.

Numbers are plain floats rounded to 4 decimals (money totals to cents); unknown or missing
values are null, never NaN. Per-period lists have one entry per period of ``dates``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger import ctp
from chainlab.ledger.errors import NotFoundError
from chainlab.ledger.orders import get_plan
from chainlab.ledger.tables import PlanReport, utcnow
from chainlab.models.calendar import Calendar
from chainlab.models.schema import SiteKind

REPORTS = PlanReport.__table__

#: the plan tables the report reads (``<name>.csv`` in a plan folder)
TABLES = ("production", "shipments", "inventory", "capacity")
#: how many bottlenecks the report lists
TOP = 15
#: utilisation from which a capacity of a plan without duals counts as binding
BINDING = 0.98
#: shadow prices at or below this are solver noise (as in ``Plan.bottlenecks``)
MIN_VALUE = 1e-6

_ID_COLUMNS = ("plant", "product", "site", "item", "kind", "origin", "destination", "lane",
               "resource", "customer", "supplier")


def plan_report(plan, network, *, name: str = "", plan_version_id: int | None = None) -> dict:
    """The report of ``plan`` (a ``solver.Plan`` or a plan folder) made for ``network`` (see
    the module docstring for its keys); ``name`` defaults to the network's name."""
    net = network
    tables = _read_tables(plan)
    info = _plan_info(plan)
    cal = plan.calendar if isinstance(getattr(plan, "calendar", None), Calendar) \
        else net.calendar
    T = cal.periods
    dates = [d.date().isoformat() for d in cal.dates]
    return {
        "plan_version_id": plan_version_id,
        "name": name or net.name,
        "network": net.name,
        "currency": info.get("currency") or net.currency,
        "bucket": cal.bucket,
        "dates": dates,
        "status": info.get("status"),
        "objective": _num(info.get("objective"), 2),
        "gap": _num(info.get("gap")),
        "costs": {str(k): _num(v, 2) for k, v in info.get("costs", {}).items()},
        "sites": _sites(net),
        "lanes": _lanes(net, tables["shipments"]),
        "site_tables": _site_tables(net, T),
        "production": _production(net, tables, T),
        "inventory": _dc_inventory(net, tables["inventory"], T),
        "bottlenecks": _bottlenecks(tables["capacity"], dates),
    }


def to_json(report: dict) -> str:
    """The report as compact JSON (refuses NaN: a report has none)."""
    return json.dumps(report, separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------ stored with a version

def store(conn: Connection, plan_id: int, report: dict) -> None:
    """Write ``report`` as plan version ``plan_id``'s, inside the caller's transaction."""
    body = to_json({**report, "plan_version_id": plan_id})
    conn.execute(REPORTS.insert().values(plan_version_id=plan_id, body=body,
                                         created_at=utcnow()))


def load(conn: Connection, plan_id: int | None = None) -> dict:
    """The report of plan version ``plan_id`` (default: the current one)."""
    plan = get_plan(conn, plan_id)
    body = conn.execute(sa.select(REPORTS.c.body)
                        .where(REPORTS.c.plan_version_id == plan.id)).scalar()
    if body is None:
        raise NotFoundError(f"plan version {plan.id} was published without its plan and "
                            f"network; publish a plan folder with --network NET (a Plan or "
                            f"plan folder with network=... in Python) to see it on the web page")
    return json.loads(body)


# ------------------------------------------------------------------ the plan's side

def _read_tables(plan) -> dict[str, pd.DataFrame]:
    """The :data:`TABLES` of a plan folder or ``Plan`` (empty frames for missing ones)."""
    out = {}
    for name in TABLES:
        df = None
        if isinstance(plan, (str, Path)):
            f = Path(plan) / f"{name}.csv"
            if f.exists() and f.stat().st_size:
                df = pd.read_csv(f, dtype={c: str for c in _ID_COLUMNS})
        else:
            df = getattr(plan, name, None)
            if isinstance(df, pd.DataFrame) and not set(df.index.names) <= {None}:
                df = df.reset_index()
        out[name] = df if isinstance(df, pd.DataFrame) else pd.DataFrame()
    return out


def _plan_info(plan) -> dict:
    """status, objective, gap, currency and costs of a ``Plan`` or a plan folder (its
    ``summary.json``, costs from ``costs.csv`` when there is one)."""
    if not isinstance(plan, (str, Path)):
        status = getattr(plan, "status", None)
        return {"status": getattr(status, "value", status),
                "objective": getattr(plan, "objective", None), "gap": getattr(plan, "gap", None),
                "currency": getattr(plan, "currency", None),
                "costs": dict(getattr(plan, "costs", None) or {})}
    path = Path(plan)
    try:
        info = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    costs = path / "costs.csv"
    if costs.exists():
        c = pd.read_csv(costs, dtype={"category": str})
        info["costs"] = dict(zip(c["category"], c["cost"]))
    return info


def _period_sums(df: pd.DataFrame, key: str, value: str, ids, T: int) -> dict[str, np.ndarray]:
    """``value`` summed per ``key`` and period: an array of ``T`` per id of ``ids``."""
    out = {i: np.zeros(T) for i in ids}
    if df.empty or not {key, "period", value} <= set(df.columns):
        return out
    period = pd.to_numeric(df["period"], errors="coerce")
    ok = df[key].isin(out.keys()) & (period >= 0) & (period < T)
    if not ok.any():
        return out
    g = pd.DataFrame({"k": df.loc[ok, key].to_numpy(), "t": period[ok].astype(int).to_numpy(),
                      "v": pd.to_numeric(df.loc[ok, value], errors="coerce").fillna(0.0)
                      .to_numpy()}).groupby(["k", "t"])["v"].sum()
    for (k, t), v in g.items():
        out[k][t] = v
    return out


def _production(net, tables: dict[str, pd.DataFrame], T: int) -> dict:
    plants = [str(s) for s in net.sites_of(SiteKind.PLANT)]
    qty = _period_sums(tables["production"], "plant", "quantity", plants, T)
    cap = tables["capacity"]
    if not cap.empty and {"kind", "used", "available"} <= set(cap.columns) \
            and (cap["kind"] == "resource").any():
        res = cap[cap["kind"] == "resource"]
        used = _period_sums(res, "site", "used", plants, T)
        avail = _period_sums(res, "site", "available", plants, T)
    else:  # a plan folder without its capacity table: hours from production and the network
        used = _period_sums(tables["production"], "plant", "hours", plants, T)
        hours = ctp.available_hours(None, net)
        hours = hours.assign(period=net.calendar.period_of(hours["period_start"]))
        avail = _period_sums(hours, "plant", "available_hours", plants, T)
    return {p: {"quantity": _list(qty[p]), "used_hours": _list(used[p]),
                "available_hours": _list(avail[p])} for p in plants}


def _dc_inventory(net, inventory: pd.DataFrame, T: int) -> dict:
    dcs = [str(s) for s in net.sites_of(SiteKind.DC)]
    stock = _period_sums(inventory, "site", "quantity", dcs, T)
    return {d: _list(stock[d]) for d in dcs}


def _bottlenecks(cap: pd.DataFrame, dates: list[str]) -> list[dict]:
    need = {"kind", "site", "item", "period", "used", "available"}
    if cap.empty or not need <= set(cap.columns):
        return []
    cap = cap.copy()
    if "utilisation" not in cap:
        cap["utilisation"] = cap["used"] / cap["available"].where(cap["available"] > 0)
    price = pd.to_numeric(cap.get("shadow_price", pd.Series(np.nan, index=cap.index)),
                          errors="coerce")
    cap["shadow_price"] = price
    keys = ["kind", "site", "item", "period"]
    if price.notna().any():
        top = cap[price > MIN_VALUE].sort_values(["shadow_price", *keys],
                                                 ascending=[False, True, True, True, True])
    else:  # no duals (a MILP): what is used to the limit, with no marginal value
        util = pd.to_numeric(cap["utilisation"], errors="coerce")
        top = cap[util >= BINDING].sort_values(["utilisation", *keys],
                                               ascending=[False, True, True, True, True])
    out = []
    for r in top.head(TOP).itertuples(index=False):
        t = int(r.period)
        date = dates[t] if 0 <= t < len(dates) else getattr(r, "date", None)
        out.append({"kind": str(r.kind), "site": str(r.site), "item": str(r.item), "period": t,
                    "date": None if date is None else str(date), "used": _num(r.used),
                    "available": _num(r.available), "utilisation": _num(r.utilisation),
                    "shadow_price": _num(r.shadow_price)})
    return out


# ------------------------------------------------------------------ the network's side

def _sites(net) -> list[dict]:
    s = net.sites
    return [{"id": str(i), "kind": _text(r.kind), "name": _text(r.name), "lat": _num(r.lat),
             "lon": _num(r.lon), "region": _text(r.region), "status": _text(r.status)}
            for i, r in zip(s.index, s.itertuples(index=False))]


def _lanes(net, shipments: pd.DataFrame) -> list[dict]:
    lanes = net.lanes.assign(mode=net.lanes["mode"].map(_blank))
    first = lanes.drop_duplicates(["origin", "destination", "mode"])
    flow = _lane_flow(lanes, shipments)
    return [{"origin": str(r.origin), "destination": str(r.destination),
             "mode": r.mode or None, "cost_per_unit": _num(r.cost_per_unit),
             "lead_time_days": _num(r.lead_time_days),
             "flow": _num(flow.get((r.origin, r.destination, r.mode), 0.0))}
            for r in first.itertuples(index=False)]


def _lane_flow(lanes: pd.DataFrame, ships: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """Units shipped over the horizon per (origin, destination, mode): the mode of each
    shipment's lane ID, else that of the first lane between its sites."""
    if ships.empty or not {"origin", "destination", "quantity"} <= set(ships.columns):
        return {}
    first_mode = lanes.drop_duplicates(["origin", "destination"]).set_index(
        ["origin", "destination"])["mode"]
    pair = pd.MultiIndex.from_arrays([ships["origin"].astype(str),
                                      ships["destination"].astype(str)])
    mode = pd.Series(first_mode.reindex(pair).to_numpy(), index=ships.index)
    if "lane" in ships.columns:
        by_id = ships["lane"].map(lanes["mode"])
        mode = by_id.where(by_id.notna(), mode)
    g = pd.DataFrame({"o": ships["origin"].astype(str), "d": ships["destination"].astype(str),
                      "m": mode.fillna("").astype(str),
                      "q": pd.to_numeric(ships["quantity"], errors="coerce").fillna(0.0)})
    return g.groupby(["o", "d", "m"])["q"].sum().to_dict()


def _site_tables(net, T: int) -> dict:
    out = {str(s): {"capacity": [], "inventory": [], "demand": []} for s in net.sites.index}
    kind = net.sites["kind"]
    for r in net.resources.reset_index().itertuples(index=False):
        if str(r.plant) in out:
            out[str(r.plant)]["capacity"].append({"item": str(r.resource),
                                                  "per_period": _num(r.hours_per_period),
                                                  "unit": "hours"})
    for s in net.sites_of(SiteKind.DC):
        out[str(s)]["capacity"].append({"item": "throughput",
                                        "per_period": _num(net.sites.at[s, "capacity"]),
                                        "unit": "units"})
    for r in net.supply.reset_index().itertuples(index=False):
        if str(r.supplier) in out:
            out[str(r.supplier)]["capacity"].append({"item": str(r.product),
                                                     "per_period": _num(r.capacity_per_period),
                                                     "unit": "units"})
    for r in net.inventory.reset_index().itertuples(index=False):
        if str(r.site) in out:
            out[str(r.site)]["inventory"].append({"product": str(r.product),
                                                  "on_hand": _num(r.on_hand),
                                                  "safety_stock": _num(r.safety_stock)})
    dbp = net.demand_by_period()
    if len(dbp):
        q = dbp["quantity"].unstack("period", fill_value=0.0).reindex(columns=range(T),
                                                                      fill_value=0.0)
        for (customer, product), row in q.iterrows():
            site = out.get(str(customer))
            if site is not None and kind.get(customer) == SiteKind.CUSTOMER:
                per = row.to_numpy(dtype=float)
                site["demand"].append({"product": str(product), "total": _num(per.sum()),
                                       "per_period": _list(per)})
    return out


# ------------------------------------------------------------------ plain JSON values

def _num(v, digits: int = 4) -> float | None:
    """A float rounded to ``digits`` decimals; None for missing, NaN or infinite values."""
    if v is None or isinstance(v, str):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return round(x, digits) + 0.0 if math.isfinite(x) else None


def _list(a: np.ndarray) -> list[float | None]:
    r = np.round(np.asarray(a, dtype=float), 4) + 0.0  # + 0.0 turns -0.0 into 0.0
    return [v if math.isfinite(v) else None for v in r.tolist()]


def _blank(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _text(v) -> str | None:
    return _blank(v) or None
