"""``GET /v1/plans/{plan_ref}/report``: the stored report of a version published with its plan
and network, for the readers of plans (erp, planner, admin); 404 problems for a version
published as orders only or one that does not exist. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainlab import solver

DATA = Path(__file__).parents[1] / "data"
PROBLEM = "application/problem+json"
ORDER = {"type": "transfer", "product": "FG1", "from_site": "PLANT1", "to_site": "DC1",
         "quantity": 10, "release_date": "2027-01-04", "due_date": "2027-01-11"}


def auth(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def plan_dir(tiny, tmp_path_factory) -> Path:
    return solver.plan(tiny).to_folder(tmp_path_factory.mktemp("plan") / "plan")


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    return r.json()


def test_report_of_the_current_and_of_a_given_version(app, client, keys, tiny, plan_dir):
    led = app.state.ledger
    pub = led.publish(plan_dir, network=tiny, name="week 1")
    for role in ("planner", "erp", "admin"):
        r = client.get("/v1/plans/current/report", headers=auth(keys[role]))
        assert r.status_code == 200, (role, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json() == led.plan_report()
    got = client.get(f"/v1/plans/{pub.plan_version}/report", headers=auth(keys["erp"])).json()
    assert (got["plan_version_id"], got["name"], got["network"]) == (1, "week 1", "tiny")
    assert list(got) == ["plan_version_id", "name", "network", "currency", "bucket", "dates",
                         "status", "objective", "gap", "costs", "sites", "lanes",
                         "site_tables", "production", "inventory", "bottlenecks"]
    assert len(got["sites"]) == 5 and got["dates"][0] == "2027-01-04"


def test_auth_and_roles(app, client, keys, tiny, plan_dir):
    app.state.ledger.publish(plan_dir, network=tiny)
    r = client.get("/v1/plans/current/report")
    problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    problem(client.get("/v1/plans/1/report", headers=auth("clk_nope_nope")), 401)
    assert "sales" in problem(client.get("/v1/plans/current/report",
                                         headers=auth(keys["sales"])), 403)["detail"]


def test_orders_only_and_unknown_versions_are_404(app, client, keys, tiny, plan_dir):
    h = auth(keys["planner"])
    assert "no plan has been published" in problem(
        client.get("/v1/plans/current/report", headers=h), 404)["detail"]
    app.state.ledger.publish(plan_dir, network=tiny)
    assert client.post("/v1/plans", json={"name": "p2", "orders": [ORDER]},
                       headers=h).status_code == 201
    detail = problem(client.get("/v1/plans/current/report", headers=h), 404)["detail"]
    assert "plan version 2 was published without its plan and network" in detail
    assert "--network" in detail
    assert client.get("/v1/plans/1/report", headers=h).status_code == 200
    assert "does not exist" in problem(client.get("/v1/plans/9/report", headers=h),
                                       404)["detail"]
    problem(client.get("/v1/plans/next/report", headers=h), 422)
