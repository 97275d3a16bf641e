"""What the planner's web page reads besides the other routes: ``/v1/me`` (the caller's key)
and ``/v1/catalog`` (what an order form offers)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, BeforeValidator

from chainlab.api.schemas.common import Record
from chainlab.ledger import Role


def _iso(v):
    return v.isoformat() if isinstance(v, dt.date) else v


#: a date as ISO text (the catalog's dates are strings in the API)
IsoDate = Annotated[str, BeforeValidator(_iso)]


class Me(BaseModel):
    """The caller's key: its prefix, name and role, the owner whose promises and scenario
    jobs it sees, and the views of the web page it opens."""

    key: str
    name: str
    role: Role
    owner: str = ""
    views: list[str]


class Choice(Record):
    id: str
    name: str
    unit: str | None = None


class Catalog(Record):
    """Active customers and products of the master data, and the dates of the current plan
    (null before the first publish)."""

    customers: list[Choice]
    products: list[Choice]
    plan_version: int | None
    plan_start: IsoDate | None
    plan_end: IsoDate | None
