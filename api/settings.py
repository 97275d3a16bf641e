"""Service settings from ``CHAINLAB_*`` environment variables (pydantic-settings): the API
server's own (:class:`Settings`) and its scenario service's (:class:`ScenarioSettings`)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from chainlab.ledger.db import default_database_url
from chainlab.scenarios import EXAMPLES


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
    max_plan_body_bytes: int = Field(16 << 20, ge=1,
                                     description="largest body of POST /v1/plans, bytes (a "
                                                 "plan is held in memory while it is "
                                                 "published, about 15 times its JSON size)")
    max_moves_per_request: int = Field(1000, ge=1, description="stock moves in one POST")
    page_size: int = Field(100, ge=1, description="orders per page when no limit is given")
    max_page_size: int = Field(1000, ge=1, description="largest page of orders")
    key_cache_seconds: float = Field(5.0, ge=0, description="how long a checked API key is "
                                     "trusted without a database look-up (revocation delay)")
    pool_size: int = Field(20, ge=1, description="database connections per process")


class ScenarioSettings(BaseSettings):
    """Settings of the scenario service (``/v1/scenarios``), from ``CHAINLAB_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="CHAINLAB_", extra="ignore")

    scenario_dir: Path | None = Field(
        None, description="where scenario jobs and their runs are kept; default a "
                          "`scenarios` folder beside a SQLite ledger, else "
                          "$XDG_DATA_HOME/chainlab/scenarios")
    scenario_root: Path = Field(EXAMPLES, description="folder that a scenario's base and crm "
                                                      "paths are relative to (and must stay in)")
    dask_scheduler: str | None = Field(None, description="Dask scheduler address; default a "
                                                         "local process pool")
    scenario_workers: int | None = Field(None, ge=1, description="local pool processes "
                                                                 "(default: the cores)")
    scenario_jobs: int = Field(2, ge=1, description="scenario jobs run at once")
    scenario_max_replications: int = Field(1000, ge=1, description="most replications a "
                                                                   "submitted scenario may ask")

    def jobs_dir(self, database_url: str) -> Path:
        """``scenario_dir``, else beside the ledger's SQLite file, else in the user's data
        folder."""
        if self.scenario_dir is not None:
            return self.scenario_dir
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).resolve().parent / "scenarios"
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        return base / "chainlab" / "scenarios"
