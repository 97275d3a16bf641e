"""API keys: created with a role, shown once, stored as a SHA-256 hash of their secret.

A key reads ``clk_<prefix>_<secret>``: the prefix (public, unique) finds the record, the secret
(32 random bytes) proves it. The secret has 256 bits of entropy, so a fast hash is enough; the
comparison is constant-time.

A key may name its ``owner``: the integrator or team it acts for. Promises and scenario jobs
belong to the owner of the key that made them, so that keys of one owner share them (and a
new key of that owner, replacing a revoked one, still sees them); a key without an owner is
its own owner, ``key:<prefix>``. Owner names are 1 to 64 letters, digits and ``._@-``, so they
never look like ``key:<prefix>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.errors import NotFoundError
from chainlab.ledger.tables import ApiKey, utcnow
from chainlab.ledger.types import Role
from chainlab.models.errors import Issue, ValidationError

KEYS = ApiKey.__table__
PREFIX = "clk"
#: what an owner name may be
OWNER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@dataclass(frozen=True)
class KeyInfo:
    """An API key's record (never the key itself)."""

    id: int
    prefix: str
    role: Role
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    #: the owner named when the key was made (None: the key is its own owner)
    owner_name: str | None = None

    @property
    def principal(self) -> str:
        """The name idempotency records and journals use for whoever holds the key."""
        return f"key:{self.prefix}"

    @property
    def owner(self) -> str:
        """Who owns what the key makes (promises, scenario jobs): its owner name, else the
        key itself (:attr:`principal`)."""
        return self.owner_name or self.principal

    def as_dict(self) -> dict:
        """The record as JSON (never the key or its hash)."""
        return {"id": self.id, "prefix": self.prefix, "role": self.role.value,
                "name": self.name, "owner": self.owner,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def check_owner(owner: str) -> str:
    """``owner`` if it is a valid owner name, else a :class:`ValidationError` that says what
    one is."""
    if not isinstance(owner, str) or not OWNER_NAME.fullmatch(owner):
        raise ValidationError([Issue("key", f"owner {str(owner)[:80]!r} must be 1 to 64 "
                                            f"letters, digits, '.', '_', '@' or '-' (e.g. "
                                            f"acme-shop)", column="owner")])
    return owner


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(conn: Connection, role: Role | str, *, name: str = "",
               owner: str | None = None) -> tuple[str, KeyInfo]:
    """A new key for ``role`` acting for ``owner`` (None: its own owner): returns (the key, to
    show once, its record)."""
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(f"role {role!r} is not one of "
                              f"{', '.join(r.value for r in Role)}") from None
    if owner is not None:
        check_owner(owner)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    kid = conn.execute(KEYS.insert().returning(KEYS.c.id).values(
        prefix=prefix, secret_hash=_hash(secret), role=role.value, name=name[:200],
        created_at=now, owner=owner)).scalar_one()
    return f"{PREFIX}_{prefix}_{secret}", KeyInfo(kid, prefix, role, name[:200], now, None,
                                                 owner)


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
    """Revoke the key with ``prefix`` (the part after ``clk_``, as ``keys list`` shows it);
    revoking a revoked key changes nothing. :class:`NotFoundError` for an unknown prefix.
    The key itself (``clk_<prefix>_<secret>``) names its prefix too."""
    parts = prefix.split("_")
    if len(parts) >= 2 and parts[0] == PREFIX:
        prefix = parts[1]
    r = conn.execute(KEYS.update().where(KEYS.c.prefix == prefix, KEYS.c.revoked_at.is_(None))
                     .values(revoked_at=utcnow()).returning(*KEYS.c)).mappings().first()
    if r is None:
        r = conn.execute(sa.select(KEYS).where(KEYS.c.prefix == prefix)).mappings().first()
    if r is None:
        raise NotFoundError(f"no API key with prefix {prefix!r}; `chainlab keys list` shows "
                            f"the prefixes")
    return _info(r)


def list_keys(conn: Connection, *, revoked: bool = True) -> list[KeyInfo]:
    """Every key's record in the order they were made (``revoked=False``: active ones only)."""
    q = sa.select(KEYS).order_by(KEYS.c.id)
    if not revoked:
        q = q.where(KEYS.c.revoked_at.is_(None))
    return [_info(r) for r in conn.execute(q).mappings()]


def _info(r) -> KeyInfo:
    return KeyInfo(r["id"], r["prefix"], Role(r["role"]), r["name"], r["created_at"],
                   r["revoked_at"], r["owner"])
