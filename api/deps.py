"""What routes depend on, defined once: the ledger, the settings and the scenario jobs of the
app (``LedgerDep``, ``SettingsDep``, ``ScenarioSettingsDep``, ``JobsDep``), the caller's API key
checked against the roles a route admits (one alias per role set, named for who may call:
``SalesKey``, ``PlannerKey``, ``ErpKey``, ``ErpOrPlannerKey``, ``PlannerOrSalesKey``,
``AnyKey``; admin keys pass every check, ``AdminKey`` lets only them through), whose promises
and scenario jobs a key sees (:func:`promise_scope`, :func:`job_scope`), and the
Idempotency-Key header.

Everything a dependency hands out is built by :func:`api.main.create_app` and kept on
``app.state``; nothing here is created on first use. The getters are coroutines so that
FastAPI calls them on the event loop, without a trip through the thread pool.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from chainlab.api.problems import AuthenticationError, Forbidden
from chainlab.api.settings import ScenarioSettings, Settings
from chainlab.ledger import Idempotency, KeyInfo, Ledger, Role, request_hash
from chainlab.scenarios.jobs import JobManager

_bearer = HTTPBearer(auto_error=False, description="an API key: `chainlab keys create --role R`")


# ---------------------------------------------------------------- what the app holds

async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_scenario_settings(request: Request) -> ScenarioSettings:
    return request.app.state.scenario_settings


async def get_jobs(request: Request) -> JobManager:
    """The app's scenario jobs (started with the app, closed when it stops)."""
    return request.app.state.scenario_jobs


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ScenarioSettingsDep = Annotated[ScenarioSettings, Depends(get_scenario_settings)]
JobsDep = Annotated[JobManager, Depends(get_jobs)]


# ---------------------------------------------------------------- API keys and roles

class KeyCache:
    """Checked API keys for a few seconds (by a hash of the key), so a busy client does not cost
    a key look-up per request; a key revoked through this server (``DELETE /v1/keys/...``)
    stops working at once, one revoked elsewhere (``chainlab keys revoke``, another server
    process) within ``ttl`` seconds."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._keys: dict[str, tuple[float, KeyInfo]] = {}
        self._lock = threading.Lock()

    def peek(self, key: str) -> KeyInfo | None:
        """The key's record if it was checked less than ``ttl`` seconds ago (no I/O)."""
        hit = self._keys.get(hashlib.sha256(key.encode()).hexdigest()) if self.ttl > 0 else None
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def get(self, led: Ledger, key: str) -> KeyInfo | None:
        """The key's record, from the cache or the database (None: unknown or revoked)."""
        if self.ttl <= 0:
            return led.authenticate(key)
        h = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        hit = self._keys.get(h)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = led.authenticate(key)
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            if info is not None:
                self._keys[h] = (now + self.ttl, info)
            else:
                self._keys.pop(h, None)
        return info

    def forget(self, prefix: str) -> None:
        """Drop the key with ``prefix`` (revoked: its next request is checked again)."""
        with self._lock:
            for h, (_, info) in list(self._keys.items()):
                if info.prefix == prefix:
                    self._keys.pop(h, None)


def bearer_key(request: Request) -> str:
    """The key of ``Authorization: Bearer <key>``; 401 without one."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthenticationError("this route needs an API key: send `Authorization: Bearer "
                                  "<key>` (create one with `chainlab keys create --role ROLE`)")
    return key.strip()


async def authorize_async(request: Request, allowed: frozenset[Role] | None = None) -> KeyInfo:
    """:func:`authorize` without leaving the event loop when the key is known already."""
    if getattr(request.state, "api_key", None) is None:
        info = request.app.state.key_cache.peek(bearer_key(request))
        if info is not None:
            request.state.api_key = info
        else:
            return await run_in_threadpool(authorize, request, allowed)
    return authorize(request, allowed)


def authorize(request: Request, allowed: frozenset[Role] | None = None) -> KeyInfo:
    """The caller's API key (``Authorization: Bearer <key>``): 401 without a valid one, 403 when
    its role is not in ``allowed`` (admin always is). Checked once per request; may look the key
    up in the database (call it from a worker thread)."""
    info = getattr(request.state, "api_key", None)
    if info is None:
        info = request.app.state.key_cache.get(request.app.state.ledger, bearer_key(request))
        if info is None:
            raise AuthenticationError("the API key is unknown or revoked")
        request.state.api_key = info
    if allowed is not None and info.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed - {Role.ADMIN}))
        raise Forbidden(f"a {info.role.value} key may not use this route; it needs the role "
                        f"{names}")
    return info


def require(*roles: Role):
    """A dependency that lets through keys with one of ``roles`` (admin always), else 403.

    Routes of :class:`api.routing.DecimalRoute` run this check before reading the body, so a
    caller without the right key learns that first (401/403), not that its body is malformed.
    """
    allowed = frozenset(roles) | {Role.ADMIN}

    async def check(request: Request,
                    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                    ) -> KeyInfo:
        return await authorize_async(request, allowed)

    check.roles = allowed
    return check


#: a sales key (order promising)
SalesKey = Annotated[KeyInfo, Depends(require(Role.SALES))]
#: a planner key (publishing plans, quotas and tiers, scenarios)
PlannerKey = Annotated[KeyInfo, Depends(require(Role.PLANNER))]
#: an ERP key (stock moves)
ErpKey = Annotated[KeyInfo, Depends(require(Role.ERP))]
#: an ERP or planner key (reading plans and orders, moving orders, the trial balance)
ErpOrPlannerKey = Annotated[KeyInfo, Depends(require(Role.ERP, Role.PLANNER))]
#: a planner or sales key (reading quotas and tiers)
PlannerOrSalesKey = Annotated[KeyInfo, Depends(require(Role.PLANNER, Role.SALES))]
#: any valid key, whatever its role
AnyKey = Annotated[KeyInfo, Depends(require(Role.SALES, Role.PLANNER, Role.ERP))]
#: an admin key (managing API keys)
AdminKey = Annotated[KeyInfo, Depends(require())]


# ---------------------------------------------------------------- owners

def promise_scope(key: KeyInfo) -> str | None:
    """The owner whose promises ``key`` may read and act on: a sales key its own owner's
    (:attr:`ledger.KeyInfo.owner`; another's answers 404 as if it did not exist), admin, ERP
    and planner keys every promise (None), since the ERP ships and the planner plans them
    all."""
    return key.owner if key.role is Role.SALES else None


def job_scope(key: KeyInfo) -> str | None:
    """The owner whose scenario jobs ``key`` may read: an admin key every job (None), any other
    its own owner's (jobs without an owner, as ``chainlab demo`` records them, are shared)."""
    return None if key.role is Role.ADMIN else key.owner


# ---------------------------------------------------------------- idempotent writes

IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255,
                       description="a retry with the same key and body returns the first answer "
                                   "and writes nothing")]


def idempotency(key: KeyInfo, header: str | None, operation: str, body: Any
                ) -> Idempotency | None:
    """The idempotency scope of a write (None without the header)."""
    if header is None:
        return None
    return Idempotency(principal=key.principal, key=header, operation=operation,
                       request_hash=request_hash(body))
