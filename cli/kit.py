"""What the ``chainlab`` commands share: the consoles, the one JSON object of ``--json``, the
common arguments, loading a network, turning chainlab errors into a message and exit status 1,
and the tables that more than one command prints (a validation report, a summary, scenario
progress and a scenario comparison).

Command modules import from here and from the engine packages, never from :mod:`chainlab.cli.app`
(which imports them). They import their engines (solver, simulation, scenarios, ledger,
matplotlib, uvicorn) inside the command that needs them, so that ``chainlab --help`` and the
quick commands start fast; this module does the same for the scenario phases.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chainlab.models import ChainlabError, Network

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
XlsxOpt = Annotated[Path | None, typer.Option(
    "--xlsx", help="also write the results as one Excel workbook (a sheet per table)")]
NetArg = Annotated[Path, typer.Argument(help="network folder (or .xlsx workbook)")]


def emit(obj: dict) -> None:
    """The one JSON object of a ``--json`` run."""
    sys.stdout.write(json.dumps(obj, default=str) + "\n")


def guarded(fn):
    """Turn chainlab errors (and unreadable files) into a message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except (ChainlabError, OSError) as e:
            issues = getattr(e, "issues", [])
            if as_json:
                emit({"error": str(e), "errors": [i.as_dict() for i in issues]})
            else:
                err.print(f"[bold red]error:[/] {escape(str(e))}", markup=True, highlight=False)
            raise typer.Exit(1)

    return wrapper


def load(path: Path) -> Network:
    """A network from a folder or an ``.xlsx`` workbook."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return Network.from_excel(path)
    return Network.from_folder(path)


# ---------------------------------------------------------------- network reports


def print_report(report, title: str) -> None:
    """A validation report: its errors and warnings as a table, then the verdict."""
    if report.errors or report.warnings:
        t = Table(title=escape(title), show_lines=False)
        for c in ("", "file", "row", "column", "message"):
            t.add_column(c, overflow="fold")
        for sev, items in (("[red]error[/]", report.errors),
                           ("[yellow]warning[/]", report.warnings)):
            for i in items:
                # file names like book.xlsx[bom] and cell values are text, not markup
                t.add_row(sev, escape(i.file), "" if i.row is None else str(i.row),
                          escape(i.column or ""), escape(i.message))
        out.print(t)
    verdict = "[green]valid[/]" if report.valid else "[red]not valid[/]"
    out.print(f"{escape(title)}: {verdict} ({len(report.errors)} errors, {len(report.warnings)} warnings)")


def summary_table(summary: dict, title: str) -> Table:
    """A network's summary (:meth:`Network.summary`) as a two-column table."""
    t = Table(title=title)
    t.add_column("what")
    t.add_column("value", justify="right")
    for k, v in summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        elif isinstance(v, float):
            v = f"{v:,.1f}"
        t.add_row(k.replace("_", " "), str(v))
    return t


# ---------------------------------------------------------------- scenarios


def share_text(v) -> str:
    """A share (0..1) with three digits; ``-`` when missing."""
    return "-" if v is None or v != v else f"{v:.3f}"


def money_text(v) -> str:
    """An amount of money in whole units; ``-`` when missing."""
    return "-" if v is None or v != v else f"{v:,.0f}"


class ScenarioProgress:
    """Scenario progress on stderr: rich bars on a terminal (one per scenario: its phase, then
    its replications, and one for all), plain lines at each phase otherwise. Usable as the
    ``progress`` callback of :func:`scenarios.run.run` (thread-safe)."""

    def __init__(self, console, quiet: bool = False):
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self._lock = threading.Lock()
        self._tasks: dict[str, int] = {}
        self._phase: dict[str, str] = {}
        #: scenarios whose plan is being solved: the overall bar counts each plan as one step
        self._planning: set[str] = set()
        self._bar = None
        self._all = None

    def __enter__(self) -> ScenarioProgress:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as Bars,
            )

            self._bar = Bars(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
                             transient=False)
            self._bar.start()
            self._all = self._bar.add_task("[bold]all scenarios (plans + replications)",
                                           total=0)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, e) -> None:
        from chainlab.scenarios.run import Phase

        with self._lock:
            name = e.scenario
            if self._bar is not None:
                if name not in self._tasks:
                    self._tasks[name] = self._bar.add_task(f"{name}: queued", total=None)
                task = self._tasks[name]
                label = {Phase.PLAN: "planning", Phase.SIMULATE: "simulating",
                         Phase.STORE: "storing", Phase.DONE: "[green]done",
                         Phase.FAILED: "[red]failed", Phase.PREPARE: "preparing",
                         Phase.QUEUED: "queued"}[e.phase]
                if e.phase is Phase.PREPARE and e.total and e.done == e.total:
                    label = "waiting"
                if e.phase is Phase.PLAN and name not in self._planning:
                    self._planning.add(name)
                    self._bar.update(self._all, total=self._bar.tasks[self._all].total + 1)
                elif e.phase is not Phase.PLAN and name in self._planning:
                    self._planning.discard(name)
                    self._bar.advance(self._all, 1)
                if e.phase is Phase.SIMULATE and e.done == 0:
                    self._bar.update(self._all, total=self._bar.tasks[self._all].total + e.total)
                if e.phase in (Phase.SIMULATE, Phase.DONE) and e.total:
                    before = self._bar.tasks[task].completed or 0
                    self._bar.update(task, total=e.total, completed=e.done,
                                     description=f"{name}: {label}")
                    if e.phase is Phase.SIMULATE:
                        self._bar.advance(self._all, e.done - before)
                else:
                    self._bar.update(task, description=f"{name}: {label}")
                return
            if self.quiet or self._phase.get(name) == e.phase.value:
                return
            self._phase[name] = e.phase.value
            if e.phase in (Phase.PLAN, Phase.SIMULATE, Phase.DONE, Phase.FAILED):
                extra = f" ({e.message})" if e.message else ""
                if e.phase is Phase.SIMULATE:
                    extra = f": {e.total} replications" + (f", {e.message}" if e.message else "")
                self.console.print(f"{name}: {e.phase.value}{extra}", highlight=False,
                                   markup=False)


def print_comparison(c, kpis=None) -> None:
    """The comparison as rich tables on stdout: KPIs with deltas and intervals, plan changes."""
    from chainlab.scenarios.compare import MAIN_KPIS

    pct = f"{c.confidence:.0%}"
    t = Table(title=f"scenarios vs {c.baseline} (delta [{pct} CI of the difference, "
                    f"{'paired' if c.paired else 'unpaired'}])")
    t.add_column("KPI")
    for s in c.scenarios:
        t.add_column(s, justify="right")
    rows = c.rows.set_index(["kpi", "scenario"])
    for kpi in kpis or MAIN_KPIS:
        if (kpi, c.baseline) not in rows.index:
            continue
        share = rows.at[(kpi, c.baseline), "unit"] == "share"
        fmt = share_text if share else money_text
        dfmt = (lambda v: "-" if v != v else f"{v:+.3f}") if share else (
            lambda v: "-" if v != v else f"{v:+,.0f}")
        cells = []
        for s in c.scenarios:
            r = rows.loc[(kpi, s)]
            if s == c.baseline:
                cells.append(fmt(r["value"]))
                continue
            color = {True: "green", False: "red"}.get(r["better"], "")
            delta = f"{dfmt(r['delta'])} [{dfmt(r['ci_low'])}, {dfmt(r['ci_high'])}]"
            cells.append(f"{fmt(r['value'])}\n[{color}]{delta}[/]" if color
                         else f"{fmt(r['value'])}\n{delta}")
        t.add_row(kpi.replace("_", " "), *cells)
    out.print(t)
    counts = c.change_counts()
    if len(c.scenarios) > 1:
        t2 = Table(title=f"plan orders vs {c.baseline}")
        for col in ("scenario", "plan", "objective", "added", "removed", "moved", "resized",
                    "net units"):
            t2.add_column(col, justify="left" if col in ("scenario", "plan") else "right")
        for s in c.scenarios:
            p = c.plans.loc[s]
            n = counts.loc[s]
            t2.add_row(s, str(p["status"]), money_text(p["objective"]), *(
                str(int(n[x])) for x in ("added", "removed", "moved", "resized")),
                f"{n['units_net']:+,.0f}")
        out.print(t2)
    for note in c.notes:
        out.print(f"[yellow]note:[/] {note}", highlight=False)
