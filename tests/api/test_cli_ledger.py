"""``publish``, ``db upgrade``, ``keys create`` as the command line runs them (``serve`` runs in
test_http_concurrency.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.ledger import find_network, register
from chainlab.ledger import Ledger, db

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args):
        r = runner.invoke(app, [str(a) for a in args])
        return r.exit_code, r.stdout

    return run


def test_db_upgrade_twice(cli, database_url):
    code, out = cli("db", "upgrade", "--database-url", database_url, "--json")
    assert code == 0 and json.loads(out)["revision"] == db.head_revision()
    assert json.loads(out)["previous"] is None
    code, out = cli("db", "upgrade", "--database-url", database_url)
    assert code == 0 and f"already at {db.head_revision()}" in out


def test_keys_create(cli, database_url):
    cli("db", "upgrade", "--database-url", database_url)
    code, out = cli("keys", "create", "--role", "erp", "--name", "sap", "--database-url",
                    database_url, "--json")
    got = json.loads(out)
    assert code == 0 and got["role"] == "erp" and got["key"].startswith("clk_")
    with Ledger(database_url) as led:
        assert led.authenticate(got["key"]).role.value == "erp"
        assert [k.name for k in led.api_keys()] == ["sap"]
    code, _ = cli("keys", "create", "--role", "boss", "--database-url", database_url)
    assert code == 2


def test_keys_create_names_its_ledger(cli, database_url):
    """A key is only good on the ledger it was made in: both outputs say which one (the
    password of a PostgreSQL URL left out)."""
    cli("db", "upgrade", "--database-url", database_url)
    engine = db.connect(database_url)
    where = db.redact(engine.url)
    engine.dispose()
    code, out = cli("keys", "create", "--role", "sales", "--database-url", database_url,
                    "--json")
    assert code == 0 and json.loads(out)["database"] == where
    code, out = cli("keys", "create", "--role", "sales", "--database-url", database_url)
    assert code == 0 and where in "".join(out.split())  # the terminal may wrap it


def test_publish_plan_folder(cli, database_url):
    cli("db", "upgrade", "--database-url", database_url)
    code, out = cli("publish", DATA / "tiny_plan", "--network", DATA / "tiny",
                    "--database-url", database_url, "--json")
    assert code == 0, out
    got = json.loads(out)
    assert (got["plan_version"], got["orders"], got["created"]) == (1, 9, True)
    assert got["opening_moves"] == 2  # the network's on-hand at DC1 and PLANT1
    # the same plan again, the network now known to the ledger
    code, out = cli("publish", DATA / "tiny_plan", "--database-url", database_url, "--json")
    assert code == 0 and json.loads(out)["created"] is False
    assert json.loads(out)["opening_moves"] == 0
    code, out = cli("publish", DATA / "tiny_plan", "--network", DATA / "tiny",
                    "--database-url", database_url)
    assert code == 0 and "already current" in out and "opening" not in out


def test_publish_bad_input_exits_1(cli, database_url, tmp_path):
    cli("db", "upgrade", "--database-url", database_url)
    code, out = cli("publish", tmp_path / "nope", "--database-url", database_url, "--json")
    assert code == 1 and "does not exist" in json.loads(out)["error"]
    code, out = cli("publish", DATA / "tiny_plan", "--database-url", database_url, "--json")
    assert code == 1 and "network" in json.loads(out)["error"]


def test_postgres_without_schema_says_run_db_upgrade(cli, pg_database):
    code, out = cli("keys", "create", "--role", "erp", "--database-url", pg_database, "--json")
    assert code == 1 and "chainlab db upgrade" in json.loads(out)["error"]


def test_find_network(tmp_path):
    assert find_network(DATA / "tiny") == DATA / "tiny"
    plan = tmp_path / "plan"
    (plan / "network").mkdir(parents=True)
    assert find_network(plan) is None
    (plan / "network" / "network.yaml").write_text("name: x\n")
    assert find_network(plan) == plan / "network"
