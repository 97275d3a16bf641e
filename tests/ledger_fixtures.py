"""Ledger fixtures shared by the ledger and API tests (a plugin of ``tests/conftest.py``).

Every test that takes ``database_url``, ``led`` or ``tiny_led`` runs on SQLite and on
PostgreSQL (``CHAINLAB_TEST_DATABASE_URL``; skipped without it, with the reason). Each
PostgreSQL test gets its own schema inside a database made for this test session and dropped
after it; :func:`empty_database` gives module-scoped fixtures the same per engine.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainlab.ledger import Ledger, testing

PG = os.environ.get("CHAINLAB_TEST_DATABASE_URL")
#: the engines every ledger test runs on (the ``params`` of its database fixture)
ENGINES = ["sqlite", "postgresql"]


@contextlib.contextmanager
def empty_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """The URL of an empty database on the engine of ``request.param``: a SQLite file in
    ``folder``, or a schema of the session's scratch PostgreSQL database, dropped afterwards
    (skips the test without ``CHAINLAB_TEST_DATABASE_URL``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'ledger.db'}"
        return
    url = testing.schema_url(request.getfixturevalue("pg_database"))
    try:
        yield url
    finally:
        testing.drop_schema(url)


@pytest.fixture(scope="session")
def pg_database():
    """A scratch PostgreSQL database for this test session (dropped after it)."""
    if not PG:
        pytest.skip("CHAINLAB_TEST_DATABASE_URL is not set (CI sets it)")
    with testing.scratch_postgres(PG) as url:
        yield url


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    """A URL of an empty database, on each engine."""
    with empty_database(request, tmp_path) as url:
        yield url


@pytest.fixture
def led(database_url):
    """An empty ledger at the current schema."""
    with Ledger(database_url, upgrade=True) as ledger:
        yield ledger


@pytest.fixture
def tiny_led(led, tiny):
    """A ledger with the master data of tests/data/tiny."""
    led.sync(tiny)
    return led
