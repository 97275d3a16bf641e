"""``POST /v1/scenarios`` and ``GET /v1/scenarios/{id}``: background runs, roles, errors,
idempotency, and restarts (finished results survive; a job cut off by a restart is failed)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from chainlab.api.serving import free_port

DATA = Path(__file__).parents[1] / "data"
ROOT = Path(__file__).parents[2]


def make_app(tmp: Path, workers: int = 1):
    from chainlab.api import routes as api_routes
    from chainlab.api.main import create_app
    from chainlab.api.routes import scenarios
    from chainlab.api.settings import ScenarioSettings, Settings

    url = f"sqlite:///{tmp / 'ledger.db'}"
    app = create_app(Settings(database_url=url, key_cache_seconds=0))
    assert scenarios in getattr(api_routes, "ROUTE_MODULES", ()), "the app has no /v1/scenarios"
    app.state.scenario_settings = ScenarioSettings(
        scenario_dir=tmp / "jobs", scenario_root=DATA, scenario_workers=workers,
        scenario_max_replications=100_000)
    return app


def client_of(app):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def served(tmp_path):
    app = make_app(tmp_path)
    led = app.state.ledger
    keys = {r: led.create_key(r)[0] for r in ("sales", "planner", "admin")}
    with client_of(app) as c:
        yield c, keys, app
    app.state.ledger.engine.dispose()


def auth(keys, role="planner") -> dict:
    return {"Authorization": f"Bearer {keys[role]}"}


BODY = {"name": "surge", "base": "tiny", "overrides": [{"demand": {"scale": 1.2}}],
        "simulate": {"replications": 4, "seed": 1}}


def wait(c, keys, job_id, timeout=120.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = c.get(f"/v1/scenarios/{job_id}", headers=auth(keys))
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return r.json()
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_a_scenario_runs_in_the_background(served):
    c, keys, _ = served
    r = c.post("/v1/scenarios", json=BODY, headers=auth(keys))
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/scenarios/{job['id']}"
    assert job["status"] in ("queued", "running", "done") and job["scenario"] == "surge"
    done = wait(c, keys, job["id"])
    assert done["status"] == "done", done
    res = done["result"]
    assert res["scenario"] == "surge" and res["replications"] == 4 and res["seed"] == 1
    assert {"fill_rate", "otif", "total_cost"} <= set(res["kpis"])
    assert set(res["kpis"]["fill_rate"]) >= {"mean", "ci_low", "ci_high"}
    assert res["plan"]["status"] == "optimal"
    assert json.loads((Path(res["dir"]) / "manifest.json").read_text())["status"] == "complete"
    listed = c.get("/v1/scenarios", headers=auth(keys)).json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_roles(served):
    c, keys, _ = served
    assert c.post("/v1/scenarios", json=BODY).status_code == 401
    r = c.post("/v1/scenarios", json=BODY, headers=auth(keys, "sales"))
    assert r.status_code == 403 and r.headers["content-type"].startswith(
        "application/problem+json")
    assert c.get("/v1/scenarios/x", headers=auth(keys, "sales")).status_code == 403
    assert c.post("/v1/scenarios", json=BODY, headers=auth(keys, "admin")).status_code == 202


def test_bad_scenarios_are_422_naming_the_override(served):
    c, keys, _ = served
    bad = BODY | {"overrides": [{"demand": {"scale": 2}}, {"site_outage": {"site": "NOPE"}}]}
    r = c.post("/v1/scenarios", json=bad, headers=auth(keys))
    assert r.status_code == 422
    # checked against the network before the job is queued
    assert "override 2" in r.json()["detail"] and "NOPE" in r.json()["detail"]
    for body in (BODY | {"base": "../../etc"}, BODY | {"base": "/tmp"},
                 BODY | {"overrides": [{"explode": {}}]}, BODY | {"simulate": {"replications": 0}},
                 BODY | {"simulate": {"replications": 10 ** 6}}, {"name": "x"}):
        r = c.post("/v1/scenarios", json=body, headers=auth(keys))
        assert r.status_code == 422, (body, r.text)
    assert c.get("/v1/scenarios/nope", headers=auth(keys)).status_code == 404


def test_idempotency_key(served):
    c, keys, _ = served
    h = auth(keys) | {"Idempotency-Key": "k-1"}
    a = c.post("/v1/scenarios", json=BODY, headers=h)
    b = c.post("/v1/scenarios", json=BODY, headers=h)
    assert (a.status_code, b.status_code) == (202, 200)
    assert a.json()["id"] == b.json()["id"]
    other = c.post("/v1/scenarios", json=BODY | {"name": "other"}, headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    wait(c, keys, a.json()["id"])


def test_finished_results_survive_a_restart(tmp_path):
    app = make_app(tmp_path)
    keys = {r: app.state.ledger.create_key(r)[0] for r in ("planner",)}
    with client_of(app) as c:
        job = c.post("/v1/scenarios", json=BODY, headers=auth(keys)).json()
        first = wait(c, keys, job["id"])
    app.state.ledger.engine.dispose()
    assert first["status"] == "done"
    again = make_app(tmp_path)  # a new server over the same database and job folder
    with client_of(again) as c:
        r = c.get(f"/v1/scenarios/{job['id']}", headers=auth(keys))
        assert r.status_code == 200 and r.json() == first
    again.state.ledger.engine.dispose()


def test_a_job_left_running_by_a_dead_server_is_failed(tmp_path):
    """job.json as a server killed mid-run leaves it: running, owned by a process that is
    gone."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job_dir = tmp_path / "jobs" / "20270101T000000-deadbeef"
    job_dir.mkdir(parents=True)
    (job_dir / "job.json").write_text(json.dumps({
        "id": job_dir.name, "scenario": "surge", "status": "running",
        "submitted_at": "2027-01-01T00:00:00+00:00", "started_at": "2027-01-01T00:00:01+00:00",
        "finished_at": None, "progress": {"phase": "plan"}, "error": None, "result": None,
        "request": {}, "owner": {"host": socket.gethostname(), "pid": dead.pid,
                                 "instance": "gone", "heartbeat": time.time()}}))
    app = make_app(tmp_path)
    keys = {"planner": app.state.ledger.create_key("planner")[0]}
    with client_of(app) as c:
        r = c.get(f"/v1/scenarios/{job_dir.name}", headers=auth(keys)).json()
    app.state.ledger.engine.dispose()
    assert r["status"] == "failed" and "cut off by a restart" in r["error"]
    assert r["finished_at"] is not None
    # and it stays failed on disk
    assert json.loads((job_dir / "job.json").read_text())["status"] == "failed"


SERVER = """
import sys, uvicorn
sys.path.insert(0, {tests!r})
from test_scenarios import make_app
from pathlib import Path
if __name__ == "__main__":
    app = make_app(Path({tmp!r}))
    print(app.state.ledger.create_key("planner")[0], flush=True)
    uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def test_a_server_killed_mid_job_reports_the_job_failed_after_restart(tmp_path):
    import httpx

    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent(SERVER.format(tests=str(Path(__file__).parent),
                                                    tmp=str(tmp_path), port=port)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        key = proc.stdout.readline().strip()
        h = {"Authorization": f"Bearer {key}"}
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        long = BODY | {"simulate": {"replications": 20000, "seed": 1}}
        r = httpx.post(f"{base}/v1/scenarios", json=long, headers=h, timeout=30)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        for _ in range(600):
            if httpx.get(f"{base}/v1/scenarios/{job_id}", headers=h,
                         timeout=10).json()["status"] == "running":
                break
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    app = make_app(tmp_path)
    with client_of(app) as c:
        r = c.get(f"/v1/scenarios/{job_id}", headers=h)
    app.state.ledger.engine.dispose()
    assert r.status_code == 200
    assert r.json()["status"] == "failed" and "cut off by a restart" in r.json()["error"]
    runs = tmp_path / "jobs" / job_id / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]


def test_stopping_the_server_fails_its_unfinished_jobs(tmp_path):
    app = make_app(tmp_path)
    keys = {"planner": app.state.ledger.create_key("planner")[0]}
    long = BODY | {"simulate": {"replications": 20000, "seed": 1}}
    with client_of(app) as c:
        job = c.post("/v1/scenarios", json=long, headers=auth(keys)).json()
    # leaving the client ran the app's shutdown: the job was stopped and failed
    app.state.ledger.engine.dispose()
    again = make_app(tmp_path)
    with client_of(again) as c:
        r = c.get(f"/v1/scenarios/{job['id']}", headers=auth(keys)).json()
    again.state.ledger.engine.dispose()
    assert r["status"] == "failed" and "stopped" in r["error"]


def test_jobs_are_kept_beside_a_sqlite_ledger_by_default(tmp_path):
    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'l.db'}"))
    key = app.state.ledger.create_key("planner")[0]
    with client_of(app) as c:
        r = c.get("/v1/scenarios", headers={"Authorization": f"Bearer {key}"})
    app.state.ledger.engine.dispose()
    assert r.status_code == 200 and r.json() == []
    assert (tmp_path / "scenarios").is_dir()


def test_an_unknown_backend_is_422(served):
    c, keys, _ = served
    r = c.post("/v1/scenarios", json=BODY | {"solve": {"backend": "nope"}}, headers=auth(keys))
    assert r.status_code == 422 and "solve.backend" in r.json()["detail"]


# ---------------------------------------------------------------- what the web page uses


def test_the_scenario_files_of_the_root(tmp_path):
    """The bundled examples by default: every file, parsed, with its text as it is."""
    from chainlab.api.main import create_app
    from chainlab.api.settings import ScenarioSettings, Settings
    from chainlab.scenarios import EXAMPLES

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}"))
    app.state.scenario_settings = ScenarioSettings(scenario_dir=tmp_path / "jobs")
    keys = {r: app.state.ledger.create_key(r)[0] for r in ("planner", "sales")}
    with client_of(app) as c:
        r = c.get("/v1/scenarios/files", headers=auth(keys))
        assert c.get("/v1/scenarios/files", headers=auth(keys, "sales")).status_code == 403
    app.state.ledger.engine.dispose()
    assert r.status_code == 200, r.text
    files = r.json()
    assert len(files) == 8
    assert [f["file"] for f in files] == sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    by_name = {f["name"]: f for f in files}
    assert by_name["baseline"]["file"] == "baseline.yaml"
    assert by_name["surge-east"]["description"] == "East demand +30 % from March to May"
    assert all(f["error"] is None for f in files)
    for f in files:
        assert f["text"] == (EXAMPLES / f["file"]).read_text(encoding="utf-8")


def test_a_scenario_file_that_does_not_parse_is_listed_with_its_error(served, tmp_path):
    from chainlab.api.settings import ScenarioSettings

    c, keys, app = served
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.yml").write_text("name: ok\nbase: tiny\n")
    (root / "broken.yaml").write_text("name: broken\nbase: tiny\noverrides:\n  - demand: {scale\n")
    (root / "unknown.yaml").write_text("name: x\nbase: tiny\noverrides: [{explode: {}}]\n")
    (root / ".hidden.yaml").write_text("name: hidden\nbase: tiny\n")
    (root / "notes.txt").write_text("not a scenario")
    (root / "sub").mkdir()
    (root / "sub" / "deeper.yaml").write_text("name: deeper\nbase: tiny\n")
    app.state.scenario_settings = ScenarioSettings(scenario_dir=tmp_path / "jobs",
                                                   scenario_root=root)
    files = c.get("/v1/scenarios/files", headers=auth(keys)).json()
    assert [(f["file"], f["name"]) for f in files] == [
        ("broken.yaml", None), ("ok.yml", "ok"), ("unknown.yaml", None)]
    assert "not valid YAML" in files[0]["error"] and "line 4" in files[0]["error"]
    assert "explode" in files[2]["error"]
    assert files[0]["text"].startswith("name: broken\n") and files[1]["error"] is None


YAML = """\
# a scenario file, as a planner writes it
name: surge
base: tiny
description: demand +20 % from the second week
overrides:
  - demand: {scale: 1.2, from: 2027-01-11}
simulate: {replications: 4, seed: 1}
"""


def test_a_scenario_file_sent_as_yaml_runs(served):
    c, keys, _ = served
    h = auth(keys) | {"Content-Type": "application/yaml", "Idempotency-Key": "y-1"}
    r = c.post("/v1/scenarios", content=YAML, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/scenarios/{job['id']}" and job["scenario"] == "surge"
    done = wait(c, keys, job["id"])
    assert done["status"] == "done", done
    assert done["result"]["replications"] == 4 and done["result"]["seed"] == 1
    ran = (Path(done["result"]["dir"]) / "scenario.yaml").read_text()
    assert "2027-01-11" in ran and str(DATA / "tiny") in ran
    # the same Idempotency-Key: the first job, whichever form and YAML media type says it
    for media in ("text/yaml", "application/x-yaml; charset=utf-8"):
        again = c.post("/v1/scenarios", content=YAML,
                       headers=h | {"Content-Type": media})
        assert (again.status_code, again.json()["id"]) == (200, job["id"]), again.text
    same = {"name": "surge", "base": "tiny", "description": "demand +20 % from the second week",
            "overrides": [{"demand": {"scale": 1.2, "from": "2027-01-11"}}],
            "simulate": {"replications": 4, "seed": 1}}
    as_json = c.post("/v1/scenarios", json=same, headers=auth(keys) | {"Idempotency-Key": "y-1"})
    assert (as_json.status_code, as_json.json()["id"]) == (200, job["id"])
    other = c.post("/v1/scenarios", content=YAML.replace("1.2", "1.3"), headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]


@pytest.mark.parametrize("text,says", [
    ("name: x\nbase: tiny\noverrides:\n  - demand: {scale: 1.2\n",
     ["line 5", "while parsing a flow mapping at line 4", "fix the YAML"]),
    ("name: x\n  base: tiny\n", ["line 2, column 7", "mapping values are not allowed"]),
    ("- name: x\n- base: tiny\n", ["line 1", "a scenario is a mapping", "a list"]),
    ("just words\n", ["line 1", "a scenario is a mapping", "a str"]),
    ("", ["a scenario is a mapping", "empty"]),
    ("name: x\nbase: tiny\nsimulate: &s {replications: 2}\nsolve: *s\n",
     ["line 4", "aliases"]),
    ("name: x\nbase: ../../etc\n", ["base '../../etc' must name a folder"]),
    ("name: x\nbase: tiny\noverrides:\n  - site_outage: {site: NOPE}\n", ["override 1", "NOPE"]),
    ("name: x\nbase: tiny\nsimulate: {replications: 1000000}\n", ["simulate.replications"]),
    ("name: x\nbase: tiny\nextra: 1\n", ["extra"]),
])
def test_a_bad_scenario_file_is_422_naming_the_line(served, text, says):
    c, keys, _ = served
    r = c.post("/v1/scenarios", content=text,
               headers=auth(keys) | {"Content-Type": "application/yaml"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    for s in says:
        assert s in r.json()["detail"], (s, r.json()["detail"])
    assert c.get("/v1/scenarios", headers=auth(keys)).json() == []


def test_the_key_is_checked_before_the_yaml_is_read(served):
    c, keys, _ = served
    bad = "name: [\n"
    assert c.post("/v1/scenarios", content=bad,
                  headers={"Content-Type": "text/yaml"}).status_code == 401
    assert c.post("/v1/scenarios", content=bad, headers=auth(keys, "sales") | {
        "Content-Type": "text/yaml"}).status_code == 403
    r = c.post("/v1/scenarios", content=b"name: \xff\n",
               headers=auth(keys) | {"Content-Type": "application/yaml"})
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]


def test_the_openapi_document_shows_both_forms(served):
    c, _, _ = served
    body = c.get("/openapi.json").json()["paths"]["/v1/scenarios"]["post"]["requestBody"]
    assert {"application/json", "application/yaml", "text/yaml"} <= set(body["content"])


def done_jobs(c, keys, *bodies) -> list[str]:
    ids = []
    for b in bodies:
        r = c.post("/v1/scenarios", json=b, headers=auth(keys))
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    for i in ids:
        assert wait(c, keys, i)["status"] == "done"
    return ids


BASE = {"name": "baseline", "base": "tiny", "simulate": {"replications": 4, "seed": 1}}


def test_comparing_done_jobs(served):
    c, keys, _ = served
    base, surge = done_jobs(c, keys, BASE, BODY)
    r = c.get("/v1/scenarios/compare", params={"id": [base, surge]}, headers=auth(keys))
    assert r.status_code == 200, r.text
    cmp = r.json()
    assert cmp["baseline"] == "baseline" and cmp["scenarios"] == ["baseline", "surge"]
    assert cmp["paired"] is True  # same seed and replications
    rows = {(x["scenario"], x["kpi"]): x for x in cmp["rows"]}
    demand = rows[("surge", "demand")]
    assert {"kpi", "value", "delta", "ci_low", "ci_high"} <= set(demand)
    assert demand["delta"] > 0 and demand["ci_low"] <= demand["delta"] <= demand["ci_high"]
    assert rows[("baseline", "total_cost")]["delta"] == 0
    assert cmp["runs"]["surge"] == wait(c, keys, surge)["result"]["dir"]
    # in the order given; the baseline by job id or by name
    r = c.get("/v1/scenarios/compare", params={"id": [surge, base]}, headers=auth(keys))
    assert r.json()["scenarios"] == ["surge", "baseline"] and r.json()["baseline"] == "surge"
    for b in (base, "baseline"):
        r = c.get("/v1/scenarios/compare", params={"id": [surge, base], "baseline": b},
                  headers=auth(keys))
        assert r.json()["baseline"] == "baseline", r.text
    # the HTML report of the same comparison
    r = c.get("/v1/scenarios/compare/report", params={"id": [base, surge]}, headers=auth(keys))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text and "surge" in r.text
    # one job alone is its own baseline
    r = c.get("/v1/scenarios/compare", params={"id": [surge]}, headers=auth(keys))
    assert r.status_code == 200 and r.json()["scenarios"] == ["surge"]


def test_comparing_two_runs_of_one_scenario_tells_them_apart(served):
    c, keys, _ = served
    a, b = done_jobs(c, keys, BODY, BODY | {"simulate": {"replications": 4, "seed": 2}})
    r = c.get("/v1/scenarios/compare", params={"id": [a, b]}, headers=auth(keys))
    assert r.status_code == 200, r.text
    names = [f"surge@{a.rsplit('-', 1)[1]}", f"surge@{b.rsplit('-', 1)[1]}"]
    assert r.json()["scenarios"] == names and r.json()["baseline"] == names[0]
    assert r.json()["paired"] is False  # other seeds
    r = c.get("/v1/scenarios/compare", params={"id": [a, b], "baseline": "surge"},
              headers=auth(keys))
    assert r.status_code == 422 and names[1] in r.json()["detail"]
    r = c.get("/v1/scenarios/compare", params={"id": [a, b], "baseline": names[1]},
              headers=auth(keys))
    assert r.json()["baseline"] == names[1]


def running_job(root: Path, job_id: str, status: str = "running", error=None) -> None:
    """job.json of a job this process is running (as far as anyone can tell)."""
    d = root / job_id
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({
        "id": job_id, "scenario": "slow", "status": status,
        "submitted_at": "2027-01-01T00:00:00+00:00", "started_at": "2027-01-01T00:00:01+00:00",
        "finished_at": None, "progress": {"phase": "simulate", "done": 3, "total": 50},
        "error": error, "result": None, "request": {},
        "owner": {"host": socket.gethostname(), "pid": os.getpid(), "instance": "other",
                  "heartbeat": time.time()}}))


def test_what_cannot_be_compared(served, tmp_path):
    c, keys, _ = served
    (done,) = done_jobs(c, keys, BODY)
    running_job(tmp_path / "jobs", "20270101T000000-aaaaaaaa")
    running_job(tmp_path / "jobs", "20270101T000000-bbbbbbbb", "failed", "no plan: infeasible")

    def get(path, **params):
        r = c.get(path, params=params, headers=auth(keys))
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
        return r

    for path in ("/v1/scenarios/compare", "/v1/scenarios/compare/report"):
        r = get(path, id=[done, "20270101T000000-aaaaaaaa"])
        assert r.status_code == 409
        assert r.json()["detail"] == ("job 20270101T000000-aaaaaaaa is running; compare it "
                                      "when it is done")
        r = get(path, id=[done, "20270101T000000-bbbbbbbb"])
        assert r.status_code == 409 and "failed" in r.json()["detail"]
        assert "infeasible" in r.json()["detail"]
        r = get(path, id=[done, "20270101T000000-cccccccc"])
        assert r.status_code == 404 and "20270101T000000-cccccccc" in r.json()["detail"]
        assert get(path).status_code == 422                      # no id
        assert get(path, id=["no/such"]).status_code == 422      # not a job id
        r = get(path, id=[done, done])
        assert r.status_code == 422 and "twice" in r.json()["detail"]
        r = get(path, id=[done], baseline="nope")
        assert r.status_code == 422 and "surge" in r.json()["detail"]
    # the paths are not taken for job ids
    assert get("/v1/scenarios/files").status_code == 200
    assert c.get("/v1/scenarios/compare", params={"id": done},
                 headers=auth(keys, "sales")).status_code == 403


# ---------------------------------------------------------------- absurd values (issue 15)

_N5000 = "9" * 5000
_OUTAGE = {"site_outage": {"site": "PLANT1", "from": "0001-01-01", "to": "9999-12-31"}}
_SUPPLY = {"supply": {"supplier": "SUP1", "scale": 0.5, "to": "9999-12-31"}}


@pytest.mark.parametrize("kind,body,says", [
    ("json", json.dumps(BODY | {"base": "ti\x00ny"}), ["base", "NUL character"]),
    ("json", json.dumps(BODY | {"base": "a" * 500}), ["base", "(500 characters)"]),
    ("json", json.dumps(BODY | {"crm": "c" * 300}), ["crm", "File name too long"]),
    ("json", json.dumps(BODY | {"overrides": [_OUTAGE]}),
     ["overrides[1].site_outage.from", "0001-01-01 is outside", "1900-01-01 to 2199-12-31"]),
    ("json", json.dumps(BODY | {"overrides": [_SUPPLY]}),
     ["overrides[1].supply.to", "9999-12-31 is outside"]),
    ("json", json.dumps(BODY | {"simulate": {"replications": "N"}}).replace('"N"', _N5000),
     ["simulate.replications", "a number of 5000 digits", "ask for fewer"]),
    ("json", json.dumps(BODY | {"simulate": {"seed": "N"}}).replace('"N"', _N5000),
     ["simulate.seed", "digits"]),
    ("json", json.dumps(BODY | {"solve": {"time_limit": 1e300}}), ["solve.time_limit"]),
    ("json", json.dumps(BODY | {"overrides": [{"demand": {"scale": 1e300}}]}),
     ["overrides[1].demand.scale"]),
    ("json", json.dumps(BODY | {"name": "a\x00b"}), ["name", "NUL character"]),
    ("yaml", "name: x\nbase: tiny\x00\n", ["line 2, column 11", "U+0000"]),
    ("yaml", f"name: x\nbase: tiny\nsimulate: {{replications: {_N5000}}}\n",
     ["line 3", "an integer of 5000 digits"]),
    ("yaml", "name: x\nbase: tiny\noverrides:\n  - site_outage: {site: PLANT1, from: "
             "0001-01-01, to: 9999-12-31}\n", ["overrides[1].site_outage.to", "9999-12-31"]),
])
def test_absurd_values_are_422_naming_the_field_and_nothing_is_queued(served, kind, body, says):
    c, keys, _ = served
    media = "application/json" if kind == "json" else "application/yaml"
    r = c.post("/v1/scenarios", content=body.encode(),
               headers=auth(keys) | {"Content-Type": media})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    for s in says:
        assert s in detail, (s, detail)
    assert len(detail) < 1500
    assert c.get("/v1/scenarios", headers=auth(keys)).json() == []
