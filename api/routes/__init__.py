"""The HTTP routes, one module per resource; each route calls one function of the ledger."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import Request
from fastapi.routing import APIRoute


class _DecimalRequest(Request):
    """Parses JSON numbers with a fraction as exact decimals, never binary floats."""

    async def json(self):
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class DecimalRoute(APIRoute):
    """A route whose JSON body keeps ``0.1`` as ``Decimal('0.1')``."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def exact(request: Request):
            return await handler(_DecimalRequest(request.scope, request.receive))

        return exact
