"""The largest quantities the API accepts stay readable, however often they are posted.

A quantity, and a stock move's value at standard cost, is at most 9e12 (the schema says so and
the 422 names the field and the limit). Before, SQLite kept micro-units in 64-bit integers and
its SUM overflowed past 9.2e18 of them: two accepted receipts of 136,000,000,000 units made
the trial balance, /v1/inventory and /v1/atp answer 503 for good. Sums are now exact at any
size on both engines, so this test posts the largest accepted moves and promises many times
and reads everything back, to the unit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chainlab.ledger.moves import unbalanced_entries
from chainlab.ledger.planned import empty_orders

D = Decimal
PROBLEM = "application/problem+json"
TODAY = dt.date.today().isoformat()
#: FG1 costs 10 and RM1 2 (tests/data/tiny/products.csv): the largest move of each is worth 9e12
BIGGEST = {"FG1": D("900000000000"), "RM1": D("4500000000000")}
TIMES = 25


def auth(keys, role):
    return {"Authorization": f"Bearer {keys[role]}"}


def receipt(product, quantity, site="DC1") -> dict:
    return {"type": "receipt", "site": site, "product": product, "quantity": str(quantity),
            "date": TODAY}


@pytest.fixture
def published(app, tiny):
    """The tiny network's plan (no orders), so that promises have sources."""
    app.state.ledger.publish_orders(empty_orders(), network=tiny)
    return app


def test_the_largest_quantities_many_times_stay_readable(published, client, keys):
    led = published.state.ledger
    before = {(b.site, b.product): b.on_hand for b in led.inventory()}
    moves = [receipt(p, q) for p, q in BIGGEST.items() for _ in range(TIMES)]
    r = client.post("/v1/stock-moves", json=moves, headers=auth(keys, "erp"))
    assert r.status_code == 201, r.text
    assert {D(str(m["value"])) for m in r.json()} == {D("9e12")}

    # inventory, to the unit
    inv = client.get("/v1/inventory", params={"site": "DC1"}, headers=auth(keys, "erp"))
    assert inv.status_code == 200, inv.text
    on_hand = {row["product"]: D(str(row["on_hand"])) for row in inv.json()}
    value = {row["product"]: D(str(row["value"])) for row in inv.json()}
    for p, q in BIGGEST.items():
        assert on_hand[p] == before.get(("DC1", p), 0) + TIMES * q
    assert value["RM1"] == TIMES * D("9e12")

    # the trial balance: every account readable, balanced, the inventory account exact
    tb = client.get("/v1/ledger/trial-balance", headers=auth(keys, "erp"))
    assert tb.status_code == 200, tb.text
    tb = tb.json()
    assert tb["balanced"]
    dc1 = next(a for a in tb["accounts"] if a["account"] == "INV:DC1")
    opening = sum((v.value for v in led.inventory(site="DC1")), D(0)) - 2 * TIMES * D("9e12")
    assert D(str(dc1["debit"])) == 2 * TIMES * D("9e12") + opening
    with led.engine.connect() as conn:
        assert unbalanced_entries(conn) == []

    # ATP tables (the moves are dated today, so they are on hand now)
    atp = client.get("/v1/atp", params={"product": "RM1", "site": "DC1"},
                     headers=auth(keys, "sales"))
    assert atp.status_code == 200, atp.text
    assert D(str(atp.json()[0]["available_now"])) == TIMES * BIGGEST["RM1"]

    # the largest promises, many times: their holds are summed on every later check
    line = {"product": "FG1", "quantity": "7000000000000", "requested_date": TODAY}
    body = {"customer": "C1", "lines": [line], "allow_partial": True}
    promised = D(0)
    for _ in range(3):
        r = client.post("/v1/promises", json=body, headers=auth(keys, "sales"))
        assert r.status_code == 201, r.text
        promised += sum(D(str(p["quantity"])) for p in r.json()["lines"][0]["promised"])
    assert promised == 3 * D("7e12")
    r = client.post("/v1/atp/check", json=body, headers=auth(keys, "sales"))
    assert r.status_code == 200, r.text
    fg1 = client.get("/v1/atp", params={"product": "FG1", "site": "DC1"},
                     headers=auth(keys, "sales"))
    assert fg1.status_code == 200, fg1.text
    assert D(str(fg1.json()[0]["available_in_all"])) == \
        on_hand["FG1"] - promised
    assert client.get("/v1/stock-moves", headers=auth(keys, "erp")).status_code == 200

    # a new standard cost revalues that stock: more than one journal line holds
    r = client.post("/v1/plans", headers=auth(keys, "planner"), json={
        "orders": [], "products": [{"id": "RM1", "standard_cost": 3}]})
    assert r.status_code in (200, 201), r.text  # 200: the same (empty) plan, synced again
    tb = client.get("/v1/ledger/trial-balance", headers=auth(keys, "erp")).json()
    assert tb["balanced"]
    rm1 = sum((b.on_hand for b in led.inventory(product="RM1")), D(0))  # with PLANT1's
    assert rm1 >= TIMES * BIGGEST["RM1"]
    assert -D(str(next(a["balance"] for a in tb["accounts"] if a["account"] == "REVAL"))) \
        == rm1 * (3 - 2)
    inv = client.get("/v1/inventory", params={"site": "DC1", "product": "RM1"},
                     headers=auth(keys, "erp")).json()
    assert D(str(inv[0]["value"])) == TIMES * BIGGEST["RM1"] * 3

    # one unit more, or a quantity worth more than 9e12, is refused, naming field and limit
    over = [receipt("RM1", D("9000000000000.000001"), "PLANT1"),
            receipt("FG1", BIGGEST["FG1"] + 1)]
    for move in over:
        r = client.post("/v1/stock-moves", json=move, headers=auth(keys, "erp"))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        assert "quantity" in r.text and ("9E+12" in r.text or "9,000,000,000,000" in r.text)


def test_the_schema_states_the_limit(client):
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    quantity = spec["StockMoveCreate"]["properties"]["quantity"]
    limits = {k: v for k, v in quantity.items() if k in ("maximum", "minimum")} or next(
        {k: v for k, v in s.items() if k in ("maximum", "minimum")}
        for s in quantity.get("anyOf", []) if "maximum" in s)
    assert float(limits["maximum"]) == 9e12 and float(limits["minimum"]) == -9e12
    assert "9,000,000,000,000" in quantity["description"]
    for name in ("QuotaCreate", "PlannedOrderCreate", "PromiseLineCreate"):
        assert "9,000,000,000,000" in spec[name]["properties"]["quantity"]["description"]
