"""Small networks whose optimal plans can be worked out by hand (the answers are in the tests)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from chainlab.models import Calendar, Network

START = dt.date(2027, 1, 4)


def net(T: int, sites, products, lanes, demand=(), **tables) -> Network:
    """A network from lists of dicts; demand as (customer, product, period, quantity)."""
    cal = Calendar("week", START, T)
    d = pd.DataFrame([{"customer": c, "product": p, "date": cal.period_start(t), "quantity": q}
                      for c, p, t, q in demand],
                     columns=["customer", "product", "date", "quantity"])
    return Network.from_tables("hand", cal, sites=pd.DataFrame(sites),
                               products=pd.DataFrame(products), lanes=pd.DataFrame(lanes),
                               demand=d, **{k: pd.DataFrame(v) for k, v in tables.items()})


def direct() -> Network:
    """Supplier S sells FG at 2 (capacity 100) straight to customer C at 1 per unit; C wants
    10. Optimum 10 x (2 + 1) = 30."""
    return net(1, [{"id": "S", "kind": "supplier"}, {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 5}],
               [{"origin": "S", "destination": "C", "cost_per_unit": 1}],
               [("C", "FG", 0, 10)],
               supply=[{"supplier": "S", "product": "FG", "unit_cost": 2,
                        "capacity_per_period": 100}])


def line(demand=((0, 15),), hours=10.0, holding=0.0, price=10.0, T=2, max_stock=None) -> Network:
    """Plant K makes FG at 1 per unit on LINE (1 hour per unit, ``hours`` per period) and ships
    it at no cost, no lead time, to customer C."""
    inv = []
    if max_stock is not None:
        inv = [{"site": "K", "product": "FG", "on_hand": 0, "max_stock": max_stock}]
    return net(T, [{"id": "K", "kind": "plant"}, {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 5, "price": price, "holding_cost": holding}],
               [{"origin": "K", "destination": "C", "cost_per_unit": 0}],
               [("C", "FG", t, q) for t, q in demand],
               production=[{"plant": "K", "product": "FG", "unit_cost": 1, "resource": "LINE",
                            "hours_per_unit": 1}],
               resources=[{"plant": "K", "resource": "LINE", "hours_per_period": hours}],
               **({"inventory": inv} if inv else {}))


def bom_lead(demand=((3, 10),)) -> Network:
    """Supplier S sells RM at 1 with a week's lead time; plant K makes FG from 2 RM at 3; the
    K -> C lane costs 2 and takes a week. FG's price is 20. Four weeks."""
    return net(4, [{"id": "S", "kind": "supplier"}, {"id": "K", "kind": "plant"},
                   {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 10, "price": 20}, {"id": "RM", "standard_cost": 1}],
               [{"origin": "S", "destination": "K", "cost_per_unit": 0, "product": "RM"},
                {"origin": "K", "destination": "C", "cost_per_unit": 2, "lead_time_days": 7}],
               [("C", "FG", t, q) for t, q in demand],
               supply=[{"supplier": "S", "product": "RM", "unit_cost": 1, "lead_time_days": 7}],
               production=[{"plant": "K", "product": "FG", "unit_cost": 3}],
               bom=[{"product": "FG", "component": "RM", "quantity": 2}])


def setups(min_lot: float = 0.0) -> Network:
    """Plant K makes FG with a setup cost of 100 per period made, nothing per unit; holding
    costs 1 per unit and period; C wants 10 in each of 3 periods."""
    return net(3, [{"id": "K", "kind": "plant"}, {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 50, "holding_cost": 1}],
               [{"origin": "K", "destination": "C", "cost_per_unit": 0}],
               [("C", "FG", t, 10) for t in range(3)],
               production=[{"plant": "K", "product": "FG", "unit_cost": 0, "setup_cost": 100,
                            "min_lot": min_lot}])


def two_lanes(demand: float, min_shipment: float = 0.0, capacity: float | None = None
              ) -> Network:
    """Plant K (free production) to C over lane A (1 per unit + 50 per period used, minimum
    ``min_shipment``, at most ``capacity`` per period) or lane B (3 per unit); C wants
    ``demand`` in the one period."""
    cap = {} if capacity is None else {"capacity_per_period": capacity}
    return net(1, [{"id": "K", "kind": "plant"}, {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 50}],
               [{"origin": "K", "destination": "C", "cost_per_unit": 1, "mode": "A",
                 "fixed_cost": 50, "min_shipment": min_shipment, **cap},
                {"origin": "K", "destination": "C", "cost_per_unit": 3, "mode": "B"}],
               [("C", "FG", 0, demand)],
               production=[{"plant": "K", "product": "FG", "unit_cost": 0}])


def through_dc(throughput: float = 10.0) -> Network:
    """Plant K (1 per unit) -> DC D (ships out at most ``throughput`` per period) -> C, no
    transport costs or lead times; C wants 15 in the one period; FG's price is 10."""
    return net(1, [{"id": "K", "kind": "plant"}, {"id": "D", "kind": "dc", "capacity": throughput},
                   {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 5, "price": 10}],
               [{"origin": "K", "destination": "D", "cost_per_unit": 0},
                {"origin": "D", "destination": "C", "cost_per_unit": 0}],
               [("C", "FG", 0, 15)],
               production=[{"plant": "K", "product": "FG", "unit_cost": 1}])


def stock_at_dc(safety: float = 10.0, on_hand: float = 0.0, demand=()) -> Network:
    """Plant K makes FG at 1, ships to DC D at 1 per unit, D ships to C at 1 per unit; FG is
    worth 10 and costs 0.1 per unit and period to hold; D holds ``on_hand`` with a safety stock
    of ``safety``. One period."""
    return net(1, [{"id": "K", "kind": "plant"}, {"id": "D", "kind": "dc"},
                   {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 10, "holding_cost": 0.1}],
               [{"origin": "K", "destination": "D", "cost_per_unit": 1},
                {"origin": "D", "destination": "C", "cost_per_unit": 1}],
               list(demand),
               production=[{"plant": "K", "product": "FG", "unit_cost": 1}],
               inventory=[{"site": "D", "product": "FG", "on_hand": on_hand,
                           "safety_stock": safety}])


def unreachable() -> tuple[Network, pd.DataFrame]:
    """Customer C1 is served by supplier S; no lane reaches C2. Returns the network and a
    demand table in which C2 wants 7 FG."""
    n = net(1, [{"id": "S", "kind": "supplier"}, {"id": "C1", "kind": "customer"},
                {"id": "C2", "kind": "customer"}],
            [{"id": "FG", "standard_cost": 5}],
            [{"origin": "S", "destination": "C1", "cost_per_unit": 1}],
            [("C1", "FG", 0, 10)],
            supply=[{"supplier": "S", "product": "FG", "unit_cost": 2}])
    demand = pd.DataFrame({"customer": ["C1", "C2"], "product": "FG", "period": 0,
                           "quantity": [10.0, 7.0]})
    return n, demand


def two_plants() -> Network:
    """Plants K1 (1 per unit plus a setup of 100 in a period it makes anything) and K2 (5 per
    unit, no setup) make FG on their own LINE (1 hour per unit, 10 hours per period) and ship
    it at no cost to customer C, who wants 15 in the one period; FG's price is 10."""
    return net(1, [{"id": "K1", "kind": "plant"}, {"id": "K2", "kind": "plant"},
                   {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 5, "price": 10}],
               [{"origin": "K1", "destination": "C", "cost_per_unit": 0},
                {"origin": "K2", "destination": "C", "cost_per_unit": 0}],
               [("C", "FG", 0, 15)],
               production=[{"plant": "K1", "product": "FG", "unit_cost": 1, "setup_cost": 100,
                            "resource": "LINE", "hours_per_unit": 1},
                           {"plant": "K2", "product": "FG", "unit_cost": 5, "resource": "LINE",
                            "hours_per_unit": 1}],
               resources=[{"plant": "K1", "resource": "LINE", "hours_per_period": 10},
                          {"plant": "K2", "resource": "LINE", "hours_per_period": 10}])


def three_day_chain(demand_period: int = 5, T: int = 6) -> Network:
    """Supplier S sells RM at 1 (3 days from order to shipment) delivered to plant K at no cost
    in 0 days; K makes FG from one RM at 1; K -> DC D takes 3 days at 1 per unit; D -> C takes 0
    days at no cost. Holding costs 0.1 per unit and week for RM, 0.5 for FG; FG's price is 20.
    C wants 10 FG in ``demand_period``; no stock at the start. Weekly buckets."""
    return net(T, [{"id": "S", "kind": "supplier"}, {"id": "K", "kind": "plant"},
                   {"id": "D", "kind": "dc"}, {"id": "C", "kind": "customer"}],
               [{"id": "FG", "standard_cost": 10, "price": 20, "holding_cost": 0.5},
                {"id": "RM", "standard_cost": 1, "holding_cost": 0.1}],
               [{"origin": "S", "destination": "K", "cost_per_unit": 0, "product": "RM"},
                {"origin": "K", "destination": "D", "cost_per_unit": 1, "product": "FG",
                 "lead_time_days": 3},
                {"origin": "D", "destination": "C", "cost_per_unit": 0}],
               [("C", "FG", demand_period, 10)],
               supply=[{"supplier": "S", "product": "RM", "unit_cost": 1, "lead_time_days": 3}],
               production=[{"plant": "K", "product": "FG", "unit_cost": 1}],
               bom=[{"product": "FG", "component": "RM", "quantity": 1}])
