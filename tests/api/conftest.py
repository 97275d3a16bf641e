"""Ledger fixtures: every test that takes ``database_url`` or ``led`` runs on SQLite and on
PostgreSQL (``CHAINLAB_TEST_DATABASE_URL``; skipped without it). Each PostgreSQL test gets its
own schema inside a database made for this test session and dropped after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainlab.ledger import Ledger, testing
from chainlab.models import Network

DATA = Path(__file__).parents[1] / "data"
PG = os.environ.get("CHAINLAB_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def pg_database():
    if not PG:
        pytest.skip("CHAINLAB_TEST_DATABASE_URL is not set (CI sets it)")
    with testing.scratch_postgres(PG) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A URL of an empty database, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    url = testing.schema_url(request.getfixturevalue("pg_database"))
    yield url
    testing.drop_schema(url)


@pytest.fixture
def led(database_url):
    """An empty ledger at the current schema."""
    with Ledger(database_url, upgrade=True) as ledger:
        yield ledger


@pytest.fixture(scope="session")
def tiny() -> Network:
    return Network.from_folder(DATA / "tiny")


@pytest.fixture
def tiny_led(led, tiny):
    """A ledger with the master data of tests/data/tiny."""
    led.sync(tiny)
    return led


@pytest.fixture
def app(database_url, tiny):
    """The API over a ledger with the tiny network's master data, on each engine."""
    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings

    with Ledger(database_url, upgrade=True) as ledger:
        ledger.sync(tiny)
    app = create_app(Settings(database_url=database_url, key_cache_seconds=0,
                              max_body_bytes=64 * 1024))
    yield app
    app.state.ledger.engine.dispose()


@pytest.fixture
def keys(app) -> dict[str, str]:
    """An API key per role."""
    led = app.state.ledger
    return {role: led.create_key(role, name=f"test {role}")[0]
            for role in ("sales", "planner", "erp", "admin")}


@pytest.fixture
def client(app):
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

    with warnings.catch_warnings():
        # starlette's TestClient would like httpx2; httpx is what we have
        warnings.filterwarnings("ignore", message=".*httpx.*")
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request, tmp_path_factory, tiny):
    """One app per engine for a whole test module (for tests that only read or whose writes
    do not disturb each other): (client, keys), with a published plan and a posted move."""
    import warnings

    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'ledger.db'}"
    else:
        url = testing.schema_url(request.getfixturevalue("pg_database"))
    with Ledger(url, upgrade=True) as ledger:
        ledger.sync(tiny)
    app = create_app(Settings(database_url=url, key_cache_seconds=0, max_body_bytes=64 * 1024))
    led = app.state.ledger
    keys = {r: led.create_key(r)[0] for r in ("sales", "planner", "erp", "admin")}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, keys
    app.state.ledger.engine.dispose()
    if request.param == "postgresql":
        testing.drop_schema(url)
