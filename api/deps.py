"""Dependencies shared by the routes: the ledger, the caller's API key and role, the
Idempotency-Key header."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import AuthenticationError, Forbidden
from api.settings import Settings
from ledger import Idempotency, KeyInfo, Ledger, Role, request_hash

_bearer = HTTPBearer(auto_error=False, description="an API key: `chainlab keys create --role R`")


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


class KeyCache:
    """Checked API keys for a few seconds (by a hash of the key), so a busy client does not cost
    a key look-up per request; a revoked key stops working within ``ttl`` seconds."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._keys: dict[str, tuple[float, KeyInfo]] = {}
        self._lock = threading.Lock()

    def get(self, led: Ledger, key: str) -> KeyInfo | None:
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


def current_key(request: Request,
                creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                led: Annotated[Ledger, Depends(get_ledger)]) -> KeyInfo:
    """The caller's API key (``Authorization: Bearer <key>``); 401 without a valid one."""
    if creds is None:
        raise AuthenticationError("this route needs an API key: send `Authorization: Bearer "
                                  "<key>` (create one with `chainlab keys create --role ROLE`)")
    info = request.app.state.key_cache.get(led, creds.credentials)
    if info is None:
        raise AuthenticationError("the API key is unknown or revoked")
    return info


def require(*roles: Role):
    """A dependency that lets through keys with one of ``roles`` (admin always), else 403."""
    allowed = set(roles) | {Role.ADMIN}
    names = ", ".join(r.value for r in roles)

    def check(key: Annotated[KeyInfo, Depends(current_key)]) -> KeyInfo:
        if key.role not in allowed:
            raise Forbidden(f"a {key.role.value} key may not use this route; it needs the "
                            f"role {names}")
        return key

    return check


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
