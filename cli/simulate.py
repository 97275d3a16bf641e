"""``chainlab simulate NET [--plan DIR] [--crm CRM] [--replications N] [--seed S] [--workers W]
[--lost-sales] [--warmup DAYS] [--out DIR] [--json]``: Monte Carlo simulation (CONTRACTS §3).

Without ``--plan`` every stock point follows its ``inventory.csv`` policy; with it the plan's
production, purchases and shipments are released as scheduled. Demand comes from ``demand.csv``
(``sd``, ``distribution``) or, with ``--crm``, from the CRM demand model (replication r uses its
scenario r). ``--json`` prints one object: ``kpis`` {name: {mean, ci_low, ci_high, unit}} (at
least fill_rate, otif, avg_inventory, total_cost, backorders), ``replications``, ``seed`` and
facts of the run. ``--out DIR`` writes the result tables (kpis, replications, sites, series,
service, balance), ``summary.json`` and ``simulation.png`` (inventory, backlog and fill rate
over time).

Register with :func:`register`.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, NetArg, XlsxOpt, emit, err, guarded, load
from chainlab.cli.kit import out as console

PlanOpt = Annotated[Path | None, typer.Option(
    "--plan", help="plan folder (from `chainlab plan --out`) to execute; default: each stock "
                   "point's inventory policy")]
CrmOpt = Annotated[Path | None, typer.Option(
    "--crm", help="CRM folder: demand comes from the CRM demand model instead of demand.csv")]
RepOpt = Annotated[int, typer.Option("--replications", "-n", min=1,
                                     help="Monte Carlo replications")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="root seed of every random stream")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="worker processes (default: min(cores, replications))")]
LostOpt = Annotated[bool, typer.Option("--lost-sales",
                                       help="unmet demand is lost (default: backordered)")]
WarmupOpt = Annotated[int, typer.Option("--warmup", min=0,
                                        help="days left out of the KPIs at the start")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="folder for the result tables, summary.json and simulation.png")]

#: KPIs of the terminal table, in order
SHOWN = ("fill_rate", "period_fill_rate", "avg_days_late", "otif", "cycle_service_level",
         "backorders", "stockout_days", "avg_inventory", "peak_inventory", "holding_cost",
         "transport_cost", "purchase_cost", "production_cost", "backlog_cost",
         "lost_sales_cost", "total_cost")
#: digits after the point, by KPI or else by unit (default 0): days late are a few days
DIGITS = {"share": 3, "avg_days_late": 1}


@guarded
def simulate_command(net: NetArg, plan: PlanOpt = None, crm: CrmOpt = None,
                     replications: RepOpt = 30, seed: SeedOpt = 0, workers: WorkersOpt = None,
                     lost_sales: LostOpt = False, warmup: WarmupOpt = 0, out: OutOpt = None,
                     xlsx: XlsxOpt = None, as_json: JsonOpt = False):
    """Monte Carlo simulation of the network under random demand and lead times: service and
    cost KPIs with 95% confidence intervals."""
    from chainlab.simulation import SimOptions, simulate

    network = load(net)
    demand = None
    if crm is not None:
        from chainlab.models.crm import load_crm
        from chainlab.models.demand import DemandModel

        if not as_json:
            err.print(f"fitting the demand model on {crm} ...", highlight=False)
        demand = DemandModel.fit(load_crm(crm, network), network)
    options = SimOptions(replications=replications, seed=seed, workers=workers,
                         unmet="lost" if lost_sales else "backlog", warmup_days=warmup)
    if not as_json:
        err.print(f"simulating {network.name}: {replications} replications, seed {seed}"
                  f"{', executing ' + str(plan) if plan else ''} ...", highlight=False)
    with replication_bar(replications, quiet=as_json) as progress:
        result = simulate(network, plan=plan, demand=demand, options=options,
                          progress=progress)
    obj = result.as_dict()
    if out is not None:
        result.to_folder(out)
        obj["out"] = str(out)
    if xlsx is not None:
        result.to_excel(xlsx)
        obj["xlsx"] = str(xlsx)
    if as_json:
        emit(obj)
        return
    _print(result, out)
    if xlsx is not None:
        console.print(f"workbook written to {xlsx}", highlight=False)


@contextlib.contextmanager
def replication_bar(total: int, quiet: bool):
    """A progress bar of replications on stderr (on a terminal, and not with --json): yields
    the ``progress`` callback of :func:`simulation.simulate`, or None."""
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("replications", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("simulate", total=total)
        yield lambda done: bar.update(task, completed=done)


def _print(result, out) -> None:
    t = Table(title=f"{result.network}: {result.n} replications, seed {result.seed} "
                    f"({result.engine}, {result.replenishment}, {result.seconds:.1f}s)")
    for c in ("KPI", "mean", "95% CI", "unit"):
        t.add_column(c, justify="left" if c in ("KPI", "unit") else "right")
    k = result.kpis
    for name in SHOWN:
        r = k.loc[name]
        digits = DIGITS.get(name, DIGITS.get(r["unit"], 0))

        def fmt(v, digits=digits):
            return "-" if math.isnan(v) else f"{v:,.{digits}f}"

        ci = "" if r["ci_low"] != r["ci_low"] else f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
        t.add_row(name.replace("_", " "), fmt(r["mean"]), ci, r["unit"])
    console.print(t)
    for w in result.warnings[:10]:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if out is not None:
        console.print(f"written to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to a typer app."""
    app.command("simulate")(simulate_command)
