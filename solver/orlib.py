"""OR-Library facility-location instances read into chainlab networks (benchmarks, test oracles).

Three families over the same data (Beasley 1988, OR-Library ``capinfo``; single-source copies from
OR-Datasets), each read by :func:`read` into an :class:`~solver.instances.Instance` whose network
is then solved by the same :func:`solver.design` that users run:

- ``cflp``: capacitated facility location, a customer may be served by several facilities;
- ``uflp``: the same data with the capacities ignored (OR-Library ``uncapopt``);
- ``sscflp``: single source, each customer is served by exactly one facility.

The network of an instance with m facilities and n customers: one supplier ``SOURCE`` selling the
one product ``unit`` at no cost and without limit; each facility a candidate DC ``F01``..``Fm``
with ``fixed_cost`` f_i (the instance has one period, so per period = in all) and ``capacity``
s_i (blank for ``uflp``); each customer ``C0001``.. with demand d_j in the one week of the
calendar; lanes ``SOURCE>Fi`` at no cost and ``Fi>Cj`` at c_ij / d_j per unit, c_ij being the
file's cost of serving all of customer j's demand from i. All demand must be met
(``unmet="none"``), so the design's objective is the instance's objective.

File formats (whitespace-separated numbers, line breaks anywhere):

- OR-Library ``capinfo`` (cap41..cap74, capa/capb/capc): ``m n``; m times ``capacity
  fixed_cost``; then per customer ``demand`` and its m costs. In capa/capb/capc the capacity is
  the word ``capacity``: pass ``capacity=`` (capc: 5000, 5750, 6500 or 7250).
- OR-Datasets single-source (p1..p8 = cap61..cap74): ``m n``; m times ``capacity fixed_cost``; the
  n demands on one line; then the m x n costs, facility by facility. :func:`read` tells the two
  apart by the line after the facilities: one number (a demand followed by its costs) or n.

Files ending in ``.gz`` are read through gzip.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import Calendar, Network, ValidationError
from chainlab.models.errors import Issue
from chainlab.solver.instances import Instance

START = dt.date(2024, 1, 1)
PRODUCT = "unit"
SOURCE = "SOURCE"
FAMILIES = ("cflp", "uflp", "sscflp")
#: relative gap the instances are solved to: their optima are published to about 1e-9, and a
#: design reported optimal must match them to 1e-6
PROOF_GAP = 1e-8


@dataclass(frozen=True)
class Facilities:
    """An instance's numbers: capacity s[i] (NaN = the ``capacity`` placeholder), fixed cost f[i],
    demand d[j], cost c[i, j] of serving all of customer j's demand from facility i."""

    name: str
    capacity: np.ndarray
    fixed_cost: np.ndarray
    demand: np.ndarray
    cost: np.ndarray

    @property
    def m(self) -> int:
        return len(self.fixed_cost)

    @property
    def n(self) -> int:
        return len(self.demand)


def _text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="ascii") as f:
            return f.read()
    return path.read_text(encoding="ascii")


def _name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt"):
        name = name.removesuffix(suffix)
    return name


def parse(path) -> Facilities:
    """The numbers of an OR-Library ``capinfo`` or OR-Datasets single-source file."""
    path = Path(path)
    name = _name(path)
    lines = [ln.split() for ln in _text(path).splitlines()]
    lines = [ln for ln in lines if ln]
    tokens = [t for ln in lines for t in ln]

    def bad(msg):
        return ValidationError([Issue(path.name, f"{msg}; expected an OR-Library capinfo file "
                                                 f"(m n, m lines 'capacity fixed_cost', then per "
                                                 f"customer its demand and m costs) or an "
                                                 f"OR-Datasets single-source file")])

    def number(tok, what):
        try:
            return float(tok)
        except ValueError:
            raise bad(f"{what} {tok!r} is not a number") from None

    if len(lines) < 2 or len(lines[0]) != 2:
        raise bad("the first line is not 'm n'")
    m, n = (int(number(t, "size")) for t in lines[0])
    if m < 1 or n < 1:
        raise bad(f"m={m}, n={n} must both be >= 1")
    if len(tokens) != 2 + 2 * m + n * (m + 1):
        raise bad(f"{len(tokens)} numbers for m={m}, n={n} (2 + 2m + n(m+1) = "
                  f"{2 + 2 * m + n * (m + 1)} expected)")
    cap = np.array([math.nan if t.lower() == "capacity" else number(t, "capacity")
                    for t in tokens[2:2 + 2 * m:2]])
    fixed = np.array([number(t, "fixed cost") for t in tokens[3:3 + 2 * m:2]])
    rest = np.array([number(t, "number") for t in tokens[2 + 2 * m:]])
    after = lines[1 + m] if len(lines) > 1 + m else []
    if len(after) == n and n > 1:  # OR-Datasets: demands, then costs facility by facility
        demand = rest[:n]
        cost = rest[n:].reshape(m, n)
    else:  # capinfo: per customer its demand and m costs
        per = rest.reshape(n, m + 1)
        demand = per[:, 0]
        cost = per[:, 1:].T
    if (demand < 0).any() or (cost < 0).any() or (fixed < 0).any() or (cap < 0).any():
        raise bad("negative demand, cost, fixed cost or capacity")
    return Facilities(name, cap, fixed, demand, np.ascontiguousarray(cost))


def to_network(f: Facilities, capacity: float | None = None, capacitated: bool = True,
               name: str | None = None) -> Network:
    """The chainlab network of an instance (see the module docstring); ``capacity`` replaces
    the ``capacity`` placeholder; ``capacitated=False`` leaves every DC unlimited."""
    cap = f.capacity.copy()
    if capacitated and np.isnan(cap).any():
        if capacity is None:
            raise ValidationError([Issue(f.name, "the facility capacities are the placeholder "
                                                 "'capacity'; give capacity= (--capacity; capc: "
                                                 "5000, 5750, 6500 or 7250)")])
        cap[np.isnan(cap)] = float(capacity)
    if not capacitated:
        cap[:] = math.nan
    fw, cw = len(str(f.m)), max(4, len(str(f.n)))
    fac = [f"F{i + 1:0{fw}d}" for i in range(f.m)]
    cus = [f"C{j + 1:0{cw}d}" for j in range(f.n)]
    sites = pd.DataFrame({
        "id": [SOURCE] + fac + cus,
        "kind": ["supplier"] + ["dc"] * f.m + ["customer"] * f.n,
        "status": ["existing"] + ["candidate"] * f.m + ["existing"] * f.n,
        "fixed_cost": np.concatenate([[0.0], f.fixed_cost, np.zeros(f.n)]),
        "capacity": np.concatenate([[math.nan], cap, np.full(f.n, math.nan)]),
    })
    products = pd.DataFrame({"id": [PRODUCT], "standard_cost": [0.0]})
    supply = pd.DataFrame({"supplier": [SOURCE], "product": [PRODUCT], "unit_cost": [0.0]})
    served = np.flatnonzero(f.demand > 0)
    i, j = np.repeat(np.arange(f.m), len(served)), np.tile(served, f.m)
    lanes = pd.DataFrame({
        "origin": [SOURCE] * f.m + [fac[k] for k in i],
        "destination": fac + [cus[k] for k in j],
        "cost_per_unit": np.concatenate([np.zeros(f.m), f.cost[i, j] / f.demand[j]]),
    })
    demand = pd.DataFrame({"customer": [cus[k] for k in served], "product": PRODUCT,
                           "date": START, "quantity": f.demand[served]})
    return Network.from_tables(name or f.name, Calendar("week", START, 1), sites=sites,
                               products=products, supply=supply, lanes=lanes, demand=demand)


def read(family: str, path, capacity: float | None = None) -> Instance:
    """An instance of ``family`` (``cflp``, ``uflp``, ``sscflp``) from ``path``, with the
    design options its rules imply (all demand met; single source for ``sscflp``) and the
    gap that proves its optimum (:data:`PROOF_GAP`)."""
    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
    f = parse(path)
    name = f.name
    if family == "cflp" and np.isnan(f.capacity).any() and capacity is not None:
        name = f"{name}_{_num(capacity)}"
    net = to_network(f, capacity, capacitated=family != "uflp", name=name)
    options = {"unmet": "none", "gap": PROOF_GAP}
    if family == "sscflp":
        options["sourcing"] = "single"
    return Instance(name, net, options)


def read_cflp(path, capacity: float | None = None) -> Instance:
    """Capacitated, multi-source (see :func:`read`)."""
    return read("cflp", path, capacity)


def read_uflp(path, capacity: float | None = None) -> Instance:
    """Uncapacitated: the file's capacities are ignored (see :func:`read`)."""
    return read("uflp", path, capacity)


def read_sscflp(path, capacity: float | None = None) -> Instance:
    """Capacitated, single source (see :func:`read`)."""
    return read("sscflp", path, capacity)


#: family -> reader(path, capacity=None) -> Instance, for benchmarks/instances.py
READERS = {"cflp": read_cflp, "uflp": read_uflp, "sscflp": read_sscflp}


def solve(family: str, path, backend: str | None = None, time_limit: float | None = None,
          capacity: float | None = None, gap: float | None = None) -> dict:
    """Read and solve one instance with :func:`solver.design`; the JSON line of CONTRACTS §4:
    family, instance, status, objective, bound, seconds (read + build + solve), backend, and
    ``known_value`` and ``rel_error`` when a ``known_values.csv`` beside the file (or up to
    two folders above it, as in the shared benchmark folder) lists its optimum. Never raises:
    status ``error`` and an ``error`` message instead."""
    from chainlab.solver.design import design

    start = time.perf_counter()
    out = {"family": family, "instance": _name(Path(path)), "status": "error",
           "objective": None, "bound": None, "seconds": None, "backend": backend}
    try:
        inst = read(family, path, capacity)
        out["instance"] = inst.name
        changes = dict(inst.options, backend=backend, time_limit=time_limit)
        if gap is not None:
            changes["gap"] = gap
        d = design(inst.network, **changes)
        out.update(status=d.status.value, objective=d.objective, bound=d.bound,
                   backend=d.backend)
        known = find_known(family, path, capacity)
        if known is not None:
            out["known_value"] = known.value
            if d.objective is not None:
                out["rel_error"] = abs(d.objective - known.value) / max(abs(known.value), 1e-12)
    except Exception as e:  # one line per instance whatever happens; the message says what
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - start, 4)
    return out


@dataclass(frozen=True)
class Known:
    """A published optimum: family (cflp, uflp, sscflp), instance name, file, capacity to put
    in the placeholder, and the value."""

    family: str
    instance: str
    path: Path
    capacity: float | None
    value: float


def _known_rows(folder: Path):
    """(family, instance, file name, capacity, value) of each facility-location row of
    ``folder/known_values.csv`` (file names without the ``(capacity=N)`` note)."""
    table = pd.read_csv(folder / "known_values.csv", dtype=str)
    for r in table.itertuples(index=False):
        family = r.family.removesuffix("_orlib")
        if family in FAMILIES:
            cap = re.search(r"capacity=([0-9.]+)", r.file)
            yield (family, r.instance, Path(r.file.split(" (")[0]).name,
                   float(cap.group(1)) if cap else None, float(r.known_value))


def catalogue(folder) -> list[Known]:
    """The instances of ``folder/known_values.csv`` (rows as in the shared benchmark folder:
    family, instance, file, known_value, ...) whose files are in ``folder`` (also gzipped)."""
    folder = Path(folder)
    out = []
    for family, instance, base, cap, value in _known_rows(folder):
        path = next((p for p in (folder / base, folder / f"{base}.gz") if p.exists()), None)
        if path is not None:
            out.append(Known(family, instance, path, cap, value))
    return out


def find_known(family: str, path, capacity: float | None = None) -> Known | None:
    """The published optimum of the instance in ``path`` from a ``known_values.csv`` in its
    folder or up to two folders above (None when there is none)."""
    path = Path(path).resolve()
    for folder in list(path.parents)[:3]:
        if not (folder / "known_values.csv").exists():
            continue
        for fam, instance, base, cap, value in _known_rows(folder):
            if fam == family and base == path.name.removesuffix(".gz") and (
                    cap is None or (capacity is not None and cap == float(capacity))):
                return Known(family, instance, path, cap, value)
    return None


def _num(v: float) -> str:
    return re.sub(r"\.0$", "", repr(float(v)))


__all__ = [
    "FAMILIES",
    "READERS",
    "Facilities",
    "Known",
    "catalogue",
    "find_known",
    "parse",
    "read",
    "read_cflp",
    "read_sscflp",
    "read_uflp",
    "solve",
    "to_network",
]
