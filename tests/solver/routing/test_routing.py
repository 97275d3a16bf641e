"""Vehicle routing: published instances against their optima, hand-solvable cases, and the
independent checker on every solution (data: tests/data/routing/README.md)."""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from chainlab.models import ValidationError
from chainlab.solver.routing import (
    Metric,
    RoutingOptions,
    RoutingProblem,
    VehicleType,
    read_cvrplib_solution,
    read_instance,
    route,
)
from chainlab.solver.routing.check import check_routes, read_instance_data

DATA = Path(__file__).resolve().parents[2] / "data" / "routing"


def checked(path, res):
    """The checker's report on ``res`` (from the file itself, not the solver's problem)."""
    ids = read_instance(path).ids
    return check_routes(read_instance_data(path),
                        [(r.vehicle_type, [ids[i] for i in r.stops]) for r in res.routes],
                        claimed_distance=res.objective)


@pytest.mark.parametrize("name", ["A-n32-k5", "A-n33-k6", "A-n37-k5"])
def test_cvrplib_within_half_a_percent_of_the_optimum(name):
    path = DATA / f"{name}.vrp"
    res = route(read_instance(path), RoutingOptions(time_limit=3))
    assert res.has_solution
    rep = checked(path, res)
    assert rep.feasible, str(rep)
    assert res.objective == rep.distance
    assert res.objective >= res.known_value  # nothing beats a proven optimum
    assert res.gap <= 0.005


@pytest.mark.parametrize("name, known, fleet", [("C101.25.3", 191.3, 3), ("R101.25.8", 617.1, 8),
                                                ("RC101.25.4", 461.1, 4)])
def test_solomon_25_within_half_a_percent(name, known, fleet):
    path = DATA / f"{name}.vrptw"
    problem = read_instance(path)
    assert problem.known_value == known and problem.vehicles[0].count == fleet
    res = route(problem, RoutingOptions(time_limit=3))
    rep = checked(path, res)
    assert rep.feasible, str(rep)
    assert math.isclose(res.objective, rep.distance, abs_tol=1e-9)
    assert known - 1e-9 <= res.objective <= known * 1.005
    assert res.vehicles <= fleet


def lkh_routes(path: Path, dimension: int) -> list[list[str]]:
    """An LKH-3 tour as routes of node ids (ids above the dimension are depot copies)."""
    toks = path.read_text().split("TOUR_SECTION")[1].split()
    routes, cur = [], []
    for t in (int(t) for t in toks if t not in ("-1", "EOF")):
        if t == 1 or t > dimension:
            if cur:
                routes.append(cur)
            cur = []
        else:
            cur.append(str(t))
    return routes + ([cur] if cur else [])


@pytest.mark.parametrize("stem, tour", [("C101.25.3", "C101.25.3.1913.tour"),
                                        ("R101.25.8", "R101.25.8.6171.tour"),
                                        ("RC101.25.4", "RC101.25.4.4611.tour")])
def test_checker_accepts_the_published_optimal_tours(stem, tour):
    inst = read_instance_data(DATA / f"{stem}.vrptw")
    routes = lkh_routes(DATA / tour, len(inst["ids"]))
    rep = check_routes(inst, [("vehicle", r) for r in routes])
    assert rep.feasible, str(rep)
    assert rep.distance == pytest.approx(int(tour.split(".")[-2]) / 10, abs=1e-9)


def test_checker_accepts_the_cvrplib_solution_and_catches_broken_ones():
    inst = read_instance_data(DATA / "A-n32-k5.vrp")
    routes, cost = read_cvrplib_solution(DATA / "A-n32-k5.sol")
    # .sol numbers customers from 1; the .vrp's node ids start at the depot (1)
    as_ids = [("vehicle", [str(c + 1) for c in r]) for r in routes]
    rep = check_routes(inst, as_ids, claimed_distance=cost)
    assert rep.feasible and rep.distance == 784
    merged = [("vehicle", as_ids[0][1] + as_ids[1][1])] + as_ids[2:]
    assert any("over capacity" in v for v in check_routes(inst, merged).violations)
    missing = [as_ids[0]] + [("vehicle", as_ids[1][1][1:])] + as_ids[2:]
    assert any("not visited" in v for v in check_routes(inst, missing).violations)
    assert any("claimed distance" in v
               for v in check_routes(inst, as_ids, claimed_distance=783).violations)


def test_checker_catches_a_late_arrival():
    inst = read_instance_data(DATA / "C101.25.3.vrptw")
    routes = lkh_routes(DATA / "C101.25.3.1913.tour", len(inst["ids"]))
    routes[0] = list(reversed(routes[0]))
    rep = check_routes(inst, [("vehicle", r) for r in routes])
    assert any("after its due time" in v for v in rep.violations)


def test_solomon_text_format_real_distances():
    path = DATA / "C101.25.txt"
    problem = read_instance(path)
    assert problem.metric is Metric.EXACT_2D and problem.n == 26
    assert problem.vehicles[0].count == 3 and problem.vehicles[0].capacity == 200
    res = route(problem, RoutingOptions(time_limit=3))
    rep = checked(path, res)
    assert rep.feasible, str(rep)
    assert res.objective == pytest.approx(rep.distance, rel=1e-12)
    # the published optimal routes measured with real distances bound the real optimum
    lkh = lkh_routes(DATA / "C101.25.3.1913.tour", 26)
    ids = {str(int(i) + 1): i for i in problem.ids}  # LKH numbers from 1, Solomon from 0
    bound = check_routes(read_instance_data(path),
                         [("vehicle", [ids[s] for s in r]) for r in lkh]).distance
    assert bound == pytest.approx(191.8136, abs=1e-4)
    assert res.objective <= bound * 1.005


def line_problem(**kw) -> RoutingProblem:
    """Depot at x=0; A at 1 (window [0, 5]), B at 2 (any time), C at 3 (window [50, 60])."""
    base = dict(name="line", ids=("D", "A", "B", "C"), x=(0.0, 1.0, 2.0, 3.0),
                y=(0.0, 0.0, 0.0, 0.0), demand=(0.0, 1.0, 1.0, 1.0), metric=Metric.EXACT_2D,
                ready=(0.0, 0.0, 0.0, 50.0), due=(1000.0, 5.0, 1000.0, 60.0),
                service=(0.0, 0.0, 0.0, 0.0),
                vehicles=(VehicleType("van", 2, 10.0, 0),))
    base.update(kw)
    return RoutingProblem(**base)


def test_time_windows_and_route_duration_by_hand():
    # one route D-A-B-C-D waits at C: distance 6, back at 53
    res = route(line_problem(), RoutingOptions(time_limit=1))
    assert res.objective == pytest.approx(6.0) and res.vehicles == 1
    r = res.routes[0]
    assert [res.ids[i] for i in r.stops] == ["A", "B", "C"]
    assert r.arrivals[-1] == pytest.approx(50.0) and r.end == pytest.approx(53.0)
    # at most 20 time units a route: A (due 5) and C (from 50) cannot share one, and B goes
    # with C (on the way): D-A-D (2) + D-B-C-D (6) = 8
    fleet = (VehicleType("van", 2, 10.0, 0, max_duration=20.0),)
    res = route(line_problem(vehicles=fleet), RoutingOptions(time_limit=1))
    assert res.objective == pytest.approx(8.0) and res.vehicles == 2
    assert sorted(tuple(res.ids[i] for i in r.stops) for r in res.routes) == [("A",),
                                                                              ("B", "C")]
    assert all(r.duration <= 20 + 1e-9 for r in res.routes)
    inst = {"ids": ["D", "A", "B", "C"], "x": [0, 1, 2, 3], "y": [0] * 4,
            "demand": [0, 1, 1, 1], "ready": [0, 0, 0, 50], "due": [1000, 5, 1000, 60],
            "service": [0] * 4, "metric": "exact_2d",
            "vehicles": [{"name": "van", "count": 2, "capacity": 10, "depot": "D",
                          "max_duration": 20}]}
    rep = check_routes(inst, [(r.vehicle_type, [res.ids[i] for i in r.stops])
                              for r in res.routes], claimed_distance=res.objective)
    assert rep.feasible, str(rep)
    assert not check_routes(inst, [("van", ["A", "B", "C"])]).feasible  # 53 - 0 > 20


def test_multiple_depots_and_a_heterogeneous_fleet_by_hand():
    # depots W at x=0 and E at x=10; customers 1, 2 near W and 8, 9 near E
    ids = ("W", "E", "c1", "c2", "c8", "c9")
    xs = (0.0, 10.0, 1.0, 2.0, 8.0, 9.0)
    fleet = (VehicleType("west", 1, 10.0, 0), VehicleType("east", 1, 10.0, 1))
    p = RoutingProblem("two-depots", ids, xs, (0.0,) * 6, (0, 0, 1, 1, 1, 1), fleet,
                       metric=Metric.EXACT_2D)
    res = route(p, RoutingOptions(time_limit=1))
    assert res.objective == pytest.approx(8.0)  # 0-1-2-0 and 10-9-8-10
    by_depot = {res.ids[r.depot]: sorted(res.ids[i] for i in r.stops) for r in res.routes}
    assert by_depot == {"W": ["c1", "c2"], "E": ["c8", "c9"]}
    # at W: a van (capacity 2, 2 per distance unit) and a truck (capacity 3, 1 per distance
    # unit, fixed cost 100); neither carries all 4 units, so both go out. The van taking c1
    # (2 x 2) and the truck c2, c8, c9 (18 + 100) costs 122; every other split costs more
    fleet = (VehicleType("van", 1, 2.0, 0, cost_per_distance=2.0),
             VehicleType("truck", 1, 3.0, 0, fixed_cost=100.0))
    p = RoutingProblem("mixed", ids[:1] + ids[2:], xs[:1] + xs[2:], (0.0,) * 5,
                       (0, 1, 1, 1, 1), fleet, metric=Metric.EXACT_2D)
    res = route(p, RoutingOptions(time_limit=1))
    assert res.cost == pytest.approx(122.0) and res.objective == pytest.approx(20.0)
    stops = {r.vehicle_type: sorted(res.ids[i] for i in r.stops) for r in res.routes}
    assert stops == {"van": ["c1"], "truck": ["c2", "c8", "c9"]}


def test_a_stop_no_vehicle_can_carry_is_named():
    p = line_problem(demand=(0.0, 1.0, 11.0, 1.0))
    with pytest.raises(ValidationError, match="stop B needs 11 units"):
        route(p)
    res = route(p, RoutingOptions(time_limit=1, allow_unserved=True))
    assert res.has_solution and [res.ids[i] for i in res.unserved] == ["B"]


def test_ctrl_c_returns_the_best_routes_found():
    # guided local search (time windows) stops at Ctrl+C; iterated local search cannot be
    # stopped from outside and runs to its time limit (solver.routing.solve)
    path = DATA / "RC101.25.4.vrptw"
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        res = route(read_instance(path), RoutingOptions(time_limit=60))
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 30
    assert res.stopped_by == "interrupt" and res.has_solution
    assert checked(path, res).feasible
