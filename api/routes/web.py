"""The planner's web page at ``/`` and what it asks of the API besides the other routes:
``GET /v1/me`` (the key's role and the views it may open) and ``GET /v1/catalog`` (customers
and products for the promise form).

The page is one server-side template (``api/web/templates/index.html``) plus static files
(``api/web/static``: the page's own script and style sheet, and Chart.js, vendored with its
licence). Nothing is built and nothing is fetched from the internet: the page works offline.
The page itself holds no data; it signs in with an API key and reads everything through the
API with that key, so each role sees exactly what its routes allow.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from chainlab.api.deps import AnyKey, LedgerDep
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.schemas.web import Catalog, Me
from chainlab.ledger import Role
from chainlab.ledger.catalog import catalog as read_catalog

WEB = Path(__file__).resolve().parent.parent / "web"
templates = Jinja2Templates(directory=WEB / "templates")

#: the page's views: (id, title, the roles that may open it; admin opens every view)
VIEWS: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("network", "Network", frozenset({Role.PLANNER, Role.ERP})),
    ("plan", "Plan", frozenset({Role.PLANNER, Role.ERP})),
    ("scenarios", "Scenarios", frozenset({Role.PLANNER})),
    ("promise", "Promise", frozenset({Role.SALES})),
)

#: a strict policy: the page's own files only, no inline script; the scenario report is shown
#: in a sandboxed frame (inline styles and SVG, no script)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; frame-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

router = APIRouter(tags=["web"], responses=PROBLEM_RESPONSES)


def views_of(role: Role) -> list[str]:
    """The views a key of ``role`` may open."""
    return [v for v, _, roles in VIEWS if role is Role.ADMIN or role in roles]


def mount_static(app: FastAPI) -> None:
    """Serve the page's static files at ``/static``."""
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def page(request: Request):
    """The web page (no key needed: it holds no data until it signs in)."""
    response = templates.TemplateResponse(request, "index.html", {
        "views": [(v, title) for v, title, _ in VIEWS],
        "version": request.app.version,
    })
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/v1/me", response_model=Me, tags=["keys"])
def me(key: AnyKey) -> Me:
    """Who the key belongs to (any valid key)."""
    return Me(key=key.prefix, name=key.name, role=key.role, owner=key.owner,
              views=views_of(key.role))


@router.get("/v1/catalog", response_model=Catalog, tags=["order promising"])
def catalog(led: LedgerDep, _: AnyKey) -> Catalog:
    """What an order form offers: the customers and products the ledger knows."""
    return Catalog.model_validate(read_catalog(led.engine))
