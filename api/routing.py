"""The route class of every ``/v1`` route: JSON bodies read with exact decimals, the API key
checked before the body is read, and texts with a NUL character refused on every engine
(PostgreSQL cannot store one and SQLite would, so the same request would be a 422 on one and
a 201 on the other)."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import Request
from fastapi.routing import APIRoute

from chainlab.api.deps import authorize_async
from chainlab.ledger import Role
from chainlab.models.errors import Issue, ValidationError

_NUL = "\x00"


def _integer(text: str) -> int | Decimal:
    """A JSON integer; past Python's 4300-digit limit for ``int(text)`` an exact Decimal, so
    that the field's own bound refuses it (422 naming the field) instead of the parser
    (a ValueError, 400 "error parsing the body")."""
    return int(text) if len(text) <= 4000 else Decimal(text)


class _DecimalRequest(Request):
    """Parses JSON numbers with a fraction as exact decimals, never binary floats (and integers
    too long for ``int`` as exact decimals)."""

    async def json(self):
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=Decimal, parse_int=_integer)
            except (UnicodeDecodeError, RecursionError) as e:
                # reported like any other malformed JSON (422), not as a server problem
                raise json.JSONDecodeError(f"not JSON ({type(e).__name__})",
                                           body.decode("latin-1"), 0) from None
        return self._json


class DecimalRoute(APIRoute):
    """A route whose JSON body keeps ``0.1`` as ``Decimal('0.1')``, and that checks the API key
    and role (its :func:`api.deps.require` dependency) before it reads the body."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        roles = route_roles(self)

        async def exact(request: Request):
            request = _DecimalRequest(request.scope, request.receive)
            if roles is not None:
                await authorize_async(request, roles)
            await refuse_nul(request)
            return await handler(request)

        return exact


async def refuse_nul(request: Request) -> None:
    """Raise :class:`ValidationError` (422) naming the first path or query parameter or body
    field whose text holds a NUL character."""
    issues = [Issue("path", _NUL_MESSAGE, column=k)
              for k, v in request.path_params.items() if _NUL in str(v)]
    issues += [Issue("query", _NUL_MESSAGE, column=k)
               for k, v in request.query_params.multi_items() if _NUL in k or _NUL in v]
    if not issues and request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        # JSON spells NUL \u0000 (a raw NUL byte is no JSON); only then is the body walked
        if b"\\u0000" in body:
            try:
                where = _nul_field(await request.json(), "")
            except (json.JSONDecodeError, ValueError):
                where = None  # malformed: the route's own parsing says so
            if where is not None:
                issues.append(Issue("body", _NUL_MESSAGE, column=where or "(the whole body)"))
    if issues:
        raise ValidationError(issues[:1])


_NUL_MESSAGE = ("this text holds a NUL character (\\u0000), which the ledger does not store; "
                "remove it")


def _nul_field(value, where: str) -> str | None:
    """The path (``lines.0.product``) of the first text in ``value`` with a NUL."""
    if isinstance(value, str):
        return where if _NUL in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{where}.{k}" if where else str(k)
            if _NUL in k:
                return here
            if (found := _nul_field(v, here)) is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if (found := _nul_field(v, f"{where}.{i}" if where else str(i))) is not None:
                return found
    return None


def route_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits: those of the first :func:`api.deps.require` among its
    dependencies (None: it needs no key)."""
    return _roles(route.dependant)


def _roles(dependant) -> frozenset[Role] | None:
    for d in dependant.dependencies:
        roles = getattr(d.call, "roles", None)
        if roles is not None:
            return roles
        found = _roles(d)
        if found is not None:
            return found
    return None
