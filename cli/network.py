"""The network's commands: ``validate NET`` (every error and warning, exit 1 when not valid),
``schema`` (the network format, as tables, ``--markdown`` or ``--json``) and ``info NET`` (a
summary of the network). Register them with :func:`register`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import (
    JsonOpt,
    NetArg,
    emit,
    err,
    guarded,
    load,
    out,
    print_report,
    summary_table,
)
from chainlab.models import ChainlabError, check
from chainlab.models import schema as _schema


@guarded
def validate_command(net: NetArg, as_json: JsonOpt = False):
    """Check a network folder: every error (file, row, column, fix) and warning."""
    report = check(net)
    if as_json:
        emit(report.as_dict())
    else:
        print_report(report, str(net))
    raise typer.Exit(0 if report.valid else 1)


def schema_command(
        markdown: Annotated[bool, typer.Option("--markdown", help="print Markdown")] = False,
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


@guarded
def info_command(net: NetArg, as_json: JsonOpt = False):
    """Load a network and summarise it."""
    n = load(net)
    s = n.summary()
    if as_json:
        emit(s | {"warnings": [i.as_dict() for i in n.warnings]})
        return
    out.print(summary_table(s, f"network {n.name}"))
    if n.warnings:
        err.print(f"{len(n.warnings)} warning(s); run `chainlab validate {net}` to list them")


class Form(StrEnum):
    XLSX = "xlsx"
    FOLDER = "folder"


@guarded
def convert_command(
        net: NetArg,
        to: Annotated[Form, typer.Option("--to", help="xlsx: one workbook, a sheet per table; "
                                                      "folder: network.yaml and CSV files")],
        out_path: Annotated[Path | None, typer.Option(
            "--out", help="where to write it (default: beside NET, NET.xlsx or the "
                          "workbook's name without .xlsx)")] = None,
        force: Annotated[bool, typer.Option("--force", help="replace what is at --out")] = False,
        as_json: JsonOpt = False):
    """Convert a network between a folder of CSV files and one Excel workbook (validated on
    the way: a network that does not load is not converted)."""
    n = load(net)
    if out_path is None:
        base = net.with_suffix("") if net.suffix.lower() in (".xlsx", ".xlsm") else net
        out_path = base.with_name(base.name + ".xlsx") if to is Form.XLSX else base
    if out_path.resolve() == net.resolve():
        raise ChainlabError(f"--out {out_path} is the network itself; give another path")
    if out_path.exists() and not force:
        raise ChainlabError(f"{out_path} exists; give another --out, or --force to replace it")
    if to is Form.XLSX:
        n.to_excel(out_path)
    else:
        if out_path.exists() and not out_path.is_dir():
            raise ChainlabError(f"{out_path} is a file; --to folder needs a folder")
        n.to_folder(out_path)
    if as_json:
        emit({"network": n.name, "to": to.value, "out": str(out_path)})
    else:
        out.print(f"network {n.name} written to {out_path}")


def register(app: typer.Typer) -> None:
    """Add ``validate``, ``schema``, ``info`` and ``convert`` to a typer app."""
    app.command("validate")(validate_command)
    app.command("schema")(schema_command)
    app.command("info")(info_command)
    app.command("convert")(convert_command)
