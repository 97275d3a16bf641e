"""Promises and scenario jobs belong to the owner of the key that made them, on both engines:
a sales key reads, lists, cancels and confirms only its owner's promises (another owner's is
a 404 like an unknown id, and absent from lists and commitments); a planner key reads, lists
and compares only its owner's scenario jobs; admin keys see everything; keys of one owner
share."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chainlab.models import NotFoundError
from chainlab.scenarios.jobs import Job, JobStatus, write_job

DATA = Path(__file__).parents[1] / "data"
PROBLEM = "application/problem+json"


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def order(quantity=10, **kw) -> dict:
    return {"customer": "C1", "lines": [{"product": "FG1", "quantity": quantity,
                                         "requested_date": "2027-01-05"}], **kw}


@pytest.fixture
def owners(app, client, keys, tiny):
    """Sales keys of two owners (``a``: owner acme, ``a2``: acme too, ``b``: its own key) over
    the tiny plan, and the role keys."""
    led = app.state.ledger
    led.publish(DATA / "tiny_plan", network=tiny)
    made = {"a": led.create_key("sales", name="shop", owner="acme")[0],
            "a2": led.create_key("sales", name="shop 2", owner="acme")[0],
            "b": led.create_key("sales", name="call centre")[0]}
    return client, keys | made


def test_a_sales_key_sees_and_cancels_only_its_owners_promises(owners, app):
    c, k = owners
    pa = c.post("/v1/promises", json=order(10), headers=auth(k["a"]))
    pb = c.post("/v1/promises", json=order(5), headers=auth(k["b"]))
    quote = c.post("/v1/promises", json=order(3, quote_minutes=30), headers=auth(k["a"]))
    assert (pa.status_code, pb.status_code, quote.status_code) == (201, 201, 201), pb.text
    pa, pb, quote = pa.json(), pb.json(), quote.json()
    assert pa["owner"] == "acme" and pb["owner"].startswith("key:")

    # another owner's promise does not exist for b: the same 404 as an unknown id
    unknown = c.get("/v1/promises/999999", headers=auth(k["b"]))
    for path, method in ((f"/v1/promises/{pa['id']}", "get"),
                         (f"/v1/promises/{pa['id']}/cancel", "post"),
                         (f"/v1/promises/{quote['id']}/confirm", "post")):
        r = getattr(c, method)(path, headers=auth(k["b"]))
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["title"] == unknown.json()["title"]
        assert "does not exist" in r.json()["detail"]
    # nothing was cancelled or confirmed by those tries
    assert c.get(f"/v1/promises/{pa['id']}", headers=auth(k["a"])).json()["status"] == "confirmed"
    assert c.get(f"/v1/promises/{quote['id']}",
                 headers=auth(k["a"])).json()["status"] == "quoted"

    def listed(key, path="/v1/promises", field="promises", id_field="id"):
        r = c.get(path, headers=auth(key), params={"include_quotes": "true"}
                  if field == "commitments" else None)
        assert r.status_code == 200, r.text
        return sorted({x[id_field] for x in r.json()[field]})

    assert listed(k["b"]) == [pb["id"]]
    assert listed(k["a"]) == sorted([pa["id"], quote["id"]])
    assert listed(k["a2"]) == sorted([pa["id"], quote["id"]])  # same owner: shared
    every = sorted([pa["id"], pb["id"], quote["id"]])
    for role in ("admin", "erp", "planner"):  # they ship and plan every promise
        assert listed(k[role]) == every, role
    commitments = ("/v1/commitments", "commitments", "promise_id")
    assert listed(k["b"], *commitments) == [pb["id"]]
    assert listed(k["a"], *commitments) == sorted([pa["id"], quote["id"]])
    assert listed(k["erp"], *commitments) == every
    assert listed(k["admin"], *commitments) == every
    # a sales key of the old kind (no owner name) is its own owner
    assert c.get(f"/v1/promises/{pb['id']}", headers=auth(k["sales"])).status_code == 404

    # the owner's other key cancels; the admin key cancels anyone's
    r = c.post(f"/v1/promises/{pa['id']}/cancel", headers=auth(k["a2"]))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = c.post(f"/v1/promises/{pb['id']}/cancel", headers=auth(k["admin"]))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = c.post(f"/v1/promises/{quote['id']}/confirm", headers=auth(k["a"]))
    assert r.status_code == 200 and r.json()["status"] == "confirmed"

    # the library call takes the same owner filter
    led = app.state.ledger
    with pytest.raises(NotFoundError):
        led.get_promise(pa["id"], owner=pb["owner"])
    assert led.get_promise(pa["id"], owner="acme").id == pa["id"]
    assert led.get_promise(pa["id"]).owner == "acme"


def test_a_revoked_owners_promises_stay_with_the_owner(owners, app):
    """A new key of the same owner takes over what a revoked one promised."""
    c, k = owners
    p = c.post("/v1/promises", json=order(4), headers=auth(k["a"])).json()
    app.state.ledger.revoke_key(k["a"])
    assert c.get(f"/v1/promises/{p['id']}", headers=auth(k["a"])).status_code == 401
    fresh = app.state.ledger.create_key("sales", owner="acme")[0]
    assert c.get(f"/v1/promises/{p['id']}", headers=auth(fresh)).status_code == 200


# ---------------------------------------------------------------- scenario jobs

BODY = {"name": "surge", "base": "tiny", "overrides": [{"demand": {"scale": 1.2}}],
        "simulate": {"replications": 2, "seed": 1}}


def _done(c, key, job_id, timeout=180.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = c.get(f"/v1/scenarios/{job_id}", headers=auth(key))
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return r.json()
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_a_planner_key_sees_only_its_owners_jobs(app, keys, tmp_path):
    from fastapi.testclient import TestClient

    from chainlab.api.settings import ScenarioSettings

    jobs_dir = tmp_path / "jobs"
    app.state.scenario_settings = ScenarioSettings(scenario_dir=jobs_dir, scenario_root=DATA,
                                                   scenario_workers=1)
    led = app.state.ledger
    a = led.create_key("planner", owner="acme-planning")[0]
    a2 = led.create_key("planner", owner="acme-planning")[0]
    b = led.create_key("planner")[0]
    # a run recorded for everyone (as chainlab demo records its runs): no owner
    shared = Job(id="20270101T000000-00shared", scenario="recorded", status=JobStatus.DONE,
                 submitted_at="2027-01-01T00:00:00+00:00")
    write_job(jobs_dir, shared)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/scenarios", json=BODY, headers=auth(a))
        assert r.status_code == 202, r.text
        ja = r.json()["id"]
        assert r.json()["submitted_by"] == "acme-planning"
        assert _done(c, a, ja)["status"] == "done"
        jb = c.post("/v1/scenarios", json=BODY | {"name": "other"}, headers=auth(b)).json()["id"]
        assert _done(c, b, jb)["status"] == "done"

        unknown = c.get("/v1/scenarios/20270101T000000-deadbeef", headers=auth(b))
        assert unknown.status_code == 404
        r = c.get(f"/v1/scenarios/{ja}", headers=auth(b))
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["detail"] == unknown.json()["detail"].replace(
            "20270101T000000-deadbeef", ja)
        for path in ("/v1/scenarios/compare", "/v1/scenarios/compare/report"):
            r = c.get(path, params={"id": [jb, ja]}, headers=auth(b))
            assert r.status_code == 404, (path, r.text)
            assert c.get(path, params={"id": [jb]}, headers=auth(b)).status_code == 200

        def listed(key):
            r = c.get("/v1/scenarios", headers=auth(key))
            assert r.status_code == 200, r.text
            return sorted(j["id"] for j in r.json())

        assert listed(a) == sorted([ja, shared.id])
        assert listed(a2) == sorted([ja, shared.id])
        assert listed(b) == sorted([jb, shared.id])
        assert listed(keys["planner"]) == [shared.id]
        assert listed(keys["admin"]) == sorted([ja, jb, shared.id])
        assert c.get(f"/v1/scenarios/{ja}", headers=auth(a2)).status_code == 200
        assert c.get(f"/v1/scenarios/{jb}", headers=auth(keys["admin"])).status_code == 200
        r = c.get("/v1/scenarios/compare", params={"id": [ja, jb]},
                  headers=auth(keys["admin"]))
        assert r.status_code == 200, r.text
