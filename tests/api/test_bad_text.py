"""Texts with a NUL character are the caller's error on every engine: 422 problem+json that
names the field and says what to remove, and nothing written. PostgreSQL cannot store a NUL
and SQLite would, so before, the same request was a 422 on one engine and a 201 on the other."""

from __future__ import annotations

import datetime as dt

import pytest

from chainlab.ledger import MoveIn
from chainlab.models import ValidationError

PROBLEM = "application/problem+json"


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_nul_422(r, field: str):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    detail = r.json()["detail"]
    assert detail.startswith(("body, column", "query, column")), detail
    assert field in detail and "NUL" in detail and "remove it" in detail, detail


def test_nul_characters_are_a_422_on_every_engine(app, client, keys):
    h = bearer(keys["erp"])
    move = {"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 1,
            "date": "2027-01-05"}
    for field, bad in (("'reference'", {"reference": "a\x00b"}),
                       ("'site'", {"site": "DC1\x00"})):
        assert_nul_422(client.post("/v1/stock-moves", json=move | bad, headers=h), field)
    # in a list of moves, the one that holds it
    r = client.post("/v1/stock-moves", json=[move, move | {"reference": "\x00"}], headers=h)
    assert_nul_422(r, "'1.reference'")
    assert client.get("/v1/stock-moves", headers=h).json()["moves"] == []
    # query parameters and other bodies too
    assert_nul_422(client.get("/v1/inventory", params={"site": "D\x00"}, headers=h),
                   "query, column 'site'")
    r = client.post("/v1/atp/check", headers=bearer(keys["sales"]), json={
        "customer": "C1", "lines": [{"product": "FG1\x00", "quantity": 1,
                                     "requested_date": "2027-01-10"}]})
    assert_nul_422(r, "'lines.0.product'")
    r = client.post("/v1/plans", headers=bearer(keys["planner"]),
                    json={"name": "n\x00", "orders": []})
    assert_nul_422(r, "'name'")
    assert client.get("/v1/plans", headers=bearer(keys["planner"])).json() == []
    # a backslash followed by u0000 is text, not a NUL
    r = client.post("/v1/stock-moves", json=move | {"reference": "\\u0000"}, headers=h)
    assert r.status_code == 201, r.text


def test_the_library_refuses_nul_characters_too(app):
    led = app.state.ledger
    with pytest.raises(ValidationError, match="reference.*NUL"):
        led.post_moves([MoveIn("receipt", "DC1", "FG1", 1, dt.date(2027, 1, 5),
                               reference="a\x00b")])
    assert led.moves() == []
