"""The API docs in headless Chromium against a real server (see conftest): ``/docs`` (Swagger
UI) renders the API's operations with no key, with no console errors and no request leaving
the server (the ``page`` fixture fails the test on any); an API key given to Swagger UI's
Authorize is sent with "Try it out"."""

from __future__ import annotations

READY = 60_000  # ms


def test_swagger_ui_renders_offline(page, server, artifacts):
    r = page.goto("/docs")
    assert r.status == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=READY)
    assert "chainlab" in page.inner_text(".swagger-ui .info .title")
    paths = page.eval_on_selector_all(".opblock-summary-path", "es => es.map(e => e.innerText)")
    assert "/v1/promises" in [p.replace("\u200b", "") for p in paths]
    assert len(paths) >= 30
    assert page.locator(".swagger-ui .auth-wrapper .authorize").count() == 1
    page.screenshot(path=str(artifacts / "docs.png"))
    assert page.console.errors == []
    assert any(u.endswith("/docs/static/swagger-ui-bundle.js") for u in page.requested)


def test_swagger_ui_sends_the_key_given_to_authorize(page, keys):
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=READY)
    page.click(".swagger-ui .auth-wrapper .authorize")
    page.fill(".swagger-ui .modal-ux input", keys["sales"])
    page.click(".swagger-ui .modal-ux .auth-btn-wrapper .authorize")
    page.click(".swagger-ui .modal-ux .btn-done")
    op = page.locator("#operations-web-me_v1_me_get")
    op.locator(".opblock-summary").click()
    op.locator(".try-out__btn").click()
    with page.expect_response(lambda r: r.url.endswith("/v1/me")) as answer:
        op.locator(".execute").click()
    assert answer.value.status == 200
    assert answer.value.json()["role"] == "sales"
    assert page.console.errors == []
