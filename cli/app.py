"""The ``chainlab`` command line (typer + rich).

Every command that computes something takes ``--json`` and then prints exactly one JSON object on
stdout; progress and messages go to stderr. Exit status: 0 done, 1 bad input or a problem with no
answer (the message says which), 2 wrong usage. Bad input never shows a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import emit, err, guarded, load, out
from chainlab.models import check
from chainlab.models import schema as _schema

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="chainlab: supply-chain optimization and simulation engine.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
NetArg = Annotated[Path, typer.Argument(help="network folder (or .xlsx workbook)")]


def print_report(report, title: str) -> None:
    if report.errors or report.warnings:
        t = Table(title=title, show_lines=False)
        for c in ("", "file", "row", "column", "message"):
            t.add_column(c, overflow="fold")
        for sev, items in (("[red]error[/]", report.errors), ("[yellow]warning[/]", report.warnings)):
            for i in items:
                t.add_row(sev, i.file, "" if i.row is None else str(i.row), i.column or "",
                          i.message)
        out.print(t)
    verdict = "[green]valid[/]" if report.valid else "[red]not valid[/]"
    out.print(f"{title}: {verdict} ({len(report.errors)} errors, {len(report.warnings)} warnings)")


def summary_table(summary: dict, title: str) -> Table:
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


@app.command()
@guarded
def validate(net: NetArg, as_json: JsonOpt = False):
    """Check a network folder: every error (file, row, column, fix) and warning."""
    report = check(net)
    if as_json:
        emit(report.as_dict())
    else:
        print_report(report, str(net))
    raise typer.Exit(0 if report.valid else 1)


@app.command()
def schema(markdown: Annotated[bool, typer.Option("--markdown", help="print Markdown")] = False,
           as_json: JsonOpt = False):
    """Print every table and column of the network format: type, unit, default, meaning."""
    if as_json:
        emit({t.name: [{"column": f.name, "type": f.kind.value, "unit": f.unit,
                        "required": f.required, "default": f.default, "choices": list(f.choices),
                        "meaning": f.meaning} for f in t.fields] for t in _schema.TABLES.values()})
        return
    if markdown:
        sys.stdout.write(_schema.markdown())
        return
    for t in _schema.TABLES.values():
        tab = Table(title=f"{t.file} — {t.meaning}" + (" (required)" if t.required_file else ""))
        for c in ("column", "type", "unit", "default", "meaning"):
            tab.add_column(c)
        for f in t.fields:
            kind = " / ".join(f.choices) if f.choices else f.kind.value
            tab.add_row(f.name, kind, f.unit, f.default_text, f.meaning)
        out.print(tab)


@app.command()
@guarded
def info(net: NetArg, as_json: JsonOpt = False):
    """Load a network and summarise it."""
    n = load(net)
    s = n.summary()
    if as_json:
        emit(s | {"warnings": [i.as_dict() for i in n.warnings]})
        return
    out.print(summary_table(s, f"network {n.name}"))
    if n.warnings:
        err.print(f"{len(n.warnings)} warning(s); run `chainlab validate {net}` to list them")


@app.command()
@guarded
def demo(out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path(
             "chainlab-out"),
         replications: Annotated[int, typer.Option("--replications", "-n", min=2,
                                                   help="replications per scenario")] = 20,
         workers: Annotated[int | None, typer.Option(
             "--workers", min=1, help="local worker processes (default: the cores)")] = None,
         as_json: JsonOpt = False):
    """The whole pipeline on the bundled example: validate, demand from the CRM, plan and
    simulate the baseline and three what-ifs (demand surge, plant outage, new DC), compare
    them (report.html), publish the chosen plan to a SQLite ledger, check ATP and promise."""
    from chainlab.cli.demo import run_demo

    result = run_demo(out_dir, replications=replications, workers=workers, as_json=as_json)
    if as_json:
        emit(result)


def _register() -> None:
    """The commands that live in their own modules (each imports its engine lazily)."""
    from chainlab.cli.demand import demand_command
    from chainlab.cli.design import design_command
    from chainlab.cli.ledger import register as register_ledger
    from chainlab.cli.plan import plan_command
    from chainlab.cli.scenario import register as register_scenario
    from chainlab.cli.simulate import simulate_command

    app.command("plan")(plan_command)
    app.command("design")(design_command)
    app.command("demand")(demand_command)
    app.command("simulate")(simulate_command)
    register_ledger(app)
    register_scenario(app)


_register()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
