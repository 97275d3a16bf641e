"""``chainlab plan NET``: the production-distribution plan from the command line.

Registered in :mod:`chainlab.cli.app` by :func:`register`. While solving, a live
line on stderr shows the phase, the elapsed time and, when the solver reports them, the
incumbent and bound; then a summary table (or, with ``--json``, one JSON object on stdout).
Exit status: 0 with a plan (optimal, or feasible at the time limit), 1 for bad input or when
there is no plan (infeasible: the diagnosis says what cannot be met; time limit without a plan).

Error handling, JSON output and loading come from :mod:`chainlab.cli.kit`, shared by every command.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from chainlab.cli.kit import XlsxOpt, emit, err, guarded, load, out
from chainlab.models import ChainlabError, Network
from chainlab.solver import (
    Phase,
    Plan,
    Progress,
    SolveOptions,
    Status,
    Timing,
    Unmet,
    backends,
    plan,
    relative_gap,
)


def crm_demand(net: Network, crm: Path):
    """The CRM demand model for ``net`` fitted on the CRM folder (``models.crm.load_crm`` and
    ``models.demand.DemandModel.fit``); :func:`solver.plan` plans its expected demand."""
    try:
        crm_mod = importlib.import_module("chainlab.models.crm")
        demand_mod = importlib.import_module("chainlab.models.demand")
        load_crm, model = crm_mod.load_crm, demand_mod.DemandModel
    except (ModuleNotFoundError, AttributeError):
        raise ChainlabError("--crm: the CRM demand model (models.crm, models.demand) is not "
                            "available in this installation; leave out --crm to plan from "
                            "the network's demand.csv") from None
    return model.fit(load_crm(crm, net), net)


class _Status:
    """The live line: phase, elapsed seconds, incumbent and bound (rendered on each refresh,
    so the clock runs while the solver holds the main thread)."""

    def __init__(self, backend: str, time_limit: float | None = None):
        self.start = time.perf_counter()
        self.backend = backend
        self.time_limit = time_limit
        self.phase = "load"
        self.incumbent = self.bound = None
        self.message = ""

    def update(self, p: Progress) -> None:
        self.phase = p.phase
        if p.incumbent is not None:
            self.incumbent = p.incumbent
        if p.bound is not None:
            self.bound = p.bound
        if p.message:
            self.message = p.message

    def __rich__(self):
        t = Text()
        t.append(f"{self.phase:<9}", style="bold cyan")
        t.append(f" {time.perf_counter() - self.start:7.1f} s  {self.backend}")
        if self.incumbent is not None:
            t.append(f"  incumbent {self.incumbent:,.2f}")
        if self.bound is not None:
            t.append(f"  bound {self.bound:,.2f}")
        gap = relative_gap(self.incumbent, self.bound)
        if gap is not None:
            t.append(f"  gap {gap:.2%}", style="bold")
            if self.phase == Phase.SOLVE and self.time_limit is None:
                t.append("  (--time-limit or --gap stops at the best plan found)", style="dim")
        if self.message:
            t.append(f"  {self.message}", style="dim")
        return t


def summary_table(p: Plan) -> Group:
    t = Table(title=f"plan {p.network}: {p.status.value}")
    t.add_column("what")
    t.add_column("value", justify="right")
    t.add_row("status", p.status.value)
    for name, v in (("objective", p.objective), ("bound", p.bound)):
        t.add_row(name, "" if v is None else f"{v:,.2f} {p.currency}")
    t.add_row("gap", "" if p.gap is None else f"{p.gap:.4%}")
    t.add_row("backend", p.backend)
    timing = getattr(p.options, "timing", None)
    if timing is not None:
        t.add_row("timing", timing.value)
    t.add_row("build / solve", f"{p.build_seconds:.2f} s / {p.solve_seconds:.2f} s")
    t.add_row("size", f"{p.size['variables']:,} variables, {p.size['constraints']:,} rows"
                      + (f", {p.size['integers']:,} integer" if p.size.get("integers") else ""))
    for k, v in p.costs.items():
        if abs(v) > 1e-9:
            t.add_row(f"  {k.replace('_', ' ')}", f"{v:,.2f}")
    parts: list = [t]
    bn = p.bottlenecks(5)
    if bn:
        parts.append(Text("bottlenecks:\n" + "\n".join(f"  {b}" for b in bn)))
    if p.diagnosis is not None:
        parts.append(Text(str(p.diagnosis)))
    return Group(*parts)


@guarded
def plan_command(
    net: Annotated[Path, typer.Argument(help="network folder (or .xlsx workbook)")],
    crm: Annotated[Path | None, typer.Option("--crm", help="CRM folder: demand from the "
                                                "CRM demand model instead of demand.csv")] = None,
    backend: Annotated[str | None, typer.Option(
        "--backend", help=f"solver backend: {', '.join(backends.names())} "
                          f"(default {backends.DEFAULT})")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="seconds the solver may take", min=0.001)] = None,
    gap: Annotated[float, typer.Option("--gap", help="relative MIP gap to stop at",
                                       min=0.0, max=0.999)] = 1e-4,
    unmet: Annotated[Unmet, typer.Option("--unmet", help="unmet demand is backlogged, lost, "
                                         "or not allowed (none)")] = Unmet.BACKLOG,
    timing: Annotated[Timing, typer.Option(
        "--timing", help="nominal: lead times rounded to the nearest period, and what comes in "
                         "during a period may leave in it; robust: lead times rounded up, and "
                         "what is received or made in a period leaves from the next (a plan "
                         "that holds up when executed day by day)")] = Timing.NOMINAL,
    duals: Annotated[bool, typer.Option("--duals/--no-duals", help="marginal values of the "
                                        "capacities (for a MILP: of the LP with its integer "
                                        "decisions fixed, one more LP solve)")] = True,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write the plan's tables "
                                                    "(CSV) and summary here")] = None,
    xlsx: XlsxOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
    = False,
):
    """Production-distribution plan: what to make, buy, ship and hold, period by period."""
    options = SolveOptions(backend=backend, time_limit=time_limit, gap=gap, unmet=unmet,
                           timing=timing, duals=duals)
    name = backends.backend_class(backend).name
    status = _Status(name, time_limit)
    with Live(status, console=err, refresh_per_second=4, transient=True,
              redirect_stdout=False, redirect_stderr=False) as live:
        n = load(net)
        demand = crm_demand(n, crm) if crm is not None else None
        p = plan(n, demand, options, progress=status.update)
        live.update(status)
    if out_dir is not None:
        p.to_folder(out_dir)
        # the network the plan was made for (with the CRM demand, if any), so that
        # `chainlab publish DIR` and `chainlab simulate --plan DIR` find it
        (demand.apply(n) if demand is not None else n).to_folder(out_dir / "network")
    if xlsx is not None:
        p.to_excel(xlsx)
    unmet = unmet_warning(p)
    if as_json:
        obj = p.summary()
        if out_dir is not None:
            obj["out"] = str(out_dir)
        if xlsx is not None:
            obj["xlsx"] = str(xlsx)
        obj["warnings"] = [unmet] if unmet else []
        emit(obj)
    else:
        out.print(summary_table(p))
        if out_dir is not None:
            out.print(f"plan written to {out_dir}")
        if xlsx is not None:
            out.print(f"workbook written to {xlsx}")
        if unmet:
            err.print(f"[bold yellow]warning:[/] {escape(unmet)}", highlight=False)
    if not p.has_solution:
        if not as_json:
            why = {Status.INFEASIBLE: "no plan meets the hard constraints (see the diagnosis)",
                   Status.TIME_LIMIT: "the time limit passed before any plan was found",
                   Status.UNBOUNDED: "the model is unbounded"}.get(p.status, p.status.value)
            err.print(f"[bold red]no plan:[/] {why}", highlight=False)
        raise typer.Exit(1)


#: a plan that leaves more than this share of the demand unmet says so loudly
UNMET_WARNING = 0.5


def unmet_warning(p) -> str | None:
    """What to say when most of the demand goes unmet (lost, or still owed at the end): a plan
    can be "optimal" on nothing but backlog when the network cannot make or buy the product."""
    if not p.has_solution:
        return None
    s = p.summary()
    demand = s.get("demand") or 0.0
    short = (s.get("lost") or 0.0) + (s.get("backlog_end") or 0.0)
    if demand <= 0 or short / demand <= UNMET_WARNING:
        return None
    return (f"{short / demand:.0%} of the demand ({short:,.0f} of {demand:,.0f} units) is not "
            "delivered by the end of the horizon; check that the network can make or buy what "
            "is demanded (`chainlab validate` lists plants that make nothing and products no "
            "one supplies)")


def register(app: typer.Typer) -> None:
    """Add ``plan`` to a typer app."""
    app.command("plan")(plan_command)
