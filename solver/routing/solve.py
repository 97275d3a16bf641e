"""Solve a :class:`~solver.routing.problem.RoutingProblem` with OR-Tools' routing library.

The model is a short script of ``add_*`` steps over OR-Tools' integer data. OR-Tools needs
integers, so with S = :func:`~solver.routing.problem.integer_scale` (1 for CVRPLIB's rounded
distances, SCALE for FLOOR_2D, 1000 for real distances):

- arc cost of vehicle k: round(C * c_k * S * d_ij) (C = 1 when every cost is an integer, else 100);
  fixed cost round(C * S * F_k); span cost round(C * h_k) per scaled time unit;
- load: q_i and Q_k in load units (x1000 when any is fractional: demands rounded up, capacities
  down, so a route OR-Tools accepts is feasible in real units);
- time: transit_ij = ceil(S * (s_i + d_ij / v_k)), windows [ceil(S a_i), floor(S b_i)]
  (conservative in the same way); waiting is slack; D_k bounds each route's span.

First solution by a construction heuristic (savings for CVRP, parallel cheapest insertion with
time windows), then, under the time limit, iterated local search with SISR ruin-and-recreate
for problems without time windows (it closes most of the gap on CVRPLIB) and guided local
search with them (it reaches the Solomon optima in seconds). The best solution found is kept
when the time limit ends the search. Ctrl+C ends a guided local search at its next solution with
the best routes; OR-Tools' iterated local search cannot be stopped from outside, so there the
first Ctrl+C is recorded (``stopped_by``) and the search runs to its time limit, and a second
one interrupts at once (no routes). Routes are read back and every figure recomputed in real
units from the problem.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from chainlab.models import SolverError, ValidationError
from chainlab.solver.result import Status
from chainlab.solver.routing.problem import (
    Metric,
    RoutingProblem,
    ceil_int,
    integer_scale,
    load_scale,
)
from chainlab.solver.routing.result import Route, RoutingResult


@dataclass(frozen=True)
class RoutingOptions:
    """time_limit: seconds of search (guided local search runs until it); first_solution: an
    OR-Tools FirstSolutionStrategy name (None = SAVINGS without time windows, else
    PARALLEL_CHEAPEST_INSERTION); metaheuristic: ``AUTO`` (iterated local search with SISR
    ruin-and-recreate without time windows, guided local search with them), ``ILS``, or an
    OR-Tools LocalSearchMetaheuristic name such as ``GUIDED_LOCAL_SEARCH``;
    solution_limit: stop after this many solutions; allow_unserved: a stop that no vehicle can
    serve is left out (at a penalty far above any route's cost) instead of making the problem
    infeasible."""

    time_limit: float = 10.0
    first_solution: str | None = None
    metaheuristic: str = "AUTO"
    solution_limit: int | None = None
    allow_unserved: bool = False


@dataclass
class _Data:
    """The integer data OR-Tools sees."""

    S: int
    C: int
    L: int
    dist: np.ndarray  # real d_ij
    fleet: list


def route(problem: RoutingProblem, options: RoutingOptions | None = None,
          progress=None) -> RoutingResult:
    """Routes for ``problem``. ``progress(seconds, objective)`` is called at each improving
    solution (objective in the family's distance convention). Raises ValidationError when a
    stop can never be served (its demand exceeds every capacity) and SolverError when OR-Tools
    rejects the model."""
    from ortools.constraint_solver import pywrapcp

    options = options or RoutingOptions()
    t0 = time.perf_counter()
    data = _prepare(problem)
    _check_servable(problem, data, options)
    starts = [k.depot for k in data.fleet]
    manager = pywrapcp.RoutingIndexManager(problem.n, len(data.fleet), starts, starts)
    model = pywrapcp.RoutingModel(manager)
    add_arc_costs(model, manager, problem, data)
    add_capacity(model, manager, problem, data)
    time_dim = add_time(model, manager, problem, data)
    add_unserved_penalties(model, manager, problem, data)
    params = _search_parameters(problem, options)

    best = {"value": None, "count": 0}
    stop = {"reason": ""}

    def on_solution():
        v = model.CostVar().Value()
        if best["value"] is None or v < best["value"]:
            best["value"] = v
            best["count"] += 1
            if progress is not None:
                progress(time.perf_counter() - t0, v / (data.C * data.S))
        if stop["reason"] == "interrupt":
            model.solver().FinishCurrentSearch()  # guided local search ends with the best

    model.AddAtSolutionCallback(on_solution)
    with _interruptible(stop):
        if _uses_ils(problem, options):
            solution = model.SolveWithIteratedLocalSearch(params)
        else:
            solution = model.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    code = model.status()
    if solution is None:
        status = Status.INFEASIBLE if code in (_status("ROUTING_INFEASIBLE"),
                                               _status("ROUTING_FAIL")) else Status.TIME_LIMIT
        if code == _status("ROUTING_INVALID"):
            raise SolverError(f"{problem.name}: OR-Tools rejected the routing model as invalid")
        return RoutingResult(problem.name, status, (), None, None, seconds,
                             stopped_by=stop["reason"] or ("time_limit" if status is
                                                           Status.TIME_LIMIT else ""),
                             known_value=problem.known_value, ids=problem.ids)
    routes, unserved = _read_routes(model, manager, solution, time_dim, problem, data)
    if not stop["reason"] and seconds >= 0.98 * options.time_limit:
        stop["reason"] = "time_limit"
    if unserved and not options.allow_unserved:
        # no complete solution: keep the partial routes for diagnosis, no objective
        return RoutingResult(problem.name, Status.TIME_LIMIT if stop["reason"] else
                             Status.INFEASIBLE, tuple(routes), None, None, seconds,
                             stopped_by=stop["reason"], known_value=problem.known_value,
                             unserved=tuple(unserved), ids=problem.ids, solutions=best["count"])
    objective = float(sum(r.distance for r in routes))
    if problem.metric in (Metric.EUC_2D, Metric.FLOOR_2D):  # sums of multiples of 1/S
        objective = round(objective * data.S) / data.S
    return RoutingResult(problem.name, Status.FEASIBLE if code != _status("ROUTING_OPTIMAL")
                         else Status.OPTIMAL, tuple(routes), objective,
                         float(sum(r.cost for r in routes)), seconds,
                         stopped_by=stop["reason"], known_value=problem.known_value,
                         unserved=tuple(unserved), ids=problem.ids, solutions=best["count"])


# ---------------------------------------------------------------- model steps


def add_arc_costs(model, manager, problem: RoutingProblem, data: _Data) -> None:
    """Arc cost of vehicle k on (i, j) = round(C c_k S d_ij); fixed cost round(C S F_k)."""
    by_rate: dict[float, int] = {}
    for v, k in enumerate(data.fleet):
        if k.cost_per_distance not in by_rate:
            m = np.rint(data.C * k.cost_per_distance * data.S * data.dist).astype(np.int64)
            by_rate[k.cost_per_distance] = model.RegisterTransitMatrix(m.tolist())
        model.SetArcCostEvaluatorOfVehicle(by_rate[k.cost_per_distance], v)
        if k.fixed_cost:
            model.SetFixedCostOfVehicle(int(round(data.C * data.S * k.fixed_cost)), v)


def add_capacity(model, manager, problem: RoutingProblem, data: _Data) -> None:
    """sum of q_i on a route <= Q_k (in load units x L)."""
    q = [ceil_int(data.L * v) for v in problem.demand]
    for dep in problem.depots:
        q[dep] = 0
    cb = model.RegisterUnaryTransitVector(q)
    caps = [int(math.floor(data.L * k.capacity + 1e-9)) for k in data.fleet]
    model.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "Load")


def add_time(model, manager, problem: RoutingProblem, data: _Data):
    """Arrival times with windows, waiting as slack, span <= D_k, span cost h_k. Left out
    (returns None) when the problem has no windows, no duration limits and no time cost."""
    fleet = data.fleet
    if not (problem.has_time_windows or any(k.max_duration is not None or k.cost_per_time
                                            for k in fleet)):
        return None
    S = data.S
    svc = problem.service_times()
    horizon = _horizon(problem, data)
    transits, by_speed = [], {}
    for k in fleet:
        if k.speed not in by_speed:
            m = np.ceil(S * (svc[:, None] + data.dist / k.speed) - 1e-9).astype(np.int64)
            np.fill_diagonal(m, 0)
            by_speed[k.speed] = model.RegisterTransitMatrix(m.tolist())
        transits.append(by_speed[k.speed])
    model.AddDimensionWithVehicleTransits(transits, horizon, horizon, False, "Time")
    dim = model.GetDimensionOrDie("Time")
    if problem.has_time_windows:
        depots = set(problem.depots)
        for i in range(problem.n):
            if i in depots:
                continue
            lo, hi = ceil_int(S * problem.ready[i]), int(math.floor(S * problem.due[i] + 1e-9))
            dim.CumulVar(manager.NodeToIndex(i)).SetRange(lo, min(hi, horizon))
    for v, k in enumerate(fleet):
        lo, hi = 0, horizon
        if problem.has_time_windows:
            lo = ceil_int(S * problem.ready[k.depot])
            hi = min(horizon, int(math.floor(S * problem.due[k.depot] + 1e-9)))
        dim.CumulVar(model.Start(v)).SetRange(lo, hi)
        dim.CumulVar(model.End(v)).SetRange(lo, hi)
        if k.max_duration is not None:
            dim.SetSpanUpperBoundForVehicle(int(math.floor(S * k.max_duration + 1e-9)), v)
        if k.cost_per_time:
            dim.SetSpanCostCoefficientForVehicle(int(round(data.C * k.cost_per_time)), v)
        model.AddVariableMaximizedByFinalizer(dim.CumulVar(model.Start(v)))
        model.AddVariableMinimizedByFinalizer(dim.CumulVar(model.End(v)))
    return dim


def add_unserved_penalties(model, manager, problem: RoutingProblem, data: _Data) -> None:
    """Each stop may be left out at a penalty above any complete solution's cost. Always in
    the model: construction heuristics then always find a first solution (with a tight fleet
    they may fail to insert every stop), and the local search puts the stops in. Without
    ``allow_unserved`` a solution that still leaves a stop out is not a solution."""
    worst = data.C * data.S * (float(data.dist.max(initial=0.0)) * 2 * problem.n
                               + sum(k.fixed_cost for k in problem.vehicles)) + 1
    penalty = int(min(worst * 10, 2**60))
    for i in problem.customers:
        model.AddDisjunction([manager.NodeToIndex(i)], penalty)


# ---------------------------------------------------------------- helpers


def _prepare(problem: RoutingProblem) -> _Data:
    fleet = problem.fleet
    if not fleet:
        raise ValidationError(f"{problem.name}: the fleet has no vehicles (every count is 0)")
    costs = [c for k in problem.vehicles for c in (k.cost_per_distance, k.cost_per_time,
                                                   k.fixed_cost)]
    C = 1 if all(float(c).is_integer() for c in costs) else 100
    return _Data(S=integer_scale(problem.metric, problem.scale), C=C,
                 L=load_scale(problem.demand, [k.capacity for k in fleet]),
                 dist=problem.distances(), fleet=fleet)


def _check_servable(problem: RoutingProblem, data: _Data, options: RoutingOptions) -> None:
    if options.allow_unserved:
        return
    biggest = max(k.capacity for k in data.fleet)
    for i in problem.customers:
        if problem.demand[i] > biggest + 1e-9:
            raise ValidationError(
                f"{problem.name}: stop {problem.ids[i]} needs {problem.demand[i]:g} units, more "
                f"than the largest vehicle carries ({biggest:g}); add a bigger vehicle type or "
                f"split the delivery")


def _horizon(problem: RoutingProblem, data: _Data) -> int:
    S = data.S
    if problem.has_time_windows:
        return int(math.floor(S * max(problem.due) + 1e-9))
    limits = [k.max_duration for k in data.fleet if k.max_duration is not None]
    slowest = min(k.speed for k in data.fleet)
    worst = float(problem.service_times().sum()) + problem.n * float(
        data.dist.max(initial=0.0)) / slowest
    total = worst if len(limits) < len(data.fleet) else min(worst, max(limits))
    return ceil_int(S * total) + 1


def _search_parameters(problem: RoutingProblem, options: RoutingOptions):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    p = pywrapcp.DefaultRoutingSearchParameters()
    fs = options.first_solution or ("PARALLEL_CHEAPEST_INSERTION" if problem.has_time_windows
                                    else "SAVINGS")
    try:
        p.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, fs)
        if _uses_ils(problem, options):
            _iterated_local_search(p)
        else:
            name = "GUIDED_LOCAL_SEARCH" if options.metaheuristic == "AUTO" else \
                options.metaheuristic
            p.local_search_metaheuristic = getattr(
                routing_enums_pb2.LocalSearchMetaheuristic, name)
    except AttributeError as e:
        raise ValidationError(f"routing options: {e}; use an OR-Tools strategy name such as "
                              f"SAVINGS or GUIDED_LOCAL_SEARCH") from None
    if options.time_limit is None or options.time_limit <= 0:
        raise ValidationError("routing options: time_limit must be a positive number of seconds")
    p.time_limit.FromMilliseconds(max(1, int(options.time_limit * 1000)))
    if options.solution_limit:
        p.solution_limit = int(options.solution_limit)
    return p


def _uses_ils(problem: RoutingProblem, options: RoutingOptions) -> bool:
    return options.metaheuristic == "ILS" or (options.metaheuristic == "AUTO"
                                              and not problem.has_time_windows)


def _iterated_local_search(p) -> None:
    """Iterated local search: ruin by SISR (slack induction by string removals, Christiaens &
    Vanden Berghe 2020, with their average of 10 removed visits in strings of at most 10),
    recreate by local cheapest insertion, descend, accept by simulated annealing. On CVRPLIB
    it closes more of the gap than guided local search in the same time (benchmarks)."""
    from ortools.constraint_solver import routing_enums_pb2

    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    rr = p.iterated_local_search_parameters.ruin_recreate_parameters
    ruin = rr.ruin_strategies.add()
    ruin.sisr.max_removed_sequence_size = 10
    ruin.sisr.avg_num_removed_visits = 10
    ruin.sisr.bypass_factor = 0.01
    field = rr.DESCRIPTOR.fields_by_name["ruin_composition_strategy"]
    rr.ruin_composition_strategy = field.enum_type.values_by_name["RUN_ONE_RANDOMLY"].number


def _status(name: str) -> int:
    from ortools.constraint_solver import routing_enums_pb2

    return getattr(routing_enums_pb2.RoutingSearchStatus, name)


@contextmanager
def _interruptible(stop: dict):
    """Ctrl+C sets ``stop['reason']``; the search ends at its next solution with the best
    found (a second Ctrl+C interrupts at once). Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if stop["reason"] == "interrupt":
            raise KeyboardInterrupt
        stop["reason"] = "interrupt"

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _read_routes(model, manager, solution, time_dim, problem: RoutingProblem, data: _Data):
    routes, served = [], set()
    svc = problem.service_times()
    for v, k in enumerate(data.fleet):
        idx = model.Start(v)
        stops = []
        idx = solution.Value(model.NextVar(idx))
        while not model.IsEnd(idx):
            stops.append(manager.IndexToNode(idx))
            idx = solution.Value(model.NextVar(idx))
        if not stops:
            continue
        served.update(stops)
        start = 0.0
        if time_dim is not None:
            start = solution.Value(time_dim.CumulVar(model.Start(v))) / data.S
        if problem.has_time_windows:
            start = max(start, problem.ready[k.depot])
        arrivals, t, prev = [], start, k.depot
        for i in stops:
            t = t + svc[prev] + data.dist[prev, i] / k.speed
            if problem.has_time_windows:
                t = max(t, problem.ready[i])
            arrivals.append(float(t))
            prev = i
        end = t + svc[prev] + data.dist[prev, k.depot] / k.speed
        path = [k.depot, *stops, k.depot]
        dist = float(sum(data.dist[a, b] for a, b in zip(path, path[1:])))
        load = float(sum(problem.demand[i] for i in stops))
        cost = k.fixed_cost + k.cost_per_distance * dist + k.cost_per_time * (end - start)
        routes.append(Route(v, k.name, k.depot, tuple(stops), tuple(arrivals), float(start),
                            float(end), load, dist, float(cost)))
    unserved = [i for i in problem.customers if i not in served]
    return routes, unserved
