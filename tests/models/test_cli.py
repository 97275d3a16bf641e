"""The command line: exit codes 0/1/2, one JSON object with --json, no traceback on bad input."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chainlab.cli.app import app

TINY = Path(__file__).parents[1] / "data" / "tiny"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_validate_ok_json():
    r = run("validate", TINY, "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"valid": True, "errors": [], "warnings": []}


def test_validate_bad_input_exits_1_with_errors(tmp_path):
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    (net / "lanes.csv").write_text((net / "lanes.csv").read_text().replace("DC1,C1,0.5", "DC1,C1,x"))
    r = run("validate", net, "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert obj["valid"] is False
    assert obj["errors"] == [{"file": "lanes.csv", "row": 5, "column": "cost_per_unit",
                              "message": "'x' is not a number: expected a number like 12.5"}]
    human = run("validate", net)
    assert human.exit_code == 1 and "lanes.csv" in human.stdout and "Traceback" not in human.output


def test_usage_error_exits_2():
    assert run("validate").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_info_json_and_bad_folder(tmp_path):
    r = run("info", TINY, "--json")
    assert r.exit_code == 0
    obj = json.loads(r.stdout)
    assert obj["customers"] == 2 and obj["total_demand"] == 390
    bad = run("info", tmp_path / "missing", "--json")
    assert bad.exit_code == 1
    assert "is not a folder" in json.loads(bad.stdout)["error"]
    human = run("info", tmp_path / "missing")
    assert human.exit_code == 1 and "Traceback" not in human.output


def test_schema_lists_every_table():
    r = run("schema", "--json")
    obj = json.loads(r.stdout)
    assert set(obj) == {"sites", "products", "bom", "production", "resources", "supply", "lanes",
                        "inventory", "demand", "capacity_changes"}
    assert {"column": "cost_per_unit", "type": "number", "unit": "currency/unit",
            "required": True, "default": None, "choices": [],
            "meaning": "transport cost per unit"} in obj["lanes"]


def test_demo_json(tmp_path):
    r = run("demo", "--out", tmp_path / "demo", "-n", "2", "--json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["valid"] is True and obj["network"]["customers"] == 60
    # its runs are done scenario jobs where the API over its ledger looks for them
    from chainlab.scenarios.jobs import JobManager

    m = JobManager(tmp_path / "demo" / "scenarios", lambda: None)
    try:
        jobs = m.list()
    finally:
        m.close()
    names = ["baseline", "surge-east", "plant2-outage", "open-dc-mountain"]
    assert [j.scenario for j in reversed(jobs)] == names
    assert all(j.status.value == "done" for j in jobs)
    assert [j.id for j in reversed(jobs)] == obj["jobs"]["ids"]
    assert [j.result for j in reversed(jobs)] == obj["runs"]
    served_demo_jobs(tmp_path / "demo", obj["jobs"]["ids"])


def served_demo_jobs(out: Path, ids: list[str]) -> None:
    """``chainlab serve --database-url sqlite:///OUT/ledger.db`` lists and compares them."""
    import warnings

    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{out / 'ledger.db'}"))
    h = {"Authorization": f"Bearer {app.state.ledger.create_key('planner')[0]}"}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient
    try:
        with TestClient(app) as c:
            listed = c.get("/v1/scenarios", headers=h).json()
            cmp = c.get("/v1/scenarios/compare", params={"id": ids}, headers=h)
    finally:
        app.state.ledger.engine.dispose()
    assert sorted(j["id"] for j in listed) == sorted(ids)
    assert cmp.status_code == 200, cmp.text
    assert cmp.json()["baseline"] == "baseline" and cmp.json()["paired"] is True


def test_console_script_runs_as_a_process():
    """The installed entry point: stdout holds exactly the JSON object."""
    exe = Path(sys.executable).parent / "chainlab"
    p = subprocess.run([str(exe), "validate", str(TINY), "--json"], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0
    assert json.loads(p.stdout)["valid"] is True


def test_plan_duals_flag_on_a_milp(tmp_path):
    """A setup cost makes the tiny plan a MILP: its marginal values come from one more LP
    solve, which --no-duals skips."""
    net = tmp_path / "tiny"
    shutil.copytree(TINY, net)
    p = net / "production.csv"
    p.write_text(p.read_text().replace("PLANT1,FG1,3,LINE1,0.1,,", "PLANT1,FG1,3,LINE1,0.1,50,"))
    with_duals = json.loads(run("plan", net, "--json").stdout)
    without = json.loads(run("plan", net, "--no-duals", "--json").stdout)
    assert with_duals["mip"] and without["mip"]
    assert with_duals["objective"] == without["objective"]
    assert with_duals["duals_seconds"] > 0 and without["duals_seconds"] == 0
