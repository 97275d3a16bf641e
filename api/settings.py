"""Service settings from ``CHAINLAB_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chainlab.ledger.db import default_database_url


def _default_url() -> str:
    # the SQLite file of ledger.db.default_database_url (CHAINLAB_DATABASE_URL is read by the
    # field itself)
    return default_database_url()


class Settings(BaseSettings):
    """What the API server needs; each field reads ``CHAINLAB_<FIELD>`` (e.g.
    ``CHAINLAB_DATABASE_URL``)."""

    model_config = SettingsConfigDict(env_prefix="CHAINLAB_", extra="ignore")

    database_url: str = Field(default_factory=_default_url,
                              description="ledger database; default a SQLite file")
    auto_migrate: bool = Field(True, description="create or migrate a SQLite ledger's schema "
                               "at start (PostgreSQL always needs `chainlab db upgrade`)")
    max_body_bytes: int = Field(1 << 20, ge=1, description="largest request body, bytes")
    max_plan_body_bytes: int = Field(64 << 20, ge=1,
                                     description="largest body of POST /v1/plans, bytes")
    max_moves_per_request: int = Field(1000, ge=1, description="stock moves in one POST")
    page_size: int = Field(100, ge=1, description="orders per page when no limit is given")
    max_page_size: int = Field(1000, ge=1, description="largest page of orders")
    key_cache_seconds: float = Field(5.0, ge=0, description="how long a checked API key is "
                                     "trusted without a database look-up (revocation delay)")
    pool_size: int = Field(20, ge=1, description="database connections per process")
