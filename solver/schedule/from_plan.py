"""One bucket's production orders of a plan as a scheduling problem, and its schedule in dates.

Input: a plan folder (``chainlab plan NET --out DIR``: ``production.csv`` with plant, product,
period, quantity, resource, hours; and ``network/``, the network the plan was made for) and
optionally ``setups.csv``. Time unit: minutes from the start of the bucket.

How the plan's capacity becomes a calendar: a resource with ``hours_per_period`` H in a bucket
of D days runs as ``n = ceil(H / 24D)`` identical parallel units (``PLANT/LINE#1`` ...; one unit
when H fits in the bucket's hours), each working ``H / nD`` hours a day from midnight, scaled by
``capacity_changes`` on the days they cover; the rest of each day is an unavailable window.
So the schedule has exactly the hours the plan counted on.

Orders: each production row of the bucket is an order of ``ceil(60 * hours)`` minutes on the
resource (any of its units: alternative resources), released at the bucket's start and due at
its end (the plan made it in that bucket). Orders pause overnight (preemptible) but never split
across units; an order longer than ``lot_hours`` (default: one unit's hours in the bucket) is
cut into equal lots, each its own operation of the same order. Where a product made in the
bucket at a plant is a component (``bom.csv``) of another made there, each lot of the product
waits for the component's lots to end, plus ``lag_minutes``.

``setups.csv`` (optional): ``from_product``*, ``to_product``*, ``hours``*, ``cost``, ``plant``,
``resource`` (blank: every plant / resource): the changeover on a line from one product to the
next, in hours and currency.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import Network
from chainlab.models.errors import Issue, NotFoundError, ValidationError
from chainlab.models.files import atomic_folder
from chainlab.solver.schedule.gantt import plot_gantt
from chainlab.solver.schedule.problem import Mode, Operation, Precedence, Problem, Setup
from chainlab.solver.schedule.result import Schedule

MINUTES_PER_DAY = 1440
SETUP_COLUMNS = ["from_product", "to_product", "hours"]


@dataclass(frozen=True)
class WeekProblem:
    """A problem in minutes from ``start`` (the bucket's first day at 00:00), with the plan's
    period and the order each operation belongs to."""

    problem: Problem
    period: int
    start: dt.date
    units: dict[str, list[str]]  # plant/resource -> its unit IDs
    orders: pd.DataFrame  # order, plant, resource, product, quantity, hours, lots


def load_plan(plan_dir) -> tuple[pd.DataFrame, Network]:
    """The production table and network of a plan folder."""
    plan_dir = Path(plan_dir)
    if not plan_dir.is_dir():
        raise NotFoundError(f"plan folder {plan_dir} does not exist; write one with "
                            f"`chainlab plan NET --out {plan_dir}`")
    prod_file, net_dir = plan_dir / "production.csv", plan_dir / "network"
    if not prod_file.exists():
        raise ValidationError(f"{prod_file} is missing; is {plan_dir} a plan folder "
                              f"(`chainlab plan NET --out DIR`)?")
    if not net_dir.is_dir():
        raise ValidationError(f"{net_dir} is missing; plan folders written by `chainlab plan "
                              f"--out` hold the network they were made for")
    prod = pd.read_csv(prod_file, dtype={"plant": str, "product": str, "resource": str})
    need = ["plant", "product", "period", "quantity", "resource", "hours"]
    missing = [c for c in need if c not in prod.columns]
    if missing:
        raise ValidationError(f"{prod_file.name}: missing column(s) {', '.join(missing)}; "
                              f"rewrite the plan with `chainlab plan NET --out DIR`")
    for col in ("period", "quantity", "hours"):
        num = pd.to_numeric(prod[col], errors="coerce")
        bad = num.isna() | ~np.isfinite(num) | (num < 0)
        if col == "period":
            bad |= num != num.round()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValidationError([Issue(prod_file.name, f"{col} {prod[col].iloc[i]!r} must be "
                                         f"a {'whole ' if col == 'period' else ''}number >= 0",
                                         row=i + 2, column=col)])
        prod[col] = num.astype(int) if col == "period" else num.astype(float)
    return prod, Network.from_folder(net_dir)


def read_setups(path) -> pd.DataFrame:
    """``setups.csv`` checked (file, row and column in every error)."""
    path = Path(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SETUP_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError([Issue(path.name, f"missing column(s) {', '.join(missing)}; "
                                                f"setups.csv needs from_product, to_product, "
                                                f"hours (cost, plant, resource optional)")])
    for c in ("plant", "resource", "cost"):
        if c not in df.columns:
            df[c] = ""
    out = []
    for i, r in enumerate(df.to_dict("records"), start=2):
        vals = {}
        for c, default in (("hours", None), ("cost", 0.0)):
            raw = r[c].strip()
            try:
                x = float(raw) if raw else default
                if x is None or not math.isfinite(x) or x < 0:
                    raise ValueError
            except ValueError:
                raise ValidationError([Issue(path.name, f"{c} {raw!r} must be a number >= 0",
                                             row=i, column=c)]) from None
            vals[c] = x
        for c in ("from_product", "to_product"):
            if not r[c].strip():
                raise ValidationError([Issue(path.name, f"{c} is blank; name a product",
                                             row=i, column=c)])
        out.append({"plant": r["plant"].strip(), "resource": r["resource"].strip(),
                    "from_product": r["from_product"].strip(),
                    "to_product": r["to_product"].strip(), **vals})
    return pd.DataFrame(out, columns=["plant", "resource", "from_product", "to_product",
                                      "hours", "cost"])


def _daily_scale(net: Network, plant: str, resource: str, first_day: dt.date, days: int
                 ) -> np.ndarray:
    scale = np.ones(days)
    cc = net.capacity_changes
    if cc.empty:
        return scale
    flat = cc.reset_index()
    for r in flat.to_dict("records"):
        res, prod = r.get("resource"), r.get("product")
        if r["site"] != plant or (isinstance(prod, str) and prod):
            continue
        if isinstance(res, str) and res and res != resource:
            continue
        a = (pd.Timestamp(r["start"]).date() - first_day).days
        b = (pd.Timestamp(r["end"]).date() - first_day).days + 1
        scale[max(a, 0):min(max(b, 0), days)] *= float(r["scale"])
    return scale


def week_problem(plan_dir, period: int | None = None, setups=None, lot_hours: float | None = None,
                 lag_minutes: int = 0, hard_due: bool = False) -> WeekProblem:
    """The production orders of bucket ``period`` (default: the first with production) of the
    plan in ``plan_dir`` as a problem (see the module docstring); ``setups`` is a setups.csv
    path or a table as :func:`read_setups` returns it."""
    prod, net = load_plan(plan_dir)
    cal = net.calendar
    prod = prod[pd.to_numeric(prod["hours"], errors="coerce").fillna(0) > 1e-9]
    if prod.empty:
        raise ValidationError(f"{plan_dir}: the plan makes nothing on a resource; nothing to "
                              f"schedule")
    periods = sorted(int(p) for p in prod["period"].unique())
    if period is None:
        period = periods[0]
    if not 0 <= period < cal.periods:
        raise ValidationError(f"week {period} is outside the plan's periods 0..{cal.periods - 1}")
    rows = prod[prod["period"].astype(int) == period]
    if rows.empty:
        raise ValidationError(f"the plan makes nothing in period {period}; periods with "
                              f"production: {', '.join(map(str, periods[:12]))}")
    first_day = cal.period_start(period)
    days = cal.days
    hpp = {(p, r): float(h) for (p, r), h in net.resources["hours_per_period"].items()}
    units: dict[str, list[str]] = {}
    windows: dict[str, list[tuple[int, int]]] = {}
    unit_hours: dict[str, float] = {}
    for plant, res in sorted({(p, r) for p, r in zip(rows["plant"], rows["resource"],
                                                      strict=True)}):
        key = f"{plant}/{res}"
        if (plant, res) not in hpp:
            raise ValidationError(f"production.csv: resource {res} of {plant} is not in the "
                                  f"plan's network resources.csv")
        h = hpp[(plant, res)]
        n = max(1, math.ceil(h / (24 * days) - 1e-9))
        per_day = h / (n * days)
        scale = _daily_scale(net, plant, res, first_day, days)
        off = []
        for d in range(days):
            work = int(round(per_day * scale[d] * 60))
            if work < MINUTES_PER_DAY:
                off.append((d * MINUTES_PER_DAY + work, (d + 1) * MINUTES_PER_DAY))
        ids = [key] if n == 1 else [f"{key}#{k}" for k in range(1, n + 1)]
        units[key] = ids
        unit_hours[key] = float(sum(per_day * scale))
        for u in ids:
            windows[u] = off
    due = days * MINUTES_PER_DAY
    ops: list[Operation] = []
    orders = []
    lots_of: dict[tuple[str, str], list[str]] = {}
    for r in rows.sort_values(["plant", "resource", "product"]).to_dict("records"):
        key = f"{r['plant']}/{r['resource']}"
        order = f"{key}/{r['product']}/{period}"
        hours = float(r["hours"])
        # a line down all week takes each order as one lot (it will be late)
        cap = lot_hours or (unit_hours[key] if unit_hours[key] > 0 else hours)
        n_lots = max(1, math.ceil(hours / cap - 1e-9))
        minutes = math.ceil(hours * 60 / n_lots - 1e-9)
        for k in range(1, n_lots + 1):
            oid = order if n_lots == 1 else f"{order}.{k}"
            ops.append(Operation(oid, tuple(Mode(u, max(1, minutes)) for u in units[key]),
                                 job=order, product=str(r["product"]), release=0, due=due,
                                 hard_due=hard_due, preemptible=True))
            lots_of.setdefault((str(r["plant"]), str(r["product"])), []).append(oid)
        orders.append({"order": order, "plant": r["plant"], "resource": r["resource"],
                       "product": r["product"], "quantity": float(r["quantity"]),
                       "hours": hours, "lots": n_lots})
    precs = []
    bom = net.bom.reset_index()
    for b in bom.to_dict("records"):
        plant_of_recipe = b.get("plant")
        for (plant, product), lots in lots_of.items():
            if product != b["product"] or (plant_of_recipe and plant_of_recipe != plant):
                continue
            for comp in lots_of.get((plant, str(b["component"])), []):
                precs.extend(Precedence(comp, lot, int(lag_minutes)) for lot in lots)
    setup_rows = []
    if setups is not None:
        table = setups if isinstance(setups, pd.DataFrame) else read_setups(setups)
        for s in table.to_dict("records"):
            for key, ids in units.items():
                plant, res = key.split("/", 1)
                if s["plant"] and s["plant"] != plant or s["resource"] and s["resource"] != res:
                    continue
                setup_rows.extend(Setup(s["from_product"], s["to_product"],
                                        math.ceil(s["hours"] * 60 - 1e-9), float(s["cost"]), u)
                                  for u in ids)
    problem = Problem(tuple(ops), tuple(precs), tuple(setup_rows), windows,
                      name=f"{net.name} week {period}")
    return WeekProblem(problem, period, first_day, units, pd.DataFrame(orders))


def dated_operations(s: Schedule, week: WeekProblem) -> pd.DataFrame:
    """The schedule's operations with dates: resource (the unit), line (plant/resource),
    order, operation, product, start, end (ISO date-times), setup before it (hours, cost),
    due, tardiness (hours)."""
    ops = s.operations
    t0 = pd.Timestamp(week.start)
    unit_line = {u: line for line, ids in week.units.items() for u in ids}

    def at(minutes):
        return [(t0 + pd.Timedelta(minutes=int(m))).isoformat() for m in minutes]

    return pd.DataFrame({
        "resource": ops["resource"], "line": ops["resource"].map(unit_line),
        "order": ops["job"], "operation": ops["operation"], "product": ops["product"],
        "start": at(ops["start"]), "end": at(ops["end"]),
        "setup_hours": ops["setup_time"] / 60.0, "setup_cost": ops["setup_cost"],
        "previous": ops["previous"], "due": at(ops["due"]),
        "tardiness_hours": ops["tardiness"].astype(float) / 60.0,
    })


def week_summary(s: Schedule, week: WeekProblem) -> dict:
    """The schedule's summary with the week's dates; KPI times in hours."""
    out = s.summary()
    k = dict(out.get("kpis") or {})
    for name in ("makespan", "weighted_tardiness", "tardiness", "setup_time"):
        if name in k:
            k[f"{name}_hours"] = round(float(k.pop(name)) / 60.0, 4)
    k.pop("time_unit", None)
    out["kpis"] = k
    out.update(period=week.period, week_start=week.start.isoformat(),
               orders=len(week.orders), operations=len(week.problem.operations),
               units={line: ids for line, ids in week.units.items()})
    return out


def write_week_schedule(s: Schedule, week: WeekProblem, path, *, gantt: bool = True) -> dict:
    """``operations.csv`` (:func:`dated_operations`), ``kpis.json`` (:func:`week_summary`) and
    ``gantt.png`` (when matplotlib is installed) in ``path``, written atomically; returns the
    names of the files written."""
    path = Path(path)
    written = {}
    with atomic_folder(path) as tmp:
        dated_operations(s, week).to_csv(tmp / "operations.csv", index=False,
                                         lineterminator="\n")
        written["operations"] = "operations.csv"
        (tmp / "kpis.json").write_text(json.dumps(week_summary(s, week), indent=2, default=str)
                                       + "\n", encoding="utf-8")
        written["kpis"] = "kpis.json"
        if gantt and plot_gantt(s, tmp / "gantt.png", unit_per_hour=60.0) is not None:
            written["gantt"] = "gantt.png"
    return written
