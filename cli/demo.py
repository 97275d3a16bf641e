"""``chainlab demo [--out DIR]``: the whole pipeline on the bundled example, with the embedded
defaults (a local process pool, HiGHS, a SQLite ledger).

1. validate the Acme network (``scenarios/examples/acme``);
2. fit the demand model on its CRM data (order history and pipeline);
3. run four scenarios side by side, each plan -> simulation: the baseline and three bundled
   what-ifs (a demand surge in the East, a three-week outage of PLANT2, opening the candidate
   DC_MOUNTAIN), all with the same seed, so their differences are paired; record them as done
   scenario jobs, so that ``chainlab serve --database-url sqlite:///OUT/ledger.db`` lists
   and compares them (``GET /v1/scenarios``);
4. compare them (KPIs with deltas and intervals of the differences, plan changes) and write the
   HTML report;
5. choose the plan to publish: of the two decisions (keep the network, or open DC_MOUNTAIN),
   the one with the lower simulated total cost; the surge and the outage are risks to watch;
6. publish it to a SQLite ledger in ``--out``;
7. ask the ledger a few available-to-promise questions and make one promise (when the ledger
   has ATP; skipped otherwise).

Everything goes to ``--out`` (default ``./chainlab-out``): ``network/``, ``runs/`` (one folder
per scenario), ``scenarios/`` (their jobs, where the API looks beside ``ledger.db``),
``report.html``, ``ledger.db``. Run again into the same folder, the demo adds new run folders
and its jobs point at them (its earlier jobs are replaced, not added to).
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from chainlab.cli.kit import (
    JsonOpt,
    ScenarioProgress,
    emit,
    err,
    guarded,
    out,
    print_comparison,
    print_report,
    summary_table,
)
from chainlab.models import ValidationError, check

DEMO_SCENARIOS = ("baseline", "surge-east", "plant2-outage", "open-dc-mountain")
#: the scenarios that are decisions (the others are risks)
DECISIONS = ("baseline", "open-dc-mountain")


@guarded
def demo_command(
        out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path(
            "chainlab-out"),
        replications: Annotated[int, typer.Option("--replications", "-n", min=2,
                                                  help="replications per scenario")] = 20,
        workers: Annotated[int | None, typer.Option(
            "--workers", min=1, help="local worker processes (default: the cores)")] = None,
        as_json: JsonOpt = False):
    """The whole pipeline on the bundled example: validate, demand from the CRM, plan and
    simulate the baseline and three what-ifs (demand surge, plant outage, new DC), compare
    them (report.html), publish the chosen plan to a SQLite ledger, check ATP and promise."""
    result = run_demo(out_dir, replications=replications, workers=workers, as_json=as_json)
    if as_json:
        emit(result)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to a typer app."""
    app.command("demo")(demo_command)


def run_demo(out_dir: Path, replications: int = 20, workers: int | None = None,
             as_json: bool = False) -> dict:
    """Run the demo; print its summaries (unless ``as_json``) and return its JSON object."""
    from chainlab.scenarios import EXAMPLES, spec
    from chainlab.scenarios.compare import compare
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.jobs import record_runs
    from chainlab.scenarios.report import write_report
    from chainlab.scenarios.run import InputCache, RunOptions, run

    t0 = time.perf_counter()
    say = (lambda *a, **k: None) if as_json else out.print
    result: dict = {"out": str(out_dir)}
    out_dir.mkdir(parents=True, exist_ok=True)
    step = _Steps(say)

    # 1. validate
    step("validate the example network", EXAMPLES / "acme")
    report = check(EXAMPLES / "acme")
    if not report.valid:
        raise ValidationError(report.errors)
    files = [EXAMPLES / f"{name}.yaml" for name in DEMO_SCENARIOS]
    scenarios = [spec.load(f) for f in files]
    cache = InputCache()
    net, _ = cache.base(scenarios[0])
    net.to_folder(out_dir / "network")
    result["network"] = net.summary()
    result["valid"] = True
    if not as_json:
        print_report(report, "acme")
        out.print(summary_table(net.summary(), f"network {net.name}"))

    # 2. demand from the CRM
    step("fit the demand model on the CRM data", scenarios[0].crm)
    model, _, seconds = cache.demand(scenarios[0], net)
    s = model.summary()
    result["demand"] = {k: s[k] for k in ("total_expected", "components", "stage_win_rates",
                                          "pairs", "periods")}
    if not as_json:
        t = Table(title=f"demand model ({seconds:.1f} s): {s['pairs']} customer x product "
                        f"pairs, {s['periods']} weeks from {s['origin']}")
        t.add_column("part")
        t.add_column("expected units", justify="right")
        for k, v in s["components"].items():
            t.add_row(k.replace("_", " "), f"{v:,.0f}")
        t.add_row("[bold]total", f"[bold]{s['total_expected']:,.0f}")
        out.print(t)
        rates = ", ".join(f"{k} {v:.0%}" for k, v in s["stage_win_rates"].items())
        out.print(f"pipeline stage win rates (calibrated on closed opportunities): {rates}",
                  highlight=False)

    # 3. scenarios: plan -> simulation, side by side
    step(f"plan and simulate {len(files)} scenarios ({replications} replications each, "
         f"seed {scenarios[0].simulate.seed})", out_dir / "runs")
    with open_pool(workers=workers) as pool:
        if not as_json:
            err.print(f"on {pool.describe()}", highlight=False)
        with ScenarioProgress(err, quiet=as_json) as progress:
            runs = run(files, out_dir / "runs", pool=pool, cache=cache, progress=progress,
                       options=RunOptions(replications=replications))
    by_name = {r.scenario: r for r in runs}
    base = by_name["baseline"]
    result["runs"] = [r.as_dict() for r in runs]
    jobs = record_runs(out_dir / "scenarios", runs, source="chainlab demo")
    result["jobs"] = {"dir": str(out_dir / "scenarios"), "ids": [j.id for j in jobs]}
    if not as_json:
        _print_baseline(base, out)

    # 4. compare, report
    step("compare the scenarios", out_dir / "report.html")
    comparison = compare([r.path for r in runs], baseline="baseline")
    html = write_report(comparison, out_dir / "report.html",
                        title="chainlab demo: Acme what-if scenarios")
    result["report"] = str(html)
    result["comparison"] = comparison.as_dict()
    if not as_json:
        print_comparison(comparison, kpis=("fill_rate", "otif", "backorders", "avg_inventory",
                                           "total_cost"))

    # 5. choose
    cost = {n: by_name[n].manifest["kpis"]["total_cost"]["mean"] for n in DECISIONS}
    chosen = min(DECISIONS, key=lambda n: cost[n])
    rows = comparison.rows.set_index(["scenario", "kpi"])
    other = next(n for n in DECISIONS if n != chosen)
    d = rows.loc[("open-dc-mountain", "total_cost")]
    why = (f"open-dc-mountain changes the simulated total cost by {d['delta']:+,.0f} "
           f"[{d['ci_low']:+,.0f}, {d['ci_high']:+,.0f}] {comparison.currency} against the "
           f"baseline; {chosen} is the cheaper decision")
    risks = []
    for n in ("surge-east", "plant2-outage"):
        f = rows.loc[(n, "fill_rate")]
        c = rows.loc[(n, "total_cost")]
        risks.append(f"{n} (planned for) changes the fill rate by {f['delta']:+.3f} "
                     f"[{f['ci_low']:+.3f}, {f['ci_high']:+.3f}] and the total cost by "
                     f"{c['delta']:+,.0f}")
    result["chosen"] = {"scenario": chosen, "rejected": other, "why": why, "risks": risks}
    if not as_json:
        out.print(Panel(f"[bold]publish {chosen}[/]: {why}.\nthe risks: " + "; ".join(risks),
                        title="decision", expand=False), highlight=False)

    # 6. publish
    step(f"publish the {chosen} plan to the ledger", out_dir / "ledger.db")
    from chainlab.ledger import Ledger

    chosen_net = cache.network(next(s for s in scenarios if s.name == chosen))
    url = f"sqlite:///{(out_dir / 'ledger.db').resolve()}"
    with Ledger(url, upgrade=True) as led:
        pub = led.publish(by_name[chosen].path / "plan", network=chosen_net,
                          name=f"demo: {chosen}", source=str(by_name[chosen].path))
        result["publish"] = pub.as_dict() | {"database_url": url}
        say(f"plan version [bold]{pub.plan_version}[/] is current: {pub.orders:,} planned "
            f"orders ({'new' if pub.created else 'already published'})", highlight=False)

        # 7. ATP and a promise
        step("available to promise, and one promise", None)
        result["atp"] = _atp(led, chosen_net, say, out, as_json)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    say(f"\n[bold green]done[/] in {result['seconds']:.0f} s; everything is in {out_dir}: "
        f"report.html (open it in a browser), runs/, scenarios/, ledger.db, network/; "
        f"`chainlab serve --database-url {url}` serves the ledger and these scenario runs",
        highlight=False)
    return result


class _Steps:
    def __init__(self, say):
        self.say = say
        self.n = 0
        self.t0 = time.perf_counter()

    def __call__(self, what: str, where) -> None:
        self.n += 1
        tail = f" [dim]({where})[/]" if where else ""
        self.say(f"\n[bold cyan]{self.n}.[/] [bold]{what}[/]{tail} "
                 f"[dim]+{time.perf_counter() - self.t0:.0f} s[/]", highlight=False)


def _print_baseline(base, out) -> None:
    m = base.manifest
    p = m["plan"]
    t = Table(title=f"baseline plan: {p['status']}, objective {p['objective']:,.0f} "
                    f"(gap {p['gap'] or 0:.2%}, {p['solve_seconds']:.1f} s with {p['backend']})")
    t.add_column("cost category")
    t.add_column("planned", justify="right")
    for k, v in p["costs"].items():
        if abs(v) > 1e-6:
            t.add_row(k.replace("_", " "), f"{v:,.0f}")
    out.print(t)
    k = m["kpis"]
    t = Table(title=f"the baseline plan executed under random demand: {m['replications']} "
                    f"replications, seed {m['seed']}")
    for c in ("KPI", "mean", "95% CI"):
        t.add_column(c, justify="left" if c == "KPI" else "right")
    for name in ("fill_rate", "otif", "backorders", "avg_inventory", "total_cost"):
        v = k[name]
        f = (lambda x: f"{x:.3f}") if v["unit"] == "share" else (lambda x: f"{x:,.0f}")
        t.add_row(name.replace("_", " "), f(v["mean"]), f"[{f(v['ci_low'])}, {f(v['ci_high'])}]")
    out.print(t)


def _atp(led, net, say, out, as_json) -> dict:
    """A few ATP checks (the largest customer x product demands of the first weeks) and one
    promise; skipped when the ledger has no ATP."""
    try:
        from chainlab.ledger.promising import LineRequest, PromiseConflict, PromiseRequest
    except ImportError:
        say("[yellow]skipped:[/] this ledger has no available-to-promise yet")
        return {"skipped": "the ledger has no ATP"}
    if not hasattr(led, "check") or not hasattr(led, "promise"):
        say("[yellow]skipped:[/] this ledger has no available-to-promise yet")
        return {"skipped": "the ledger has no ATP"}
    cal = net.calendar
    today = cal.start
    demand = net.demand_by_period().reset_index()
    first = demand[demand["period"] < 4].groupby(["customer", "product"])["quantity"].sum()
    picks = first.sort_values(ascending=False).head(3)
    checks = []
    t = Table(title=f"available to promise (as of {today}; nothing reserved)")
    for c in ("customer", "product", "asked", "by", "promised", "date", "from", "kind"):
        t.add_column(c, justify="right" if c in ("asked", "promised") else "left")
    reasons = []
    for (customer, product), q in picks.items():
        qty = Decimal(int(max(10, round(q / 2, -1))))
        when = today + dt.timedelta(days=14)
        req = PromiseRequest(customer=customer, lines=(LineRequest(product, qty, when),),
                             allow_partial=True)
        ans = led.check(req, today=today)
        ln = ans.lines[0]
        part = ln.promised[0] if ln.promised else None
        checks.append(ln.as_dict() | {"customer": customer})
        t.add_row(customer, product, f"{qty:,}", str(when), f"{ln.promised_quantity:,}",
                  str(ln.date or "-"), part.source if part else "-",
                  part.kind.value if part else "-")
        reasons.append(f"{customer}/{product}: {_short(ln.reason)}")
    if not as_json:
        out.print(t)
        for r in reasons:
            out.print(f"  why {r}", highlight=False)
    customer, product = picks.index[0]
    qty = Decimal(int(max(10, round(picks.iloc[0] / 4, -1))))
    req = PromiseRequest(customer=customer, lines=(LineRequest(product, qty, today +
                                                               dt.timedelta(days=21)),),
                         allow_partial=True, reference="chainlab demo")
    try:
        rec = led.promise(req, actor="chainlab demo", today=today)
        promise = rec.as_dict()
        ln = rec.lines[0]
        say(f"promise [bold]{rec.id}[/] to {customer}: {ln.promised_quantity:,} x {product} on "
            f"{ln.date} ({rec.status.value}): {_short(ln.reason)}", highlight=False)
    except PromiseConflict as e:
        promise = {"conflict": str(e)}
        say(f"no promise to {customer}: {e}", highlight=False)
    return {"checks": checks, "promise": promise}


def _short(reason: str, limit: int = 240) -> str:
    """A reason cut at a clause boundary near ``limit`` characters."""
    if len(reason) <= limit:
        return reason
    cut = reason.rfind(";", 0, limit)
    return reason[:cut if cut > 0 else limit] + " ..."
