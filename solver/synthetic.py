"""Generated planning networks of any size, for benchmarks and tests.

:func:`generate` draws a network with suppliers, plants, DCs and customers on a map: suppliers
sell components to every plant, plants make finished goods from them on resource lines and
ship to their nearest DCs (rail and truck), DCs serve their nearest customers, and demand is
seasonal. Capacities are set near the demand so that some bind. Sizes: :data:`SIZES`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from chainlab.models import Calendar, Network

#: name -> (plants, DCs, customers, products, periods, DCs per customer)
SIZES = {
    "XS": (2, 3, 10, 2, 6, 2),
    "S": (3, 6, 60, 5, 12, 3),
    "M": (10, 25, 200, 5, 12, 5),
    "L": (20, 50, 500, 5, 12, 6),
    "XL": (40, 100, 2000, 8, 20, 6),
}


def generate(size: str = "S", seed: int = 0, *, mip: bool = False, plants: int | None = None,
             dcs: int | None = None, customers: int | None = None, products: int | None = None,
             periods: int | None = None, dcs_per_customer: int | None = None) -> Network:
    """A random network of one of :data:`SIZES` (numbers may be overridden). ``mip=True``
    adds setup costs and minimum lots at the plants and fixed costs on plant-DC lanes."""
    rng = np.random.default_rng(seed)
    P, D, C, F, T, K = SIZES[size]
    P, D, C, F, T = plants or P, dcs or D, customers or C, products or F, periods or T
    K = min(dcs_per_customer or K, D)
    n_comp, n_sup = 2, 3
    start = dt.date(2027, 1, 4)

    def pts(n):
        return rng.uniform(0, 1000, size=(n, 2))

    sup_xy, plant_xy, dc_xy, cust_xy = pts(n_sup), pts(P), pts(D), pts(C)
    sup_id = [f"SUP{i + 1}" for i in range(n_sup)]
    plant_id = [f"PLANT{i + 1}" for i in range(P)]
    dc_id = [f"DC{i + 1}" for i in range(D)]
    cust_id = [f"C{i + 1:04d}" for i in range(C)]
    fg = [f"FG{i + 1}" for i in range(F)]
    comp = [f"RM{i + 1}" for i in range(n_comp)]

    # demand: per customer x product x period, seasonal, whole units
    base = rng.gamma(2.0, 20.0, size=(C, F))
    season = 1 + 0.3 * np.sin(2 * np.pi * (np.arange(T) / max(T, 1)))
    qty = np.round(base[:, :, None] * season[None, None, :] * rng.uniform(0.8, 1.2, (C, F, T)))
    ci, fi, ti = np.nonzero(qty > 0)
    cal = Calendar("week", start, T)
    dates = [cal.period_start(t) for t in range(T)]
    demand = pd.DataFrame({"customer": np.asarray(cust_id)[ci], "product": np.asarray(fg)[fi],
                           "date": np.asarray(dates, dtype=object)[ti], "quantity": qty[ci, fi, ti],
                           "sd": np.round(0.2 * qty[ci, fi, ti], 2)})
    per_period = qty.sum(axis=(0, 2)) / T  # per product

    sites = pd.concat([
        pd.DataFrame({"id": sup_id, "kind": "supplier", "lat": sup_xy[:, 0], "lon": sup_xy[:, 1]}),
        pd.DataFrame({"id": plant_id, "kind": "plant", "lat": plant_xy[:, 0],
                      "lon": plant_xy[:, 1], "fixed_cost": np.round(rng.uniform(5e3, 2e4, P))}),
        pd.DataFrame({"id": dc_id, "kind": "dc", "lat": dc_xy[:, 0], "lon": dc_xy[:, 1],
                      "fixed_cost": np.round(rng.uniform(1e3, 5e3, D)),
                      "capacity": np.round(per_period.sum() / D * rng.uniform(1.2, 2.0, D))}),
        pd.DataFrame({"id": cust_id, "kind": "customer", "lat": cust_xy[:, 0],
                      "lon": cust_xy[:, 1]}),
    ], ignore_index=True)
    std = np.round(rng.uniform(20, 60, F), 2)
    products = pd.concat([
        pd.DataFrame({"id": fg, "standard_cost": std, "price": np.round(std * 1.6, 2),
                      "holding_cost": np.round(std * 0.004, 4)}),
        pd.DataFrame({"id": comp, "standard_cost": [3.0, 5.0], "holding_cost": [0.01, 0.02]}),
    ], ignore_index=True)
    bom = pd.DataFrame([{"product": f, "component": c, "quantity": q}
                        for f in fg for c, q in zip(comp, (2.0, 1.0))])

    # plants make a random 60% of the products (each product at >= 2 plants), on two lines
    makes = rng.uniform(size=(P, F)) < 0.6
    for f in range(F):
        if makes[:, f].sum() < min(2, P):
            makes[rng.choice(P, size=min(2, P), replace=False), f] = True
    pk, fk = np.nonzero(makes)
    line = np.where(fk % 2 == 0, "LINE1", "LINE2")
    production = pd.DataFrame({"plant": np.asarray(plant_id)[pk], "product": np.asarray(fg)[fk],
                               "unit_cost": np.round(std[fk] * rng.uniform(0.3, 0.5, len(pk)), 2),
                               "resource": line, "hours_per_unit": 0.01})
    if mip:
        production["setup_cost"] = np.round(rng.uniform(200, 800, len(pk)))
        production["min_lot"] = np.round(per_period[fk] / P * 0.5)
    makers = makes.sum(axis=0)
    hours = {}
    for k, f, ln in zip(pk, fk, line):
        hours[(k, ln)] = hours.get((k, ln), 0.0) + per_period[f] / makers[f] * 0.01
    resources = pd.DataFrame([{"plant": plant_id[k], "resource": ln,
                               "hours_per_period": round(h * 1.15, 1)}
                              for (k, ln), h in sorted(hours.items())])
    supply = pd.DataFrame([{"supplier": s, "product": c, "unit_cost": round(2 + j + i * 0.3, 2),
                            "capacity_per_period": round(per_period.sum() * (3 - j) * 1.5 / n_sup),
                            "lead_time_days": 7 * (1 + i % 2)}
                           for i, s in enumerate(sup_id) for j, c in enumerate(comp)])

    def dist(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))

    lanes = []
    d_sp = dist(sup_xy, plant_xy)
    for i in range(n_sup):
        for k in range(P):
            lanes.append({"origin": sup_id[i], "destination": plant_id[k], "mode": "truck",
                          "cost_per_unit": round(0.05 + d_sp[i, k] * 2e-4, 4),
                          "lead_time_days": 2 + d_sp[i, k] // 400})
    d_pd = dist(plant_xy, dc_xy)
    near = np.argsort(d_pd, axis=0)[:min(P, 6)]  # each DC from its 6 nearest plants
    for j in range(D):
        for k in near[:, j]:
            dd = d_pd[k, j]
            for mode, rate, speed in (("truck", 2.5e-3, 600), ("rail", 1.5e-3, 250)):
                lane = {"origin": plant_id[k], "destination": dc_id[j], "mode": mode,
                        "cost_per_unit": round(0.2 + dd * rate, 4),
                        "lead_time_days": 1 + dd // speed}
                if mip and mode == "rail":
                    lane["fixed_cost"] = round(300 + dd, 0)
                    lane["min_shipment"] = 50.0
                lanes.append(lane)
    d_dc = dist(dc_xy, cust_xy)
    near = np.argsort(d_dc, axis=0)[:K]
    for c in range(C):
        for j in near[:, c]:
            lanes.append({"origin": dc_id[j], "destination": cust_id[c], "mode": "truck",
                          "cost_per_unit": round(0.3 + d_dc[j, c] * 4e-3, 4),
                          "lead_time_days": d_dc[j, c] // 300})
    lanes = pd.DataFrame(lanes)

    inv = pd.DataFrame([{"site": s, "product": f,
                         "on_hand": round(per_period[i] / D * 1.0),
                         "safety_stock": round(per_period[i] / D * 0.5)}
                        for s in dc_id for i, f in enumerate(fg)])
    return Network.from_tables(f"synthetic-{size}-{seed}" + ("-mip" if mip else ""), cal,
                               sites=sites, products=products, bom=bom, production=production,
                               resources=resources, supply=supply, lanes=lanes, inventory=inv,
                               demand=demand)
