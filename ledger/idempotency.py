"""Idempotent writes: the first answer to a write made with an ``Idempotency-Key`` is stored in
the write's own transaction; a retry with the same key and request gets that answer back and
writes nothing, a retry with the same key and another request is refused.

Keys are scoped by principal (who asks), so two clients cannot collide on a key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chainlab.ledger.db import writing
from chainlab.ledger.errors import IdempotencyKeyReused
from chainlab.ledger.tables import IdempotencyRecord, utcnow
from chainlab.models.errors import ValidationError

RECORDS = IdempotencyRecord.__table__
MAX_KEY = 255


@dataclass(frozen=True)
class Idempotency:
    """Who asks (``principal``), their ``key``, what for (``operation``) and a hash of the
    request (:func:`request_hash`)."""

    principal: str
    key: str
    operation: str
    request_hash: str

    def __post_init__(self):
        if not self.key or len(self.key) > MAX_KEY or not self.key.isprintable():
            raise ValidationError(f"Idempotency-Key must be 1 to {MAX_KEY} printable characters")


def request_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a request."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run(engine: Engine, idem: Idempotency | None, work: Callable[[Connection], Any]
        ) -> tuple[Any, bool]:
    """``work(conn)`` in a write transaction, at most once per key. ``work`` returns a
    JSON-able answer; returns (answer, replayed). A concurrent request with the same key that
    commits first wins: its answer is returned and this one's writes are rolled back."""
    if idem is None:
        with writing(engine) as conn:
            return work(conn), False
    try:
        with writing(engine) as conn:
            found = find(conn, idem)
            if found is not None:
                return found, True
            answer = work(conn)
            conn.execute(RECORDS.insert().values(
                principal=idem.principal, key=idem.key, operation=idem.operation,
                request_hash=idem.request_hash, response=encode(answer),
                created_at=utcnow()))
            return answer, False
    except sa.exc.IntegrityError as e:
        return replay_after_conflict(engine, idem, e)


def replay_after_conflict(engine: Engine, idem: Idempotency, error: sa.exc.IntegrityError
                          ) -> tuple[Any, bool]:
    """After a write with ``idem`` failed with ``error``: (the answer of the request with the
    same key that committed first, True); raises ``error`` when there is none."""
    with engine.connect() as conn:
        found = find(conn, idem)
    if found is None:
        raise error
    return found, True


def encode(answer: Any) -> str:
    """The stored text of an answer (JSON; decimals, dates and times as strings)."""
    return json.dumps(answer, default=str)


def stored_answer(idem: Idempotency, operation: str, request_hash: str, response: str) -> Any:
    """The answer of a stored record found under ``idem``'s key; raises
    :class:`IdempotencyKeyReused` when it was stored for a different request."""
    if (operation, request_hash) != (idem.operation, idem.request_hash):
        raise IdempotencyKeyReused(f"Idempotency-Key {idem.key!r} was used before for a "
                                   f"different request; use a new key for a new request")
    return json.loads(response)


_FIND = (sa.select(RECORDS.c.operation, RECORDS.c.request_hash, RECORDS.c.response)
         .where(RECORDS.c.principal == sa.bindparam("principal"),
                RECORDS.c.key == sa.bindparam("key")))


def find(conn: Connection, idem: Idempotency) -> Any:
    """The stored answer under ``idem``'s key (None: none yet); raises
    :class:`IdempotencyKeyReused` when it was stored for a different request."""
    r = conn.execute(_FIND, {"principal": idem.principal, "key": idem.key}).first()
    return None if r is None else stored_answer(idem, *r)
