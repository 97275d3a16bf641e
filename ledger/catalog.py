"""What a sales form offers to choose from: the active customers and products of the ledger's
master data, and the dates the current plan covers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chainlab.ledger import db
from chainlab.ledger.tables import Item, LedgerState, Location, PlannedOrder
from chainlab.models.schema import SiteKind

ITEMS = Item.__table__
LOCATIONS = Location.__table__
ORDERS = PlannedOrder.__table__
STATE = LedgerState.__table__


@dataclass(frozen=True)
class Catalog:
    """Active customers (id, name) and products (id, name, unit), by id; ``plan_version`` and
    the first release and last due date of its orders (None before the first publish)."""

    customers: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    plan_version: int | None = None
    plan_start: dt.date | None = None
    plan_end: dt.date | None = None


def catalog(engine: Engine) -> Catalog:
    with db.reading(engine) as conn:
        customers = [{"id": r.id, "name": r.name} for r in conn.execute(
            sa.select(LOCATIONS.c.id, LOCATIONS.c.name)
            .where(LOCATIONS.c.kind == SiteKind.CUSTOMER, LOCATIONS.c.active)
            .order_by(LOCATIONS.c.id))]
        products = [{"id": r.id, "name": r.name, "unit": r.unit} for r in conn.execute(
            sa.select(ITEMS.c.id, ITEMS.c.name, ITEMS.c.unit)
            .where(ITEMS.c.active).order_by(ITEMS.c.id))]
        plan = conn.execute(sa.select(STATE.c.current_plan_id)
                            .where(STATE.c.id == 1)).scalar()
        start = end = None
        if plan is not None:
            start, end = conn.execute(
                sa.select(sa.func.min(ORDERS.c.release_date), sa.func.max(ORDERS.c.due_date))
                .where(ORDERS.c.plan_version_id == plan)).one()
    return Catalog(customers, products, plan, start, end)
