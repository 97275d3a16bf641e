"""GSM and SSM instances read from JSON: chainlab's own format, and stockpyl's instance file
(``stockpyl_instances.json``, the textbook instances of Snyder & Shen).

chainlab's format (one problem per file)::

    {"name": "...", "service_level": 0.95,          # or "demand_bound": k (GSM)
     "stockout_cost": 37.12,                        # SSM: p per unit backordered per period
     "nodes": [{"id": "A", "processing_time": 2,    # GSM: T (integer periods); SSM: lead_time L
                "holding_cost": 1.0,                # local holding cost h per unit per period
                "demand_mean": 0, "demand_sd": 0,   # external demand per period
                "demand_distribution": "normal",    # SSM: normal or poisson
                "external_inbound_cst": 0, "external_outbound_cst": null}],
     "edges": [["A", "B"], {"from": "B", "to": "C", "units": 2}]}

An edge goes from supplier to customer. The GSM reads ``service_level`` as ``k = z_alpha``
(``demand_bound`` when given instead); the SSM reads the stockout cost ``p``.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist

from chainlab.models.errors import Issue, ValidationError
from chainlab.solver.inventory import gsm, ssm


def _bad(path, message: str) -> ValidationError:
    return ValidationError([Issue(Path(path).name, message)])


def _num(node: dict, key: str, path, default=None, where="") -> float | None:
    v = node.get(key, default)
    if v is None:
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        raise _bad(path, f"{where}: {key}(={v!r}) must be a number") from None


def _edges(data: dict, path) -> list[tuple[str, str, float]]:
    out = []
    for n, e in enumerate(data.get("edges", [])):
        if isinstance(e, dict):
            a, b, u = e.get("from"), e.get("to"), e.get("units", 1)
        elif isinstance(e, (list, tuple)) and len(e) in (2, 3):
            a, b, u = e[0], e[1], e[2] if len(e) == 3 else 1
        else:
            raise _bad(path, f"edges[{n}]: write [supplier, customer] or "
                             "{from, to, units}")
        out.append((str(a), str(b), float(u)))
    return out


def read(path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise _bad(path, f"cannot read JSON: {e}") from None


def gsm_problem(data: dict, path="gsm.json") -> gsm.Problem:
    """A GSM :class:`~solver.inventory.gsm.Problem` from chainlab's format."""
    if "demand_bound" in data:
        k = float(data["demand_bound"])
    else:
        alpha = float(data.get("service_level", 0.95))
        if not 0 < alpha < 1:
            raise _bad(path, f"service_level(={alpha}) must be strictly between 0 and 1")
        k = NormalDist().inv_cdf(alpha)
    stages = []
    for n, node in enumerate(data.get("nodes", [])):
        where = f"nodes[{n}]"
        if "id" not in node:
            raise _bad(path, f"{where}: every node needs an id")
        out = node.get("external_outbound_cst")
        stages.append(gsm.Stage(
            str(node["id"]), int(_num(node, "processing_time", path, 0, where)),
            _num(node, "holding_cost", path, 0.0, where),
            _num(node, "demand_mean", path, 0.0, where), _num(node, "demand_sd", path, 0.0, where),
            int(_num(node, "external_inbound_cst", path, 0, where)),
            None if out is None else int(_num(node, "external_outbound_cst", path, None, where)),
            _num(node, "demand_bound", path, None, where)))
    return gsm.Problem(tuple(stages), tuple(_edges(data, path)), k, str(data.get("name", "")))


def ssm_problem(data: dict, path="ssm.json") -> ssm.Serial:
    """An SSM :class:`~solver.inventory.ssm.Serial` system from chainlab's format (the nodes
    must form a chain; the one without a customer faces demand)."""
    nodes = {str(n["id"]): n for n in data.get("nodes", [])}
    edges = _edges(data, path)
    nxt = {a: b for a, b, _ in edges}
    heads = [k for k in nodes if k not in set(nxt.values())]
    if len(heads) != 1 or len(edges) != len(nodes) - 1:
        raise _bad(path, "the SSM here is exact for serial systems: give a chain of nodes "
                         "(one edge into each node but the first)")
    chain = [heads[0]]
    while chain[-1] in nxt:
        chain.append(nxt[chain[-1]])
    chain.reverse()  # downstream first
    last = nodes[chain[0]]
    dist = str(last.get("demand_distribution", "normal"))
    return ssm.Serial(
        ids=tuple(chain),
        lead_times=tuple(_num(nodes[k], "processing_time", path, 0.0, k)
                         if "lead_time" not in nodes[k] else _num(nodes[k], "lead_time", path)
                         for k in chain),
        holding_costs=tuple(_num(nodes[k], "holding_cost", path, 0.0, k) for k in chain),
        stockout_cost=float(data.get("stockout_cost", 0.0)),
        demand_mean=_num(last, "demand_mean", path, 0.0, chain[0]),
        demand_sd=_num(last, "demand_sd", path, 0.0, chain[0]),
        distribution=dist, name=str(data.get("name", "")))


# ---------------------------------------------------------------- stockpyl's instance file


def stockpyl_instances(data: dict, kind: str) -> list[tuple[str, dict]]:
    """(name, chainlab-format dict) of the ``kind`` ("GSM" or "SSM") network instances in a
    stockpyl instance file."""
    out = []
    for inst in data.get("instances", []):
        if inst.get("type") != "network" or f"{kind}" not in inst.get("description", ""):
            continue
        out.append((inst["name"], _from_stockpyl(inst, kind)))
    return out


def _from_stockpyl(inst: dict, kind: str) -> dict:
    nodes, edges = [], []
    for n in inst["data"]["_nodes"]:
        ds = n.get("demand_source") or {}
        node = {"id": str(n["_index"]),
                "holding_cost": n.get("local_holding_cost") or 0.0,
                "demand_mean": ds.get("mean") or 0.0,
                "demand_sd": ds.get("standard_deviation") or 0.0}
        if kind == "GSM":
            node.update(processing_time=n.get("processing_time") or 0,
                        external_inbound_cst=n.get("external_inbound_cst") or 0,
                        external_outbound_cst=n.get("external_outbound_cst"),
                        demand_bound=n.get("demand_bound_constant"))
        else:
            node.update(lead_time=n.get("shipment_lead_time") or 0.0,
                        demand_distribution="poisson" if ds.get("type") == "P" else "normal",
                        echelon_holding_cost=n.get("echelon_holding_cost"))
            if n.get("stockout_cost"):
                node["stockout_cost"] = n["stockout_cost"]
        nodes.append(node)
        for s in n.get("_successor_indices", []):
            edges.append([str(n["_index"]), str(s)])
    out = {"name": inst["name"], "nodes": nodes, "edges": edges}
    if kind == "GSM":
        bounds = [n.get("demand_bound") for n in nodes if n.get("demand_bound") is not None]
        out["demand_bound"] = bounds[0] if bounds else 1.0
        for n in nodes:
            if n["demand_bound"] is None:
                n.pop("demand_bound")
    else:
        out["stockout_cost"] = max(n.get("stockout_cost", 0.0) for n in nodes)
        # stockpyl's SSM reads the echelon holding costs; local ones follow from them
        if all(n.get("echelon_holding_cost") is not None for n in nodes):
            _local_from_echelon(out)
    return out


def _local_from_echelon(data: dict) -> None:
    """Local holding cost h_j = sum of the echelon costs of j and everything upstream of it."""
    up = {b: a for a, b in data["edges"]}
    by_id = {n["id"]: n for n in data["nodes"]}
    for n in data["nodes"]:
        total, k = 0.0, n["id"]
        while k is not None:
            total += by_id[k].get("echelon_holding_cost") or 0.0
            k = up.get(k)
        n["holding_cost"] = total
