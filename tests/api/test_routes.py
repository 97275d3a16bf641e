"""Every route: 401 without a key, 403 for a wrong role, 422 for a malformed request, all as
problem+json and never a 500; and what each route answers when asked right."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"
MOVE = {"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 5, "date": "2027-01-05"}
ORDER = {"type": "transfer", "product": "FG1", "from_site": "PLANT1", "to_site": "DC1",
         "quantity": 10, "release_date": "2027-01-04", "due_date": "2027-01-11"}
PLAN = {"name": "p1", "orders": [ORDER]}

#: (method, path, good body, roles that may use it besides admin)
ROUTES = [
    ("GET", "/v1/plans", None, {"erp", "planner"}),
    ("GET", "/v1/plans/current", None, {"erp", "planner"}),
    ("GET", "/v1/plans/1", None, {"erp", "planner"}),
    ("GET", "/v1/plans/1/orders", None, {"erp", "planner"}),
    ("GET", "/v1/plans/current/orders", None, {"erp", "planner"}),
    ("GET", "/v1/plans/current/report", None, {"erp", "planner"}),
    ("GET", "/v1/plans/1/report", None, {"erp", "planner"}),
    ("POST", "/v1/plans", PLAN, {"planner"}),
    ("GET", "/v1/orders/1", None, {"erp", "planner"}),
    ("POST", "/v1/orders/1/status", {"status": "firm"}, {"erp", "planner"}),
    ("POST", "/v1/stock-moves", MOVE, {"erp"}),
    ("GET", "/v1/stock-moves", None, {"erp"}),
    ("GET", "/v1/stock-moves/1", None, {"erp"}),
    ("POST", "/v1/stock-moves/1/reverse", {}, {"erp"}),
    ("GET", "/v1/inventory", None, {"erp", "planner", "sales"}),
    ("GET", "/v1/ledger/trial-balance", None, {"erp", "planner"}),
]
ROLES = ("sales", "planner", "erp", "admin")

#: malformed bodies for every write, each must give 422
BAD_BODIES = [b"", b"{", b"null", b"[]", b'"text"', b"42", b'{"unknown": 1}', b"\xff\xfe",
              b'{"quantity": NaN}', b"[" * 5000]
#: per route: bodies of the right shape with a wrong field
BAD_FIELDS = {
    "/v1/plans": [{"orders": [ORDER | {"quantity": -1}]}, {"orders": [ORDER | {"type": "gift"}]},
                  {"orders": "all"}, {"orders": [ORDER | {"release_date": "someday"}]},
                  PLAN | {"extra": True}],
    "/v1/orders/1/status": [{"status": "done"}, {"status": None}],
    "/v1/stock-moves": [MOVE | {"quantity": "lots"}, MOVE | {"type": "theft"},
                        MOVE | {"date": "2027-13-01"},
                        (b'{"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 1e400,'
                         b' "date": "2027-01-05"}'),
                        MOVE | {"site": ""}, [MOVE, MOVE | {"product": 5}],
                        MOVE | {"quantity": "0.0000001"}],
    "/v1/stock-moves/1/reverse": [{"date": "yesterday"}, {"reference": ["x"]}],
}


def auth(key, **headers):
    return {"Authorization": f"Bearer {key}", **headers}


def call(client, method, path, body=None, headers=None, content=None):
    return client.request(method, path, json=body, content=content, headers=headers or {})


def assert_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    p = r.json()
    assert p["status"] == status and p["title"] and "detail" in p


@pytest.fixture(scope="module")
def seeded_keys(shared):
    """A module-wide app with a published plan (order 1) and a posted move (1): (client, keys)."""
    client, keys = shared
    assert client.post("/v1/plans", json=PLAN, headers=auth(keys["planner"])).status_code in (
        200, 201)
    assert client.post("/v1/stock-moves", json=MOVE, headers=auth(keys["erp"])).status_code == 201
    return client, keys


@pytest.fixture
def seeded(seeded_keys):
    return seeded_keys[0]


@pytest.fixture
def skeys(seeded_keys):
    return seeded_keys[1]


@pytest.mark.parametrize("method, path, body, roles", ROUTES, ids=[f"{m} {p}" for m, p, *_ in
                                                                    ROUTES])
def test_auth_and_roles(seeded, skeys, method, path, body, roles):
    keys = skeys
    client = seeded
    r = call(client, method, path, body)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert_problem(call(client, method, path, body, auth("clk_nope_nope")), 401)
    assert_problem(call(client, method, path, body, {"Authorization": "Basic eDp5"}), 401)
    # without a key, a malformed body still gets 401, not 422
    if method == "POST":
        assert_problem(call(client, method, path, content=b"{", headers={
            "content-type": "application/json"}), 401)
    for role in ROLES:
        r = call(client, method, path, body, auth(keys[role]))
        if role in roles or role == "admin":
            assert r.status_code < 400 or r.status_code in (404, 409), (role, r.text)
        else:
            assert_problem(r, 403)
            assert role in r.json()["detail"]


WRITES = [(m, p, roles) for m, p, _, roles in ROUTES if m == "POST"]


@pytest.mark.parametrize("method, path, roles", WRITES, ids=[p for _, p, _ in WRITES])
def test_malformed_bodies_are_422(seeded, skeys, method, path, roles):
    keys = skeys
    key = keys[min(roles)]
    for raw in BAD_BODIES:
        if path == "/v1/stock-moves/1/reverse" and raw in (b"", b"null"):
            continue  # the body is optional there: none is fine
        r = call(seeded, method, path, content=raw,
                 headers=auth(key, **{"content-type": "application/json"}))
        assert_problem(r, 422)
    for body in BAD_FIELDS[path]:
        if isinstance(body, bytes):
            r = call(seeded, method, path, content=body,
                     headers=auth(key, **{"content-type": "application/json"}))
        else:
            r = call(seeded, method, path, body, auth(key))
        assert_problem(r, 422)
        assert r.json()["errors"]


@pytest.mark.parametrize("path", [
    "/v1/plans/abc", "/v1/plans/1/orders?limit=0", "/v1/plans/1/orders?type=gift",
    "/v1/plans/1/orders?due_from=soon", "/v1/plans/1/orders?cursor=%%%", "/v1/orders/0",
    "/v1/stock-moves?limit=100000", "/v1/stock-moves?cursor=bad", "/v1/stock-moves/x",
    "/v1/plans?before=0",
])
def test_malformed_queries_and_paths_are_422(seeded, skeys, path):
    assert_problem(seeded.get(path, headers=auth(skeys["admin"])), 422)


def test_unknown_things_are_404_problems(client, keys):
    h = auth(keys["admin"])
    assert_problem(client.get("/v1/plans/current", headers=h), 404)
    assert_problem(client.get("/v1/plans/7/orders", headers=h), 404)
    assert_problem(client.get("/v1/plans/current/report", headers=h), 404)
    assert_problem(client.get("/v1/stock-moves/7", headers=h), 404)
    assert_problem(client.post("/v1/stock-moves/7/reverse", headers=h), 404)
    assert_problem(client.get("/v1/nowhere", headers=h), 404)
    assert_problem(client.delete("/v1/plans", headers=h), 405)


def test_request_too_large_is_413(client, keys):
    big = [MOVE] * 1000  # > 64 KiB in this app
    assert_problem(client.post("/v1/stock-moves", json=big, headers=auth(keys["erp"])), 413)

    def chunks():
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/v1/stock-moves", content=chunks(),
                    headers=auth(keys["erp"], **{"content-type": "application/json"}))
    assert_problem(r, 413)


def test_health_needs_no_key(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["info"]["title"] == "chainlab"


def test_publish_and_read_orders(client, keys):
    h = auth(keys["planner"])
    orders = [ORDER | {"quantity": q, "due_date": f"2027-01-{11 + i % 2}"}
              for i, q in enumerate([1, 2.5, "3.125", 4, 5])]
    r = client.post("/v1/plans", json={"name": "w1", "orders": orders}, headers=h)
    assert r.status_code == 201 and r.json()["plan_version"] == 1 and r.json()["created"]
    again = client.post("/v1/plans", json={"name": "w1", "orders": orders}, headers=h)
    assert again.status_code == 200 and not again.json()["created"]
    plan = client.get("/v1/plans/current", headers=h).json()
    assert (plan["id"], plan["order_count"], plan["current"]) == (1, 5, True)
    page = client.get("/v1/plans/current/orders?limit=2", headers=h).json()
    got = page["orders"]
    while page["next_cursor"]:
        page = client.get(f"/v1/plans/current/orders?limit=2&cursor={page['next_cursor']}",
                          headers=h).json()
        got += page["orders"]
    assert sorted(o["quantity"] for o in got) == [1, 2.5, 3.125, 4, 5]
    due12 = client.get("/v1/plans/1/orders?due_from=2027-01-12&status=planned",
                       headers=h).json()["orders"]
    assert sorted(o["quantity"] for o in due12) == [2.5, 4]
    csv = client.get("/v1/plans/1/orders?product=FG1", headers=auth(keys["erp"],
                                                                     Accept="text/csv"))
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("number,plan_version_id,type,product,from_site,to_site,quantity")
    assert len(lines) == 6 and any(",3.125," in x for x in lines)


def test_publish_with_master_data(client, keys):
    body = {"orders": [ORDER | {"product": "NEW", "to_site": "DC2"}],
            "sites": [{"id": "DC2", "kind": "dc"}],
            "products": [{"id": "NEW", "standard_cost": "1.25"}]}
    r = client.post("/v1/plans", json=body, headers=auth(keys["planner"]))
    assert r.status_code == 201, r.text
    m = client.post("/v1/stock-moves", json=MOVE | {"site": "DC2", "product": "NEW"},
                    headers=auth(keys["erp"])).json()
    assert m["value"] == 6.25
    bad = client.post("/v1/plans", json={"orders": [ORDER | {"product": "GHOST"}]},
                      headers=auth(keys["planner"]))
    assert_problem(bad, 422)
    assert "GHOST" in bad.json()["detail"]


def test_order_status_changes(client, keys):
    assert client.post("/v1/plans", json=PLAN, headers=auth(keys["planner"])).status_code == 201
    h = auth(keys["erp"])
    assert client.post("/v1/orders/1/status", json={"status": "released"},
                       headers=h).json()["status"] == "released"
    assert_problem(client.post("/v1/orders/1/status", json={"status": "firm"}, headers=h), 409)
    assert client.get("/v1/orders/1", headers=h).json()["status"] == "released"


def test_stock_moves_single_list_idempotent_reverse(client, keys):
    h = auth(keys["erp"])
    one = client.post("/v1/stock-moves", json=MOVE | {"quantity": "0.1"}, headers=h)
    assert one.status_code == 201 and one.json()["quantity"] == 0.1
    assert one.json()["value"] == 1.0
    many = client.post("/v1/stock-moves", json=[MOVE, MOVE | {"type": "shipment",
                                                               "quantity": 2}], headers=h)
    assert many.status_code == 201 and [m["id"] for m in many.json()] == [2, 3]
    bad = client.post("/v1/stock-moves", json=[MOVE, MOVE | {"site": "C1"}], headers=h)
    assert_problem(bad, 422)
    assert bad.json()["detail"].startswith("moves[1]")
    hk = auth(keys["erp"], **{"Idempotency-Key": "abc"})
    first = client.post("/v1/stock-moves", json=MOVE, headers=hk)
    again = client.post("/v1/stock-moves", json=MOVE, headers=hk)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert_problem(client.post("/v1/stock-moves", json=MOVE | {"quantity": 6}, headers=hk), 422)
    assert_problem(client.post("/v1/stock-moves", json=MOVE,
                               headers=auth(keys["erp"], **{"Idempotency-Key": "x" * 300})), 422)
    inv = client.get("/v1/inventory?site=DC1", headers=auth(keys["sales"])).json()
    assert inv == [{"site": "DC1", "product": "FG1", "on_hand": 8.1, "value": 81.0}]
    rev = client.post("/v1/stock-moves/1/reverse", json={"reference": "typo"}, headers=h)
    assert rev.status_code == 201 and rev.json()["reverses"] == 1 and rev.json()["delta"] == -0.1
    assert_problem(client.post("/v1/stock-moves/1/reverse", headers=h), 409)
    listed = client.get("/v1/stock-moves?limit=2", headers=h).json()
    assert [m["id"] for m in listed["moves"]] == [1, 2] and listed["next_cursor"]
    rest = client.get(f"/v1/stock-moves?cursor={listed['next_cursor']}", headers=h).json()
    assert [m["id"] for m in rest["moves"]] == [3, 4, 5] and rest["next_cursor"] is None
    tb = client.get("/v1/ledger/trial-balance", headers=h).json()
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"]


def test_too_many_moves_in_one_request(app, client, keys):
    app.state.settings.max_moves_per_request = 3
    r = client.post("/v1/stock-moves", json=[MOVE] * 4, headers=auth(keys["erp"]))
    assert_problem(r, 422)
    assert "at most 3" in r.json()["detail"]


def test_revoked_key_is_refused(app, client, keys):
    led = app.state.ledger
    prefix = keys["erp"].split("_")[1]
    assert client.get("/v1/inventory", headers=auth(keys["erp"])).status_code == 200
    led.revoke_key(prefix)
    assert_problem(client.get("/v1/inventory", headers=auth(keys["erp"])), 401)
