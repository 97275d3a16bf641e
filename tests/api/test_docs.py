"""The API docs: ``/docs`` (Swagger UI) and ``/openapi.json`` need no key (they describe the
routes and hold no data; CONTRACTS §5 says so) and load only the app's own files, so they work
offline; every ``/v1`` operation still needs a key. (That the page renders in a browser without
asking anything outside: tests/web/test_docs.py.)"""

from __future__ import annotations

import re

import pytest

#: the docs pages and what they must load
PAGES = {"/docs": ("swagger-ui-bundle.js", "swagger-ui.css")}


@pytest.fixture
def anonymous(shared):
    client, _ = shared
    return client


def test_openapi_and_docs_need_no_key(anonymous):
    r = anonymous.get("/openapi.json")
    assert r.status_code == 200 and r.json()["info"]["title"] == "chainlab"
    for page in PAGES:
        r = anonymous.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), page
    # ReDoc would load its logo from the internet: not served
    assert anonymous.get("/redoc").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_docs_load_only_the_apps_own_files(anonymous, page):
    r = anonymous.get(page)
    html = r.text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""url\s*:\s*['"]([^'"]+)['"]""", html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http://" not in html and "https://" not in html
    for name in PAGES[page]:
        assert f"/docs/static/{name}" in urls
        asset = anonymous.get(f"/docs/static/{name}")
        assert asset.status_code == 200 and len(asset.content) > 10_000, name
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert '"validatorUrl": null' in html  # the validator badge would ask the internet


def test_every_v1_operation_needs_a_key(anonymous):
    """What the docs leave open is the docs: each operation of the schema but /health names
    the bearer key, and answers 401 without one."""
    schema = anonymous.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if path == "/health":
                assert "security" not in op
                continue
            assert path.startswith("/v1/"), path
            assert op.get("security") == [{"HTTPBearer": []}], (method, path)
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            r = anonymous.request(method.upper(), concrete)
            assert r.status_code == 401, (method, path, r.status_code)
