"""``chainlab schedule PLAN_DIR``: the detailed schedule of one week of a plan's production orders.

Which unit of each line runs each order (or lot), from when to when, and the changeover before
it (OR-Tools CP-SAT; see :mod:`chainlab.solver.schedule`). While solving, each new incumbent is
printed on stderr with the bound; Ctrl+C or ``--time-limit`` stops the search and keeps the best
schedule found. ``--out DIR`` writes ``operations.csv``, ``kpis.json`` and ``gantt.png``;
``--publish`` stores the schedule in the ledger with the plan's version (the newest version
whose orders are this plan folder's, or ``--plan-version``) for ``GET /v1/plans/{id}/schedule``.

``--json`` prints one object: ``status``, ``objective``, ``bound``, ``gap``, ``seconds``,
``kpis`` (makespan, tardiness, setups, utilisation per unit), ``period``, ``week_start`` ...
Exit status 1 for bad input or when there is no schedule (infeasible hard due dates).

Register with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, emit, err, guarded
from chainlab.cli.kit import out as console
from chainlab.cli.ledger import UrlOpt
from chainlab.models import ValidationError


def _weights(text: str | None) -> dict:
    if not text:
        from chainlab.solver.schedule.result import DEFAULT_WEIGHTS

        return dict(DEFAULT_WEIGHTS)
    out = {}
    for part in text.split(","):
        name, _, val = part.partition("=")
        try:
            out[name.strip()] = float(val)
        except ValueError:
            raise ValidationError(f"--weights: {part!r} should be NAME=NUMBER (makespan, "
                                  f"tardiness, setup_time, setup_cost)") from None
    return out


@guarded
def schedule_command(
    plan_dir: Annotated[Path, typer.Argument(help="plan folder (`chainlab plan NET --out DIR`)")],
    week: Annotated[int | None, typer.Option(
        "--week", help="the plan's period (0-based) to schedule; default the first with "
                       "production", min=0)] = None,
    objective: Annotated[str, typer.Option(
        "--objective", help="makespan, tardiness (weighted), setup (time) or mix "
                            "(--weights)")] = "tardiness",
    weights: Annotated[str | None, typer.Option(
        "--weights", help="for --objective mix: e.g. makespan=1,tardiness=10,setup_time=1,"
                          "setup_cost=0.1 (minutes and currency)")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="seconds the search may take; the best schedule found is kept",
        min=0.001)] = None,
    setups: Annotated[Path | None, typer.Option(
        "--setups", help="setups.csv (from_product, to_product, hours, cost, plant, "
                         "resource); default PLAN_DIR/setups.csv when there")] = None,
    lot_hours: Annotated[float | None, typer.Option(
        "--lot-hours", help="cut orders into lots of at most this many hours (default: what "
                            "one unit of the line works in the week)", min=0.01)] = None,
    lag_minutes: Annotated[int, typer.Option(
        "--lag-minutes", help="minimum minutes between a component's lot and the lots it "
                              "goes into")] = 0,
    hard_due: Annotated[bool, typer.Option(
        "--hard-due", help="every order must end within its week (else tardiness is "
                           "penalised)")] = False,
    workers: Annotated[int, typer.Option("--workers", help="CP-SAT search threads", min=1)] = 2,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write operations.csv, kpis.json and gantt.png here")] = None,
    publish: Annotated[bool, typer.Option(
        "--publish", help="store the schedule in the ledger with the plan's version (GET "
                          "/v1/plans/{id}/schedule)")] = False,
    plan_version: Annotated[int | None, typer.Option(
        "--plan-version", help="with --publish: the version to attach it to (default: the "
                               "newest version whose orders are this plan's)", min=1)] = None,
    database_url: UrlOpt = None,
    as_json: JsonOpt = False,
):
    """Detailed schedule of a plan's production orders of one week (CP-SAT)."""
    from chainlab.solver.schedule import Objective, ScheduleOptions, schedule
    from chainlab.solver.schedule.from_plan import week_problem, week_summary, write_week_schedule

    try:
        obj = Objective(objective)
    except ValueError:
        raise ValidationError(f"--objective {objective!r}: one of "
                              f"{', '.join(o.value for o in Objective)}") from None
    try:
        options = ScheduleOptions(objective=obj, time_limit=time_limit, workers=workers,
                                  weights=_weights(weights), hard_due_dates=hard_due)
    except ValueError as e:
        raise ValidationError(f"--weights: {e}") from None
    if setups is None and (plan_dir / "setups.csv").exists():
        setups = plan_dir / "setups.csv"
    w = week_problem(plan_dir, week, setups=setups, lot_hours=lot_hours,
                     lag_minutes=lag_minutes, hard_due=hard_due)
    err.print(f"scheduling {len(w.orders)} orders ({len(w.problem.operations)} operations) of "
              f"week {w.period} ({w.start}) on {len(w.problem.resources)} units; Ctrl+C keeps "
              f"the best schedule", highlight=False)

    def progress(p: dict) -> None:
        err.print(f"  {p['seconds']:7.2f} s  incumbent {p['incumbent']:,.0f}  bound "
                  f"{p['bound']:,.0f}", highlight=False)

    s = schedule(w.problem, options, on_progress=progress, time_unit="minute")
    if s.interrupted:
        err.print("interrupted: keeping the best schedule found", highlight=False)
    written = {}
    if out_dir is not None and s.placed:
        written = write_week_schedule(s, w, out_dir)
    summary = week_summary(s, w)
    if publish and s.placed:
        summary["published"] = _publish(s, w, plan_dir, plan_version, database_url)
    if out_dir is not None:
        summary["out"] = str(out_dir)
        summary["files"] = written
    if as_json:
        emit(summary)
    else:
        _print(summary)
        if written:
            console.print(f"schedule written to {out_dir} ({', '.join(written.values())})")
        if "published" in summary:
            console.print(f"published with plan version {summary['published']['plan_version']}"
                          f" in {summary['published']['database']}", highlight=False)
            if "gantt" not in written:
                console.print("no gantt.png: matplotlib is not installed")
    if not s.placed:
        why = ("no schedule meets the hard due dates" if s.status.value == "infeasible"
               else "the time limit passed before any schedule was found")
        if not as_json:
            err.print(f"[bold red]no schedule:[/] {why}", highlight=False)
        raise typer.Exit(1)


def _publish(s, w, plan_dir: Path, plan_version: int | None, url: str | None) -> dict:
    """Store the schedule with its plan version; where it went."""
    from chainlab.ledger import Ledger, db
    from chainlab.models import Network
    from chainlab.solver.schedule.from_plan import dated_operations, week_summary

    body = {"period": w.period, "week_start": w.start.isoformat(),
            "summary": week_summary(s, w),
            "operations": dated_operations(s, w).to_dict("records")}
    engine = db.connect(url)
    led = Ledger(engine, upgrade=engine.dialect.name == "sqlite")
    try:
        net = None if plan_version is not None else Network.from_folder(plan_dir / "network")
        stored = led.publish_schedule(body, plan_id=plan_version, plan=plan_dir, network=net)
        return {"plan_version": stored["plan_version_id"], "period": stored["period"],
                "database": db.redact(led.engine.url)}
    finally:
        led.close()


def _print(summary: dict) -> None:
    t = Table(title=f"schedule {summary['problem']}: {summary['status']}")
    t.add_column("what")
    t.add_column("value", justify="right")
    for k in ("objective_kind", "objective", "bound", "gap", "seconds", "source",
              "dispatch_rule", "dispatch_objective", "solutions"):
        v = summary.get(k)
        t.add_row(k.replace("_", " "), "" if v is None else
                  (f"{v:.4%}" if k == "gap" else str(v)))
    for k, v in (summary.get("kpis") or {}).items():
        if k == "utilisation":
            for r, u in v.items():
                t.add_row(f"  utilisation {r}", f"{u:.1%}")
        else:
            t.add_row(f"  {k.replace('_', ' ')}", str(v))
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``schedule`` to a typer app."""
    app.command("schedule")(schedule_command)
