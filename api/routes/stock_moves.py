"""``/v1/stock-moves``: post moves (one or a list, atomically), read them, reverse one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import Discriminator, Tag, TypeAdapter

from chainlab.api import cursors
from chainlab.api.deps import ErpKey, IdempotencyKeyHeader, LedgerDep, SettingsDep, idempotency
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.common import MAX_ID
from chainlab.api.schemas.stock_moves import (
    StockMove,
    StockMoveCreate,
    StockMovePage,
    StockMoveReverse,
)
from chainlab.ledger import MoveIn
from chainlab.models.errors import ValidationError

router = APIRouter(prefix="/v1/stock-moves", tags=["stock moves"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)
#: one move (an object) or several (an array), told apart by the JSON type
MoveId = Annotated[int, Path(ge=1, le=MAX_ID)]
OneOrMany = Annotated[Annotated[StockMoveCreate, Tag("move")]
                      | Annotated[list[StockMoveCreate], Tag("moves")],
                      Discriminator(lambda v: "moves" if isinstance(v, list) else "move")]
_MOVE_LIST = TypeAdapter(list[StockMove])


@router.post("", status_code=201, response_model=StockMove | list[StockMove],
             responses={201: {"description": "the posted move, or the list of them"}})
def post_stock_moves(led: LedgerDep, settings: SettingsDep, key: ErpKey,
                     body: Annotated[OneOrMany, Body()],
                     idempotency_key: IdempotencyKeyHeader = None):
    """Post a stock move, or a list of them atomically (all or none). Each posts a balanced
    journal entry at standard cost. With ``Idempotency-Key`` a retry returns the first answer
    and posts nothing."""
    many = isinstance(body, list)
    items = body if many else [body]
    limit = settings.max_moves_per_request
    if len(items) > limit:
        raise ValidationError(f"{len(items)} moves in one request; send at most {limit}")
    payload = [m.model_dump(mode="json") for m in items] if many else items[0].model_dump(
        mode="json")
    moves = led.post_moves([MoveIn(**m.model_dump()) for m in items], actor=key.principal,
                           idempotency=idempotency(key, idempotency_key, "stock-moves",
                                                   payload))
    out = [StockMove.model_validate(m) for m in moves]
    # validated once here and sent as is: the route's response_model documents it (FastAPI
    # would validate it again, in another trip through the thread pool)
    return Response(_MOVE_LIST.dump_json(out) if many else out[0].model_dump_json(),
                    status_code=201, media_type="application/json")


@router.get("", response_model=StockMovePage)
def list_stock_moves(led: LedgerDep, _: ErpKey,
                     site: Annotated[str | None, Query(max_length=64)] = None,
                     product: Annotated[str | None, Query(max_length=64)] = None,
                     cursor: Annotated[str | None, Query(max_length=100)] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Posted moves in posting order, with cursor paging."""
    moves = led.moves(site=site, product=product, after=cursors.after(cursor, "m"),
                      limit=limit + 1)
    more = len(moves) > limit
    moves = moves[:limit]
    return StockMovePage(moves=[StockMove.model_validate(m) for m in moves],
                         next_cursor=cursors.cursor("m", moves[-1].id, padded=True) if more
                         else None)


@router.get("/{move_id}", response_model=StockMove)
def get_stock_move(led: LedgerDep, _: ErpKey, move_id: MoveId):
    return StockMove.model_validate(led.move(move_id))


@router.post("/{move_id}/reverse", status_code=201, response_model=StockMove)
def reverse_stock_move(led: LedgerDep, key: ErpKey, move_id: MoveId,
                       body: Annotated[StockMoveReverse | None, Body()] = None,
                       idempotency_key: IdempotencyKeyHeader = None):
    """Correct a move by posting its reversal (same type, opposite effect on on-hand); a move
    is reversed at most once (409 after)."""
    body = body or StockMoveReverse()
    payload = {"move": move_id, **body.model_dump(mode="json")}
    m = led.reverse_move(move_id, date=body.date, reference=body.reference, actor=key.principal,
                         idempotency=idempotency(key, idempotency_key, "reverse", payload))
    return StockMove.model_validate(m)
