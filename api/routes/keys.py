"""``/v1/keys``: API keys, for admin keys only: list their records (never the keys or their
hashes), create one (the key is in that answer only), revoke one. A revoked key is refused
(401) from its next request on this server; other server processes, which trust a checked
key for ``CHAINLAB_KEY_CACHE_SECONDS``, refuse it within that time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response

from chainlab.api import problems
from chainlab.api.deps import AdminKey, LedgerDep
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.keys import ApiKey, ApiKeyCreate, ApiKeyCreated

router = APIRouter(prefix="/v1", tags=["keys"], route_class=DecimalRoute,
                   responses=problems.PROBLEM_RESPONSES)
Prefix = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,32}$",
                             description="the key's prefix: the part after `clk_`")]


@router.get("/keys", response_model=list[ApiKey])
def list_keys(led: LedgerDep, _: AdminKey, revoked: bool = True):
    """Every API key's record in the order they were made (``revoked=false``: active ones
    only): prefix, role, name, owner, created and revoked; never the key."""
    return [ApiKey.model_validate(k) for k in led.api_keys(revoked=revoked)]


@router.post("/keys", status_code=201, response_model=ApiKeyCreated)
def create_key(led: LedgerDep, _: AdminKey, body: Annotated[ApiKeyCreate, Body()]):
    """A new API key: ``key`` is in this answer only (the ledger keeps its hash). Give it to
    whoever acts for ``owner``."""
    key, info = led.create_key(body.role, name=body.name, owner=body.owner)
    out = ApiKeyCreated.model_validate(ApiKey.model_validate(info).model_dump() | {"key": key})
    return Response(out.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.delete("/keys/{prefix}", response_model=ApiKey,
               responses=problems.responses(404, "no key with that prefix"))
def revoke_key(request: Request, led: LedgerDep, _: AdminKey, prefix: Prefix):
    """Revoke a key: its next request is a 401. Revoking a revoked key changes nothing."""
    info = led.revoke_key(prefix)
    request.app.state.key_cache.forget(info.prefix)
    return ApiKey.model_validate(info)
