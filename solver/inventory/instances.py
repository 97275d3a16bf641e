"""The ``gsm`` and ``ssm`` families of ``benchmarks/instances.py`` (CONTRACTS §4).

A file is either chainlab's format (:mod:`solver.inventory.formats`, one instance) or stockpyl's
instance file (``{"instances": [...]}``: every GSM or SSM network instance in it). Each instance
gives one JSON line: ``family``, ``instance``, ``status``, ``objective`` (expected cost per
period: safety-stock holding cost for the GSM; holding and backorder cost for the SSM),
``bound`` (= objective: both are solved to optimality), ``seconds``, ``backend`` (``dp``) and
``stages``: per stage ``{id, cst, inbound_cst, net_lead_time, safety_stock, base_stock}`` (GSM)
or ``{id, echelon_base_stock, local_base_stock}`` (SSM).
"""

from __future__ import annotations

import time
from pathlib import Path

from chainlab.models import ChainlabError
from chainlab.solver.inventory import formats, gsm, ssm


def _line(family: str, name: str, t0: float, **fields) -> dict:
    out = {"family": family, "instance": name, "status": "error", "objective": None,
           "bound": None, "seconds": round(time.perf_counter() - t0, 6), "backend": "dp"}
    out.update(fields)
    return out


def solve_one(family: str, name: str, data: dict, path) -> dict:
    t0 = time.perf_counter()
    try:
        if family == "gsm":
            sol = gsm.optimize(formats.gsm_problem(data, path))
            stages = [{"id": s.id, "cst": s.cst, "inbound_cst": s.inbound_cst,
                       "net_lead_time": s.net_lead_time, "safety_stock": s.safety_stock,
                       "base_stock": s.base_stock} for s in sol.stages.values()]
        else:
            sol = ssm.optimize_serial(formats.ssm_problem(data, path))
            stages = [{"id": k, "echelon_base_stock": sol.echelon[k],
                       "local_base_stock": sol.local[k]} for k in sol.echelon]
    except (ChainlabError, ValueError, KeyError, TypeError) as e:
        return _line(family, name, t0, error=str(e))
    return _line(family, name, t0, status="optimal", objective=sol.cost, bound=sol.cost,
                 stages=stages)


def solve(family: str, path, backend=None, time_limit=None, capacity=None) -> dict | list[dict]:
    """The JSON line(s) of one file; never raises."""
    path = Path(path)
    t0 = time.perf_counter()
    try:
        data = formats.read(path)
    except ChainlabError as e:
        return _line(family, path.stem, t0, error=str(e))
    if isinstance(data, dict) and "instances" in data:
        items = formats.stockpyl_instances(data, family.upper())
        if not items:
            return _line(family, path.stem, t0, error=f"no {family.upper()} network instance "
                                                      "in this stockpyl file")
        return [solve_one(family, name, d, path) for name, d in items]
    if not isinstance(data, dict):
        return _line(family, path.stem, t0, error="the file must hold one JSON object")
    return solve_one(family, str(data.get("name") or path.stem), data, path)
