"""Fixtures of the simulation tests. The network builders (``sim_networks``) are imported by
name, so this folder goes on sys.path (pytest runs with ``--import-mode=importlib``)."""

import sys
from pathlib import Path

import pytest

from chainlab.models import Network

ROOT = Path(__file__).resolve().parents[2]
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def tiny() -> Network:
    return Network.from_folder(ROOT / "tests" / "data" / "tiny")


@pytest.fixture(scope="session")
def acme() -> Network:
    path = ROOT / "scenarios" / "examples" / "acme"
    if not (path / "network.yaml").exists():
        pytest.skip("the bundled example scenarios/examples/acme is not there")
    return Network.from_folder(path)
