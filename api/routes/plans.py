"""``/v1/plans`` (versions, the current one, their orders as JSON pages or CSV, their reports
for the web page, their production schedules as JSON or CSV, publishing) and ``/v1/orders/{number}`` (an order of the current plan and its
status)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from chainlab.api.deps import (
    ErpOrPlannerKey,
    IdempotencyKeyHeader,
    LedgerDep,
    PlannerKey,
    SettingsDep,
    idempotency,
)
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.common import MAX_ID
from chainlab.api.schemas.plans import (
    OrderPage,
    OrderStatusChange,
    Plan,
    PlanCreate,
    PlannedOrder,
    Published,
)
from chainlab.ledger import Ledger, OrderFilter, OrderStatus, OrderType
from chainlab.ledger.orders import ORDER_FIELDS, decode_cursor
from chainlab.ledger.schedules import OPERATION_FIELDS

router = APIRouter(prefix="/v1", tags=["plans"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)
PlanRef = Annotated[str, Path(pattern=r"^(current|[0-9]{1,12})$",
                              description="a plan version id, or `current`")]


@router.get("/plans", response_model=list[Plan])
def list_plans(led: LedgerDep, _: ErpOrPlannerKey,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    """Published plan versions, newest first (``before`` an id for the next page)."""
    return [Plan.model_validate(p) for p in led.plans(limit=limit, before=before)]


@router.get("/plans/{plan_ref}", response_model=Plan)
def get_plan(led: LedgerDep, _: ErpOrPlannerKey, plan_ref: PlanRef):
    """A plan version, or the current one (404 before the first publish)."""
    return Plan.model_validate(led.plan(_plan_id(plan_ref)))


@router.get("/plans/{plan_ref}/report", response_model=dict[str, Any])
def get_plan_report(led: LedgerDep, _: ErpOrPlannerKey, plan_ref: PlanRef):
    """What the planner's web page shows of a plan version (404 when it was published without
    its plan and network, e.g. orders only, or before the first publish). One JSON object:

    - ``plan_version_id``, ``name``, ``network``, ``currency``, ``bucket`` (week or day),
      ``dates``: the start date of each period (index = period);
    - ``status``, ``objective``, ``gap`` (null if unknown), ``costs``: cost by category;
    - ``sites``: ``id``, ``kind``, ``name``, ``lat``, ``lon``, ``region``, ``status``;
    - ``lanes``: one per origin, destination and ``mode`` with ``cost_per_unit``,
      ``lead_time_days`` and ``flow`` (units the plan ships on it over the horizon);
    - ``site_tables``: per site ``capacity`` (``item``, ``per_period``, ``unit``; null =
      unlimited), ``inventory`` (``product``, ``on_hand``, ``safety_stock``), ``demand``
      (customers: ``product``, ``total``, ``per_period``);
    - ``production``: per plant ``quantity``, ``used_hours``, ``available_hours`` per period;
    - ``inventory``: per DC the end-of-period stock per period, all products;
    - ``bottlenecks``: up to 15 capacities (``kind``, ``site``, ``item``, ``period``,
      ``date``, ``used``, ``available``, ``utilisation``, ``shadow_price``) by shadow price,
      or for a plan without duals (a MILP) those used to 98% or more, ``shadow_price`` null.

    See :mod:`ledger.report`."""
    return led.plan_report(_plan_id(plan_ref))


@router.get("/plans/{plan_ref}/schedule", response_model=dict[str, Any],
            responses={200: {"content": {"text/csv": {}},
                             "description": "the schedules, or with `Accept: text/csv` every "
                                            "operation as CSV"}})
def get_plan_schedule(request: Request, led: LedgerDep, _: ErpOrPlannerKey, plan_ref: PlanRef,
                      week: Annotated[int | None, Query(ge=0, le=100_000,
                                                        description="only this period")] = None):
    """The detailed production schedules published with a plan version (`chainlab schedule
    PLAN_DIR --publish`), one per period (404 when there is none). JSON: ``plan_version_id``
    and ``schedules``, each with ``period``, ``week_start``, ``summary`` (status, objective,
    bound, gap, KPIs) and ``operations`` (``resource`` (the unit), ``line``, ``order``,
    ``operation``, ``product``, ``start``, ``end`` (ISO date-times), ``setup_hours``,
    ``setup_cost``, ``previous``, ``due``, ``tardiness_hours``). With ``Accept: text/csv``:
    every operation, with ``plan_version_id`` and ``period`` first."""
    bodies = led.plan_schedules(_plan_id(plan_ref), week)
    plan_id = bodies[0]["plan_version_id"]
    if "text/csv" in request.headers.get("accept", ""):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["plan_version_id", "period", *OPERATION_FIELDS])
        for b in bodies:
            for o in b["operations"]:
                w.writerow([plan_id, b["period"]]
                           + ["" if o[f] is None else o[f] for f in OPERATION_FIELDS])
        return Response(buf.getvalue(), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}-schedule.csv"'})
    return {"plan_version_id": plan_id, "schedules": bodies}


@router.get("/plans/{plan_ref}/orders", response_model=OrderPage,
            responses={200: {"content": {"text/csv": {}},
                             "description": "a page of orders, or with `Accept: text/csv` "
                                            "every matching order as CSV"}})
def list_orders(request: Request, led: LedgerDep, settings: SettingsDep, _: ErpOrPlannerKey,
                plan_ref: PlanRef,
                type: OrderType | None = None,
                product: Annotated[str | None, Query(max_length=64)] = None,
                from_site: Annotated[str | None, Query(max_length=64)] = None,
                to_site: Annotated[str | None, Query(max_length=64)] = None,
                status: OrderStatus | None = None,
                release_from: dt.date | None = None, release_to: dt.date | None = None,
                due_from: dt.date | None = None, due_to: dt.date | None = None,
                cursor: Annotated[str | None, Query(max_length=100)] = None,
                limit: Annotated[int | None, Query(ge=1)] = None):
    """The orders of a plan version in number order, filtered, one page at a time
    (``next_cursor``). A cursor keeps to the version of its first page even when ``current``
    moves on. With ``Accept: text/csv``: every matching order as CSV (no paging)."""
    filters = OrderFilter(type=type, product=product, from_site=from_site, to_site=to_site,
                          status=status, release_from=release_from, release_to=release_to,
                          due_from=due_from, due_to=due_to)
    plan_id = _plan_id(plan_ref)
    if plan_id is None and cursor:
        plan_id = decode_cursor(cursor)[0]
    if "text/csv" in request.headers.get("accept", ""):
        plan = led.plan(plan_id)
        return StreamingResponse(_csv(led, plan.id, filters), media_type="text/csv",
                                 headers={"Content-Disposition":
                                          f'attachment; filename="plan-{plan.id}-orders.csv"'})
    limit = min(limit or settings.page_size, settings.max_page_size)
    return OrderPage.model_validate(led.orders(plan_id, filters, cursor=cursor, limit=limit))


def _csv(led: Ledger, plan_id: int, filters: OrderFilter) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ORDER_FIELDS)
    for n, o in enumerate(led.iter_orders(plan_id, filters), start=1):
        w.writerow([o.number, o.plan_version_id, o.type.value, o.product, o.from_site,
                    o.to_site, format(o.quantity.normalize(), "f"), o.release_date.isoformat(),
                    o.due_date.isoformat(), o.status.value,
                    "" if o.carried_from is None else o.carried_from])
        if n % 2000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.post("/plans", status_code=201, response_model=Published,
             responses={200: {"model": Published,
                              "description": "that plan was already the current one"}})
def publish_plan(response: Response, led: LedgerDep, key: PlannerKey,
                 body: Annotated[PlanCreate, Body()],
                 idempotency_key: IdempotencyKeyHeader = None):
    """Publish a plan's orders as the new current version, in one transaction (201); the plan
    that is already current gives its version back (200). Firm and released orders of the
    current version are carried over. ``sites`` and ``products`` update the master data."""
    result = led.publish_orders(body.orders_table(), name=body.name, sites=body.sites_table(),
                                products=body.products_table(), source=f"api:{key.principal}",
                                idempotency=idempotency(key, idempotency_key, "plans",
                                                        body.model_dump(mode="json")))
    if not result.created:
        response.status_code = 200
    return Published.model_validate(result)


@router.get("/orders/{number}", response_model=PlannedOrder, tags=["orders"])
def get_order(led: LedgerDep, _: ErpOrPlannerKey, number: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """Order ``number`` in the current plan."""
    return PlannedOrder.model_validate(led.order(number))


@router.post("/orders/{number}/status", response_model=PlannedOrder, tags=["orders"])
def set_order_status(led: LedgerDep, key: ErpOrPlannerKey, number: Annotated[int, Path(ge=1, le=MAX_ID)],
                     body: Annotated[OrderStatusChange, Body()],
                     idempotency_key: IdempotencyKeyHeader = None):
    """Move an order of the current plan forward (planned -> firm -> released -> closed; 409
    backwards). Firm and released orders survive republishing."""
    o = led.set_order_status(number, body.status, actor=key.principal,
                             idempotency=idempotency(key, idempotency_key,
                                                     f"order-status:{number}",
                                                     body.model_dump(mode="json")))
    return PlannedOrder.model_validate(o)


def _plan_id(ref: str) -> int | None:
    return None if ref == "current" else int(ref)
