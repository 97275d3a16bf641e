"""The HTTP routes, one module per resource; each route calls one function of the engine and
lets :mod:`api.problems` map its errors."""

from __future__ import annotations

from chainlab.api.routes import (
    atp,
    docs,
    health,
    inventory,
    keys,
    plans,
    promises,
    scenarios,
    stock_moves,
    web,
)

#: the route modules, each with a ``router``, in the order the app includes them
ROUTE_MODULES = (health, plans, stock_moves, inventory, atp, promises, scenarios, keys, docs,
                 web)
