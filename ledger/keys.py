"""API keys: created with a role, shown once, stored as a SHA-256 hash of their secret.

A key reads ``clk_<prefix>_<secret>``: the prefix (public, unique) finds the record, the secret
(32 random bytes) proves it. The secret has 256 bits of entropy, so a fast hash is enough; the
comparison is constant-time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.errors import NotFoundError
from chainlab.ledger.tables import ApiKey, utcnow
from chainlab.ledger.types import Role
from chainlab.models.errors import ValidationError

KEYS = ApiKey.__table__
PREFIX = "clk"


@dataclass(frozen=True)
class KeyInfo:
    """An API key's record (never the key itself)."""

    id: int
    prefix: str
    role: Role
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def principal(self) -> str:
        """The name idempotency records and journals use for whoever holds the key."""
        return f"key:{self.prefix}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(conn: Connection, role: Role | str, *, name: str = "") -> tuple[str, KeyInfo]:
    """A new key for ``role``: returns (the key, to show once, its record)."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"role {role!r} is not one of "
                              f"{', '.join(r.value for r in Role)}") from None
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    kid = conn.execute(KEYS.insert().returning(KEYS.c.id).values(
        prefix=prefix, secret_hash=_hash(secret), role=role.value, name=name[:200],
        created_at=now)).scalar_one()
    return f"{PREFIX}_{prefix}_{secret}", KeyInfo(kid, prefix, role, name, now, None)


def authenticate(conn: Connection, key: str) -> KeyInfo | None:
    """The record of a valid, unrevoked key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    r = conn.execute(sa.select(KEYS).where(KEYS.c.prefix == parts[1])).mappings().first()
    if r is None or r["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(r["secret_hash"], _hash(parts[2])):
        return None
    return _info(r)


def revoke_key(conn: Connection, prefix: str) -> KeyInfo:
    r = conn.execute(KEYS.update().where(KEYS.c.prefix == prefix, KEYS.c.revoked_at.is_(None))
                     .values(revoked_at=utcnow()).returning(*KEYS.c)).mappings().first()
    if r is None:
        raise NotFoundError(f"no active API key with prefix {prefix!r}")
    return _info(r)


def list_keys(conn: Connection) -> list[KeyInfo]:
    return [_info(r) for r in conn.execute(sa.select(KEYS).order_by(KEYS.c.id)).mappings()]


def _info(r) -> KeyInfo:
    return KeyInfo(r["id"], r["prefix"], Role(r["role"]), r["name"], r["created_at"],
                   r["revoked_at"])
