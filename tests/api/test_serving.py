"""``api.serving``: the server in a child process that tests and benchmarks use."""

from __future__ import annotations

import os

import pytest

from chainlab.api.serving import ServerError, healthy, served


def test_serves_until_the_block_ends_and_leaves_no_process(tmp_path):
    with served(f"sqlite:///{tmp_path / 'ledger.db'}") as base:
        assert healthy(base)
        import urllib.request
        with urllib.request.urlopen(f"{base}/") as r:
            assert "chainlab" in r.read().decode()
    assert not healthy(base, timeout=0.5)


def test_a_server_that_cannot_start_is_an_error_not_a_hang():
    bad = "postgresql+psycopg://postgres@127.0.0.1:9/none"  # nothing listens on port 9
    with (open(os.devnull, "w") as log, pytest.raises(ServerError, match="exited"),
          served(bad, log=log, start_timeout=30)):
        pass


def test_serve_names_its_ledger(tmp_path):
    """``chainlab serve`` says which ledger it serves, so a key made with ``chainlab keys
    create`` on another one is not a mystery 401."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open(tmp_path / "serve.log", "w") as log, served(url, log=log):
        pass
    text = "".join((tmp_path / "serve.log").read_text().split())
    assert f"ledger:{url}" in text, text
