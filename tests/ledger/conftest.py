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
