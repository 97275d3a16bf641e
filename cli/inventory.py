"""``chainlab inventory optimize NET [--service 0.95] [--measure alpha|beta]
[--method single|gsm|ssm] [--crm CRM] [--calibrate N] [--replications N] [--seed S]
[--out DIR] [--json]``: safety stock and policy parameters from a service target.
``--calibrate`` (default 2; 0 sizes on the lanes' lead times alone) simulates the network that
many times to measure replenishment times (``single``, ``gsm``).

Writes ``DIR/inventory.csv`` (the network's ``inventory.csv`` with new policies and safety
stocks, same columns), ``DIR/report.csv`` (per stock point: demand, replenishment time
protected, level before and after, safety stock, service, and why) and ``DIR/summary.json``.
``--json`` prints one object: ``method``, ``measure``, ``service``, ``stock_points``,
``safety_stock_cost``, ``safety_stock_units``, ``stock`` [{site, product, policy, level,
safety_stock, why}] and ``out``.

Register with :func:`register`.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, NetArg, emit, err, guarded, load
from chainlab.cli.kit import out as console

inventory_app = typer.Typer(no_args_is_help=True, add_completion=False,
                            help="Inventory optimization: policies from service targets.")

ServiceOpt = Annotated[float, typer.Option("--service", min=0.0001, max=0.9999,
                                           help="service target, e.g. 0.95")]
MeasureOpt = Annotated[str, typer.Option(
    "--measure", help="alpha (cycle service level) or beta (fill rate)")]
MethodOpt = Annotated[str, typer.Option(
    "--method", help="single (each stock point), gsm (guaranteed service on a spanning tree) "
                     "or ssm (stochastic service, serial / distribution heuristic)")]
CrmOpt = Annotated[Path | None, typer.Option(
    "--crm", help="CRM folder: demand from the CRM demand model (forecast and its error)")]
CalOpt = Annotated[int, typer.Option(
    "--calibrate", min=0, max=5, help="rounds of simulation that measure replenishment times "
                                      "(single, gsm): needed where plants make to order")]
RepOpt = Annotated[int, typer.Option("--replications", "-n", min=1,
                                     help="replications of each calibration round")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="root seed")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="folder for inventory.csv, report.csv and summary.json")]


def register(app: typer.Typer) -> None:
    """Add the ``inventory`` group to the ``chainlab`` app."""
    app.add_typer(inventory_app, name="inventory")


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}",
                                 param_hint=option)
    return value


@inventory_app.command("optimize")
@guarded
def optimize_command(net: NetArg, service: ServiceOpt = 0.95, measure: MeasureOpt = "beta",
                     method: MethodOpt = "single", crm: CrmOpt = None, calibrate: CalOpt = 2,
                     replications: RepOpt = 8, seed: SeedOpt = 0, out: OutOpt = None,
                     as_json: JsonOpt = False):
    """New inventory.csv policies for a service target, and where stock sits and why."""
    from chainlab.scenarios.inventory import optimize_calibrated
    from chainlab.simulation import SimOptions

    _choice(measure, ("alpha", "beta"), "--measure")
    _choice(method, ("single", "gsm", "ssm"), "--method")
    network = load(net)
    demand = None
    if crm is not None:
        from chainlab.models.crm import load_crm
        from chainlab.models.demand import DemandModel

        if not as_json:
            err.print(f"fitting the demand model on {crm} ...", highlight=False)
        demand = DemandModel.fit(load_crm(crm, network), network)
    if calibrate and not as_json:
        err.print(f"calibrating on {calibrate} round(s) of {replications} replications ...",
                  highlight=False)
    result = optimize_calibrated(
        network, service, measure, method, demand, rounds=calibrate, seed=seed,
        options=SimOptions(replications=replications, seed=seed, warmup_days=28))
    obj = dict(result.facts)
    rep = result.report
    obj["stock"] = [{"site": s, "product": p, "policy": r["policy"],
                     "level": _num(r["level"]), "safety_stock": _num(r["safety_stock"]),
                     "why": r["why"]} for (s, p), r in rep.iterrows()]
    if out is not None:
        _write(result, out)
        obj["out"] = str(out)
    if as_json:
        emit(obj)
        return
    _print(result, out)


def _num(v):
    v = float(v)
    return None if math.isnan(v) else round(v, 4)


def _write(result, out: Path) -> None:
    """inventory.csv (written by the network writer, so it reads back), report.csv and
    summary.json, all or nothing."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        folder = result.network.to_folder(Path(tmp) / "network")
        result.report.to_csv(Path(tmp) / "report.csv", lineterminator="\n")
        (Path(tmp) / "summary.json").write_text(json.dumps(result.facts, indent=2,
                                                           default=str) + "\n", encoding="utf-8")
        shutil.move(str(folder / "inventory.csv"), out / "inventory.csv")
        shutil.move(str(Path(tmp) / "report.csv"), out / "report.csv")
        shutil.move(str(Path(tmp) / "summary.json"), out / "summary.json")


def _print(result, out) -> None:
    f = result.facts
    t = Table(title=f"{result.network.name}: {f['method']}, {f['measure']} {f['service']:g} — "
                    f"safety stock {f['safety_stock_units']:,.0f} units, "
                    f"{f['safety_stock_cost']:,.2f} per period")
    for c in ("site", "product", "policy", "before", "level", "safety stock", "why"):
        t.add_column(c, justify="right" if c in ("before", "level", "safety stock") else "left")
    for (s, p), r in result.report.iterrows():
        before = "-" if math.isnan(r["level_before"]) else f"{r['level_before']:,.0f}"
        t.add_row(s, p, r["policy"], before, f"{r['level']:,.0f}", f"{r['safety_stock']:,.1f}",
                  r["why"])
    console.print(t)
    if f.get("dropped_arcs"):
        console.print(f"GSM spanning tree: {len(f['dropped_arcs'])} arc(s) left out, e.g. "
                      f"{f['dropped_arcs'][0]}", highlight=False)
    if out is not None:
        console.print(f"written {out}/inventory.csv, report.csv, summary.json", highlight=False)
