"""``chainlab design NET [--backend B] [--time-limit S] [--out DIR] [--json]``: network design
(CONTRACTS §3): which candidate sites to open (and, with ``--close-existing``, which existing
plants and DCs to close), which customers each serves, at what cost, and what each decision is
worth (the design re-solved with the opposite decision: ``--explain``, on by default when at
most :data:`AUTO_EXPLAIN` sites are decided).

``--json`` prints one object: ``status``, ``objective``, ``bound``, ``gap``, ``open_sites``,
``closed_sites``, ``opened``, ``decisions``, ``costs``, ... and ``explanations``. ``--out DIR``
writes the design's tables (see :meth:`solver.design_result.Design.to_folder`). Exit status 1
when the input is bad or the design has no answer (infeasible, or no solution in the time
limit); the message says which.

Register with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, NetArg, XlsxOpt, emit, err, guarded, load
from chainlab.cli.kit import out as console
from chainlab.models import SiteKind, SiteStatus, ValidationError
from chainlab.solver.options import Unmet

#: explain every decision by default when at most this many sites are decided
AUTO_EXPLAIN = 5


@guarded
def design_command(
    net: NetArg,
    backend: Annotated[str | None, typer.Option(
        "--backend", help="solver backend (highs, ortools-highs, ortools-scip, pulp-cbc, "
                          "pulp-highs)")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.001,
        help="seconds the solver may take; the best design found is kept")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="folder for the design's tables")
                   ] = None,
    xlsx: XlsxOpt = None,
    as_json: JsonOpt = False,
    gap: Annotated[float | None, typer.Option(
        "--gap", min=0.0, max=0.999, help="relative MIP gap at which to stop (default 1e-4)")
    ] = None,
    single_source: Annotated[bool, typer.Option(
        "--single-source", help="each customer served by exactly one site")] = False,
    close_existing: Annotated[bool, typer.Option(
        "--close-existing", help="existing plants and DCs may close too")] = False,
    force_open: Annotated[list[str] | None, typer.Option(
        "--force-open", help="a site that must be open (repeatable)")] = None,
    force_closed: Annotated[list[str] | None, typer.Option(
        "--force-closed", help="a site that must be closed (repeatable)")] = None,
    min_open: Annotated[int | None, typer.Option(
        "--min-open", min=0, help="at least this many decided sites open")] = None,
    max_open: Annotated[int | None, typer.Option(
        "--max-open", min=0, help="at most this many decided sites open")] = None,
    max_distance_km: Annotated[float | None, typer.Option(
        "--max-distance-km", min=0.0,
        help="longest lane (great-circle km) that may serve a customer")
    ] = None,
    max_lead_time_days: Annotated[float | None, typer.Option(
        "--max-lead-time-days", min=0.0,
        help="slowest lane (days) that may serve a customer")] = None,
    aggregate: Annotated[bool, typer.Option(
        "--aggregate", help="one bucket for the whole horizon (annualised, faster)")] = False,
    levels: Annotated[Path | None, typer.Option(
        "--levels", help="CSV of DC capacity levels: site, level, capacity, fixed_cost, "
                         "open_cost")] = None,
    unmet: Annotated[Unmet | None, typer.Option(
        "--unmet", help="unmet demand: backlog (default), lost or none (all demand met)")
    ] = None,
    explain: Annotated[bool | None, typer.Option(
        "--explain/--no-explain", help="re-solve with each decision reversed to price it "
                                       f"(default: when at most {AUTO_EXPLAIN} are decided)")
    ] = None,
):
    """Network design: which sites to open or close, who serves whom, at what cost."""
    from chainlab.solver import DesignOptions, design, explain_design

    network = load(net)
    changes = {"backend": backend, "time_limit": time_limit, "gap": gap, "unmet": unmet}
    changes = {k: v for k, v in changes.items() if v is not None}
    try:
        options = DesignOptions(
            sourcing="single" if single_source else "multi",
            horizon="aggregate" if aggregate else "periods",
            close_existing=close_existing, force_open=tuple(force_open or ()),
            force_closed=tuple(force_closed or ()), min_open=min_open, max_open=max_open,
            max_distance_km=max_distance_km, max_lead_time_days=max_lead_time_days,
            levels=levels).replace(**changes)
    except (ValueError, TypeError) as e:
        raise ValidationError(str(e)) from None

    status = None if as_json else err.status("design: preparing", spinner="dots")

    def progress(p):
        if status is None:
            return
        text = f"design: {p.phase}, {p.elapsed:,.1f} s"
        if p.incumbent is not None:
            text += f", best {p.incumbent:,.2f}"
        if p.bound is not None:
            text += f", bound {p.bound:,.2f}"
        status.update(text)

    if status is not None:
        status.start()
    try:
        d = design(network, options, progress=progress)
        n_decided = int((d.sites["decided"] & (d.sites["forced"] == "")).sum())
        do_explain = explain if explain is not None else n_decided <= AUTO_EXPLAIN
        explanations = []
        if do_explain and d.has_solution:
            if status is not None:
                status.update(f"design: pricing {n_decided} decision(s)")
            explanations = explain_design(d)
    finally:
        if status is not None:
            status.stop()
    result = d.summary() | {"explanations": [f.as_dict() for f in explanations]}
    if out is not None:
        d.to_folder(out)
        result["out"] = str(out)
    if xlsx is not None:
        d.to_excel(xlsx)
        result["xlsx"] = str(xlsx)
    if as_json:
        emit(result)
    else:
        _print(d, explanations, out)
        if xlsx is not None:
            console.print(f"workbook written to {xlsx}", highlight=False)
    if not d.has_solution:
        if not as_json:
            what = "is infeasible" if d.status.value == "infeasible" else \
                f"has no solution ({d.status.value}: {d.detail})"
            err.print(f"[bold red]error:[/] the design of {network.name} {what}",
                      markup=True, highlight=False)
        raise typer.Exit(1)


def _print(d, explanations, out) -> None:
    console.print(f"[bold]design of {d.network}[/]: {d.status.value}"
                  + (f", objective {d.objective:,.2f} {d.currency}" if d.objective is not None
                     else "")
                  + (f" (bound {d.bound:,.2f}, gap {d.gap:.4%})" if d.gap else "")
                  + f" — {d.backend}, build {d.build_seconds:.1f} s, "
                    f"solve {d.solve_seconds:.1f} s", highlight=False)
    if d.diagnosis is not None:
        console.print(str(d.diagnosis), highlight=False)
    if not d.has_solution:
        return
    if d.status.value == "feasible":
        console.print("not proven optimal: the solver stopped at its limit; a longer "
                      "--time-limit, a larger --gap or --aggregate may settle it", highlight=False)
    s = d.sites
    shown = s[s["decided"] | (s["level"] != "") | s["kind"].isin([SiteKind.PLANT, SiteKind.DC])]
    t = Table(title="sites")
    for c in ("site", "kind", "decision", "throughput", "peak", "customers", "fixed cost",
              "open cost"):
        t.add_column(c, justify="left" if c in ("site", "kind", "decision") else "right")
    for sid, r in shown.iterrows():
        t.add_row(sid, r.kind, _decision(r), f"{r.throughput:,.0f}",
                  "" if pd.isna(r.peak_utilisation) else f"{r.peak_utilisation:.0%}",
                  str(r.customers), f"{r.fixed_cost:,.0f}", f"{r.open_cost:,.0f}")
    console.print(t)
    horizon = f"{d.net.calendar.periods} {d.net.calendar.bucket}s"
    if d.calendar.periods != d.net.calendar.periods:
        horizon += " as one bucket"
    c = Table(title=f"costs ({d.currency}, {horizon})")
    c.add_column("category")
    c.add_column("cost", justify="right")
    for k, v in d.costs.items():
        if abs(v) > 1e-9:
            c.add_row(k, f"{v:,.2f}")
    c.add_row("[bold]total[/]", f"[bold]{d.objective:,.2f}[/]")
    console.print(c)
    for f in explanations:
        console.print(f"why: {f}", highlight=False)
    if out is not None:
        console.print(f"written to {out}", highlight=False)


def _decision(r) -> str:
    """What the design does with a site: opened / not opened (candidates), kept / closed."""
    if r.status == SiteStatus.CANDIDATE:
        text = "opened" if r.open else "not opened"
    else:
        text = "kept" if r.open else "closed"
    if r.level:
        text += f" at {r.level}"
    return text + (" (forced)" if r.forced else "")


def register(app: typer.Typer) -> None:
    """Add ``design`` to a typer app."""
    app.command("design")(design_command)


__all__ = ["AUTO_EXPLAIN", "design_command", "register"]
