"""Published vehicle routing instances read into :class:`RoutingProblem` (benchmarks, test oracles).

- CVRPLIB / TSPLIB ``.vrp`` (Augerat A, Uchoa X): ``KEY : value`` lines, then
  ``NODE_COORD_SECTION`` (id x y), ``DEMAND_SECTION`` (id q), ``DEPOT_SECTION`` (ids, ``-1``).
  ``EDGE_WEIGHT_TYPE : EUC_2D`` (distances rounded to the nearest integer). The fleet is the
  ``No of trucks`` of the comment (Augerat), else unlimited in practice: k (the ``-kN`` of the
  name, the minimum) plus max(3, k/4). The known optimum comes from the comment's ``Optimal
  value``, a CVRPLIB ``.sol`` beside the file (``Route #r: ...``, ``Cost X``), or an LKH-3 tour
  ``NAME.COST.tour`` beside it.
- LKH-3 ``.vrptw`` (Solomon instances): the same sections plus ``VEHICLES``, ``SERVICE_TIME``
  (every customer), ``TIME_WINDOW_SECTION`` (id a b) and ``EDGE_WEIGHT_TYPE : FLOOR_2D`` with
  ``SCALE : s``: d_ij = floor(s e_ij) / s, travel time = d_ij, objective in the same units (the
  exact-methods convention: C101.25 = 191.3). The known value is the tour file's COST / s.
- Solomon's own text format (``C101.txt``): name; ``VEHICLE`` / ``NUMBER CAPACITY``; ``CUSTOMER``
  / header; rows ``CUST_NO X Y DEMAND READY DUE SERVICE`` with customer 0 the depot. Real
  Euclidean distances, travel time = distance.

Errors name the file, the line and what would fix it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from chainlab.models import ValidationError
from chainlab.solver.routing.problem import Metric, RoutingProblem, VehicleType


def read_instance(path, vehicles: int | None = None) -> RoutingProblem:
    """Any supported routing file, told apart by its content (``vehicles`` overrides the
    fleet size)."""
    path = Path(path)
    text = _text(path)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if ":" in first:
        return read_tsplib(path, vehicles, text)
    return read_solomon(path, vehicles, text)


def read_tsplib(path, vehicles: int | None = None, text: str | None = None) -> RoutingProblem:
    """A CVRPLIB ``.vrp`` or LKH-3 ``.vrptw`` file (see the module docstring)."""
    path = Path(path)
    text = _text(path) if text is None else text
    head, sections = _tsplib_parts(path, text)
    name = head.get("NAME", path.stem)
    try:
        dim = int(head["DIMENSION"])
        capacity = float(head["CAPACITY"])
    except KeyError as e:
        raise ValidationError(f"{path.name}: no {e.args[0]} line; a .vrp file needs "
                              f"'{e.args[0]} : value'") from None
    except ValueError as e:
        raise ValidationError(f"{path.name}: {e}") from None
    ewt = head.get("EDGE_WEIGHT_TYPE", "EUC_2D").upper()
    metric = {"EUC_2D": Metric.EUC_2D, "FLOOR_2D": Metric.FLOOR_2D,
              "EXACT_2D": Metric.EXACT_2D}.get(ewt)
    if metric is None:
        raise ValidationError(f"{path.name}: EDGE_WEIGHT_TYPE {ewt} is not supported; "
                              f"EUC_2D, FLOOR_2D or EXACT_2D")
    scale = float(head.get("SCALE", 1))
    coords = _rows(path, sections, "NODE_COORD_SECTION", dim, 3)
    demand = _rows(path, sections, "DEMAND_SECTION", dim, 2)
    order = [int(r[0]) for r in coords]
    if sorted(order) != list(range(1, dim + 1)):
        raise ValidationError(f"{path.name}: NODE_COORD_SECTION must number the nodes "
                              f"1..{dim} once each")
    pos = {nid: i for i, nid in enumerate(order)}
    q = [0.0] * dim
    for r in demand:
        q[pos[int(r[0])]] = r[1]
    depot_ids = [int(v) for row in sections.get("DEPOT_SECTION", [["1"]]) for v in row
                 if int(v) != -1] or [1]
    if len(depot_ids) != 1:
        raise ValidationError(f"{path.name}: {len(depot_ids)} depots in DEPOT_SECTION; these "
                              f"families have one")
    depot = pos[depot_ids[0]]
    ready = due = service = None
    if "TIME_WINDOW_SECTION" in sections:
        tw = _rows(path, sections, "TIME_WINDOW_SECTION", dim, 3)
        ready, due = [0.0] * dim, [0.0] * dim
        for r in tw:
            ready[pos[int(r[0])]], due[pos[int(r[0])]] = r[1], r[2]
        s = float(head.get("SERVICE_TIME", 0))
        service = [0.0 if i == depot else s for i in range(dim)]
    comment = head.get("COMMENT", "")
    count = vehicles or _fleet(name, comment, head)
    known = _known_value(path, name, comment, scale if metric is Metric.FLOOR_2D else 1.0)
    return RoutingProblem(
        name=name, ids=tuple(str(i) for i in order), x=tuple(r[1] for r in coords),
        y=tuple(r[2] for r in coords), demand=tuple(q),
        vehicles=(VehicleType("vehicle", count, capacity, depot),), metric=metric, scale=scale,
        service=None if service is None else tuple(service),
        ready=None if ready is None else tuple(ready), due=None if due is None else tuple(due),
        known_value=known, meta={"file": str(path), "format": "tsplib"})


def read_solomon(path, vehicles: int | None = None, text: str | None = None) -> RoutingProblem:
    """Solomon's text format (see the module docstring); real Euclidean distances."""
    path = Path(path)
    text = _text(path) if text is None else text
    lines = text.splitlines()
    name = next((ln.strip() for ln in lines if ln.strip()), path.stem)
    fleet = rows = None
    for no, ln in enumerate(lines, 1):
        parts = ln.split()
        if fleet is None and len(parts) == 2 and all(_isnum(p) for p in parts):
            fleet = (int(float(parts[0])), float(parts[1]))
        elif len(parts) == 7 and all(_isnum(p) for p in parts):
            rows = rows or []
            rows.append((no, [float(p) for p in parts]))
        elif rows and parts:
            raise ValidationError(f"{path.name} line {no}: expected 7 numbers (CUST NO., X, "
                                  f"Y, DEMAND, READY TIME, DUE DATE, SERVICE TIME), got {ln!r}")
    if fleet is None or not rows:
        raise ValidationError(f"{path.name}: not a Solomon instance (needs the VEHICLE line "
                              f"'NUMBER CAPACITY' and the customer rows)")
    ids = [int(r[0]) for _, r in rows]
    if ids != list(range(len(ids))):
        raise ValidationError(f"{path.name}: customers must be numbered 0 (the depot), 1, 2, "
                              f"... in order; line {rows[0][0]} starts {ids[0]}")
    cols = list(zip(*(r for _, r in rows)))
    return RoutingProblem(
        name=name, ids=tuple(str(i) for i in ids), x=tuple(cols[1]), y=tuple(cols[2]),
        demand=tuple(cols[3]),
        vehicles=(VehicleType("vehicle", vehicles or fleet[0], fleet[1], 0),),
        metric=Metric.EXACT_2D, ready=tuple(cols[4]), due=tuple(cols[5]),
        service=tuple(cols[6]), meta={"file": str(path), "format": "solomon"})


def read_cvrplib_solution(path) -> tuple[list[list[int]], float | None]:
    """A CVRPLIB ``.sol``: the routes as lists of customer numbers (1.. = node id - 1 of the
    ``.vrp``, the depot being node 1) and the stated cost."""
    path = Path(path)
    routes, cost = [], None
    for no, ln in enumerate(_text(path).splitlines(), 1):
        m = re.match(r"\s*Route\s*#\d+\s*:(.*)", ln, re.I)
        if m:
            try:
                routes.append([int(v) for v in m.group(1).split()])
            except ValueError:
                raise ValidationError(f"{path.name} line {no}: route stops must be integers"
                                      ) from None
        elif ln.strip().lower().startswith("cost"):
            cost = float(ln.split()[1])
    return routes, cost


# ---------------------------------------------------------------- helpers


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None


def _isnum(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _tsplib_parts(path: Path, text: str) -> tuple[dict, dict]:
    head, sections, current = {}, {}, None
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s == "EOF":
            continue
        if ":" in s and not s[0].isdigit() and not s.startswith("-"):
            k, v = s.split(":", 1)
            head[k.strip().upper()] = v.strip().strip('"').strip()
            current = None
        elif s.upper().endswith("_SECTION"):
            current = s.upper()
            sections[current] = []
        elif current is not None:
            sections[current].append(s.split())
        else:
            raise ValidationError(f"{path.name}: unexpected line {s!r} outside any section")
    return head, sections


def _rows(path: Path, sections: dict, name: str, dim: int, width: int) -> list[list[float]]:
    if name not in sections:
        raise ValidationError(f"{path.name}: no {name}; a routing instance needs it")
    rows = sections[name]
    if len(rows) != dim:
        raise ValidationError(f"{path.name}: {name} has {len(rows)} rows for DIMENSION {dim}")
    out = []
    for r in rows:
        try:
            if len(r) != width:
                raise ValueError
            out.append([float(v) for v in r])
        except ValueError:
            raise ValidationError(f"{path.name}: {name} row {' '.join(r)!r} should be {width} "
                                  f"numbers") from None
    return out


def _fleet(name: str, comment: str, head: dict) -> int:
    if "VEHICLES" in head:
        return int(float(head["VEHICLES"]))
    m = re.search(r"No of trucks:\s*(\d+)", comment)
    if m:
        return int(m.group(1))
    m = re.search(r"-k(\d+)", name)
    if m:
        k = int(m.group(1))
        return k + max(3, k // 4)
    raise ValidationError(f"{name}: the fleet size is not stated (no VEHICLES line, no 'No of "
                          f"trucks' comment, no -kN in the name); pass vehicles=")


def _known_value(path: Path, name: str, comment: str, scale: float) -> float | None:
    sol = path.with_suffix(".sol")
    if sol.exists():
        cost = read_cvrplib_solution(sol)[1]
        if cost is not None:
            return cost
    m = re.search(r"Optimal value:\s*([\d.]+)", comment)
    if m:
        return float(m.group(1))
    for tour in sorted(path.parent.glob(f"{path.stem}.*.tour")):
        m = re.fullmatch(re.escape(path.stem) + r"\.(\d+)\.tour", tour.name)
        if m:
            v = int(m.group(1)) / scale
            return float(round(v, 6)) if not math.isclose(scale, 1) else float(v)
    return None
