"""Errors as RFC 9457 problem details (``application/problem+json``).

chainlab's errors map to the 4xx that says whose mistake it is: bad input 422, unknown thing
404, conflict with the ledger's state 409, no or bad API key 401, wrong role 403, body too large
413; a database without its schema is 503. Anything unexpected is a 500 without internals.
"""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chainlab.api.schemas.problems import Problem
from chainlab.ledger.errors import AppendOnlyError, ConflictError, IdempotencyKeyReused, SchemaError
from chainlab.models.errors import ChainlabError, NotFoundError, ValidationError

MEDIA_TYPE = "application/problem+json"


class AuthenticationError(ChainlabError, PermissionError):
    """No API key, or one that is unknown or revoked (HTTP 401)."""


class Forbidden(ChainlabError, PermissionError):
    """The API key's role may not use this route (HTTP 403)."""


class PayloadTooLarge(ChainlabError, ValueError):
    """The request body is larger than the server accepts (HTTP 413)."""


class BodyTooLarge(StarletteHTTPException):
    """A request body past the server's limit for its path, found while it was read (413).
    An HTTP exception, so that it passes through the framework's body parsing unchanged."""

    def __init__(self, path: str, limit: int):
        self.limit = limit
        hint = ("publish a smaller plan, or raise CHAINLAB_MAX_PLAN_BODY_BYTES on the server"
                if path == "/v1/plans" else "send less (e.g. fewer moves per request)")
        super().__init__(413, f"the request body is larger than {limit} bytes "
                              f"({limit / 2**20:g} MiB), the most {path} takes; {hint}")


#: (error class, status, problem type slug), most specific first
_MAP: list[tuple[type[Exception], int, str]] = [
    (AuthenticationError, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (PayloadTooLarge, 413, "payload-too-large"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (ValidationError, 422, "validation-error"),
    (NotFoundError, 404, "not-found"),
    (AppendOnlyError, 409, "append-only"),
    (ConflictError, 409, "conflict"),
    (SchemaError, 503, "schema-missing"),
    (ChainlabError, 400, "bad-request"),
]

def responses(code: int, description: str | None = None, model: type[Problem] = Problem
              ) -> dict[int, dict]:
    """A problem answer of a route for the OpenAPI document: ``{code: {...}}`` (``description``
    by default the status phrase)."""
    return {code: {"model": model, "content": {MEDIA_TYPE: {}},
                   "description": description or HTTPStatus(code).phrase}}


#: responses every route may give, for the OpenAPI document
PROBLEM_RESPONSES = (responses(401) | responses(403) | responses(413) | responses(422))


def problem(status: int, detail: str = "", *, slug: str | None = None, instance: str = "",
            errors: list[dict] | None = None, headers: dict | None = None,
            extra: dict | None = None) -> JSONResponse:
    """A problem+json answer; ``extra`` members follow the standard ones (RFC 9457 §3.2)."""
    body = {"type": f"urn:chainlab:problem:{slug}" if slug else "about:blank",
            "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
            "instance": instance}
    if errors is not None:
        body["errors"] = errors
    body |= extra or {}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _issues(e: ValidationError) -> list[dict]:
    return [{"where": i.file, "row": i.row, "field": i.column, "message": i.message}
            for i in e.issues]


async def chainlab_error(request: Request, e: ChainlabError) -> JSONResponse:
    status, slug = next((s, g) for cls, s, g in _MAP if isinstance(e, cls))
    headers = {"WWW-Authenticate": 'Bearer realm="chainlab"'} if status == 401 else None
    errors = _issues(e) if isinstance(e, ValidationError) and len(e.issues) > 1 else None
    return problem(status, str(e), slug=slug, instance=request.url.path, errors=errors,
                   headers=headers)


async def request_validation_error(request: Request, e: RequestValidationError) -> JSONResponse:
    errors = [{"where": ".".join(str(p) for p in err.get("loc", ())),
               "message": err.get("msg", ""), "type": err.get("type", "")}
              for err in e.errors()]
    first = errors[0] if errors else {"where": "", "message": "invalid request"}
    detail = f"{first['where']}: {first['message']}" + (
        f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
    return problem(422, detail, slug="validation-error", instance=request.url.path,
                   errors=errors)


async def http_error(request: Request, e: StarletteHTTPException) -> JSONResponse:
    if isinstance(e, BodyTooLarge):
        return problem(413, e.detail, slug="payload-too-large", instance=request.url.path,
                       extra={"max_bytes": e.limit}, headers={"Connection": "close"})
    detail = e.detail if isinstance(e.detail, str) else HTTPStatus(e.status_code).phrase
    return problem(e.status_code, detail, instance=request.url.path,
                   headers=getattr(e, "headers", None))


async def database_unavailable(request: Request, e: sa.exc.OperationalError) -> JSONResponse:
    return problem(503, "the ledger database is unavailable; try again shortly",
                   slug="database-unavailable", instance=request.url.path,
                   headers={"Retry-After": "1"})


async def database_refused_value(request: Request, e: sa.exc.DataError) -> JSONResponse:
    """A value the database cannot store (a NUL character in a text, say): the caller's
    request, so 422, and nothing was written (the statement failed whole)."""
    cause = str(getattr(e, "orig", e)).strip().splitlines()[0]
    return problem(422, f"the request holds a value the database cannot store ({cause}); "
                        f"remove control characters such as NUL (\\u0000) from its texts",
                   slug="validation-error", instance=request.url.path)


async def unexpected(request: Request, e: Exception) -> JSONResponse:
    return problem(500, "an unexpected error; it has been logged by the server",
                   instance=request.url.path)


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(ChainlabError, chainlab_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(sa.exc.OperationalError, database_unavailable)
    app.add_exception_handler(sa.exc.DataError, database_refused_value)
    app.add_exception_handler(Exception, unexpected)
