"""``GET /health``: no key needed."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends

from chainlab.api.deps import get_ledger
from chainlab.api.schemas import Health
from chainlab.ledger import Ledger

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(led: Annotated[Ledger, Depends(get_ledger)]) -> Health:
    """``{"status": "ok"}`` when the server and its database answer (503 otherwise)."""
    with led.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return Health()
