"""A vehicle routing problem as plain, frozen data: nodes (depots and customers), vehicle types,
and the distance convention of its family.

Node ``i`` has coordinates (x_i, y_i) (for :attr:`Metric.GEO`: x = longitude, y = latitude in
degrees), a demand q_i (load units), a time window [a_i, b_i] and a service time s_i (time units).
Depots are nodes too; every vehicle starts and ends at its type's depot. The distance d_ij follows
the family's convention (:class:`Metric`); the travel time of vehicle type k is d_ij / v_k.

A route r of vehicle k, depot 0, stops 1..m is feasible when

- load: sum q_i <= Q_k;
- time: arrival t_i = max(a_i, t_{i-1} + s_{i-1} + d_{i-1,i} / v_k) satisfies t_i <= b_i, and the
  vehicle is back at its depot by the depot's b_0;
- duration: return time - start time <= D_k (``max_duration``, when set);

and its cost is F_k (fixed, when used) + c_k * distance + h_k * duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from chainlab.models import ValidationError

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


class Metric(StrEnum):
    """How d_ij is computed from the coordinates, per instance family."""

    #: TSPLIB/CVRPLIB EUC_2D: the Euclidean distance rounded to the nearest integer
    EUC_2D = "euc_2d"
    #: LKH-3 FLOOR_2D with SCALE s: floor(s * Euclidean) / s (Solomon instances in the
    #: exact-methods convention, distances truncated to one decimal with s = 10)
    FLOOR_2D = "floor_2d"
    #: the real Euclidean distance (Solomon's own convention)
    EXACT_2D = "exact_2d"
    #: great-circle kilometres between (lon, lat) points, times the problem's ``detour`` factor
    GEO = "geo"
    #: a given matrix (``RoutingProblem.matrix``)
    MATRIX = "matrix"


@dataclass(frozen=True)
class VehicleType:
    """``count`` identical vehicles based at node ``depot``.

    capacity: Q_k, load units; fixed_cost: F_k per vehicle used; cost_per_distance: c_k per
    distance unit; cost_per_time: h_k per time unit of route duration; speed: v_k distance units
    per time unit; max_duration: D_k time units (None = only the depot's window limits it).
    """

    name: str
    count: int
    capacity: float
    depot: int = 0
    fixed_cost: float = 0.0
    cost_per_distance: float = 1.0
    cost_per_time: float = 0.0
    speed: float = 1.0
    max_duration: float | None = None


@dataclass(frozen=True)
class RoutingProblem:
    """Nodes 0..n-1 (depots among them) and the fleet. Sequences are tuples so the problem is
    hashable and never changed by a solve; ``ready``/``due`` None means no time windows."""

    name: str
    ids: tuple[str, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[float, ...]
    vehicles: tuple[VehicleType, ...]
    metric: Metric = Metric.EUC_2D
    scale: float = 1.0  # FLOOR_2D's SCALE
    detour: float = 1.0  # GEO: road distance / great-circle distance
    service: tuple[float, ...] | None = None
    ready: tuple[float, ...] | None = None
    due: tuple[float, ...] | None = None
    matrix: tuple[tuple[float, ...], ...] | None = None
    known_value: float | None = None  # published optimum (family convention), if any
    known_vehicles: int | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        n = len(self.ids)
        for name in ("x", "y", "demand", "service", "ready", "due"):
            v = getattr(self, name)
            if v is not None and len(v) != n:
                raise ValidationError(f"{self.name}: {name} has {len(v)} values for {n} nodes")
        if (self.ready is None) != (self.due is None):
            raise ValidationError(f"{self.name}: time windows need both ready and due times")
        if not self.vehicles:
            raise ValidationError(f"{self.name}: no vehicles; give at least one vehicle type")
        for k in self.vehicles:
            if not 0 <= k.depot < n:
                raise ValidationError(f"{self.name}: vehicle type {k.name!r} has depot index "
                                      f"{k.depot}, not a node (0..{n - 1})")
            if k.count < 0 or k.capacity < 0 or k.speed <= 0:
                raise ValidationError(f"{self.name}: vehicle type {k.name!r} needs count >= 0, "
                                      f"capacity >= 0 and speed > 0")
        if self.metric is Metric.MATRIX:
            if self.matrix is None or len(self.matrix) != n or any(len(r) != n
                                                                    for r in self.matrix):
                raise ValidationError(f"{self.name}: metric 'matrix' needs an {n} x {n} matrix")
        for i in self.customers:
            if self.demand[i] < 0:
                raise ValidationError(f"{self.name}: node {self.ids[i]} has negative demand "
                                      f"{self.demand[i]}")
            if self.ready is not None and self.ready[i] > self.due[i]:
                raise ValidationError(f"{self.name}: node {self.ids[i]} has its time window "
                                      f"[{self.ready[i]}, {self.due[i]}] reversed")

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def depots(self) -> tuple[int, ...]:
        """Depot node indices, in order of first use by a vehicle type."""
        return tuple(dict.fromkeys(k.depot for k in self.vehicles))

    @property
    def customers(self) -> tuple[int, ...]:
        dep = set(self.depots)
        return tuple(i for i in range(self.n) if i not in dep)

    @property
    def has_time_windows(self) -> bool:
        return self.ready is not None

    @property
    def fleet(self) -> list[VehicleType]:
        """One entry per vehicle (types repeated ``count`` times); vehicle v is ``fleet[v]``."""
        return [k for k in self.vehicles for _ in range(k.count)]

    def service_times(self) -> np.ndarray:
        return np.zeros(self.n) if self.service is None else np.asarray(self.service, float)

    def distances(self) -> np.ndarray:
        """d_ij in the family's convention (n x n floats)."""
        return distance_matrix(self.metric, self.x, self.y, self.scale, self.detour, self.matrix)


def distance_matrix(metric: Metric, x, y, scale: float = 1.0, detour: float = 1.0,
                    matrix=None) -> np.ndarray:
    """The n x n matrix of d_ij for ``metric`` (see :class:`Metric`)."""
    if metric is Metric.MATRIX:
        return np.asarray(matrix, dtype=float)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if metric is Metric.GEO:
        lon, lat = np.radians(x), np.radians(y)
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * \
            np.sin(dlon / 2) ** 2
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) * detour
    e = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    if metric is Metric.EUC_2D:
        return np.floor(e + 0.5)  # TSPLIB nint
    if metric is Metric.FLOOR_2D:
        return np.floor(e * scale + 1e-9) / scale
    return e


def route_distance(d: np.ndarray, depot: int, stops) -> float:
    """Distance of depot -> stops... -> depot under matrix ``d``."""
    path = [depot, *stops, depot]
    return float(sum(d[a, b] for a, b in zip(path, path[1:])))


def integer_scale(metric: Metric, scale: float) -> int:
    """The factor S that makes distances integral for OR-Tools: 1 for EUC_2D (already
    integers), SCALE for FLOOR_2D (exact), 1000 for real distances (rounded to 1/1000)."""
    if metric is Metric.EUC_2D:
        return 1
    if metric is Metric.FLOOR_2D:
        return int(round(scale))
    return 1000


def load_scale(demand, capacities) -> int:
    """1 when every demand and capacity is an integer, else 1000 (loads in thousandths)."""
    vals = list(demand) + list(capacities)
    return 1 if all(float(v).is_integer() for v in vals) else 1000


def ceil_int(v: float) -> int:
    return int(math.ceil(v - 1e-9))
