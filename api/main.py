"""The FastAPI app: ``create_app(settings)`` builds it (``chainlab serve`` runs it with uvicorn).

Routes are thin (``api/routes``), bodies in ``api/schemas``, dependencies in ``api/deps.py``,
errors as problem+json (``api/problems.py``), settings from ``CHAINLAB_*``
(``api/settings.py``). Everything the routes share lives on ``app.state``: ``settings``,
``scenario_settings``, ``ledger``, ``key_cache`` and, while the app runs, ``scenario_jobs``.
"""

from __future__ import annotations

import contextlib
import json

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from chainlab.api import problems
from chainlab.api.deps import KeyCache
from chainlab.api.routes import ROUTE_MODULES, docs, web
from chainlab.api.settings import ScenarioSettings, Settings
from chainlab.ledger import Ledger, db
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.jobs import JobManager


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes (``limits`` per path) with 413, by
    ``Content-Length`` before reading, and by counting the bytes of a chunked body as they
    come: the request stops at the first chunk past the limit, so a refused body is never
    held whole."""

    def __init__(self, app: ASGIApp, limit: int, limits: dict[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.limits = limits or {}

    def _limit(self, path: str) -> int:
        return next((n for p, n in self.limits.items() if path == p), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _send_413(scope, send, limit)
                return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise problems.BodyTooLarge(scope["path"], limit)
            return message

        await self.app(scope, counted, send)


async def _send_413(scope: Scope, send: Send, limit: int) -> None:
    too_large = problems.BodyTooLarge(scope["path"], limit)
    body = json.dumps({"type": "urn:chainlab:problem:payload-too-large",
                       "title": "Request Entity Too Large", "status": 413,
                       "detail": too_large.detail, "instance": scope["path"],
                       "max_bytes": limit}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", problems.MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None,
               scenario_settings: ScenarioSettings | None = None) -> FastAPI:
    """The API over the ledger at ``settings.database_url``. A SQLite ledger's schema is
    created or migrated at start (``auto_migrate``); any other database must already be at the
    current schema (``chainlab db upgrade``), else :class:`ledger.SchemaError`.

    The scenario jobs start with the app and stop with it (unfinished ones are failed), from
    ``app.state.scenario_settings`` as it is then."""
    settings = settings or Settings()
    engine = db.connect(settings.database_url, pool_size=settings.pool_size)
    migrate = settings.auto_migrate and engine.dialect.name == "sqlite"
    try:
        led = Ledger(engine, upgrade=migrate)
    except Exception:
        engine.dispose()
        raise

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs = open_jobs(app.state.settings, app.state.scenario_settings)
        app.state.scenario_jobs = jobs
        try:
            yield
        finally:
            jobs.close()
            engine.dispose()

    app = FastAPI(title="chainlab", version="1", lifespan=lifespan,
                  summary="ERP ledger and order-promising API of the chainlab engine",
                  description="Every `/v1` route needs `Authorization: Bearer <api key>` "
                              "(here: Authorize); `/health`, these docs and `/openapi.json` "
                              "need none. Errors are RFC 9457 problem+json. Writes accept "
                              "`Idempotency-Key`. Promises and scenario jobs belong to the "
                              "owner of the key that made them.",
                  docs_url=None, redoc_url=None)  # served offline by api.routes.docs
    app.state.settings = settings
    app.state.scenario_settings = scenario_settings or ScenarioSettings()
    app.state.ledger = led
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    problems.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       limits={"/v1/plans": settings.max_plan_body_bytes})
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    docs.mount_assets(app)
    web.mount_static(app)
    return app


def open_jobs(settings: Settings, scenario: ScenarioSettings) -> JobManager:
    """The scenario jobs of a server: kept in ``scenario.jobs_dir``, run ``scenario_jobs`` at
    a time on a local process pool or the Dask cluster, made when the first job starts."""
    return JobManager(scenario.jobs_dir(settings.database_url),
                      lambda: open_pool(scenario.dask_scheduler, scenario.scenario_workers),
                      max_jobs=scenario.scenario_jobs)


def app_from_env() -> FastAPI:
    """The app with settings from the environment (``uvicorn --factory api.main:app_from_env``)."""
    return create_app(Settings())
