"""What every body shares: exact numbers, ids, the strict request base (unknown fields are
refused) and the response base (read from a domain object's attributes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from chainlab.ledger.types import MAX_AMOUNT
from chainlab.models.calendar import out_of_range

#: an exact decimal, printed as a JSON number
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Id = Annotated[str, Field(min_length=1, max_length=64)]

#: the largest quantity (and value of a stock move) a body may carry, 9e12: every one the ledger
#: accepts stays readable, its sums included (ledger.types.MAX_AMOUNT)
LIMIT = f"at most {MAX_AMOUNT:,f}"

#: the largest id a path, query or cursor may name: every table's ids are 64-bit integers
#: (SQLite and PostgreSQL BIGINT), and a larger one must be a 422, not a database error
MAX_ID = 2**62


def _in_range(day: dt.date) -> dt.date:
    if (why := out_of_range(day)) is not None:
        raise ValueError(why)
    return day


#: a date in a request body, within models.calendar.FIRST_DAY..LAST_DAY (422 outside)
Day = Annotated[dt.date, AfterValidator(_in_range)]


class Strict(BaseModel):
    """A request body: a field the model does not name is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Record(BaseModel):
    """A response body read from the engine's object of the same name and shape:
    ``Plan.model_validate(plan_info)`` takes the fields from its attributes (properties
    included); attributes the body does not name are left out."""

    model_config = ConfigDict(from_attributes=True)


class Health(BaseModel):
    status: Literal["ok"] = "ok"
