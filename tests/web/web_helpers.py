"""What the browser tests share besides fixtures."""

from __future__ import annotations

import json
import urllib.request


def sign_in(page, key: str) -> None:
    page.goto("/")
    page.fill("#api-key", key)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#tabs:not([hidden])")


def api(server: str, key: str, path: str, body: dict | None = None):
    """A direct API call (what the page should agree with)."""
    req = urllib.request.Request(f"{server}{path}", method="POST" if body else "GET",
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"Bearer {key}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)
