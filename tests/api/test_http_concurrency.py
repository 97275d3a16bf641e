"""16 clients posting stock moves over real HTTP (uvicorn on loopback, started here) lose
nothing and post nothing twice, on both engines."""

from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from ledger_fixtures import ENGINES, empty_database

from chainlab.api.serving import served
from chainlab.ledger import Ledger

CLIENTS = 16
REQUESTS = 12  # per client; every third posts a list of three moves

@pytest.fixture(scope="module", params=ENGINES)
def server(request, tmp_path_factory, tiny):
    """A running ``chainlab serve`` on a free loopback port, one per engine for this module:
    (base URL, erp key)."""
    with empty_database(request, tmp_path_factory.mktemp("http")) as database_url:
        with Ledger(database_url, upgrade=True) as led:
            led.sync(tiny)
            key = led.create_key("erp")[0]
        with served(database_url) as base:
            yield base, key


def move(client: int, i: int, j: int = 0) -> dict:
    site = ("DC1", "PLANT1")[(client + j) % 2]
    kind = ("receipt", "adjustment", "transfer_in")[(i + j) % 3]
    return {"type": kind, "site": site, "product": ("FG1", "RM1")[i % 2],
            "quantity": f"{client + 1}.{i:02d}{j}", "date": "2027-01-05",
            "reference": f"c{client}-r{i}-{j}"}


def post_with_retry(http: httpx.Client, body, key: str) -> httpx.Response:
    """Post until the server answers; a retry re-sends the same Idempotency-Key."""
    for attempt in range(5):
        try:
            r = http.post("/v1/stock-moves", json=body, headers={"Idempotency-Key": key})
            if r.status_code < 500:
                return r
        except httpx.TransportError:
            pass
        time.sleep(0.1 * (attempt + 1))
    raise AssertionError(f"no answer for {key}")


def test_concurrent_clients_lose_nothing(server):
    base, key = server
    sent: list[dict] = []
    answers: dict[str, list] = {}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(c: int):
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            start.wait()
            for i in range(REQUESTS):
                body = [move(c, i, j) for j in range(3)] if i % 3 == 2 else move(c, i)
                idem = f"client-{c}-{i}"
                r = post_with_retry(http, body, idem)
                again = post_with_retry(http, body, idem) if i % 4 == 0 else r
                with lock:
                    if r.status_code != 201 or again.json() != r.json():
                        errors.append(f"{idem}: {r.status_code} {r.text[:200]}")
                        continue
                    sent.extend(body if isinstance(body, list) else [body])
                    answers[idem] = r.json() if isinstance(body, list) else [r.json()]

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    n = CLIENTS * (REQUESTS + 2 * (REQUESTS // 3))
    assert len(sent) == n

    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        stored, cursor = [], None
        while True:
            page = http.get("/v1/stock-moves", params={"limit": 1000, **(
                {"cursor": cursor} if cursor else {})}).json()
            stored += page["moves"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        inventory = http.get("/v1/inventory").json()
        tb = http.get("/v1/ledger/trial-balance").json()

    # every move once: the same ids as answered, the same references as sent (this test runs
    # first on its server: test_racing_retries adds its move afterwards)
    ids = sorted(m["id"] for a in answers.values() for m in a)
    assert sorted(m["id"] for m in stored) == ids and len(set(ids)) == n
    assert Counter(m["reference"] for m in stored) == Counter(m["reference"] for m in sent)
    expected = Counter()
    for m in sent:
        expected[(m["site"], m["product"])] += Decimal(m["quantity"])
    assert {(b["site"], b["product"]): Decimal(str(b["on_hand"])) for b in inventory} == \
        dict(expected)
    assert tb["balanced"]


def test_racing_retries_of_one_key_post_once(server):
    base, key = server
    body = move(0, 0) | {"reference": "raced"}
    results = []
    start = threading.Barrier(CLIENTS)

    def client():
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            start.wait()
            results.append(post_with_retry(http, body, "the-same-key"))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert [r.status_code for r in results] == [201] * CLIENTS
    assert len({r.text for r in results}) == 1
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
        moves = http.get("/v1/stock-moves", params={"limit": 1000}).json()["moves"]
        assert [m["reference"] for m in moves].count("raced") == 1
