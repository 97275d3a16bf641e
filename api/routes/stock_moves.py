"""``/v1/stock-moves``: post moves (one or a list, atomically), read them, reverse one."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import Discriminator, Tag, TypeAdapter

from chainlab.api.deps import IdempotencyKeyHeader, get_ledger, idempotency, require
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routes import DecimalRoute
from chainlab.api.schemas import StockMove, StockMoveCreate, StockMovePage, StockMoveReverse
from chainlab.ledger import KeyInfo, Ledger, MoveIn, Role
from chainlab.models.errors import ValidationError

router = APIRouter(prefix="/v1/stock-moves", tags=["stock moves"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)
Erp = Annotated[KeyInfo, Depends(require(Role.ERP))]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
#: one move (an object) or several (an array), told apart by the JSON type
OneOrMany = Annotated[Annotated[StockMoveCreate, Tag("move")]
                      | Annotated[list[StockMoveCreate], Tag("moves")],
                      Discriminator(lambda v: "moves" if isinstance(v, list) else "move")]
_MOVE_LIST = TypeAdapter(list[StockMove])


@router.post("", status_code=201, response_model=StockMove | list[StockMove],
             responses={201: {"description": "the posted move, or the list of them"}})
def post_stock_moves(request: Request, led: LedgerDep, key: Erp,
                     body: Annotated[OneOrMany, Body()],
                     idempotency_key: IdempotencyKeyHeader = None):
    """Post a stock move, or a list of them atomically (all or none). Each posts a balanced
    journal entry at standard cost. With ``Idempotency-Key`` a retry returns the first answer
    and posts nothing."""
    many = isinstance(body, list)
    items = body if many else [body]
    limit = request.app.state.settings.max_moves_per_request
    if len(items) > limit:
        raise ValidationError(f"{len(items)} moves in one request; send at most {limit}")
    payload = [m.model_dump(mode="json") for m in items] if many else items[0].model_dump(
        mode="json")
    moves = led.post_moves([MoveIn(**m.model_dump()) for m in items], actor=key.principal,
                           idempotency=idempotency(key, idempotency_key, "stock-moves",
                                                   payload))
    out = [StockMove.model_validate(m, from_attributes=True) for m in moves]
    # validated once here and sent as is: the route's response_model documents it (FastAPI
    # would validate it again, in another trip through the thread pool)
    return Response(_MOVE_LIST.dump_json(out) if many else out[0].model_dump_json(),
                    status_code=201, media_type="application/json")


@router.get("", response_model=StockMovePage)
def list_stock_moves(led: LedgerDep, _: Erp,
                     site: Annotated[str | None, Query(max_length=64)] = None,
                     product: Annotated[str | None, Query(max_length=64)] = None,
                     cursor: Annotated[str | None, Query(max_length=100)] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Posted moves in posting order, with cursor paging."""
    after = _after(cursor)
    moves = led.moves(site=site, product=product, after=after, limit=limit + 1)
    more = len(moves) > limit
    moves = moves[:limit]
    nxt = base64.urlsafe_b64encode(f"m:{moves[-1].id}".encode()).decode() if more else None
    return StockMovePage(moves=[StockMove.model_validate(m, from_attributes=True)
                                for m in moves], next_cursor=nxt)


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        tag, n = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if tag == "m":
            return int(n)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ValidationError("cursor is not one this server gave out; use next_cursor of the "
                          "previous page or leave it out")


@router.get("/{move_id}", response_model=StockMove)
def get_stock_move(led: LedgerDep, _: Erp, move_id: int):
    return StockMove.model_validate(led.move(move_id), from_attributes=True)


@router.post("/{move_id}/reverse", status_code=201, response_model=StockMove)
def reverse_stock_move(led: LedgerDep, key: Erp, move_id: int,
                       body: Annotated[StockMoveReverse | None, Body()] = None,
                       idempotency_key: IdempotencyKeyHeader = None):
    """Correct a move by posting its reversal (same type, opposite effect on on-hand); a move
    is reversed at most once (409 after)."""
    body = body or StockMoveReverse()
    payload = {"move": move_id, **body.model_dump(mode="json")}
    m = led.reverse_move(move_id, date=body.date, reference=body.reference, actor=key.principal,
                         idempotency=idempotency(key, idempotency_key, "reverse", payload))
    return StockMove.model_validate(m, from_attributes=True)
