"""Production schedules stored with a plan version (table ``plan_schedules``, migration 0006).

A schedule is what ``chainlab schedule`` computed for one period of a plan's production orders,
given here as plain data (the ledger knows no solver): ``period``, ``week_start`` (ISO date),
``summary`` (status, objective, bound, KPIs ...) and ``operations``, one dict per operation with
:data:`OPERATION_FIELDS`. It is stored as JSON per (version, period); storing the same version
and period again replaces it. The version is the one given, or the newest whose planned orders
are the plan folder's (:func:`ledger.planned.content_hash`), so a schedule never lands on a plan
it was not made from.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.orders import get_plan
from chainlab.ledger.tables import PlanSchedule, PlanVersion, utcnow
from chainlab.models.errors import NotFoundError, ValidationError

SCHEDULES = PlanSchedule.__table__
VERSIONS = PlanVersion.__table__

#: the fields of one operation, in order (the CSV's columns after ``plan_version_id, period``)
OPERATION_FIELDS = ["resource", "line", "order", "operation", "product", "start", "end",
                    "setup_hours", "setup_cost", "previous", "due", "tardiness_hours"]


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def version_of(conn: Connection, content_hash: str) -> int:
    """The newest plan version whose orders hash to ``content_hash``."""
    vid = conn.execute(sa.select(sa.func.max(VERSIONS.c.id))
                       .where(VERSIONS.c.content_hash == content_hash)).scalar()
    if vid is None:
        raise NotFoundError("this plan has not been published to the ledger; publish it first "
                            "(`chainlab publish PLAN_DIR`), or name the version (--plan-version)")
    return int(vid)


def store(conn: Connection, plan_id: int, schedule: dict) -> dict:
    """Store ``schedule`` with plan version ``plan_id`` (replacing that period's), inside the
    caller's transaction; returns what :func:`load` will give for it."""
    plan = get_plan(conn, plan_id)
    try:
        period = int(schedule["period"])
        week_start = dt.date.fromisoformat(str(schedule["week_start"]))
        ops = [{f: _clean(o.get(f)) for f in OPERATION_FIELDS} for o in schedule["operations"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ValidationError(f"a schedule needs period, week_start (ISO date) and operations "
                              f"with {', '.join(OPERATION_FIELDS)} ({e})") from None
    body = {"plan_version_id": plan.id, "period": period, "week_start": week_start.isoformat(),
            "summary": schedule.get("summary", {}), "operations": ops}
    text = json.dumps(body, separators=(",", ":"), allow_nan=False, default=str)
    conn.execute(SCHEDULES.delete().where((SCHEDULES.c.plan_version_id == plan.id)
                                          & (SCHEDULES.c.period == period)))
    conn.execute(SCHEDULES.insert().values(plan_version_id=plan.id, period=period,
                                           week_start=week_start, body=text,
                                           created_at=utcnow()))
    return json.loads(text)


def load(conn: Connection, plan_id: int | None = None, period: int | None = None) -> list[dict]:
    """The schedules of plan version ``plan_id`` (default: the current one), by period, or
    only ``period``'s; :class:`NotFoundError` when there is none."""
    plan = get_plan(conn, plan_id)
    q = sa.select(SCHEDULES.c.body).where(SCHEDULES.c.plan_version_id == plan.id)
    if period is not None:
        q = q.where(SCHEDULES.c.period == period)
    bodies = [json.loads(b) for b in conn.execute(q.order_by(SCHEDULES.c.period)).scalars()]
    if not bodies:
        which = "" if period is None else f" for period {period}"
        raise NotFoundError(f"plan version {plan.id} has no published schedule{which}; make one "
                            f"with `chainlab schedule PLAN_DIR --publish`")
    return bodies
