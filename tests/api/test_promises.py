"""``/v1/atp`` and ``/v1/promises`` over HTTP on both engines: check, promise (201, 409 with
the answer), idempotent retries, read, list, cancel, quotes, the ERP's commitments, tiers and
quotas, ATP tables, roles and malformed requests.

The tiny network's plan is published with the network, so DC1 has its 100 FG1 on hand (the
network's opening stock); DC1 reaches C1 in one day.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"
PROBLEM = "application/problem+json"


def auth(key, **headers):
    return {"Authorization": f"Bearer {key}", **headers}


def body(quantity=50, date="2027-01-05", product="FG1", customer="C1", **kw):
    return {"customer": customer,
            "lines": [{"product": product, "quantity": quantity, "requested_date": date}], **kw}


@pytest.fixture
def api(app, client, keys, tiny):
    led = app.state.ledger
    assert led.publish(DATA / "tiny_plan", network=tiny).opening_moves == 2
    return client, keys


def test_check_promise_read_cancel(api):
    client, keys = api
    sales = auth(keys["sales"])
    r = client.post("/v1/atp/check", json=body(), headers=sales)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["fill"] == "complete" and a["plan_version"] == 1
    line = a["lines"][0]
    assert line["promised"] == [{"quantity": 50.0, "date": "2027-01-05",
                                 "ship_date": "2027-01-04", "source": "DC1", "kind": "atp",
                                 "route": "DC1>C1 by truck"}]
    assert line["reason"].startswith("ATP at DC1: 50 of ")
    assert client.get("/v1/promises", headers=sales).json()["promises"] == []  # nothing held

    r = client.post("/v1/promises", json=body(reference="CRM-1"),
                    headers=auth(keys["sales"], **{"Idempotency-Key": "p-1"}))
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["status"], p["fill"], p["reference"]) == ("confirmed", "complete", "CRM-1")
    again = client.post("/v1/promises", json=body(reference="CRM-1"),
                        headers=auth(keys["sales"], **{"Idempotency-Key": "p-1"}))
    assert again.status_code == 201 and again.json() == p
    reused = client.post("/v1/promises", json=body(7),
                         headers=auth(keys["sales"], **{"Idempotency-Key": "p-1"}))
    assert reused.status_code == 422 and reused.headers["content-type"].startswith(PROBLEM)

    assert client.get(f"/v1/promises/{p['id']}", headers=sales).json() == p
    page = client.get("/v1/promises", params={"customer": "C1"}, headers=sales).json()
    assert [x["id"] for x in page["promises"]] == [p["id"]]
    rows = client.get("/v1/commitments", params={"source": "DC1"},
                      headers=auth(keys["erp"])).json()["commitments"]
    assert [(c["promise_id"], c["product"], c["quantity"], c["ship_date"], c["status"])
            for c in rows] == [(p["id"], "FG1", 50.0, "2027-01-04", "confirmed")]

    r = client.post(f"/v1/promises/{p['id']}/cancel", headers=sales)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get("/v1/commitments", headers=auth(keys["erp"])).json()["commitments"] == []
    assert client.get("/v1/promises/999", headers=sales).status_code == 404


def test_409_says_what_can_be_promised(api):
    client, keys = api
    r = client.post("/v1/promises", json=body(130), headers=auth(keys["sales"]))
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["type"] == "urn:chainlab:problem:cannot-promise"
    line = problem["answer"]["lines"][0]
    # 120 by 01-04 (100 on hand and transfer order 6), the rest when orders 7 and 8 arrive
    assert line["fill"] == "late" and line["date"] == "2027-01-12"
    assert "ATP at DC1 has 120 to ship by 2027-01-04, exhausted until 2027-01-11, when " \
           "transfer order 8 from PLANT1 is due" in line["reason"]
    assert line["alternatives"][0]["quantity"] == 120.0
    assert "exhausted until 2027-01-11" in problem["detail"]
    partial = client.post("/v1/promises", json=body(130, allow_partial=True),
                          headers=auth(keys["sales"]))
    assert partial.status_code == 201 and partial.json()["status"] == "partial"
    assert [(x["quantity"], x["date"]) for x in partial.json()["lines"][0]["promised"]] == [
        (120.0, "2027-01-05"), (10.0, "2027-01-12")]


def test_quotes_confirm(api):
    client, keys = api
    q = client.post("/v1/promises", json=body(10, quote_minutes=5),
                    headers=auth(keys["sales"])).json()
    assert q["status"] == "quoted" and q["expires_at"] is not None
    held = client.get("/v1/commitments", params={"include_quotes": True},
                      headers=auth(keys["erp"])).json()["commitments"]
    assert [c["status"] for c in held] == ["quoted"]
    c = client.post(f"/v1/promises/{q['id']}/confirm", headers=auth(keys["sales"])).json()
    assert c["status"] == "confirmed" and c["expires_at"] is None


def test_tiers_quotas_and_atp_tables(api):
    client, keys = api
    planner, sales = auth(keys["planner"]), auth(keys["sales"])
    assert client.put("/v1/atp/tiers/C1", json={"tier": 2}, headers=planner).json() == {
        "customer": "C1", "tier": 2}
    assert client.put("/v1/atp/tiers/C1", json={"tier": 2}, headers=sales).status_code == 403
    assert client.put("/v1/atp/tiers/DC1", json={"tier": 2}, headers=planner).status_code == 422
    quotas = {"quotas": [{"product": "FG1", "tier": t, "period_start": "2027-01-04",
                          "period_end": "2027-01-11", "quantity": q}
                         for t, q in ((1, 50), (2, 20), (3, 10))]}
    r = client.put("/v1/atp/quotas", json=quotas, headers=planner)
    assert r.status_code == 200 and len(r.json()) == 3
    a = client.post("/v1/atp/check", json=body(40), headers=sales).json()
    assert a["tier"] == 2 and a["fill"] == "late"
    assert "tier 2 may use 30 more of the FG1 quota" in a["lines"][0]["reason"]
    client.post("/v1/promises", json=body(25), headers=sales)
    used = {q["tier"]: q["used"] for q in client.get("/v1/atp/quotas", headers=sales).json()}
    assert used == {1: 0.0, 2: 20.0, 3: 5.0}
    tables = client.get("/v1/atp", params={"product": "FG1", "site": "DC1"},
                        headers=sales).json()
    dc1 = tables[0]
    assert dc1["site"] == "DC1" and dc1["available_in_all"] == 365.0
    assert dc1["days"][-1]["receipts"] == ["transfer order 9 from PLANT1"]
    assert client.get("/v1/atp", params={"product": "NOPE"}, headers=sales).status_code == 404


@pytest.mark.parametrize("path", ["/v1/atp/check", "/v1/promises"])
def test_roles_and_malformed_bodies(api, path):
    client, keys = api
    assert client.post(path, json=body()).status_code == 401
    assert client.post(path, json=body(), headers=auth(keys["erp"])).status_code == 403
    for bad in (body(0), body(-1), body("lots"), body(date="someday"), body(customer="NOPE"),
                body(product="NOPE"), body(customer="DC1"), {"customer": "C1", "lines": []},
                body(extra=1), body(quote_minutes=0), body("0.0000001")):
        r = client.post(path, json=bad, headers=auth(keys["sales"]))
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
