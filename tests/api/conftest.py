"""API fixtures: the app over a ledger with the tiny network's master data, on each engine
(the database fixtures are the shared ones of ``tests/ledger_fixtures.py``), an API key per
role, and a test client."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_fixtures import ENGINES, empty_database

from chainlab.ledger import Ledger
from chainlab.models import Network

ROLES = ("sales", "planner", "erp", "admin")


def make_app(url: str, tiny: Network, folder: Path):
    """The API over the ledger at ``url`` with the tiny network's master data: keys checked on
    every request, a 64 KiB body limit, scenario jobs kept in ``folder``."""
    from chainlab.api.main import create_app
    from chainlab.api.settings import ScenarioSettings, Settings

    with Ledger(url, upgrade=True) as ledger:
        ledger.sync(tiny)
    return create_app(Settings(database_url=url, key_cache_seconds=0, max_body_bytes=64 * 1024),
                      ScenarioSettings(scenario_dir=folder / "scenarios"))


@contextlib.contextmanager
def client_of(app) -> Iterator:
    """A started app's test client (server errors answer 500, as over HTTP)."""
    with warnings.catch_warnings():
        # starlette's TestClient would like httpx2; httpx is what we have
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

        with TestClient(app, raise_server_exceptions=False) as client:
            yield client


@pytest.fixture
def app(database_url, tiny, tmp_path):
    """The API over a ledger with the tiny network's master data, on each engine."""
    app = make_app(database_url, tiny, tmp_path)
    yield app
    app.state.ledger.engine.dispose()


@pytest.fixture
def keys(app) -> dict[str, str]:
    """An API key per role."""
    led = app.state.ledger
    return {role: led.create_key(role, name=f"test {role}")[0] for role in ROLES}


@pytest.fixture
def client(app):
    with client_of(app) as c:
        yield c


@pytest.fixture(scope="module", params=ENGINES)
def shared(request, tmp_path_factory, tiny):
    """One app per engine for a whole test module (for tests that only read or whose writes
    do not disturb each other): (client, keys)."""
    folder = tmp_path_factory.mktemp("shared")
    with empty_database(request, folder) as url:
        app = make_app(url, tiny, folder)
        keys = {r: app.state.ledger.create_key(r)[0] for r in ROLES}
        with client_of(app) as client:
            yield client, keys
        app.state.ledger.engine.dispose()
