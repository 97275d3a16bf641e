"""A production schedule published to the ledger with its plan version, and
`GET /v1/plans/{id}/schedule` (JSON and CSV): the ledger's schedule is the CLI's."""

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.schedule import schedule_command

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def plan_dir(tmp_path) -> Path:
    d = tmp_path / "plan"
    shutil.copytree(DATA / "tiny_plan", d)
    shutil.copytree(DATA / "tiny", d / "network")
    return d


def run(*args):
    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    a.command("schedule")(schedule_command)
    a.command("noop")(lambda: None)
    return CliRunner().invoke(a, ["schedule", *map(str, args)])


def url_of(app) -> str:
    return app.state.ledger.engine.url.render_as_string(hide_password=False)


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def test_published_schedule_is_the_clis(app, keys, client, plan_dir, tiny, tmp_path):
    led = app.state.ledger
    version = led.publish(plan_dir, network=tiny).plan_version
    r = client.get("/v1/plans/current/schedule", headers=auth(keys["erp"]))
    assert r.status_code == 404 and r.headers["content-type"].startswith(
        "application/problem+json")
    for week in (1, 0):
        r = run(plan_dir, "--week", week, "--publish", "--database-url", url_of(app),
                "--out", tmp_path / f"w{week}", "--json", "--time-limit", 10)
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["published"]["plan_version"] == version
    r = client.get("/v1/plans/current/schedule", headers=auth(keys["erp"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan_version_id"] == version
    assert [s["period"] for s in body["schedules"]] == [0, 1]
    week1 = body["schedules"][1]
    assert week1["week_start"] == "2027-01-11"
    assert week1["summary"]["status"] == "optimal"
    cli = pd.read_csv(tmp_path / "w1" / "operations.csv", keep_default_na=False)
    api = pd.DataFrame(week1["operations"]).fillna("")
    pd.testing.assert_frame_equal(api[list(cli.columns)].astype(str), cli.astype(str))
    r = client.get(f"/v1/plans/{version}/schedule?week=1",
                   headers=auth(keys["planner"]) | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(cli) == 1
    assert rows[0]["plan_version_id"] == str(version) and rows[0]["period"] == "1"
    assert rows[0]["start"] == "2027-01-11T00:00:00" and rows[0]["end"] == "2027-01-14T02:21:00"
    assert client.get("/v1/plans/current/schedule?week=5",
                      headers=auth(keys["erp"])).status_code == 404
    assert client.get("/v1/plans/current/schedule",
                      headers=auth(keys["sales"])).status_code == 403


def test_publishing_the_same_week_again_replaces_it(app, plan_dir, tiny, tmp_path):
    led = app.state.ledger
    led.publish(plan_dir, network=tiny)
    for objective in ("makespan", "tardiness"):
        r = run(plan_dir, "--week", 2, "--objective", objective, "--publish",
                "--database-url", url_of(app), "--json")
        assert r.exit_code == 0, r.output
    got = led.plan_schedules(period=2)
    assert len(got) == 1 and got[0]["summary"]["objective_kind"] == "tardiness"


def test_a_plan_that_was_not_published_is_refused(app, plan_dir, tmp_path):
    r = run(plan_dir, "--week", 1, "--publish", "--database-url", url_of(app), "--json")
    assert r.exit_code == 1
    assert "has not been published" in json.loads(r.stdout)["error"]
