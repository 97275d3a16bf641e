"""`chainlab route` (cli/route.py) on the tiny network and its saved plan (tests/data/tiny_plan:
DC1 ships 120 units to C1 and 80 to C2 in week 2)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.route import route_command
from chainlab.solver.routing.check import check_routes, read_problem_json

DATA = Path(__file__).resolve().parents[2] / "data"
TINY, PLAN = DATA / "tiny", DATA / "tiny_plan"


@pytest.fixture(scope="module")
def app():
    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    a.command("route")(route_command)
    a.command("noop")(lambda: None)  # two commands, as in chainlab.cli.app
    return a


def run(app, *args):
    return CliRunner().invoke(app, ["route", *map(str, args)])


def km(a, b, detour=1.2):
    """Great-circle km between (lat, lon) points x detour, written out here as an oracle."""
    (la1, lo1), (la2, lo2) = (map(math.radians, p) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * \
        math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h)) * detour


DC1, C1, C2 = (40.71, -74.01), (42.36, -71.06), (39.95, -75.17)


def test_two_trucks_when_one_cannot_carry_both(app, tmp_path):
    r = run(app, TINY, "--site", "DC1", "--plan", PLAN, "--week", 2, "--capacity", 150,
            "--cost-per-km", 2, "--fixed-cost", 100, "--time-limit", 1, "--json",
            "--out", tmp_path)
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    site = obj["sites"][0]
    assert site["status"] == "feasible" and site["checked"] is True
    assert site["stops"] == 2 and site["units"] == 200 and site["vehicles"] == 2
    expected = 2 * km(DC1, C1) + 2 * km(DC1, C2)
    assert obj["objective"] == pytest.approx(expected, rel=1e-9)
    assert obj["cost"] == pytest.approx(2 * expected + 200, rel=1e-9)
    routes = pd.read_csv(tmp_path / "DC1" / "routes.csv")
    assert sorted(routes["load"]) == [80, 120]
    assert (tmp_path / "DC1" / "routes.png").stat().st_size > 1000
    # the files alone are enough for the independent checker
    inst = read_problem_json(tmp_path / "DC1" / "problem.json")
    rep = check_routes(inst, [(t, s.split()) for t, s in zip(routes["vehicle_type"],
                                                                routes["stops"])])
    assert rep.feasible and rep.distance == pytest.approx(expected, rel=1e-9)


def test_one_truck_takes_both_and_a_big_delivery_is_split(app):
    r = run(app, TINY, "--site", "DC1", "--plan", PLAN, "--date", "2027-01-13",
            "--time-limit", 1, "--json")
    site = json.loads(r.stdout)["sites"][0]
    assert site["vehicles"] == 1 and site["routes"][0]["load"] == 200
    assert site["objective"] == pytest.approx(km(DC1, C1) + km(C1, C2) + km(C2, DC1), rel=1e-9)
    r = run(app, TINY, "--site", "DC1", "--plan", PLAN, "--week", 2, "--capacity", 100,
            "--time-limit", 1, "--json")
    site = json.loads(r.stdout)["sites"][0]
    stops = sorted(s for x in site["routes"] for s in x["stops"].split())
    assert stops == ["C1#1", "C1#2", "C2"] and site["checked"] is True
    assert all(x["load"] <= 100 for x in site["routes"])


def test_vehicles_csv_and_its_errors(app, tmp_path):
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    (net / "vehicles.csv").write_text("depot,type,count,capacity,fixed_cost,speed_kmh\n"
                                      "DC1,van,3,90,0,80\n")
    r = run(app, net, "--site", "DC1", "--plan", PLAN, "--week", 2, "--time-limit", 1,
            "--json")
    site = json.loads(r.stdout)["sites"][0]
    # C1's 120 units as 90 + 30; 30 + C2's 80 is over 90: three vans
    assert {x["vehicle_type"] for x in site["routes"]} == {"van"}
    assert site["vehicles"] == 3 and site["checked"] is True
    (net / "vehicles.csv").write_text("depot,type,count,capacity\nDC1,van,2,90\n")
    r = run(app, net, "--site", "DC1", "--plan", PLAN, "--week", 2, "--time-limit", 1,
            "--json")
    assert r.exit_code == 1  # 200 units, 180 of room
    site = json.loads(r.stdout)["sites"][0]
    assert site["status"] in ("infeasible", "time_limit") and site["unserved"]
    (net / "vehicles.csv").write_text("depot,type,count,capacity\nDC1,van,2,lots\n")
    r = run(app, net, "--site", "DC1", "--plan", PLAN, "--week", 2)
    assert r.exit_code == 1
    assert "vehicles.csv row 2, column 'capacity': 'lots' is not a number" in r.output
    (net / "vehicles.csv").write_text("depot,type,count,capacity\nC1,van,2,10\n")
    r = run(app, net, "--site", "DC1", "--plan", PLAN, "--week", 2)
    assert r.exit_code == 1 and "'C1' is not a DC" in r.output


def test_bad_usage_and_empty_buckets(app):
    r = run(app, TINY, "--site", "C1", "--plan", PLAN)
    assert r.exit_code == 2 and "not a DC" in r.output
    r = run(app, TINY, "--site", "DC1", "--plan", PLAN, "--date", "2030-01-01")
    assert r.exit_code == 2 and "outside the calendar" in r.output
    r = run(app, TINY, "--site", "DC1", "--plan", PLAN, "--week", 3, "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["sites"][0]["status"] == "no_deliveries"
