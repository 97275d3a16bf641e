"""Dates at the ends of the calendar: every date a request body carries lies within 1900-01-01
to 2199-12-31, or the request is a 422 problem that names the field and the range, and nothing
is written. Before, 0001-01-01 and 9999-12-31 crashed promising with a 500 (date arithmetic
overflowed), a quota window to 9999-12-31 made every later promise of the product a 500, and a
stock move on either date was accepted."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"
FAR = ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]


def line(date: str, quantity=5) -> dict:
    return {"product": "FG1", "quantity": quantity, "requested_date": date}


def auth(keys, role):
    return {"Authorization": f"Bearer {keys[role]}"}


def assert_422(r, field: str):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert field in r.text and "1900-01-01 to 2199-12-31" in r.text, r.text


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize("path", ["/v1/atp/check", "/v1/promises"])
def test_promising_far_dates_are_422(client, keys, path, day):
    for body in ({"customer": "C1", "lines": [line(day)]},
                 {"customer": "C1", "lines": [line(day, 50000)], "allow_partial": True}):
        assert_422(client.post(path, json=body, headers=auth(keys, "sales")), "requested_date")
    assert client.app.state.ledger.promises() == []


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_stock_move_far_dates_are_422_and_nothing_moves(client, keys, day):
    move = {"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 5, "date": day}
    assert_422(client.post("/v1/stock-moves", json=move, headers=auth(keys, "erp")), "date")
    good = move | {"date": "2027-01-05"}
    assert_422(client.post("/v1/stock-moves", json=[good, move], headers=auth(keys, "erp")),
               "date")
    inv = client.get("/v1/inventory", headers=auth(keys, "erp")).json()
    assert all(float(row["on_hand"]) == 0 for row in inv)


def test_quota_window_to_the_end_of_time_is_422(client, keys):
    r = client.put("/v1/atp/quotas", headers=auth(keys, "planner"), json={
        "quotas": [{"product": "FG1", "tier": 1, "period_start": "2027-01-01",
                    "period_end": "9999-12-31", "quantity": 10}]})
    if r.status_code == 422 and "period_end" not in r.text:
        pytest.fail(f"the quota body itself is off, not its date: {r.text}")
    assert_422(r, "period_end")
    # promising that product still answers (no quota was stored)
    r = client.post("/v1/atp/check", json={"customer": "C1", "lines": [line("2027-01-10")]},
                    headers=auth(keys, "sales"))
    assert r.status_code == 200, r.text


def test_dates_at_the_edges_of_the_range_are_answered(client, keys):
    for day in ("1900-01-01", "2199-12-31"):
        r = client.post("/v1/atp/check", json={"customer": "C1", "lines": [line(day)]},
                        headers=auth(keys, "sales"))
        assert r.status_code == 200, r.text
