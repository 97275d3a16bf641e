"""Fixtures of the solver tests. The helper modules beside them (plan_testing, plan_nets,
plan_helpers) are imported by name, so this folder goes on sys.path (the project runs pytest
with --import-mode=importlib, which does not add it)."""

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from plan_testing import DATA  # noqa: E402

from chainlab.models import Network  # noqa: E402


@pytest.fixture(scope="session")
def tiny() -> Network:
    return Network.from_folder(DATA / "tiny")
