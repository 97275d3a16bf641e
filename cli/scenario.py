"""``chainlab scenario run|compare|reproduce``: what-if scenarios (CONTRACTS §3, §6).

- ``scenario run FILE... [--out DIR] [--cluster ADDRESS] [--workers N] [--replications N]
  [--seed S] [--json]`` runs scenario files (demand model -> overrides -> plan -> simulation)
  on a local process pool, or on the Dask cluster at ``--cluster`` / ``CHAINLAB_DASK_SCHEDULER``,
  and stores each run in its own folder under ``--out``. ``--json``: ``runs`` [{scenario, dir,
  kpis, plan, seed, replications, seconds}].
- ``scenario compare DIR... [--baseline NAME] [--html FILE] [--json]`` compares runs (run
  folders, or the ``--out`` folder holding them): KPIs with deltas against the baseline and
  intervals of the differences, costs by category, plan changes; ``--html`` writes the
  self-contained report. ``--json``: ``baseline``, ``rows`` [{scenario, kpi, value, delta,
  ci_low, ci_high, ...}].
- ``scenario reproduce RUN [--out DIR] [--json]`` runs a stored run again from its manifest and
  says whether the numbers are the same.

Progress (per scenario: phase, then replications) goes to stderr. Register with
:func:`register` (``register(app)`` in :mod:`chainlab.cli.app`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import (
    JsonOpt,
    ScenarioProgress,
    XlsxOpt,
    emit,
    err,
    guarded,
    money_text,
    print_comparison,
    share_text,
)
from chainlab.cli.kit import out as console

scenario_app = typer.Typer(no_args_is_help=True, add_completion=False,
                           help="What-if scenarios: run scenario files, compare the runs.")

OutOpt = Annotated[Path, typer.Option("--out", help="folder of the run folders")]
ClusterOpt = Annotated[str | None, typer.Option(
    "--cluster", envvar="CHAINLAB_DASK_SCHEDULER", show_envvar=True,
    help="Dask scheduler address (tcp://host:8786); default: a local process pool")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="local worker processes (default: the number of cores; 1 runs "
                             "everything in this process)")]
RepOpt = Annotated[int | None, typer.Option(
    "--replications", "-n", min=1, help="replications of every scenario (default: each "
                                         "file's simulate.replications)")]
SeedOpt = Annotated[int | None, typer.Option(
    "--seed", min=0, help="seed of every scenario (default: each file's simulate.seed); one "
                          "seed for all pairs their differences on common random numbers")]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="solver backend")]
TimeOpt = Annotated[float | None, typer.Option("--time-limit", min=0.001,
                                               help="solver seconds per plan")]
GapOpt = Annotated[float | None, typer.Option("--gap", min=0, max=0.99,
                                              help="relative MIP gap at which a plan stops")]

DEFAULT_OUT = Path("scenario-runs")


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` group to the ``chainlab`` app."""
    app.add_typer(scenario_app, name="scenario")


# ---------------------------------------------------------------- run


@scenario_app.command("run")
@guarded
def run_command(
        files: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
        out: OutOpt = DEFAULT_OUT, cluster: ClusterOpt = None, workers: WorkersOpt = None,
        replications: RepOpt = None, seed: SeedOpt = None, backend: BackendOpt = None,
        time_limit: TimeOpt = None, gap: GapOpt = None, as_json: JsonOpt = False):
    """Run what-if scenario files: demand model, overrides, plan, simulation; each run stored
    in its own folder under --out with a manifest to reproduce it."""
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import RunOptions, ScenariosFailed, run

    options = RunOptions(replications=replications, seed=seed, backend=backend,
                         time_limit=time_limit, gap=gap)
    with open_pool(cluster, workers) as pool:
        if not as_json:
            err.print(f"running {len(files)} scenario(s) on {pool.describe()} into {out}",
                      highlight=False)
        try:
            with ScenarioProgress(err) as progress:
                runs = run(files, out, pool=pool, options=options, progress=progress)
            failures = {}
        except ScenariosFailed as e:
            runs, failures = e.completed, e.failures
    if as_json:
        obj = {"runs": [r.as_dict() for r in runs], "out": str(out),
               "executor": pool.as_dict()}
        if failures:
            obj["errors"] = [{"scenario": n, "error": str(x)} for n, x in failures.items()]
        emit(obj)
    else:
        _print_runs(runs)
        for name, x in failures.items():
            err.print(f"[bold red]error:[/] {name}: {x}", highlight=False)
        if len(runs) > 1:
            err.print(f"compare them: chainlab scenario compare {out} --html report.html",
                      highlight=False)
    if failures:
        raise typer.Exit(1)


def _print_runs(runs) -> None:
    t = Table(title="scenario runs")
    for c in ("scenario", "plan", "objective", "fill rate [95% CI]", "total cost [95% CI]",
              "seconds", "folder"):
        t.add_column(c, justify="right" if c in ("objective", "seconds") else "left")
    for r in runs:
        m = r.manifest
        k = m["kpis"]
        fr, tc = k["fill_rate"], k["total_cost"]
        share, money = share_text, money_text
        t.add_row(r.scenario, m["plan"]["status"], money(m["plan"]["objective"]),
                  f"{share(fr['mean'])} [{share(fr['ci_low'])}, {share(fr['ci_high'])}]",
                  f"{money(tc['mean'])} [{money(tc['ci_low'])}, {money(tc['ci_high'])}]",
                  f"{m['timings']['total']:.1f}", str(r.path))
    console.print(t)


# ---------------------------------------------------------------- compare


@scenario_app.command("compare")
@guarded
def compare_command(
        dirs: Annotated[list[Path], typer.Argument(
            help="run folders, or folders holding them (the --out of scenario run)")],
        baseline: Annotated[str | None, typer.Option(
            "--baseline", help="scenario the others are compared with (default: the one "
                               "named baseline, else the first)")] = None,
        html: Annotated[Path | None, typer.Option(
            "--html", help="write the self-contained HTML report here")] = None,
        xlsx: XlsxOpt = None, as_json: JsonOpt = False):
    """Compare scenario runs: KPIs with deltas against the baseline and confidence intervals
    of the differences (paired on common random numbers), costs, plan changes."""
    from chainlab.scenarios.compare import compare

    c = compare(dirs, baseline)
    if html is not None:
        from chainlab.scenarios.report import write_report

        write_report(c, html)
    if xlsx is not None:
        c.to_excel(xlsx)
    if as_json:
        obj = c.as_dict()
        if html is not None:
            obj["html"] = str(html)
        if xlsx is not None:
            obj["xlsx"] = str(xlsx)
        emit(obj)
        return
    print_comparison(c)
    if html is not None:
        err.print(f"report written to {html}", highlight=False)
    if xlsx is not None:
        err.print(f"workbook written to {xlsx}", highlight=False)


# ---------------------------------------------------------------- reproduce


@scenario_app.command("reproduce")
@guarded
def reproduce_command(
        run_dir: Annotated[Path, typer.Argument(help="a run folder")],
        out: OutOpt = DEFAULT_OUT, cluster: ClusterOpt = None, workers: WorkersOpt = None,
        as_json: JsonOpt = False):
    """Run a stored run again from its manifest (same inputs, seed, replications, solver
    options) and check that the numbers are the same, bit for bit."""
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import reproduce, same_numbers
    from chainlab.scenarios.store import open_run

    old = open_run(run_dir)
    with open_pool(cluster, workers) as pool, ScenarioProgress(err, quiet=as_json) as progress:
        new = reproduce(old.path, out, pool=pool, progress=progress)
    diffs = same_numbers(old, open_run(new.path))
    if as_json:
        emit({"run": str(old.path), "dir": str(new.path), "identical": not diffs,
              "differences": diffs})
    elif diffs:
        console.print(f"[red]not identical[/] to {old.path}: " + "; ".join(diffs),
                      highlight=False)
    else:
        console.print(f"[green]identical[/]: {new.path} has the numbers of {old.path}, bit "
                      f"for bit", highlight=False)
    if diffs:
        raise typer.Exit(1)
