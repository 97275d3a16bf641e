"""The typed results of solving: :class:`Status`, the :class:`Phase` s a solve reports through
:class:`Progress`, :class:`SolveInfo` (what a solve established, shared by every result), and
:class:`Plan` with its bottlenecks and diagnosis."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from pathlib import Path

import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.files import atomic_folder


class Status(str, Enum):
    """What the solver established."""

    #: proven optimal (to the gap option for a MILP)
    OPTIMAL = "optimal"
    #: a plan, not proven optimal: the solver stopped at a limit; ``plan.gap`` says how far
    FEASIBLE = "feasible"
    #: no plan meets the hard constraints; ``plan.diagnosis`` says what cannot be met
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    #: stopped at the time limit before any plan was found
    TIME_LIMIT = "time_limit"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Phase(StrEnum):
    """Where a solve is, in the order a :class:`Progress` reports them. A StrEnum: it prints,
    compares and serialises as its text (``Phase.SOLVE == "solve"``)."""

    #: the network and demand read into the model's sets
    PREPARE = "prepare"
    #: the model built as arrays
    BUILD = "build"
    #: the backend solving (repeated with each new incumbent or bound)
    SOLVE = "solve"
    #: a MILP plan's marginal values: the LP with its integer decisions fixed
    DUALS = "duals"
    #: the solution read back into tables
    READ = "read"
    #: an infeasible model re-solved elastically to say why
    DIAGNOSE = "diagnose"
    DONE = "done"


@dataclass(frozen=True)
class Progress:
    """A report while solving: its :class:`Phase` (given as the enum or its text), seconds
    since the start, and the solver's incumbent and bound when it gives them."""

    phase: Phase
    elapsed: float
    incumbent: float | None = None
    bound: float | None = None
    message: str = ""

    def __post_init__(self):
        if not isinstance(self.phase, Phase):
            object.__setattr__(self, "phase", Phase(self.phase))


@dataclass(frozen=True)
class SolveInfo:
    """What a solve established, the same for every result (:class:`Plan`,
    :class:`~solver.design_result.Design`), which carry these as their own fields:
    ``plan.status``, ``design.gap``; ``result.info`` gives them on their own. (Inherited
    fields, defined once here, rather than a nested one: a result stays one flat record, so
    ``dataclasses.replace(plan, status=...)`` and the attribute names keep working.)

    ``objective`` is None without a solution; ``bound`` the solver's proven bound (an LP's
    optimum is its own); ``gap`` = |objective - bound| / |objective|. Seconds: building the
    model, solving it (of which ``handoff_seconds`` handing it to the solver library), and
    a MILP plan's marginal values after it (``duals_seconds``). ``size``: variables,
    constraints, nonzeros and integers of the model solved; ``detail`` the backend's words."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    backend: str
    build_seconds: float
    solve_seconds: float
    handoff_seconds: float = 0.0
    duals_seconds: float = 0.0
    size: dict[str, int] = field(default_factory=dict)
    is_mip: bool = False
    detail: str = ""

    @property
    def has_solution(self) -> bool:
        return self.status.has_solution

    @property
    def info(self) -> SolveInfo:
        """These facts on their own, without the result they belong to."""
        if type(self) is SolveInfo:
            return self
        return SolveInfo(**self.info_fields())

    def info_fields(self) -> dict:
        """The facts as keyword arguments, to make a result that carries them
        (``Plan(**info.info_fields(), network=...)``)."""
        return {f.name: getattr(self, f.name) for f in fields(SolveInfo)}


UNITS = {"resource": "hour", "supplier": "unit", "lane": "unit", "throughput": "unit",
         "storage": "unit"}


@dataclass(frozen=True)
class Bottleneck:
    """A binding capacity and what one more unit of it is worth.

    ``kind`` is resource, supplier, lane, throughput or storage; ``site`` the plant, supplier,
    lane origin or DC; ``item`` the resource, product or lane ID; ``value`` the objective saved
    per extra unit (hour) of capacity, in ``unit_of_value`` (the currency, or units of demand
    met in a diagnosis)."""

    kind: str
    site: str
    item: str
    period: int
    date: str
    bucket: str
    used: float
    capacity: float
    value: float
    unit_of_value: str

    def __str__(self) -> str:
        unit = UNITS.get(self.kind, "unit")
        where = {
            "resource": f"{self.item} at {self.site}",
            "supplier": f"supplier {self.site} for {self.item}",
            "lane": f"lane {self.item}",
            "throughput": f"throughput of {self.site}",
            "storage": f"storage of {self.item} at {self.site}",
        }.get(self.kind, f"{self.kind} {self.site} {self.item}")
        if self.unit_of_value in ("units", "unit"):
            gain = f"meets {self.value:,.2f} more units of demand"
        else:
            gain = f"saves {self.value:,.2f} {self.unit_of_value}"
        return f"{where}, {self.bucket} of {self.date} (period {self.period}): one more " \
               f"{unit} {gain}"


@dataclass(frozen=True)
class Shortfall:
    """Demand that cannot be met: units short for a customer, product and period."""

    customer: str
    product: str
    period: int
    date: str
    quantity: float
    reason: str = ""

    def __str__(self) -> str:
        s = f"{self.customer} cannot get {self.quantity:,.6g} of {self.product} in the " \
            f"period of {self.date} (period {self.period})"
        return s + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class Diagnosis:
    """Why a plan is infeasible, from an elastic re-solve that minimises unmet demand and
    other violations: what cannot be met, which capacities bind it, what else is violated."""

    shortfalls: tuple[Shortfall, ...] = ()
    binding: tuple[Bottleneck, ...] = ()
    violations: tuple[str, ...] = ()
    note: str = ""

    @property
    def total_short(self) -> float:
        return sum(s.quantity for s in self.shortfalls)

    def __str__(self) -> str:
        lines = []
        if self.shortfalls:
            lines.append(f"{len(self.shortfalls)} demand(s) cannot be met on time "
                         f"({self.total_short:,.6g} units in all):")
            lines += [f"  {s}" for s in self.shortfalls[:20]]
            if len(self.shortfalls) > 20:
                lines.append(f"  ... and {len(self.shortfalls) - 20} more")
        if self.binding:
            lines.append("what binds it:")
            lines += [f"  {b}" for b in self.binding[:10]]
        if self.violations:
            lines.append("other hard limits that cannot hold:")
            lines += [f"  {v}" for v in self.violations[:20]]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines) or "no diagnosis"

    def as_dict(self) -> dict:
        return {
            "shortfalls": [s.__dict__ for s in self.shortfalls],
            "binding": [b.__dict__ | {"text": str(b)} for b in self.binding],
            "violations": list(self.violations),
            "note": self.note,
            "text": str(self),
        }


TABLES = ("production", "purchases", "shipments", "inventory", "backlog", "capacity")


@dataclass(frozen=True, repr=False, kw_only=True)
class Plan(SolveInfo):
    """A production-distribution plan, with the facts of its solve (:class:`SolveInfo`:
    ``status``, ``objective``, ``bound``, ``gap``, seconds, ``size``, ...).

    Tables are keyed by the network's IDs, one row per (key, ``period``) with ``date`` the
    start of the period: ``production`` (plant, product; ``period`` is when the output is
    in stock, ``release_period`` when its order is released, the production lead time
    earlier), ``purchases`` (supplier, product,
    destination; ``period`` is when the order is placed), ``shipments`` (lane, product;
    ``period`` is when it leaves, ``arrival`` when it arrives), ``inventory`` (site, product; end
    of period), ``backlog`` (customer, product: demand, delivered, backlog, lost, and the
    ``marginal_cost`` of one more unit of demand) and ``capacity`` (kind, site, item: used,
    available, utilisation, and the ``shadow_price`` = objective saved per extra unit of
    capacity). Quantities in each product's unit, money in ``currency``. Flow tables list only
    nonzero rows.

    Marginal values (``shadow_price``, ``marginal_cost``, :meth:`bottlenecks`) are the LP's
    duals. A MILP (setup costs, minimum lots, lane fixed costs or minimum shipments, integer
    quantities) has none of its own: for a MILP plan they are the duals of the LP left when its
    integer decisions are fixed at the plan's values, i.e. what one more unit is worth with the
    same setups and lanes in use (capacity that would pay only with another setup is worth 0).
    They are NaN when ``options.duals`` is off, the backend gives no duals, or every variable
    is integer; ``duals_seconds`` is the time that LP took (after and not in ``solve_seconds``).
    """

    network: str
    currency: str
    calendar: Calendar
    costs: dict[str, float]
    production: pd.DataFrame
    purchases: pd.DataFrame
    shipments: pd.DataFrame
    inventory: pd.DataFrame
    backlog: pd.DataFrame
    capacity: pd.DataFrame
    diagnosis: Diagnosis | None = None
    options: object = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {n: getattr(self, n) for n in TABLES}

    def bottlenecks(self, n: int | None = None, min_value: float = 1e-6) -> list[Bottleneck]:
        """Binding capacities sorted by the value of one more unit, ``shadow_price`` above
        ``min_value`` (for a MILP plan, with its integer decisions fixed: see the class
        docstring; an empty list when there are no marginal values)."""
        c = self.capacity
        if c.empty or "shadow_price" not in c or c["shadow_price"].isna().all():
            return []
        c = c[c["shadow_price"] > min_value].sort_values(
            ["shadow_price", "kind", "site", "item", "period"],
            ascending=[False, True, True, True, True])
        if n is not None:
            c = c.head(n)
        return [Bottleneck(r.kind, r.site, r.item, int(r.period), str(r.date),
                           self.calendar.bucket, float(r.used), float(r.available),
                           float(r.shadow_price), self.currency) for r in c.itertuples()]

    def summary(self) -> dict:
        """The plan in a few numbers (the CLI's JSON object)."""
        def num(v):
            return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v

        out = {
            "status": self.status.value,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "build_seconds": round(self.build_seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "handoff_seconds": round(self.handoff_seconds, 4),
            "duals_seconds": round(self.duals_seconds, 4),
            "backend": self.backend,
            "costs": {k: round(v, 6) for k, v in self.costs.items()},
            "currency": self.currency,
            "network": self.network,
            "periods": self.calendar.periods,
            "bucket": self.calendar.bucket,
            "size": dict(self.size),
            "mip": self.is_mip,
            "detail": self.detail,
        }
        timing = getattr(self.options, "timing", None)
        if timing is not None:
            out["timing"] = timing.value
        if self.has_solution:
            b = self.backlog
            out["demand"] = float(b["demand"].sum()) if len(b) else 0.0
            out["delivered_on_time"] = float(b["on_time"].sum()) if len(b) else 0.0
            out["lost"] = float(b["lost"].sum()) if len(b) else 0.0
            out["backlog_end"] = float(b.loc[b["period"] == self.calendar.periods - 1,
                                              "backlog"].sum()) if len(b) else 0.0
            out["bottlenecks"] = [str(x) for x in self.bottlenecks(5)]
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.as_dict()
        return out

    def to_folder(self, path) -> Path:
        """Write every table as CSV plus ``summary.json`` (and ``diagnosis.txt`` when there is
        one). Files go to a temporary folder beside ``path`` first, so an error leaves no
        half-written plan."""
        path = Path(path)
        with atomic_folder(path) as tmp:
            for name, df in self.tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
            pd.DataFrame({"category": list(self.costs), "cost": list(self.costs.values())}
                         ).to_csv(tmp / "costs.csv", index=False, lineterminator="\n")
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=str)
                                              + "\n", encoding="utf-8")
            if self.diagnosis is not None:
                (tmp / "diagnosis.txt").write_text(str(self.diagnosis) + "\n", encoding="utf-8")
        return path

    def to_excel(self, path) -> Path:
        """One workbook: a ``summary`` sheet, ``costs`` and a sheet per table, typed cells and
        units in the headers (see :func:`~chainlab.models.workbook.write_workbook`)."""
        from chainlab.models.workbook import key_values, money_units, write_workbook

        costs = pd.DataFrame({"category": list(self.costs), "cost": list(self.costs.values())})
        return write_workbook(path, {"summary": key_values(self.summary()), "costs": costs}
                              | self.tables, money_units(self.currency))

    def __repr__(self) -> str:
        head = f"<Plan {self.network!r} {self.status.value}"
        if self.objective is not None:
            head += f", objective {self.objective:,.2f} {self.currency}"
        if self.gap:
            head += f", gap {self.gap:.2%}"
        head += f" ({self.backend}, build {self.build_seconds:.2f}s, " \
                f"solve {self.solve_seconds:.2f}s" + \
                (f", duals {self.duals_seconds:.2f}s)" if self.duals_seconds else ")")
        lines = [head]
        if self.has_solution:
            costs = ", ".join(f"{k} {v:,.2f}" for k, v in self.costs.items() if abs(v) > 1e-9)
            lines.append(f"  costs: {costs}")
            lines.append(f"  {len(self.production)} production, {len(self.purchases)} purchase, "
                         f"{len(self.shipments)} shipment rows; "
                         f"{self.calendar.periods} {self.calendar.bucket}s")
            for b in self.bottlenecks(3):
                lines.append(f"  bottleneck: {b}")
        if self.diagnosis is not None:
            lines += ["  " + x for x in str(self.diagnosis).splitlines()]
        return "\n".join(lines) + ">"
