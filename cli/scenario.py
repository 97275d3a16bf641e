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
:func:`register` (``register(app)`` in ``api/cli.py``).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Annotated

import typer

scenario_app = typer.Typer(no_args_is_help=True, add_completion=False,
                           help="What-if scenarios: run scenario files, compare the runs.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]
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


def _guarded(fn):
    """``api.cli.guarded``, looked up when the command runs (api.cli imports this module)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from chainlab.cli.app import guarded
        return guarded(fn)(*args, **kwargs)

    return wrapper


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` group to the ``chainlab`` app."""
    app.add_typer(scenario_app, name="scenario")


# ---------------------------------------------------------------- progress


class Progress:
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
        self._bar = None
        self._all = None

    def __enter__(self) -> Progress:
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
            self._all = self._bar.add_task("[bold]all scenarios", total=0)
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


# ---------------------------------------------------------------- run


@scenario_app.command("run")
@_guarded
def run_command(
        files: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
        out: OutOpt = DEFAULT_OUT, cluster: ClusterOpt = None, workers: WorkersOpt = None,
        replications: RepOpt = None, seed: SeedOpt = None, backend: BackendOpt = None,
        time_limit: TimeOpt = None, gap: GapOpt = None, as_json: JsonOpt = False):
    """Run what-if scenario files: demand model, overrides, plan, simulation; each run stored
    in its own folder under --out with a manifest to reproduce it."""
    from chainlab.cli.app import emit, err
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import RunOptions, ScenariosFailed, run

    options = RunOptions(replications=replications, seed=seed, backend=backend,
                         time_limit=time_limit, gap=gap)
    with open_pool(cluster, workers) as pool:
        if not as_json:
            err.print(f"running {len(files)} scenario(s) on {pool.describe()} into {out}",
                      highlight=False)
        try:
            with Progress(err) as progress:
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
    from rich.table import Table

    from chainlab.cli.app import out as console

    t = Table(title="scenario runs")
    for c in ("scenario", "plan", "objective", "fill rate [95% CI]", "total cost [95% CI]",
              "seconds", "folder"):
        t.add_column(c, justify="right" if c in ("objective", "seconds") else "left")
    for r in runs:
        m = r.manifest
        k = m["kpis"]
        fr, tc = k["fill_rate"], k["total_cost"]
        t.add_row(r.scenario, m["plan"]["status"], _money(m["plan"]["objective"]),
                  f"{_share(fr['mean'])} [{_share(fr['ci_low'])}, {_share(fr['ci_high'])}]",
                  f"{_money(tc['mean'])} [{_money(tc['ci_low'])}, {_money(tc['ci_high'])}]",
                  f"{m['timings']['total']:.1f}", str(r.path))
    console.print(t)


def _share(v) -> str:
    return "-" if v is None or v != v else f"{v:.3f}"


def _money(v) -> str:
    return "-" if v is None or v != v else f"{v:,.0f}"


# ---------------------------------------------------------------- compare


@scenario_app.command("compare")
@_guarded
def compare_command(
        dirs: Annotated[list[Path], typer.Argument(
            help="run folders, or folders holding them (the --out of scenario run)")],
        baseline: Annotated[str | None, typer.Option(
            "--baseline", help="scenario the others are compared with (default: the one "
                               "named baseline, else the first)")] = None,
        html: Annotated[Path | None, typer.Option(
            "--html", help="write the self-contained HTML report here")] = None,
        as_json: JsonOpt = False):
    """Compare scenario runs: KPIs with deltas against the baseline and confidence intervals
    of the differences (paired on common random numbers), costs, plan changes."""
    from chainlab.cli.app import emit
    from chainlab.scenarios.compare import compare

    c = compare(dirs, baseline)
    if html is not None:
        from chainlab.scenarios.report import write_report

        write_report(c, html)
    if as_json:
        obj = c.as_dict()
        if html is not None:
            obj["html"] = str(html)
        emit(obj)
        return
    print_comparison(c)
    if html is not None:
        from chainlab.cli.app import err

        err.print(f"report written to {html}", highlight=False)


def print_comparison(c, kpis=None) -> None:
    """The comparison as rich tables on stdout: KPIs with deltas and intervals, plan changes."""
    from rich.table import Table

    from chainlab.cli.app import out as console
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
        fmt = (lambda v: _share(v)) if share else (lambda v: _money(v))
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
    console.print(t)
    counts = c.change_counts()
    if len(c.scenarios) > 1:
        t2 = Table(title=f"plan orders vs {c.baseline}")
        for col in ("scenario", "plan", "objective", "added", "removed", "moved", "resized",
                    "net units"):
            t2.add_column(col, justify="left" if col in ("scenario", "plan") else "right")
        for s in c.scenarios:
            p = c.plans.loc[s]
            n = counts.loc[s]
            t2.add_row(s, str(p["status"]), _money(p["objective"]), *(
                str(int(n[x])) for x in ("added", "removed", "moved", "resized")),
                f"{n['units_net']:+,.0f}")
        console.print(t2)
    for note in c.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


# ---------------------------------------------------------------- reproduce


@scenario_app.command("reproduce")
@_guarded
def reproduce_command(
        run_dir: Annotated[Path, typer.Argument(help="a run folder")],
        out: OutOpt = DEFAULT_OUT, cluster: ClusterOpt = None, workers: WorkersOpt = None,
        as_json: JsonOpt = False):
    """Run a stored run again from its manifest (same inputs, seed, replications, solver
    options) and check that the numbers are the same, bit for bit."""
    from chainlab.cli.app import emit, err
    from chainlab.cli.app import out as console
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import reproduce, same_numbers
    from chainlab.scenarios.store import open_run

    old = open_run(run_dir)
    with open_pool(cluster, workers) as pool, Progress(err, quiet=as_json) as progress:
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
