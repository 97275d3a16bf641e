"""Ids past what a database row can have (2^63 and beyond) in paths, ``before=`` and cursors are
a 422 problem on both engines. Before, SQLite answered 500 ("Python int too large to convert to
SQLite INTEGER") and PostgreSQL a 422 that talked about NUL characters."""

from __future__ import annotations

import base64

import pytest

PROBLEM = "application/problem+json"
BIG = [2**63, 2**64 + 7, 10**30]


def cur(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def requests(n: int) -> list[tuple[str, str, str]]:
    """(role, method, url) naming id ``n`` each way a request can."""
    return [
        ("sales", "GET", f"/v1/promises/{n}"),
        ("sales", "POST", f"/v1/promises/{n}/cancel"),
        ("erp", "GET", f"/v1/stock-moves/{n}"),
        ("erp", "POST", f"/v1/stock-moves/{n}/reverse"),
        ("erp", "GET", f"/v1/orders/{n}"),
        ("erp", "GET", f"/v1/plans?before={n}"),
        ("erp", "GET", f"/v1/stock-moves?cursor={cur(f'moves:{n}')}"),
        ("sales", "GET", f"/v1/promises?cursor={cur(f'promises:{n}')}"),
        ("erp", "GET", f"/v1/plans/current/orders?cursor={cur(f'1:{n}')}"),
        ("erp", "GET", f"/v1/plans/current/orders?cursor={cur(f'{n}:1')}"),
    ]


@pytest.mark.parametrize("n", BIG)
def test_ids_past_64_bits_are_422(client, keys, n):
    for role, method, url in requests(n):
        r = client.request(method, url, headers={"Authorization": f"Bearer {keys[role]}"})
        assert r.status_code in (404, 422), (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM), url
        assert "NUL" not in r.text, (url, r.text)


def test_largest_accepted_id_is_a_404(client, keys):
    for role, method, url in requests(2**62)[:5]:
        r = client.request(method, url, headers={"Authorization": f"Bearer {keys[role]}"})
        assert r.status_code == 404, (url, r.status_code, r.text)
