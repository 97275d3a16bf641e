"""``POST /v1/plans`` bodies: errors name orders by their place in the request (the ledger sorts
the orders to hash them, and the rows of its errors counted after sorting), and a body past
the cap (CHAINLAB_MAX_PLAN_BODY_BYTES, 16 MiB by default) is a 413 problem+json that says the
cap, refused as it comes in, never held whole."""

from __future__ import annotations

import asyncio
import json
import warnings

import pytest

from chainlab.api.main import BodyLimit
from chainlab.api.settings import Settings

PROBLEM = "application/problem+json"


def order(type_, product, frm, to) -> dict:
    return {"type": type_, "product": product, "from_site": frm, "to_site": to,
            "quantity": 5, "release_date": "2027-01-05", "due_date": "2027-01-08"}


def test_error_rows_are_the_requests_order(client, keys):
    # sorted by type, the production order (row 2) comes first and the transfer (row 0) last
    orders = [order("transfer", "FG1", "PLANT1", "NOWHERE"),
              order("purchase", "RM1", "SUP1", "PLANT1"),
              order("production", "NOPE", "PLANT1", "PLANT1")]
    r = client.post("/v1/plans", json={"orders": orders},
                    headers={"Authorization": f"Bearer {keys['planner']}"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert errors == {(2, "product"), (0, "to_site")}, r.text
    assert "orders row 0, column 'to_site'" in r.json()["detail"]


def test_the_default_cap_of_a_plan_body():
    assert Settings().max_plan_body_bytes == 16 * 2**20


@pytest.fixture
def capped(app):
    """The app with a plan body cap of 100,000 bytes."""
    from chainlab.api.main import create_app
    from chainlab.api.settings import ScenarioSettings

    s = app.state.settings
    small = create_app(Settings(database_url=s.database_url, key_cache_seconds=0,
                                max_body_bytes=64 * 1024, max_plan_body_bytes=100_000),
                       ScenarioSettings(scenario_dir=app.state.scenario_settings.scenario_dir))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

        with TestClient(small, raise_server_exceptions=False) as c:
            yield c
    small.state.ledger.engine.dispose()


def assert_413(r, limit: int):
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    p = r.json()
    assert p["type"] == "urn:chainlab:problem:payload-too-large" and p["max_bytes"] == limit
    assert f"larger than {limit} bytes" in p["detail"] and "/v1/plans" in p["detail"]
    assert "CHAINLAB_MAX_PLAN_BODY_BYTES" in p["detail"]


def test_a_plan_body_past_the_cap_is_413_that_says_the_cap(capped, keys):
    h = {"Authorization": f"Bearer {keys['planner']}"}
    body = {"orders": [order("purchase", "RM1", "SUP1", "PLANT1")] * 1000}
    assert len(json.dumps(body)) > 100_000
    assert_413(capped.post("/v1/plans", json=body, headers=h), 100_000)

    def chunks():  # no Content-Length: counted as it comes
        yield b'{"orders": ['
        for _ in range(200):
            yield b" " * 1024

    r = capped.post("/v1/plans", content=chunks(),
                    headers=h | {"content-type": "application/json"})
    assert_413(r, 100_000)
    # under the cap it publishes
    body = {"orders": [order("purchase", "RM1", "SUP1", "PLANT1")]}
    assert capped.post("/v1/plans", json=body, headers=h).status_code == 201


def test_a_body_past_the_cap_is_not_read_whole():
    """The middleware stops reading at the first chunk past the cap: of a 64 MiB body sent in
    64 KiB chunks against a 1 MiB cap, at most 17 chunks are read, and the answer is 413."""
    limit, chunk, pulled, sent = 2**20, b" " * 65536, 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < 1024}

    async def send(message):
        sent.append(message)

    async def reader(scope, receive, send):  # an app that reads the whole body
        body = bytearray()
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break

    scope = {"type": "http", "path": "/v1/plans", "headers": []}
    from starlette.exceptions import HTTPException

    with pytest.raises(HTTPException) as e:
        asyncio.run(BodyLimit(reader, 1000, {"/v1/plans": limit})(scope, receive, send))
    assert e.value.status_code == 413 and pulled <= limit // len(chunk) + 1
    assert "1 MiB" in e.value.detail
