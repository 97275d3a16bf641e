"""``/v1/promises`` (promise, read, list, cancel, confirm a quote) and ``/v1/commitments``
(the sales-order lines of active promises, for the ERP).

A promise belongs to the owner of the key that made it: a sales key reads, lists, cancels and
confirms only its owner's promises and commitments (another owner's answer 404, as unknown
ids do, so ids cannot be probed); admin, ERP and planner keys see every promise
(:func:`api.deps.promise_scope`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response

from chainlab.api import cursors, problems
from chainlab.api.deps import (
    AnyKey,
    IdempotencyKeyHeader,
    LedgerDep,
    SalesKey,
    idempotency,
    promise_scope,
)
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.common import MAX_ID
from chainlab.api.schemas.promises import (
    AtpAnswer,
    Commitment,
    CommitmentPage,
    Promise,
    PromiseCreate,
    PromisePage,
    PromiseProblem,
)
from chainlab.ledger.promising import PromiseConflict, PromiseStatus

router = APIRouter(prefix="/v1", tags=["order promising"], route_class=DecimalRoute,
                   responses=problems.PROBLEM_RESPONSES)
PromiseId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = problems.responses(404, "no such promise")
CONFLICT = problems.responses(409, "cannot be promised as asked; `answer` says what can be",
                              PromiseProblem)


@router.post("/promises", status_code=201, response_model=Promise,
             responses=CONFLICT | problems.responses(422, "a malformed request, or an unknown "
                                                          "customer or product"))
def create_promise(request: Request, led: LedgerDep, key: SalesKey,
                   body: Annotated[PromiseCreate, Body()],
                   idempotency_key: IdempotencyKeyHeader = None):
    """Promise an order in one transaction that locks the products, components and
    resources it reads, so concurrent promises never hand out the same units or hours.
    201 with status ``confirmed`` when every line comes in full on its date, ``partial``
    (only with ``allow_partial``) when less or later, ``quoted`` with ``quote_minutes``;
    409 with the answer when it cannot be promised as asked. With ``Idempotency-Key`` a
    retry returns the first promise and promises nothing more."""
    try:
        p = led.promise(body.ledger_request(), actor=key.principal, owner=key.owner,
                        idempotency=idempotency(key, idempotency_key, "promises",
                                                body.model_dump(mode="json")))
    except PromiseConflict as e:
        answer = AtpAnswer.model_validate(e.answer).model_dump(mode="json")
        return problems.problem(409, str(e)[:4000], slug="cannot-promise",
                                instance=request.url.path, extra={"answer": answer})
    return Response(Promise.model_validate(p).model_dump_json(), status_code=201,
                    media_type="application/json")


@router.get("/promises", response_model=PromisePage)
def list_promises(led: LedgerDep, key: AnyKey,
                  customer: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                  status: PromiseStatus | None = None,
                  cursor: Annotated[str | None, Query(max_length=100)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Promises in the order they were made, filtered, a page at a time (``next_cursor``); a
    sales key's own owner's only."""
    rows = led.promises(customer=customer, status=status, after=cursors.after(cursor, "p"),
                        limit=limit + 1, owner=promise_scope(key))
    more = len(rows) > limit
    rows = rows[:limit]
    return PromisePage(promises=[Promise.model_validate(p) for p in rows],
                       next_cursor=cursors.cursor("p", rows[-1].id) if more else None)


@router.get("/promises/{promise_id}", response_model=Promise, responses=NOT_FOUND)
def get_promise(led: LedgerDep, key: AnyKey, promise_id: PromiseId):
    """A promise, its lines as promised and its status (a quote past ``expires_at`` reads as
    expired); 404 for another owner's promise read with a sales key."""
    return Promise.model_validate(led.get_promise(promise_id, owner=promise_scope(key)))


@router.post("/promises/{promise_id}/cancel", response_model=Promise, responses=NOT_FOUND)
def cancel_promise(led: LedgerDep, key: SalesKey, promise_id: PromiseId,
                   idempotency_key: IdempotencyKeyHeader = None):
    """Cancel a promise: its quantities and hours are available to others at once.
    Cancelling a cancelled promise changes nothing; another owner's promise is a 404."""
    p = led.cancel_promise(promise_id, owner=promise_scope(key), idempotency=idempotency(
        key, idempotency_key, f"promise-cancel:{promise_id}", {"promise": promise_id}))
    return Promise.model_validate(p)


@router.post("/promises/{promise_id}/confirm", response_model=Promise,
             responses=NOT_FOUND | problems.responses(409, "the quote expired or was cancelled"))
def confirm_promise(led: LedgerDep, key: SalesKey, promise_id: PromiseId,
                    idempotency_key: IdempotencyKeyHeader = None):
    """Confirm a quote before it expires; it then holds until cancelled."""
    p = led.confirm_promise(promise_id, owner=promise_scope(key), idempotency=idempotency(
        key, idempotency_key, f"promise-confirm:{promise_id}", {"promise": promise_id}))
    return Promise.model_validate(p)


@router.get("/commitments", response_model=CommitmentPage, tags=["order promising"])
def list_commitments(led: LedgerDep, key: AnyKey,
                     source: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                     product: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                     customer: Annotated[str | None,
                                         Query(min_length=1, max_length=64)] = None,
                     ship_from: dt.date | None = None, ship_to: dt.date | None = None,
                     include_quotes: bool = False,
                     cursor: Annotated[str | None, Query(max_length=100)] = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 1000):
    """The sales-order lines of confirmed and partial promises (and of quotes that still
    hold, with ``include_quotes``): what to ship from ``source`` on ``ship_date``."""
    rows, nxt = led.commitments(source=source, product=product, customer=customer,
                                ship_from=ship_from, ship_to=ship_to,
                                include_quotes=include_quotes, after=cursors.after(cursor, "c"),
                                limit=limit, owner=promise_scope(key))
    return CommitmentPage(commitments=[Commitment.model_validate(c) for c in rows],
                          next_cursor=cursors.cursor("c", nxt) if nxt is not None else None)
