"""Synthetic CRM data whose truth is known, for tests, demos and benchmarks of the demand model.

:func:`synthetic_crm` writes order history from a Poisson run rate per customer x product
(optionally seasonal, optionally ordered every k weeks), and opportunities closed at the stage
win rates you set, plus an open pipeline; :func:`small_network` is a network with just the
customers and products it needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.crm import OPPORTUNITIES, ORDERS
from chainlab.models.io import to_text_frame


@dataclass(frozen=True)
class SyntheticCrm:
    """Orders and opportunities (CONTRACTS §2 columns) and the truth behind them."""

    orders: pd.DataFrame
    opportunities: pd.DataFrame
    #: weekly mean demand of each (customer, product) at the origin, without season
    rates: dict = field(default_factory=dict)
    #: win rate of the closed opportunities, per stage they closed from
    win_rates: dict = field(default_factory=dict)

    def write(self, folder) -> Path:
        """Write ``orders.csv`` and ``opportunities.csv`` to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for t, df in ((ORDERS, self.orders), (OPPORTUNITIES, self.opportunities)):
            to_text_frame(t, df).to_csv(folder / t.file, index=False, lineterminator="\n")
        return folder

    def records(self) -> dict:
        """The same data as JSON-ready records: ``{"orders": [...], "opportunities": [...]}``."""
        out = {}
        for t, df in (("orders", self.orders), ("opportunities", self.opportunities)):
            text = to_text_frame(ORDERS if t == "orders" else OPPORTUNITIES, df)
            out[t] = text.to_dict("records")
        return out


def small_network(customers, products, start: dt.date, periods: int = 26, bucket="week"):
    """A valid network with one plant, one DC, the given customers and products."""
    from chainlab.models.network import Network

    sites = pd.DataFrame(
        [("PLANT", "plant"), ("DC", "dc")] + [(c, "customer") for c in customers],
        columns=["id", "kind"])
    prods = pd.DataFrame({"id": list(products), "standard_cost": 10.0})
    lanes = pd.DataFrame([("PLANT", "DC", 1.0)] + [("DC", c, 1.0) for c in customers],
                         columns=["origin", "destination", "cost_per_unit"])
    prod = pd.DataFrame({"plant": "PLANT", "product": list(products), "unit_cost": 1.0})
    return Network.from_tables("synthetic", Calendar(bucket, start, periods), sites=sites,
                               products=prods, lanes=lanes, production=prod)


def synthetic_crm(origin: dt.date, rates: dict, *, weeks: int = 104, every: dict | None = None,
                  amplitude: float = 0.0, lag_days: int = 7, stages: dict | None = None,
                  open_opportunities: list[dict] | None = None, slip_days=(0,),
                  seed: int = 0) -> SyntheticCrm:
    """Order history of ``weeks`` weeks before ``origin`` (a Monday) and opportunities.

    Run rate: pair (customer, product) has weekly demand Poisson(rate x s(w)), with the season
    s(w) = 1 + amplitude sin(2 pi w / 52.18) (w = weeks from the origin), ordered every
    ``every[pair]`` weeks (default 1; the order holds the weeks' demand up to its next one),
    on Mondays, for delivery ``lag_days`` later. Opportunities: ``stages`` maps a stage to
    (win rate, number closed); each closed one is created in the history, expected to close
    30 days later, closes ``slip_days`` (drawn) after that, won with the stage's rate; a won
    one has its order (same quantity, placed at the close, delivered ``lag_days`` later).
    ``open_opportunities``: dicts with customer, product, quantity, stage, and
    ``close_in_days`` (expected close, days from the origin).
    """
    rng = np.random.default_rng(seed)
    every = every or {}
    first = origin - dt.timedelta(weeks=weeks)
    rows = []
    for (c, p), lam in sorted(rates.items()):
        k = int(every.get((c, p), 1))
        w = np.arange(-weeks, 0)
        season = 1.0 + amplitude * np.sin(2 * np.pi * w / 52.18)
        demand = rng.poisson(lam * season)
        phase = int(rng.integers(0, k))
        for i in range(phase, weeks, k):
            q = int(demand[i:i + k].sum())
            if q > 0:
                day = first + dt.timedelta(weeks=i)
                rows.append((c, p, day, q, day + dt.timedelta(days=lag_days), ""))
    opps = []
    for stage, (rate, n) in (stages or {}).items():
        won = rng.random(n) < rate
        pairs = sorted(rates)
        for j in range(n):
            c, p = pairs[int(rng.integers(len(pairs)))]
            created = first + dt.timedelta(days=int(rng.integers(0, max(weeks * 7 - 120, 1))))
            expected = created + dt.timedelta(days=30)
            closed = expected + dt.timedelta(days=int(rng.choice(np.asarray(slip_days))))
            closed = min(closed, origin - dt.timedelta(days=1))
            oid = f"OPP-{len(opps) + 1:05d}"
            qty = 100.0
            opps.append({"opportunity_id": oid, "customer": c, "product": p, "quantity": qty,
                         "stage": "Closed Won" if won[j] else "Closed Lost",
                         "created_date": created, "expected_close_date": expected,
                         "status": "won" if won[j] else "lost", "probability": np.nan,
                         "closed_date": closed, "last_open_stage": stage})
            if won[j] and closed + dt.timedelta(days=lag_days) < origin:
                rows.append((c, p, closed, qty, closed + dt.timedelta(days=lag_days), oid))
    for spec in open_opportunities or []:
        oid = f"OPP-{len(opps) + 1:05d}"
        opps.append({"opportunity_id": oid, "customer": spec["customer"],
                     "product": spec["product"], "quantity": float(spec["quantity"]),
                     "stage": spec["stage"], "created_date": origin - dt.timedelta(days=10),
                     "expected_close_date": origin + dt.timedelta(days=spec["close_in_days"]),
                     "status": "open", "probability": spec.get("probability", np.nan),
                     "closed_date": None, "last_open_stage": ""})
    orders = pd.DataFrame(rows, columns=["customer", "product", "order_date", "quantity",
                                         "requested_date", "opportunity_id"])
    orders = orders.sort_values(["order_date", "customer", "product"], kind="stable")
    orders.insert(0, "order_id", [f"SO-{i + 1:06d}" for i in range(len(orders))])
    orders["unit_price"] = np.nan
    orders["status"] = np.where(orders["requested_date"] >= origin, "open", "shipped")
    orders = _typed(orders.reset_index(drop=True), ORDERS)
    opp_cols = [f.name for f in OPPORTUNITIES.fields]
    opportunities = _typed(pd.DataFrame(opps, columns=opp_cols), OPPORTUNITIES)
    truth = {s: r for s, (r, n) in (stages or {}).items()}
    return SyntheticCrm(orders, opportunities, dict(rates), truth)


def _typed(df: pd.DataFrame, table) -> pd.DataFrame:
    for f in table.fields:
        if f.name not in df.columns:
            df[f.name] = np.nan if f.kind.value == "number" else ""
        if f.kind.value == "date":
            df[f.name] = pd.to_datetime(df[f.name])
        elif f.kind.value == "number":
            df[f.name] = df[f.name].astype(float)
        else:
            df[f.name] = df[f.name].fillna("").astype(str)
    return df[table.columns]
