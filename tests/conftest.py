"""Shared fixtures: paths of the bundled test data."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tiny_path() -> Path:
    """A hand-made 5-site network (tests/data/tiny)."""
    return DATA / "tiny"
