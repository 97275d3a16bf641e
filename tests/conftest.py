"""Shared fixtures: the bundled test data, and the ledger fixtures of ``ledger_fixtures.py``
(a database per engine, empty ledgers) that the ledger and API tests both use."""

import sys
from pathlib import Path

import pytest

from chainlab.models import Network

DATA = Path(__file__).parent / "data"
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # ledger_fixtures is imported by name (--import-mode=importlib)
    sys.path.insert(0, HERE)

pytest_plugins = ["ledger_fixtures"]


@pytest.fixture
def tiny_path() -> Path:
    """A hand-made 5-site network (tests/data/tiny)."""
    return DATA / "tiny"


@pytest.fixture(scope="session")
def tiny() -> Network:
    """The network of tests/data/tiny."""
    return Network.from_folder(DATA / "tiny")
