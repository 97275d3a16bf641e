"""Managing API keys on both engines: ``GET/POST /v1/keys`` and ``DELETE /v1/keys/{prefix}``
(admin keys only), and ``chainlab keys list`` / ``keys revoke``. A list never shows a key or
its hash; a revoked key is refused (401) from its next request."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.ledger import register
from chainlab.ledger import Ledger

PROBLEM = "application/problem+json"


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def secret_of(key: str) -> str:
    return key.split("_", 2)[2]


def test_admin_lists_creates_and_revokes_keys(client, keys):
    admin = auth(keys["admin"])
    assert client.get("/v1/keys").status_code == 401
    for role in ("sales", "planner", "erp"):
        r = client.get("/v1/keys", headers=auth(keys[role]))
        assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM), role
        assert client.delete(f"/v1/keys/{keys['sales'].split('_')[1]}",
                             headers=auth(keys[role])).status_code == 403
        assert client.post("/v1/keys", json={"role": "admin"},
                           headers=auth(keys[role])).status_code == 403

    r = client.post("/v1/keys", json={"role": "sales", "name": "web shop", "owner": "acme"},
                    headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["key"].startswith(f"clk_{made['prefix']}_") and made["owner"] == "acme"
    assert r.headers["cache-control"] == "no-store"
    me = client.get("/v1/me", headers=auth(made["key"])).json()
    assert (me["role"], me["owner"], me["name"]) == ("sales", "acme", "web shop")
    for bad in ({"role": "boss"}, {"role": "sales", "owner": "two words"},
                {"role": "sales", "owner": ""}, {"role": "sales", "secret": "x"}):
        r = client.post("/v1/keys", json=bad, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM), bad

    r = client.get("/v1/keys", headers=admin)
    assert r.status_code == 200
    listed = r.json()
    assert [k["role"] for k in listed] == ["sales", "planner", "erp", "admin", "sales"]
    for k in listed:
        assert set(k) == {"id", "prefix", "role", "name", "owner", "created_at", "revoked_at"}
        assert k["owner"] == ("acme" if k["prefix"] == made["prefix"] else f"key:{k['prefix']}")
    for key in [*keys.values(), made["key"]]:  # no key, no secret, no hash
        assert secret_of(key) not in r.text
    assert "secret_hash" not in r.text

    # revoked: refused at once, and gone from the active list
    assert client.get("/v1/promises", headers=auth(made["key"])).status_code == 200
    revoked = client.delete(f"/v1/keys/{made['prefix']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    r = client.get("/v1/promises", headers=auth(made["key"]))
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
    again = client.delete(f"/v1/keys/{made['prefix']}", headers=admin)
    assert again.status_code == 200 and again.json() == revoked.json()  # no change
    active = client.get("/v1/keys", params={"revoked": "false"}, headers=admin).json()
    assert made["prefix"] not in [k["prefix"] for k in active] and len(active) == 4
    for bad in ("0000ffff0000", "not-a-prefix", "x" * 40):
        r = client.delete(f"/v1/keys/{bad}", headers=admin)
        assert r.status_code in (404, 422) and r.headers["content-type"].startswith(PROBLEM)
    assert client.delete("/v1/keys/0000ffff0000", headers=admin).status_code == 404


def test_a_key_revoked_through_the_api_is_refused_despite_the_key_cache(app, database_url):
    """The server trusts a checked key for ``key_cache_seconds``; revoking it through that
    server drops it from the cache, so its very next request is a 401."""
    from fastapi.testclient import TestClient

    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings

    cached = create_app(Settings(database_url=database_url, key_cache_seconds=600))
    led = cached.state.ledger
    admin = led.create_key("admin")[0]
    erp = led.create_key("erp")[0]
    try:
        with TestClient(cached, raise_server_exceptions=False) as c:
            assert c.get("/v1/inventory", headers=auth(erp)).status_code == 200  # now cached
            r = c.delete(f"/v1/keys/{erp.split('_')[1]}", headers=auth(admin))
            assert r.status_code == 200, r.text
            assert c.get("/v1/inventory", headers=auth(erp)).status_code == 401
    finally:
        led.engine.dispose()


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    def run(*args):
        r = runner.invoke(app, [str(a) for a in args])
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        return r.exit_code, r.stdout

    return run


def test_keys_list_and_revoke_on_the_command_line(cli, app, client, database_url):
    url = ("--database-url", database_url)
    made = {}
    for role, owner in (("sales", "acme"), ("sales", None), ("admin", None)):
        code, out = cli("keys", "create", "--role", role, "--name", f"{role} key",
                        *(("--owner", owner) if owner else ()), *url, "--json")
        assert code == 0, out
        made[role if owner is None else "acme"] = json.loads(out)
    assert made["acme"]["owner"] == "acme"
    assert made["sales"]["owner"] == f"key:{made['sales']['prefix']}"

    code, out = cli("keys", "list", *url, "--json")
    assert code == 0
    listed = json.loads(out)["keys"]
    assert [(k["prefix"], k["role"], k["owner"]) for k in listed] == [
        (m["prefix"], m["role"], m["owner"]) for m in made.values()]
    assert all(k["revoked_at"] is None and k["created_at"] for k in listed)
    code, table = cli("keys", "list", *url)
    assert code == 0
    for m in made.values():
        assert secret_of(m["key"]) not in out and secret_of(m["key"]) not in table
        assert m["prefix"] in table
    assert "acme" in table and "secret" not in out

    key = made["acme"]["key"]
    assert client.get("/v1/promises", headers=auth(key)).status_code == 200
    code, out = cli("keys", "revoke", made["acme"]["prefix"], *url)
    assert code == 0 and made["acme"]["prefix"] in out and "revoked" in out
    assert client.get("/v1/promises", headers=auth(key)).status_code == 401
    code, out = cli("keys", "revoke", made["acme"]["prefix"], *url, "--json")
    assert code == 0 and json.loads(out)["revoked_at"] is not None  # again: no change
    code, out = cli("keys", "list", "--active", *url, "--json")
    assert [k["prefix"] for k in json.loads(out)["keys"]] == [
        made["sales"]["prefix"], made["admin"]["prefix"]]
    # the key itself names its prefix too
    code, out = cli("keys", "revoke", made["sales"]["key"], *url, "--json")
    assert code == 0 and json.loads(out)["prefix"] == made["sales"]["prefix"]

    code, _ = cli("keys", "revoke", "0000ffff0000", *url)
    assert code == 1
    code, _ = cli("keys", "create", "--role", "sales", "--owner", "two words", *url)
    assert code == 1
    with Ledger(database_url) as led:
        assert len(led.api_keys()) == 3  # nothing half-made
