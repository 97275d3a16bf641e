"""API keys as admin keys manage them (``/v1/keys``): their records, never the keys."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from chainlab.api.schemas.common import Record, Strict
from chainlab.ledger import Role


class ApiKey(Record):
    """An API key's record: ``prefix`` (the public part after ``clk_``, what revoking takes),
    ``role``, ``name``, ``owner`` (whose promises and scenario jobs its requests see: the owner
    named at its creation, else ``key:<prefix>``), when it was made and revoked."""

    id: int
    prefix: str
    role: Role
    name: str
    owner: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreate(Strict):
    """A new key: its ``role``, a ``name`` saying who or what uses it, and the ``owner`` it acts
    for (keys of one owner share promises and scenario jobs; absent: the key alone)."""

    role: Role
    name: str = Field("", max_length=200)
    owner: str | None = Field(None, pattern=r"^[A-Za-z0-9._@-]{1,64}$",
                              description="1 to 64 letters, digits, '.', '_', '@' or '-'")


class ApiKeyCreated(ApiKey):
    """A new key's record and the key itself, shown this once (only its hash is stored)."""

    key: str
