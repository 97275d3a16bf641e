"""64 clients race over real HTTP (uvicorn on loopback, started here) for a product whose ATP
is smaller than their total ask: what is promised adds up to what was available, never more,
and a retried Idempotency-Key never promises twice; then the same for hours of capacity (CTP).
On SQLite and PostgreSQL.

DC1 holds 100 FG1 and the published plan brings nothing more, so ATP is 100 on every day. Each
client asks for 7 with ``allow_partial``: 14 get 7, one gets the last 2, the rest get 409.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import httpx
import pandas as pd
import pytest
from ledger_fixtures import ENGINES, empty_database

from chainlab.api.serving import served
from chainlab.ledger import ORDER_COLUMNS, Ledger

CLIENTS = 64
@pytest.fixture(scope="module", params=ENGINES)
def server(request, tmp_path_factory, tiny):
    """``chainlab serve`` over a ledger with the tiny network, a plan without orders (its
    lanes, routings and hours) and 100 FG1 at DC1, the opening stock of the network less its
    RM1 at PLANT1, so nothing can be made yet: (URL, keys)."""
    with empty_database(request, tmp_path_factory.mktemp("promise-race")) as url:
        with Ledger(url, upgrade=True) as led:
            net = tiny.copy()
            net.inventory = net.inventory.drop(index=("PLANT1", "RM1"))
            assert led.publish_orders(pd.DataFrame(columns=ORDER_COLUMNS),
                                      network=net).opening_moves == 1
            keys = {r: led.create_key(r)[0] for r in ("sales", "erp")}
        with served(url) as base:
            yield base, keys


def race(base: str, key: str, bodies: list[dict], retry_every: int = 4) -> list[httpx.Response]:
    """Each body posted by its own client at once; every ``retry_every``-th client posts its
    body a second time with the same Idempotency-Key, which must give the same answer."""
    answers: list = [None] * len(bodies)
    errors: list[str] = []
    start = threading.Barrier(len(bodies))

    def client(i: int):
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {key}",
                                   "Idempotency-Key": f"race-{i}-{id(bodies)}"}) as http:
            start.wait()
            r = http.post("/v1/promises", json=bodies[i])
            if i % retry_every == 0:
                again = http.post("/v1/promises", json=bodies[i])
                if (again.status_code, again.json()) != (r.status_code, r.json()) \
                        and r.status_code == 201:
                    errors.append(f"client {i}: retry answered {again.status_code}")
            answers[i] = r

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert all(r is not None for r in answers), "a client got no answer"
    assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers
                                                            if r.status_code not in (201, 409)]
    return answers


def committed(base: str, key: str, product: str = "FG1") -> list[dict]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=60) as http:
        return [c for c in http.get("/v1/commitments", params={"product": product,
                                                                "limit": 5000}).json()[
            "commitments"]]


def test_racing_clients_never_get_more_than_atp(server):
    base, keys = server
    body = {"customer": "C1", "allow_partial": True,
            "lines": [{"product": "FG1", "quantity": 7, "requested_date": "2027-01-05"}]}
    answers = race(base, keys["sales"], [body] * CLIENTS)
    won = [r.json() for r in answers if r.status_code == 201]
    got = sorted(Decimal(str(p["lines"][0]["promised_quantity"])) for p in won)
    assert sum(got) == 100 and got == [2] + [7] * 14
    assert len({p["id"] for p in won}) == 15
    rows = committed(base, keys["erp"])
    assert sum(Decimal(str(c["quantity"])) for c in rows) == 100
    assert {c["source"] for c in rows} == {"DC1"}
    lost = [r.json() for r in answers if r.status_code == 409]
    assert len(lost) == CLIENTS - 15
    assert all(p["answer"]["fill"] == "none" for p in lost)


def test_racing_clients_never_share_hours(server):
    """With the stock gone, FG1 for 2027-01-20 can only be made: LINE1 has 40 h in the week
    of 01-04 (the only bucket that ends early enough for 3 days to DC1 and 1 to C2), 400 FG1 at
    0.1 h (1000 RM1 arrive first, enough for 500). Clients ask 9 each, all or nothing."""
    base, keys = server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {keys['erp']}"}) as h:
        assert h.post("/v1/stock-moves", json={"type": "receipt", "site": "PLANT1",
                                               "product": "RM1", "quantity": 1000,
                                               "date": "2027-01-04"}).status_code == 201
    body = {"customer": "C2",
            "lines": [{"product": "FG1", "quantity": 9, "requested_date": "2027-01-20"}]}
    answers = race(base, keys["sales"], [body] * CLIENTS)
    won = [r.json() for r in answers if r.status_code == 201]
    parts = [p for w in won for p in w["lines"][0]["promised"]]
    assert {p["kind"] for p in parts} == {"ctp"} and {p["source"] for p in parts} == {"PLANT1"}
    made = sum(Decimal(str(p["quantity"])) for p in parts)
    assert made == 396 and len(won) == 44
