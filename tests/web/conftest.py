"""The web page in a real browser: the bundled example run through ``chainlab demo`` (plans,
four scenario runs, a published plan), served by uvicorn in its own process over a real
ledger (PostgreSQL when ``CHAINLAB_TEST_DATABASE_URL`` is set, as in CI; else the demo's
SQLite file), and driven in headless Chromium (Debian's ``chromium``) by Playwright.

Without a Chromium these tests are skipped, unless ``CHAINLAB_REQUIRE_BROWSER=1`` (CI sets it)
makes that a failure. Screenshots and the load-time measurements go to ``CHAINLAB_ARTIFACTS``
(default ``tests/artifacts/web``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # web_helpers is imported by name (--import-mode=importlib)
    sys.path.insert(0, HERE)

ARTIFACTS = Path(os.environ.get("CHAINLAB_ARTIFACTS")
                 or Path(__file__).parents[1] / "artifacts" / "web")
PG = os.environ.get("CHAINLAB_TEST_DATABASE_URL")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str | None:
    return os.environ.get("CHAINLAB_CHROMIUM") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = ("no Chromium found: install Debian's `chromium` (apt-get install chromium) or "
                   "set CHAINLAB_CHROMIUM to a Chromium binary")
        if os.environ.get("CHAINLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """``chainlab demo`` with 2 replications: the network, four runs recorded as scenario jobs,
    and the published plan in ``ledger.db``."""
    from chainlab.cli.demo import run_demo

    out = tmp_path_factory.mktemp("web") / "demo"
    result = run_demo(out, replications=2, as_json=True)
    return out, result


def _publish_to(url: str, out: Path, result: dict) -> None:
    """Publish the demo's chosen plan, with its network, to the ledger at ``url``."""
    from chainlab.ledger import Ledger
    from chainlab.scenarios import spec
    from chainlab.scenarios.run import InputCache

    run = out / "runs" / result["chosen"]["scenario"]
    sc = spec.load(run / "scenario.yaml")
    with Ledger(url, upgrade=True) as led:
        led.publish(run / "plan", network=InputCache().network(sc),
                    name=f"demo: {sc.name}", source=str(run))


@pytest.fixture(scope="session")
def ledger_url(demo):
    out, result = demo
    if not PG:
        yield result["publish"]["database_url"]
        return
    from chainlab.ledger import testing

    with testing.scratch_postgres(PG, prefix="chainlab_web") as url:
        _publish_to(url, out, result)
        yield url


@pytest.fixture(scope="session")
def keys(ledger_url) -> dict[str, str]:
    from chainlab.ledger import Ledger

    with Ledger(ledger_url) as led:
        return {role: led.create_key(role, name=f"web test {role}")[0]
                for role in ("planner", "sales", "erp", "admin")}


@pytest.fixture(scope="session")
def server(demo, ledger_url, keys, artifacts):
    """The API and page served by uvicorn in its own process; yields the base URL."""
    from chainlab.api.serving import served

    out, _ = demo
    env = {"CHAINLAB_SCENARIO_DIR": str(out / "scenarios"), "CHAINLAB_SCENARIO_WORKERS": "2",
           "CHAINLAB_KEY_CACHE_SECONDS": "0"}
    with open(artifacts / "server.log", "w") as log, served(ledger_url, env=env, log=log) as base:
        yield base


class Console:
    """The page's console errors and uncaught exceptions."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))


@pytest.fixture
def page(browser, server):
    """A new browser page (own storage) on the server, with its console watched."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    p = context.new_page()
    p.console = Console(p)
    p.requested = []  # every URL the page asked for: it must never leave the server
    p.on("request", lambda r: p.requested.append(r.url))
    yield p
    context.close()
    elsewhere = [u for u in p.requested
                 if not u.startswith((server + "/", "data:", "about:"))]
    assert elsewhere == [], f"the page fetched from outside its server: {elsewhere}"

