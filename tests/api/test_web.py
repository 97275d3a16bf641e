"""The web page's routes without a browser (tests/web drives it in Chromium): the page and its
static files, ``GET /v1/me`` and ``GET /v1/catalog``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from chainlab.api.routes.web import VIEWS


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_page_needs_no_key_and_sets_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    html = r.text
    assert "/static/app.js" in html and "/static/vendor/chart.umd.min.js" in html
    assert "<script>" not in html  # no inline script: the policy would refuse it
    for view, title, _ in VIEWS:
        assert f'id="view-{view}"' in html and f">{title}</a>" in html


@pytest.mark.parametrize("path", ["/static/app.js", "/static/app.css",
                                  "/static/vendor/chart.umd.min.js",
                                  "/static/vendor/chart.js.LICENSE.md",
                                  "/static/vendor/world-110m.json",
                                  "/static/vendor/world-atlas.LICENSE",
                                  "/static/vendor/README.md"])
def test_static_files_are_served(client, path):
    r = client.get(path)
    assert r.status_code == 200 and len(r.content) > 500


def test_missing_static_file_is_a_404_problem(client):
    r = client.get("/static/nope.js")
    assert r.status_code == 404


@pytest.mark.parametrize("role, views", [
    ("planner", ["network", "plan", "scenarios"]), ("erp", ["network", "plan"]),
    ("sales", ["promise"]), ("admin", ["network", "plan", "scenarios", "promise"])])
def test_me_tells_the_role_and_its_views(client, keys, role, views):
    r = client.get("/v1/me", headers=bearer(keys[role]))
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == role and body["views"] == views
    assert keys[role].startswith(f"clk_{body['key']}") and body["name"] == f"test {role}"


def test_me_and_catalog_need_a_key(client):
    for path in ("/v1/me", "/v1/catalog"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert client.get(path, headers=bearer("clk_nope_nope")).status_code == 401


def test_catalog_lists_customers_and_products_and_the_plan_dates(app, client, keys, tiny):
    before = client.get("/v1/catalog", headers=bearer(keys["sales"])).json()
    assert before["plan_version"] is None and before["plan_start"] is None
    customers = sorted(tiny.sites.index[tiny.sites["kind"] == "customer"])
    assert [c["id"] for c in before["customers"]] == customers
    assert [p["id"] for p in before["products"]] == sorted(tiny.products.index)

    from chainlab.solver import plan

    pub = app.state.ledger.publish(plan(tiny), network=tiny)
    after = client.get("/v1/catalog", headers=bearer(keys["planner"])).json()
    assert after["plan_version"] == pub.plan_version
    orders = app.state.ledger.orders(limit=1000).orders
    assert after["plan_start"] == min(o.release_date for o in orders).isoformat()
    assert after["plan_end"] == max(o.due_date for o in orders).isoformat()
