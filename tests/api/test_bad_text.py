"""Texts the database cannot store (PostgreSQL: NUL characters) are the caller's error: 422
that says what to remove, and nothing written; SQLite stores them. On both engines."""

from __future__ import annotations


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_nul_characters_are_a_422_where_the_database_cannot_store_them(app, client, keys):
    h = bearer(keys["erp"])
    postgres = app.state.ledger.engine.dialect.name == "postgresql"
    move = {"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 1,
            "date": "2027-01-05"}
    for bad in ({"reference": "a\x00b"}, {"site": "DC1\x00"}):
        r = client.post("/v1/stock-moves", json=move | bad, headers=h)
        if postgres:
            assert r.status_code == 422, r.text
            assert "cannot store" in r.json()["detail"] and "NUL" in r.json()["detail"]
        else:
            assert r.status_code in (201, 422), r.text  # an unknown site is refused anyway
    if postgres:
        assert client.get("/v1/stock-moves", headers=h).json()["moves"] == []
    r = client.get("/v1/inventory", params={"site": "D\x00"}, headers=h)
    assert r.status_code == (422 if postgres else 200), r.text
