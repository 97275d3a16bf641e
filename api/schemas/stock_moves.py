"""``/v1/stock-moves``: a move to post, a posted move, a reversal, a page of moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from chainlab.api.schemas.common import (
    LIMIT,
    MAX_AMOUNT,
    MAX_ID,
    Day,
    Id,
    Number,
    Record,
    Strict,
)
from chainlab.ledger import MoveType


class StockMoveCreate(Strict):
    """A stock move to post. ``quantity`` > 0 in the product's unit (signed for an
    ``adjustment``: + found, - lost); ``order_number`` names the planned order it executes.
    ``opening`` moves are the ledger's own (the network's on-hand, posted when a plan is
    published with its network); they are read here, not posted."""

    type: MoveType
    site: Id
    product: Id
    quantity: Decimal = Field(allow_inf_nan=False, max_digits=19, decimal_places=6,
                              ge=-MAX_AMOUNT, le=MAX_AMOUNT,
                              description=f"in the product's unit, {LIMIT} in size, and its "
                                          f"value at standard cost {LIMIT}")
    date: Day
    reference: str = Field("", max_length=200)
    order_number: int | None = Field(None, ge=1)
    promise_line: int | None = Field(
        None, ge=1, le=MAX_ID, description="a shipment's promise line (``line_id`` in "
                                           "/v1/commitments): it consumes what the promise "
                                           "holds for it instead of free stock")


class StockMove(Record):
    """A posted stock move: ``delta`` is its effect on on-hand, ``value`` the amount of its
    journal entry at standard cost ``unit_cost``; ``reverses`` the move it corrects."""

    id: int
    type: MoveType
    site: str
    product: str
    quantity: Number
    delta: Number
    date: dt.date
    reference: str
    order_number: int | None
    unit_cost: Number
    value: Number
    entry_id: int
    reverses: int | None
    created_at: dt.datetime
    promise_line: int | None = None


class StockMoveReverse(Strict):
    """A reversal: its date (default today) and reference."""

    date: Day | None = None
    reference: str = Field("", max_length=200)


class StockMovePage(BaseModel):
    moves: list[StockMove]
    next_cursor: str | None
