"""The route class of every ``/v1`` route: JSON bodies read with exact decimals, and the API
key checked before the body is read."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import Request
from fastapi.routing import APIRoute

from chainlab.api.deps import authorize_async
from chainlab.ledger import Role


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
            return await handler(request)

        return exact


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
