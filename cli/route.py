"""``chainlab route NET --site DC [--site DC2 ...] [--plan DIR] [--date D | --week W]
[--time-limit S] [--out DIR] [--json]``: vehicle routes for a DC's customer deliveries.

The deliveries are a plan's shipments from the DC to its customers in one bucket (``--date``:
the bucket that contains the date; ``--week``: the W-th bucket of a weekly calendar, from 1;
neither: the first bucket with deliveries from the DC), summed per customer. The plan is read
from ``--plan DIR`` (a folder of ``chainlab plan --out``) or made on the spot. Vehicles come
from the network's ``vehicles.csv`` or, for a DC without rows there, from the vehicle options.
Distances: great-circle km x ``--detour``; time in minutes.

``--out DIR`` writes per DC ``DIR/<DC>/``: ``routes.csv`` (route, vehicle type, stops, load,
distance km, start/end/duration minutes, cost), ``route_stops.csv``, ``routing.json``,
``problem.json`` (the stops and vehicles as plain data, for the independent checker) and
``routes.png`` (the map). Every solution is verified by the checker (``checked``). ``--json``
prints one object: ``status``, ``objective`` (total km), ``cost``, ``vehicles``, ``period``,
``date``, ``sites`` [{site, status, objective, cost, vehicles, stops, units, unserved,
checked, seconds, routes}]. Exit 1 when a DC's deliveries cannot all be routed.

Register with :func:`register`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, NetArg, emit, err, guarded, load
from chainlab.cli.kit import out as console
from chainlab.models import Issue, ValidationError

SiteOpt = Annotated[list[str], typer.Option("--site", help="DC to route from (repeatable)")]
PlanDirOpt = Annotated[Path | None, typer.Option(
    "--plan", help="plan folder from `chainlab plan --out` (default: plan now)")]
DateOpt = Annotated[str | None, typer.Option(
    "--date", help="route the deliveries of the bucket containing this ISO date")]
WeekOpt = Annotated[int | None, typer.Option(
    "--week", min=1, help="route the W-th bucket of a weekly calendar (from 1)")]
TimeOpt = Annotated[float, typer.Option("--time-limit", min=0.1,
                                        help="seconds of route search per DC")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="folder for routes, map, JSON")]


@guarded
def route_command(
        net: NetArg, site: SiteOpt, plan: PlanDirOpt = None, date: DateOpt = None,
        week: WeekOpt = None, time_limit: TimeOpt = 10.0, out: OutOpt = None,
        vehicles: Annotated[int, typer.Option("--vehicles", min=1, help=(
            "vehicles per DC without vehicles.csv rows"))] = 10,
        capacity: Annotated[float, typer.Option("--capacity", min=0.001, help=(
            "units per vehicle"))] = 2000.0,
        fixed_cost: Annotated[float, typer.Option("--fixed-cost", min=0, help=(
            "cost per vehicle used"))] = 0.0,
        cost_per_km: Annotated[float, typer.Option("--cost-per-km", min=0)] = 1.0,
        cost_per_hour: Annotated[float, typer.Option("--cost-per-hour", min=0)] = 0.0,
        speed: Annotated[float, typer.Option("--speed", min=0.1, help="km/h")] = 60.0,
        max_hours: Annotated[float | None, typer.Option("--max-hours", min=0.1, help=(
            "longest route (default: no limit)"))] = None,
        service_minutes: Annotated[float, typer.Option("--service-minutes", min=0, help=(
            "time at each stop"))] = 20.0,
        detour: Annotated[float, typer.Option("--detour", min=1.0, help=(
            "road km per great-circle km"))] = 1.2,
        as_json: JsonOpt = False):
    """Vehicle routes for DCs' customer deliveries of a plan: routes, load, distance, time and
    cost per route, and a map."""
    from chainlab.solver.routing import RoutingOptions, route
    from chainlab.solver.routing.check import check_routes
    from chainlab.solver.routing.deliveries import (
        VehicleSpec,
        dc_deliveries,
        delivery_problem,
        problem_data,
        read_vehicles,
    )
    from chainlab.solver.routing.plot import plot_routes

    if date is not None and week is not None:
        raise typer.BadParameter("give --date or --week, not both", param_hint="--date/--week")
    network = load(net)
    fleets = read_vehicles(net, network) if net.is_dir() else {}
    default = VehicleSpec("truck", vehicles, capacity, fixed_cost, cost_per_km, cost_per_hour,
                          speed, max_hours)
    shipments = _shipments(network, plan, as_json)
    cal = network.calendar
    period = _period(cal, date, week)
    results, worst = [], 0
    for dc in site:
        if dc not in network.sites.index or str(network.sites.loc[dc, "kind"]) != "dc":
            raise typer.BadParameter(f"{dc!r} is not a DC of {net}; DCs: "
                                     f"{', '.join(_dcs(network))}", param_hint="--site")
        t = period if period is not None else _first_period(network, shipments, dc)
        loads = dc_deliveries(network, shipments, dc, t) if t is not None else pd.Series(
            dtype=float)
        row = {"site": dc, "period": t, "date": None if t is None else
               str(cal.period_start(t)), "stops": int(len(loads)),
               "units": float(loads.sum())}
        if loads.empty:
            row.update(status="no_deliveries", objective=0.0, cost=0.0, vehicles=0,
                       unserved=[], checked=True, seconds=0.0, routes=[])
            results.append(row)
            continue
        problem = delivery_problem(network, dc, loads, fleets.get(dc, [default]),
                                   service_minutes, detour,
                                   name=f"{dc} {cal.bucket} of {cal.period_start(t)}")
        if not as_json:
            err.print(f"routing {len(problem.customers)} stops from {dc} "
                      f"({cal.bucket} of {cal.period_start(t)}), {time_limit:g} s ...",
                      highlight=False)
        res = route(problem, RoutingOptions(time_limit=time_limit))
        data = problem_data(problem)
        rep = check_routes(data, [(r.vehicle_type, [problem.ids[i] for i in r.stops])
                                  for r in res.routes], claimed_distance=res.objective)
        row.update(status=res.status.value, objective=res.objective, cost=res.cost,
                   vehicles=res.vehicles, unserved=[problem.ids[i] for i in res.unserved],
                   checked=rep.feasible if res.has_solution else None,
                   seconds=round(res.seconds, 3),
                   routes=res.routes_table().to_dict("records"))
        if not res.has_solution or not rep.feasible:
            worst = 1
            row["error"] = (f"checker: {rep}" if res.has_solution else
                            f"no routes for every stop ({res.status.value}); unserved: "
                            f"{', '.join(row['unserved'])}")
        if out is not None:
            folder = res.write(out / dc)
            (folder / "problem.json").write_text(json.dumps(data, indent=1) + "\n",
                                                 encoding="utf-8")
            png = plot_routes(problem, res, folder / "routes.png")
            row["out"] = str(folder)
            row["map"] = None if png is None else str(png)
        results.append(row)
    total = {"status": _overall(results), "objective": sum(r["objective"] or 0 for r in results),
             "cost": sum(r["cost"] or 0 for r in results),
             "vehicles": sum(r["vehicles"] or 0 for r in results), "period": period,
             "bucket": cal.bucket, "sites": results}
    if as_json:
        emit(total)
    else:
        _print(results)
    if worst:
        if not as_json:
            for r in results:
                if "error" in r:
                    err.print(f"[bold red]error:[/] {r['site']}: {r['error']}", markup=True,
                              highlight=False)
        raise typer.Exit(1)


def _dcs(network) -> list[str]:
    return list(network.sites.index[network.sites["kind"].astype(str) == "dc"])


def _shipments(network, plan_dir: Path | None, quiet: bool) -> pd.DataFrame:
    if plan_dir is not None:
        f = Path(plan_dir) / "shipments.csv"
        if not f.is_file():
            raise ValidationError([Issue(str(f), "no such file; give a plan folder written by "
                                         "`chainlab plan --out`")])
        return pd.read_csv(f)
    from chainlab.solver import plan

    if not quiet:
        err.print("planning (give --plan DIR to route a saved plan) ...")
    p = plan(network)
    if not p.has_solution:
        raise ValidationError([Issue(str(network.name), f"the plan has no solution "
                                                        f"({p.status.value}); nothing to route")])
    return p.shipments


def _period(cal, date: str | None, week: int | None) -> int | None:
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise typer.BadParameter(f"{date!r} is not an ISO date (YYYY-MM-DD)",
                                     param_hint="--date") from None
        t = int(cal.period_of([day])[0])
        if not 0 <= t < cal.periods:
            raise typer.BadParameter(f"{date} is outside the calendar ({cal.start} to "
                                     f"{cal.end})", param_hint="--date")
        return t
    if week is not None:
        if cal.bucket != "week":
            raise typer.BadParameter("needs a weekly calendar; use --date with a daily one",
                                     param_hint="--week")
        if week > cal.periods:
            raise typer.BadParameter(f"{week}: the calendar has {cal.periods} weeks",
                                     param_hint="--week")
        return week - 1
    return None


def _first_period(network, shipments: pd.DataFrame, dc: str) -> int | None:
    kinds = network.sites["kind"].astype(str)
    sh = shipments[(shipments["origin"].astype(str) == dc)
                   & shipments["destination"].astype(str).map(kinds).eq("customer")
                   & (shipments["quantity"] > 1e-9)]
    return None if sh.empty else int(sh["period"].min())


def _overall(results: list[dict]) -> str:
    order = ["time_limit", "infeasible", "feasible", "optimal", "no_deliveries"]
    statuses = [r["status"] for r in results]
    return next((s for s in order if s in statuses), "no_deliveries")


def _print(results: list[dict]) -> None:
    for r in results:
        if r["status"] == "no_deliveries":
            console.print(f"{r['site']}: no customer deliveries in that bucket")
            continue
        t = Table(title=f"{r['site']}, {r['date']}: {r['stops']} customers, "
                        f"{r['units']:,.0f} units; {r['status']}, checked {r['checked']}")
        for c in ("route", "vehicle", "stops", "load", "km", "hours", "cost"):
            t.add_column(c, justify="right" if c not in ("vehicle", "stops") else "left",
                         overflow="fold")
        for x in r["routes"]:
            t.add_row(str(x["route"]), x["vehicle_type"], x["stops"], f"{x['load']:,.0f}",
                      f"{x['distance']:,.1f}", f"{x['duration'] / 60:,.1f}",
                      f"{x['cost']:,.2f}")
        console.print(t)
        if r["objective"] is not None:
            console.print(f"total {r['objective']:,.1f} km, cost {r['cost']:,.2f}, "
                          f"{r['vehicles']} vehicles" + (f"; written to {r['out']}"
                                                          if r.get("out") else ""))


def register(app: typer.Typer) -> None:
    app.command("route")(route_command)
