"""The API's documentation page, served by the app itself so that it works offline like the
web page: ``/docs``, Swagger UI over ``/openapi.json`` ("Authorize" takes an API key to try
the routes). Its script and style sheet come from the ``fastapi-offline`` package (a Swagger
UI 5 build) and are served at ``/docs/static``; nothing is fetched from the internet. (There
is no ``/redoc``: ReDoc loads its logo from the internet.)

The page and ``/openapi.json`` need no API key: they describe the routes and hold no data
(every ``/v1`` route still needs a key, including when called from the docs).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI's and ReDoc's files, as the fastapi-offline package ships them
ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC = "/docs/static"

#: the docs page loads only the app's own files (its inline start-up script aside)
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

#: Swagger UI's options: no validator badge (it would ask a server on the internet)
SWAGGER_PARAMETERS = {"validatorUrl": None, "tryItOutEnabled": False,
                      "displayRequestDuration": True}

router = APIRouter(include_in_schema=False)


def mount_assets(app: FastAPI) -> None:
    """Serve the docs page's script and style sheet at ``/docs/static``."""
    app.mount(STATIC, StaticFiles(directory=ASSETS), name="docs-static")


def _page(html: HTMLResponse) -> HTMLResponse:
    html.headers["Content-Security-Policy"] = CSP
    html.headers["X-Content-Type-Options"] = "nosniff"
    html.headers["Referrer-Policy"] = "no-referrer"
    return html


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json`` (no key needed to read it)."""
    root = request.scope.get("root_path", "")
    return _page(get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} API - Swagger UI",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon.png",
        swagger_ui_parameters=SWAGGER_PARAMETERS))
