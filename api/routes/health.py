"""``GET /health``: no key needed."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from chainlab.api.deps import LedgerDep
from chainlab.api.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(led: LedgerDep) -> Health:
    """``{"status": "ok"}`` when the server and its database answer (503 otherwise)."""
    # SQL in the API layer: the ledger has no ping of its own yet
    with led.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return Health()
