"""chainlab's server in a child process on loopback, for tests, benchmarks and the integration
tests of a client::

    with served("postgresql+psycopg://postgres@127.0.0.1/test") as base:
        httpx.get(f"{base}/health")

It runs ``chainlab serve`` (uvicorn) with the given database and ``CHAINLAB_*`` settings,
waits until ``/health`` answers, and stops the process (and its workers) afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import IO


class ServerError(RuntimeError):
    """The server did not start (its log says why)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def healthy(base: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=timeout) as r:
            return json.load(r).get("status") == "ok"
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def served(database_url: str, *, port: int | None = None, workers: int = 1,
           env: dict[str, str] | None = None, log: IO | None = None,
           start_timeout: float = 60.0, stop_timeout: float = 15.0) -> Iterator[str]:
    """Serve the API and web page over ``database_url`` (at the current schema) on
    127.0.0.1; yields the base URL. ``env``: more ``CHAINLAB_*`` settings; ``log``: a file for
    the server's output (default: this process's)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "chainlab.cli", "serve", "--host", "127.0.0.1", "--port",
           str(port), "--database-url", database_url, "--workers", str(workers),
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=os.environ | (env or {}), stdout=log, stderr=log,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while not healthy(base):
            if proc.poll() is not None:
                raise ServerError(f"the server exited with status {proc.returncode} at start")
            if time.monotonic() > deadline:
                raise ServerError(f"the server did not answer /health in {start_timeout:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        _stop(proc, stop_timeout)


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the server's process group (uvicorn's workers too), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
            os.killpg(proc.pid, 9)
        proc.kill()
        proc.wait()
