"""Published planning instances read into chainlab networks (benchmarks and test oracles).

Each reader takes a file in the format of the shared benchmark folder and returns an
:class:`Instance`: the network, the solve options the instance's rules imply (for example that
all demand must be met), and the published optimum when the file states it. The instance is
then solved by the same :func:`solver.plan` that users run.

``transportation``: Dantzig's transportation problem as in the GAMS model library (TRNSPORT):
JSON with ``plants`` (supply), ``markets`` (demand), ``distance`` and the freight rate.
``lotsizing``: the uncapacitated multi-level lot-sizing instances of Dellaert & Jeunet (2000):
JSON with ``items``, ``bom`` [parent, child, quantity], ``setup_cost``, ``holding_cost``,
``external_demand`` per item and period, ``lead_time`` (0), ``initial_inventory`` (0).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chainlab.models import Calendar, Network, ValidationError


@dataclass(frozen=True)
class Instance:
    """A published instance as a network, the options its rules imply, and its known optimum."""

    name: str
    network: Network
    options: dict = field(default_factory=dict)
    known_value: float | None = None


START = dt.date(2024, 1, 1)  # a Monday; the instances have no dates of their own


def _load(path) -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValidationError(f"{path.name}: not valid JSON ({e})") from None


def read_transportation(path) -> Instance:
    """Dantzig's transportation problem: plants are suppliers with a capacity, markets are
    customers whose demand must be met, lanes cost freight x distance / 1000 per case."""
    j = _load(path)
    freight = float(j["freight_per_case_per_thousand_miles"])
    sites = pd.DataFrame(
        [{"id": p, "kind": "supplier"} for p in j["plants"]]
        + [{"id": m, "kind": "customer"} for m in j["markets"]])
    products = pd.DataFrame([{"id": "case", "standard_cost": 0.0, "unit": "case"}])
    supply = pd.DataFrame([{"supplier": p, "product": "case", "unit_cost": 0.0,
                            "capacity_per_period": float(cap)} for p, cap in j["plants"].items()])
    lanes = pd.DataFrame([{"origin": p, "destination": m,
                           "cost_per_unit": freight * float(dist) / 1000.0}
                          for p, row in j["distance"].items() for m, dist in row.items()])
    demand = pd.DataFrame([{"customer": m, "product": "case", "date": START,
                            "quantity": float(q)} for m, q in j["markets"].items()])
    net = Network.from_tables(Path(path).stem, Calendar("week", START, 1), sites=sites,
                              products=products, supply=supply, lanes=lanes, demand=demand)
    return Instance(Path(path).stem, net, {"unmet": "none"}, j.get("optimal_value"))


def read_lotsizing(path) -> Instance:
    """Multi-level lot sizing: one plant makes every item (leaves from nothing), each period
    it makes an item costs the item's setup cost, stock costs its holding cost per period,
    and the end item's demand must be met on time."""
    j = _load(path)
    name = j.get("name", Path(path).stem)
    if float(j.get("lead_time", 0)) != 0:
        raise ValidationError(f"{name}: lead_time {j['lead_time']} is not supported "
                              f"(production in chainlab takes no time); only 0")
    if float(j.get("initial_inventory", 0)) != 0:
        raise ValidationError(f"{name}: initial_inventory must be 0")
    items = [str(i) for i in j["items"]]
    T = int(j["periods"])
    sites = pd.DataFrame([{"id": "PLANT", "kind": "plant"}, {"id": "CUSTOMER", "kind": "customer"}])
    products = pd.DataFrame({"id": items, "standard_cost": 0.0,
                             "holding_cost": [float(h) for h in j["holding_cost"]]})
    production = pd.DataFrame({"plant": "PLANT", "product": items, "unit_cost": 0.0,
                               "setup_cost": [float(s) for s in j["setup_cost"]]})
    bom = pd.DataFrame([{"product": str(p), "component": str(c), "quantity": float(q)}
                        for p, c, q in j["bom"]])
    lanes = pd.DataFrame([{"origin": "PLANT", "destination": "CUSTOMER", "cost_per_unit": 0.0}])
    cal = Calendar("week", START, T)
    demand = pd.DataFrame([{"customer": "CUSTOMER", "product": str(i),
                            "date": cal.period_start(t), "quantity": float(q)}
                           for i, qs in j["external_demand"].items() for t, q in enumerate(qs)
                           if q])
    net = Network.from_tables(name, cal, sites=sites, products=products, production=production,
                              bom=bom, lanes=lanes, demand=demand)
    return Instance(name, net, {"unmet": "none"}, j.get("optimal_value"))


#: family -> reader
READERS = {"transportation": read_transportation, "lotsizing": read_lotsizing}


def solve(family: str, path, backend: str | None = None, time_limit: float | None = None,
          capacity: float | None = None) -> dict:
    """Read and plan one instance with :func:`solver.plan`; the JSON line of CONTRACTS §4
    (family, instance, status, objective, bound, seconds, backend) plus ``known_value`` and
    ``rel_error`` when the file states its optimum. Never raises: status ``error`` and an
    ``error`` message instead. ``capacity`` is not used by these families."""
    from chainlab.solver import plan

    start = time.perf_counter()
    out = {"family": family, "instance": Path(path).stem, "status": "error", "objective": None,
           "bound": None, "seconds": None, "backend": backend}
    try:
        if family not in READERS:
            raise ValueError(f"family {family!r} is not one of {', '.join(READERS)}")
        inst = READERS[family](path)
        out["instance"] = inst.name
        p = plan(inst.network, backend=backend, time_limit=time_limit, **inst.options)
        out.update(status=p.status.value, objective=p.objective, bound=p.bound,
                   backend=p.backend)
        if inst.known_value is not None:
            out["known_value"] = inst.known_value
            if p.objective is not None:
                out["rel_error"] = abs(p.objective - inst.known_value) / max(
                    abs(inst.known_value), 1e-12)
    except Exception as e:  # one line per instance whatever happens; the message says what
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - start, 4)
    return out
