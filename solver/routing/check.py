"""An independent feasibility checker for vehicle routes: it reads the instance itself (its own
parser, its own distance code; nothing from the routing solver) and recomputes, route by route,
the load, the arrival times against the time windows, the duration and the distance.

Input is plain data, so anything can be checked: an instance file (:func:`read_instance_data`,
CVRPLIB ``.vrp``, LKH-3 ``.vrptw``, Solomon text) or the ``problem.json`` that ``chainlab route``
writes beside its routes (:func:`read_problem_json`), and routes as (vehicle type, [node ids]).

Conventions recomputed here: EUC_2D = nint(Euclidean); FLOOR_2D = floor(SCALE * Euclidean) /
SCALE; EXACT_2D = Euclidean; GEO = haversine km (R = 6371.0088) * detour; MATRIX as given.
Arrival at stop j: max(ready_j, arrival_i + service_i + d_ij / speed); late by more than 1e-6 is
a violation, as is a return after the depot's due time or a duration over the limit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

TOL = 1e-6


@dataclass
class RouteCheck:
    vehicle_type: str
    stops: list
    load: float
    distance: float
    start: float
    end: float


@dataclass
class CheckReport:
    """``feasible`` when ``violations`` is empty; ``distance`` the recomputed total."""

    violations: list = field(default_factory=list)
    routes: list = field(default_factory=list)
    distance: float = 0.0

    @property
    def feasible(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        head = f"{len(self.routes)} routes, distance {self.distance:.6g}: "
        return head + ("feasible" if self.feasible else "; ".join(self.violations))


def check_routes(inst: dict, routes: list, unserved_ok: bool = False,
                 claimed_distance: float | None = None) -> CheckReport:
    """Check ``routes`` = [(vehicle type name, [node id, ...]), ...] against ``inst`` (the dict
    of :func:`read_instance_data`). Every customer must be visited exactly once (or at most once
    with ``unserved_ok``); ``claimed_distance``, when given, must equal the recomputed total
    (to 1e-6 relative)."""
    rep = CheckReport()
    ids = [str(i) for i in inst["ids"]]
    pos = {nid: k for k, nid in enumerate(ids)}
    types = {v["name"]: v for v in inst["vehicles"]}
    depots = {pos[str(v["depot"])] for v in inst["vehicles"]}
    used = {name: 0 for name in types}
    seen: dict[int, int] = {}
    for r_no, (vtype, stops) in enumerate(routes, 1):
        if vtype not in types:
            rep.violations.append(f"route {r_no}: unknown vehicle type {vtype!r}")
            continue
        veh = types[vtype]
        used[vtype] += 1
        depot = pos[str(veh["depot"])]
        path = []
        for s in stops:
            if str(s) not in pos:
                rep.violations.append(f"route {r_no}: stop {s!r} is not a node")
                continue
            k = pos[str(s)]
            if k in depots:
                rep.violations.append(f"route {r_no}: visits depot {s} as a stop")
                continue
            seen[k] = seen.get(k, 0) + 1
            path.append(k)
        rep.routes.append(_check_route(inst, r_no, vtype, veh, depot, path, rep.violations))
    for name, n in used.items():
        if n > types[name]["count"]:
            rep.violations.append(f"{n} routes of vehicle type {name!r}, only "
                                  f"{types[name]['count']} vehicles")
    for k in range(len(ids)):
        if k in depots:
            continue
        c = seen.get(k, 0)
        if c > 1:
            rep.violations.append(f"customer {ids[k]} visited {c} times")
        elif c == 0 and not unserved_ok:
            rep.violations.append(f"customer {ids[k]} not visited")
    rep.distance = sum(r.distance for r in rep.routes)
    if claimed_distance is not None and abs(claimed_distance - rep.distance) > TOL * max(
            1.0, abs(rep.distance)):
        rep.violations.append(f"claimed distance {claimed_distance!r} but the routes measure "
                              f"{rep.distance!r}")
    return rep


def _check_route(inst, r_no, vtype, veh, depot, path, violations) -> RouteCheck:
    q = inst["demand"]
    load = sum(q[k] for k in path)
    if load > veh["capacity"] + TOL:
        violations.append(f"route {r_no}: load {load:g} over capacity {veh['capacity']:g}")
    ready, due = inst.get("ready"), inst.get("due")
    svc = inst.get("service") or [0.0] * len(q)
    speed = float(veh.get("speed", 1.0))
    full = [depot, *path, depot]
    dist = sum(_dist(inst, a, b) for a, b in zip(full, full[1:]))
    start = float(ready[depot]) if ready else 0.0
    t, prev = start, depot
    for k in path:
        t = t + svc[prev] + _dist(inst, prev, k) / speed
        if ready:
            t = max(t, ready[k])
            if t > due[k] + TOL:
                violations.append(f"route {r_no}: arrives at {inst['ids'][k]} at {t:.4f}, "
                                  f"after its due time {due[k]:g}")
        prev = k
    end = t + svc[prev] + _dist(inst, prev, depot) / speed
    if ready and end > due[depot] + TOL:
        violations.append(f"route {r_no}: back at the depot at {end:.4f}, after {due[depot]:g}")
    # the latest start that keeps every arrival: the duration is at least end - latest start
    duration = _min_duration(inst, path, depot, speed, start, end)
    limit = veh.get("max_duration")
    if limit is not None and duration > limit + TOL:
        violations.append(f"route {r_no}: duration {duration:.4f} over the limit {limit:g}")
    return RouteCheck(vtype, [inst["ids"][k] for k in path], load, dist, start, end)


def _min_duration(inst, path, depot, speed, start, end) -> float:
    """The least duration over departure times D >= ``start`` for this sequence. With p_k the
    time from departure to reaching stop k without waiting and P the whole route's: the
    return is max(D + P, c), c = max_k(ready_k + P - p_k), and every arrival keeps its window
    while D <= D_max = min(min_k(due_k - p_k), due_depot - P); so the least duration is
    max(P, c - max(start, D_max))."""
    ready, due = inst.get("ready"), inst.get("due")
    if not ready or not path:
        return end - start
    svc = inst.get("service") or [0.0] * len(inst["demand"])
    p, prev, reach = 0.0, depot, []
    for k in path:
        p += svc[prev] + _dist(inst, prev, k) / speed
        reach.append(p)
        prev = k
    total = p + svc[prev] + _dist(inst, prev, depot) / speed
    c = max(ready[k] + total - pk for k, pk in zip(path, reach))
    d_max = min(min(due[k] - pk for k, pk in zip(path, reach)), due[depot] - total)
    return max(total, c - max(start, d_max))


def _dist(inst, a: int, b: int) -> float:
    m = inst["metric"]
    if m == "matrix":
        return float(inst["matrix"][a][b])
    x, y = inst["x"], inst["y"]
    if m == "geo":
        lon1, lat1, lon2, lat2 = map(math.radians, (x[a], y[a], x[b], y[b]))
        h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * \
            math.sin((lon2 - lon1) / 2) ** 2
        return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h))) * float(inst.get("detour", 1))
    e = math.sqrt((x[a] - x[b]) ** 2 + (y[a] - y[b]) ** 2)
    if m == "euc_2d":
        return float(int(e + 0.5))
    if m == "floor_2d":
        s = float(inst.get("scale", 1))
        return math.floor(e * s + 1e-9) / s
    return e


# ---------------------------------------------------------------- reading instances


def read_problem_json(path) -> dict:
    """The ``problem.json`` written with routes: already the plain dict this module checks."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_instance_data(path) -> dict:
    """A CVRPLIB ``.vrp``, LKH-3 ``.vrptw`` or Solomon text file as the plain dict
    {ids, x, y, demand, ready, due, service, metric, scale, vehicles: [{name, count, capacity,
    depot}]} (one vehicle type named ``vehicle``; count = the file's fleet, or unlimited)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if ":" in lines[0]:
        return _tsplib(lines)
    return _solomon(lines)


def _tsplib(lines) -> dict:
    head, sec, cur = {}, {}, None
    for ln in lines:
        if ln == "EOF":
            continue
        if ":" in ln and not ln[0].isdigit():
            k, v = ln.split(":", 1)
            head[k.strip().upper()] = v.strip().strip('"').strip()
        elif ln.upper().endswith("_SECTION"):
            cur = ln.upper()
            sec[cur] = []
        elif cur:
            sec[cur].append(ln.split())
    coords = sec["NODE_COORD_SECTION"]
    ids = [r[0] for r in coords]
    idx = {nid: k for k, nid in enumerate(ids)}
    demand = [0.0] * len(ids)
    for r in sec["DEMAND_SECTION"]:
        demand[idx[r[0]]] = float(r[1])
    depot = next(v for r in sec.get("DEPOT_SECTION", [["1"]]) for v in r if v != "-1")
    inst = {"ids": ids, "x": [float(r[1]) for r in coords], "y": [float(r[2]) for r in coords],
            "demand": demand, "metric": head.get("EDGE_WEIGHT_TYPE", "EUC_2D").lower(),
            "scale": float(head.get("SCALE", 1))}
    if "TIME_WINDOW_SECTION" in sec:
        inst["ready"], inst["due"] = [0.0] * len(ids), [0.0] * len(ids)
        for r in sec["TIME_WINDOW_SECTION"]:
            inst["ready"][idx[r[0]]], inst["due"][idx[r[0]]] = float(r[1]), float(r[2])
        s = float(head.get("SERVICE_TIME", 0))
        inst["service"] = [0.0 if nid == depot else s for nid in ids]
    count = int(float(head["VEHICLES"])) if "VEHICLES" in head else len(ids)
    inst["vehicles"] = [{"name": "vehicle", "count": count,
                         "capacity": float(head["CAPACITY"]), "depot": depot}]
    return inst


def _solomon(lines) -> dict:
    fleet, rows = None, []
    for ln in lines:
        p = ln.split()
        try:
            nums = [float(v) for v in p]
        except ValueError:
            continue
        if len(nums) == 2 and fleet is None:
            fleet = nums
        elif len(nums) == 7:
            rows.append(nums)
    c = list(zip(*rows))
    return {"ids": [str(int(v)) for v in c[0]], "x": list(c[1]), "y": list(c[2]),
            "demand": list(c[3]), "ready": list(c[4]), "due": list(c[5]),
            "service": list(c[6]), "metric": "exact_2d", "scale": 1.0,
            "vehicles": [{"name": "vehicle", "count": int(fleet[0]), "capacity": fleet[1],
                          "depot": "0"}]}
