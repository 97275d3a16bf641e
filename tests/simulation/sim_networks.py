"""Small networks built in code for the simulation tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from chainlab.models import Calendar, Network
from chainlab.models.calendar import BUCKET_DAYS

START = dt.date(2027, 1, 4)


def daily_demand(customer: str, product: str, days: int, mean: float, sd: float | None = None,
                 distribution: str = "") -> pd.DataFrame:
    dates = [START + dt.timedelta(days=i) for i in range(days)]
    return pd.DataFrame({"customer": customer, "product": product, "date": dates,
                         "quantity": float(mean), "sd": sd if sd is not None else float("nan"),
                         "distribution": distribution or ("normal" if sd else "fixed")})


def single_stage(days: int = 200, mean: float = 100.0, sd: float | None = 20.0,
                 distribution: str = "", lead: float = 3.0, lead_sd: float = 0.0,
                 policy: dict | None = None, on_hand: float | None = None,
                 holding: float = 1.0, customers: int = 1, supply_capacity=None,
                 bucket: str = "day") -> Network:
    """SUP -> DC (lead ``lead`` days) -> customers C0.. (0 days); one product P at the DC
    under ``policy`` (default: base stock 400)."""
    policy = policy or {"policy": "base_stock", "order_up_to": 400.0}
    start_stock = on_hand if on_hand is not None else policy.get("order_up_to", 0.0)
    periods = days if bucket == "day" else days // 7
    cal = Calendar(bucket, START, periods)
    cust = [f"C{i}" for i in range(customers)]
    sites = pd.DataFrame({"id": ["SUP", "DC"] + cust,
                          "kind": ["supplier", "dc"] + ["customer"] * customers})
    products = pd.DataFrame({"id": ["P"], "standard_cost": [10.0], "holding_cost": [holding],
                             "price": [20.0]})
    supply = pd.DataFrame({"supplier": ["SUP"], "product": ["P"], "unit_cost": [10.0],
                           "capacity_per_period": [supply_capacity], "lead_time_days": [0.0]})
    lanes = pd.DataFrame({"origin": ["SUP"] + ["DC"] * customers,
                          "destination": ["DC"] + cust,
                          "cost_per_unit": [1.0] + [0.5] * customers,
                          "lead_time_days": [lead] + [0.0] * customers,
                          "lead_time_sd_days": [lead_sd] + [0.0] * customers})
    inventory = pd.DataFrame([{"site": "DC", "product": "P", "on_hand": start_stock, **policy}])
    if bucket == "day":
        demand = pd.concat([daily_demand(c, "P", days, mean, sd, distribution) for c in cust])
    else:
        dates = [START + dt.timedelta(days=7 * i) for i in range(periods)]
        demand = pd.concat([pd.DataFrame({"customer": c, "product": "P", "date": dates,
                                          "quantity": mean, "sd": sd,
                                          "distribution": distribution or "normal"})
                            for c in cust])
    return Network.from_tables("single", cal, sites=sites, products=products, supply=supply,
                               lanes=lanes, inventory=inventory, demand=demand)


def serial_two_stage(days: int = 200, mean: float = 100.0, sd: float = 20.0,
                     lead_up: float = 2.0, lead_down: float = 1.0, S_up: float = 300.0,
                     S_down: float = 200.0) -> Network:
    """SUP -> WH (base stock S_up, lead_up) -> DC (base stock S_down, lead_down) -> C."""
    cal = Calendar("day", START, days)
    sites = pd.DataFrame({"id": ["SUP", "WH", "DC", "C"],
                          "kind": ["supplier", "dc", "dc", "customer"]})
    products = pd.DataFrame({"id": ["P"], "standard_cost": [10.0], "holding_cost": [1.0]})
    supply = pd.DataFrame({"supplier": ["SUP"], "product": ["P"], "unit_cost": [10.0]})
    lanes = pd.DataFrame({"origin": ["SUP", "WH", "DC"], "destination": ["WH", "DC", "C"],
                          "cost_per_unit": [1.0, 1.0, 0.0],
                          "lead_time_days": [lead_up, lead_down, 0.0]})
    inventory = pd.DataFrame({"site": ["WH", "DC"], "product": ["P", "P"],
                              "on_hand": [S_up, S_down], "policy": ["base_stock"] * 2,
                              "order_up_to": [S_up, S_down]})
    demand = daily_demand("C", "P", days, mean, sd)
    return Network.from_tables("serial", cal, sites=sites, products=products, supply=supply,
                               lanes=lanes, inventory=inventory, demand=demand)


def policy_mix(days: int = 120, seed: int = 7, bucket: str = "day") -> Network:
    """Three DCs bought from two unlimited suppliers over lanes with random transit times, two
    products, two or three customers per DC (one served without a lane lead time, others with),
    and every kind of policy: base stock with weekly review, (s, S), (r, Q), ``plan`` and a
    stock point without a row (lot for lot). With ``bucket="week"`` the calendar has
    ``days // 7`` weeks and the same daily demand rows (each week sums its seven)."""
    rng = np.random.default_rng(seed)
    cal = Calendar(bucket, START, days // BUCKET_DAYS[bucket])
    dcs = ["DC1", "DC2", "DC3"]
    cust = [f"C{i}" for i in range(8)]
    home = {c: dcs[i % 3] for i, c in enumerate(cust)}
    sites = pd.DataFrame({"id": ["S1", "S2"] + dcs + cust,
                          "kind": ["supplier"] * 2 + ["dc"] * 3 + ["customer"] * 8})
    products = pd.DataFrame({"id": ["A", "B"], "standard_cost": [10.0, 4.0],
                             "holding_cost": [0.5, 0.2], "price": [25.0, 9.0]})
    supply = pd.DataFrame({"supplier": ["S1", "S2", "S2"], "product": ["A", "A", "B"],
                           "unit_cost": [10.0, 10.5, 4.0], "lead_time_days": [2.0, 0.0, 1.0]})
    lanes = [("S1", d, 1.0, "", 3.0, 1.5) for d in dcs] + [("S2", d, 1.2, "", 4.0, 2.0)
                                                           for d in dcs]
    lanes += [(home[c], c, 0.3 + 0.1 * i, "", float(i % 3), 0.8 * (i % 2))
              for i, c in enumerate(cust)]
    lanes = pd.DataFrame(lanes, columns=["origin", "destination", "cost_per_unit", "product",
                                         "lead_time_days", "lead_time_sd_days"])
    inventory = pd.DataFrame([
        {"site": "DC1", "product": "A", "on_hand": 300, "policy": "base_stock",
         "order_up_to": 520, "review_days": 7},
        {"site": "DC1", "product": "B", "on_hand": 80, "policy": "s_S", "reorder_point": 60,
         "order_up_to": 160},
        {"site": "DC2", "product": "A", "on_hand": 200, "policy": "r_Q", "reorder_point": 250,
         "order_quantity": 120},
        {"site": "DC2", "product": "B", "on_hand": 90, "policy": "plan"},
        {"site": "DC3", "product": "A", "on_hand": 150, "policy": "s_S", "reorder_point": 150,
         "order_up_to": 330, "review_days": 3},
    ])  # DC3/B has no row: lot for lot
    rows = []
    for c in cust:
        for p, mu in (("A", 12.0), ("B", 4.0)):
            dist = rng.choice(["normal", "poisson", "gamma", "fixed"])
            sd = {"normal": 0.4 * mu, "gamma": 0.6 * mu}.get(dist, float("nan"))
            rows.append(daily_demand(c, p, days, mu * rng.uniform(0.5, 1.5), sd, dist))
    demand = pd.concat(rows)
    return Network.from_tables("mix", cal, sites=sites, products=products, supply=supply,
                               lanes=lanes, inventory=inventory, demand=demand)


def plan_chain(bucket: str = "day", periods: int = 28, lead_in: float = 1.0,
               lead_out: float = 2.0, hours: float | None = 22.0,
               supply_capacity: float | None = 25.0, customers: int = 2) -> Network:
    """SUP -> PLANT -> DC -> customers C0.. for planning and then executing the plan: SUP sells
    RM (``supply_capacity`` per period, None = unlimited) shipped to PLANT in ``lead_in`` days;
    PLANT makes P from one RM in one hour on LINE (``hours`` per period, None = no resource);
    P goes to the DC in ``lead_out`` days and on to the customers in 0 days. Demand is fixed
    (no noise) and rises and falls, so that in a daily plan the line and the supplier bind and
    the plan builds ahead: per customer and day 8 + 6 sin(2 pi t / 14), summed per bucket (the
    simulation spreads a week's quantity evenly over its days)."""
    d = BUCKET_DAYS[bucket]
    cal = Calendar(bucket, START, periods)
    cust = [f"C{i}" for i in range(customers)]
    sites = pd.DataFrame({"id": ["SUP", "PLANT", "DC"] + cust,
                          "kind": ["supplier", "plant", "dc"] + ["customer"] * customers})
    products = pd.DataFrame({"id": ["RM", "P"], "standard_cost": [2.0, 10.0],
                             "holding_cost": [0.01 * d, 0.1 * d], "price": [0.0, 25.0]})
    supply = pd.DataFrame({"supplier": ["SUP"], "product": ["RM"], "unit_cost": [2.0],
                           "capacity_per_period": [supply_capacity], "lead_time_days": [0.0]})
    lanes = pd.DataFrame({"origin": ["SUP", "PLANT"] + ["DC"] * customers,
                          "destination": ["PLANT", "DC"] + cust,
                          "cost_per_unit": [0.1, 1.0] + [0.5] * customers,
                          "product": ["RM", "P"] + [""] * customers,
                          "lead_time_days": [lead_in, lead_out] + [0.0] * customers,
                          "lead_time_sd_days": 0.0})
    production = pd.DataFrame({"plant": ["PLANT"], "product": ["P"], "unit_cost": [3.0],
                               "resource": ["LINE" if hours is not None else ""],
                               "hours_per_unit": [1.0 if hours is not None else 0.0]})
    resources = (pd.DataFrame({"plant": ["PLANT"], "resource": ["LINE"],
                               "hours_per_period": [hours]}) if hours is not None else None)
    bom = pd.DataFrame({"product": ["P"], "component": ["RM"], "quantity": [1.0]})
    inventory = pd.DataFrame({"site": ["DC", "PLANT"], "product": ["P", "RM"],
                              "on_hand": [60.0, 20.0], "policy": ["plan", "plan"]})
    t = np.arange(periods * d)
    daily = 8.0 + 6.0 * np.sin(2 * np.pi * t / 14)
    per_bucket = daily.reshape(periods, d).sum(axis=1)
    dates = [START + dt.timedelta(days=d * i) for i in range(periods)]
    demand = pd.concat([pd.DataFrame({"customer": c, "product": "P", "date": dates,
                                      "quantity": np.round(per_bucket, 3), "sd": 0.0,
                                      "distribution": "fixed"}) for c in cust])
    if resources is not None:
        return Network.from_tables("chain", cal, sites=sites, products=products, supply=supply,
                                   lanes=lanes, production=production, resources=resources,
                                   bom=bom, inventory=inventory, demand=demand)
    return Network.from_tables("chain", cal, sites=sites, products=products, supply=supply,
                               lanes=lanes, production=production, bom=bom, inventory=inventory,
                               demand=demand)
