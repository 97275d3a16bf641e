"""What every body shares: exact numbers, ids, the strict request base (unknown fields are
refused) and the response base (read from a domain object's attributes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

#: an exact decimal, printed as a JSON number
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Id = Annotated[str, Field(min_length=1, max_length=64)]


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
