"""The plan the simulation executes, as plain tables of planned releases.

:class:`PlanReleases` is the small adapter between a planner's result and the simulation: two
DataFrames, ``production`` (plant, product, period, quantity) and ``shipments`` (lane, product,
period, quantity), in the network's IDs and periods. :meth:`PlanReleases.of` accepts a
``solver`` Plan (anything with those two tables), a folder written by ``chainlab plan --out``,
or a PlanReleases.

Execution (in :mod:`simulation.engine`): on the first day of period t, production planned for t
is released to its line (made as resource hours and components allow), shipments planned for t
on lanes between plants and DCs leave from stock (what stock cannot cover leaves when it comes
in), and shipments planned for t on a supplier's lane are the supplier's shipments in t (the
order went out the supplier's lead time earlier, as in the planning model). Planned shipments
to customers are not released: customers take what they actually order; they only say which
stock point serves each customer.

With the demand the plan was made for and fixed transit times, execution reproduces the plan
(filled per period, end-of-period stock and backlog) wherever the plan's timing holds in days:
daily buckets, or transit times that are whole buckets with no capacity spread over the bucket
(``tests/simulation/test_plan_execution.py``). A weekly plan is exact only to the week: the
planner rounds transit days to whole weeks (3 days to 0) and lets what is bought or made in a
week be used and shipped in that week, while lines and suppliers here work their capacity day
by day. Such flows reach stock later in the week, or in the next, than the plan assumes, and a
plan that keeps little stock at the ends of its weeks fills less on the day demanded
(``fill_rate``) than its on-time share, even where every week's demand is delivered in the week.
The simulation's measure of that share is ``period_fill_rate`` (units filled by the end of the
period they were demanded in), the KPI to hold against the plan's promise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import Network, ValidationError
from chainlab.models.errors import Issue

PRODUCTION_COLUMNS = ("plant", "product", "period", "quantity")
SHIPMENT_COLUMNS = ("lane", "product", "period", "quantity")


def _frame(df, columns, what: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "quantity" else
                                          (np.int64 if c == "period" else object))
                             for c in columns})
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"plan {what} must be a DataFrame, got {type(df).__name__}")
    if any(n in columns for n in df.index.names if n):
        df = df.reset_index()
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValidationError([Issue(f"{what}.csv", f"plan {what} lacks column(s) "
                                                    f"{', '.join(missing)}")])
    out = df[list(columns)].copy()
    for c in columns[:-2]:
        out[c] = out[c].astype(str)
    return out


@dataclass
class PlanReleases:
    """Planned production and shipments by period (see the module docstring)."""

    production: pd.DataFrame = field(default=None)
    shipments: pd.DataFrame = field(default=None)
    #: name of the network the plan was made for (checked when given)
    network: str | None = None

    def __post_init__(self):
        self.production = _frame(self.production, PRODUCTION_COLUMNS, "production")
        self.shipments = _frame(self.shipments, SHIPMENT_COLUMNS, "shipments")

    @classmethod
    def of(cls, plan) -> PlanReleases:
        """From a PlanReleases, a folder (``production.csv``, ``shipments.csv``) or any object
        with ``production`` and ``shipments`` tables (a ``solver`` Plan)."""
        if isinstance(plan, PlanReleases):
            return plan
        if isinstance(plan, (str, Path)):
            return cls.from_folder(plan)
        if hasattr(plan, "shipments"):
            if getattr(plan, "has_solution", True) is False:
                status = getattr(getattr(plan, "status", None), "value", "no solution")
                raise ValidationError([Issue("plan", f"the plan has no solution (status "
                                                     f"{status}); there is nothing to execute")])
            net = getattr(plan, "network", None)
            name = net if isinstance(net, str) else getattr(net, "name", None)
            return cls(getattr(plan, "production", None), plan.shipments, name)
        raise TypeError(f"plan must be a folder, a Plan or PlanReleases; got "
                        f"{type(plan).__name__}")

    @classmethod
    def from_folder(cls, path) -> PlanReleases:
        path = Path(path)
        if not path.is_dir():
            raise ValidationError([Issue(str(path), "is not a plan folder (expected "
                                                    "shipments.csv and production.csv)")])
        tables = {}
        for name in ("production", "shipments"):
            f = path / f"{name}.csv"
            if f.exists():
                tables[name] = pd.read_csv(f, keep_default_na=False,
                                           na_values={"quantity": [""], "period": [""]})
            elif name == "shipments":
                raise ValidationError([Issue(str(f), "is missing; a plan folder has "
                                                     "shipments.csv (lane, product, period, "
                                                     "quantity)")])
        name = None
        for meta in ("plan.json", "summary.json"):
            if (path / meta).exists():
                import json

                info = json.loads((path / meta).read_text(encoding="utf-8"))
                name = info.get("network") if isinstance(info.get("network"), str) else name
                break
        return cls(tables.get("production"), tables.get("shipments"), name)

    def check(self, net: Network) -> None:
        """Raise :class:`ValidationError` naming every row that does not fit ``net``: unknown
        lanes, sites or products, periods outside the calendar, negative quantities."""
        issues: list[Issue] = []
        hint = "; was the plan made for another network?"
        if self.network and self.network != net.name:
            issues.append(Issue("plan", f"the plan was made for network {self.network!r}, not "
                                        f"{net.name!r}; plan this network first"))
        T = net.calendar.periods

        def common(df, what):
            rows = np.arange(len(df)) + 2
            q = pd.to_numeric(df["quantity"], errors="coerce").to_numpy()
            per = pd.to_numeric(df["period"], errors="coerce").to_numpy()
            for r, v in zip(rows[~(q >= 0)], q[~(q >= 0)]):
                issues.append(Issue(f"{what}.csv", f"quantity(={v:g}) must be a number >= 0",
                                    int(r), "quantity"))
            bad = ~((per >= 0) & (per < T) & (per == np.floor(per)))
            for r, v in zip(rows[bad], per[bad]):
                issues.append(Issue(f"{what}.csv", f"period(={v:g}) is not a period of "
                                                   f"{net.name!r} (0..{T - 1}){hint}", int(r),
                                    "period"))

        common(self.production, "production")
        common(self.shipments, "shipments")
        prod = set(net.production.index)
        for r, (k, p) in enumerate(zip(self.production["plant"], self.production["product"])):
            if (k, p) not in prod:
                issues.append(Issue("production.csv", f"{k} does not make {p} in "
                                                      f"production.csv of {net.name!r}{hint}",
                                    r + 2, "plant"))
        lanes = net.lanes
        for r, (lid, p) in enumerate(zip(self.shipments["lane"], self.shipments["product"])):
            if lid not in lanes.index:
                issues.append(Issue("shipments.csv", f"lane {lid!r} is not a lane of "
                                                     f"{net.name!r}{hint}", r + 2, "lane"))
            elif p not in net.products.index:
                issues.append(Issue("shipments.csv", f"product {p!r} is not a product of "
                                                     f"{net.name!r}{hint}", r + 2, "product"))
            elif lanes.at[lid, "product"] not in ("", p):
                issues.append(Issue("shipments.csv", f"lane {lid!r} carries only "
                                                     f"{lanes.at[lid, 'product']}, not {p}",
                                    r + 2, "product"))
            if len(issues) > 50:
                break
        if issues:
            raise ValidationError(issues)

    def __repr__(self) -> str:
        return (f"<PlanReleases: {len(self.production)} production rows "
                f"({self.production['quantity'].sum():,.0f} units), {len(self.shipments)} "
                f"shipment rows ({self.shipments['quantity'].sum():,.0f} units)>")
