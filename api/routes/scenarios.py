"""``/v1/scenarios``: what-if scenarios run in the background (planner role).

``POST /v1/scenarios`` takes a scenario file (CONTRACTS §6), as JSON or as the YAML file itself
(``Content-Type: application/yaml``), and answers ``202`` with the job (``id``, ``status``, a
``Location``); the scenario runs on the server's scenario pool (a local process pool, or the
Dask cluster of ``CHAINLAB_DASK_SCHEDULER``). ``GET /v1/scenarios/{id}`` gives its status,
progress and, when done, its results (KPIs with intervals, the plan, the run folder). ``GET
/v1/scenarios`` lists recent jobs; ``GET /v1/scenarios/files`` the scenario files of the root;
``GET /v1/scenarios/compare?id=A&id=B`` compares done jobs (JSON), ``.../compare/report`` as the
HTML report.

``base`` and ``crm`` are folders under the server's scenario root (``CHAINLAB_SCENARIO_ROOT``,
default the bundled examples, so ``base: acme`` works out of the box); paths that leave it are
refused. Jobs and their runs are kept under ``CHAINLAB_SCENARIO_DIR``; finished jobs survive a
restart, and a job cut off by one is reported failed (:mod:`scenarios.jobs`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict

from chainlab.api.deps import IdempotencyKeyHeader, authorize_async, require
from chainlab.api.problems import MEDIA_TYPE, PROBLEM_RESPONSES, Problem
from chainlab.api.routes import DecimalRoute, _roles
from chainlab.ledger import KeyInfo, Role
from chainlab.ledger.errors import ConflictError, IdempotencyKeyReused
from chainlab.models.errors import Issue, ValidationError
from chainlab.scenarios import EXAMPLES


class ScenarioSettings(BaseSettings):
    """Settings of the scenario service, from ``CHAINLAB_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="CHAINLAB_", extra="ignore")

    scenario_dir: Path | None = Field(
        None, description="where scenario jobs and their runs are kept; default a "
                          "`scenarios` folder beside a SQLite ledger, else "
                          "$XDG_DATA_HOME/chainlab/scenarios")
    scenario_root: Path = Field(EXAMPLES, description="folder that a scenario's base and crm "
                                                      "paths are relative to (and must stay in)")
    dask_scheduler: str | None = Field(None, description="Dask scheduler address; default a "
                                                         "local process pool")
    scenario_workers: int | None = Field(None, ge=1, description="local pool processes "
                                                                 "(default: the cores)")
    scenario_jobs: int = Field(2, ge=1, description="scenario jobs run at once")
    scenario_max_replications: int = Field(1000, ge=1, description="most replications a "
                                                                   "submitted scenario may ask")


@contextlib.asynccontextmanager
async def lifespan(app):
    yield
    jobs = getattr(app.state, "scenario_jobs", None)
    if jobs is not None:
        jobs.close()


router = APIRouter(prefix="/v1", tags=["scenarios"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES, lifespan=lifespan)
Planner = Annotated[KeyInfo, Depends(require(Role.PLANNER))]
_lock = threading.Lock()


def settings_of(app) -> ScenarioSettings:
    s = getattr(app.state, "scenario_settings", None)
    if s is None:
        s = app.state.scenario_settings = ScenarioSettings()
    return s


def get_jobs(request: Request):
    """The app's :class:`scenarios.jobs.JobManager`, made on first use (its pool on the first
    job)."""
    app = request.app
    jobs = getattr(app.state, "scenario_jobs", None)
    if jobs is not None:
        return jobs
    with _lock:
        jobs = getattr(app.state, "scenario_jobs", None)
        if jobs is None:
            from chainlab.scenarios.executor import open_pool
            from chainlab.scenarios.jobs import JobManager

            s = settings_of(app)
            jobs = JobManager(s.scenario_dir or _default_dir(app),
                              lambda: open_pool(s.dask_scheduler, s.scenario_workers),
                              max_jobs=s.scenario_jobs)
            app.state.scenario_jobs = jobs
    return jobs


Jobs = Annotated[Any, Depends(get_jobs)]


def _default_dir(app) -> Path:
    """Beside the ledger's SQLite file, else in the user's data folder."""
    import os

    from sqlalchemy.engine import make_url

    url = make_url(app.state.settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "scenarios"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "chainlab" / "scenarios"


# ---------------------------------------------------------------- schemas


class ScenarioCreate(BaseModel):
    """A scenario file (CONTRACTS §6) as JSON; ``base`` and ``crm`` relative to the server's
    scenario root."""

    # e.g. {"name": "plant2-outage", "base": "acme", "crm": "acme/crm", "overrides":
    # [{"site_outage": {"site": "PLANT2", "from": "2027-04-05", "to": "2027-04-25"}}],
    # "simulate": {"replications": 20, "seed": 42}} (no schema example: API fuzzers would
    # run it)
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100)
    base: str = Field(min_length=1, max_length=500)
    crm: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=1000)
    overrides: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    solve: dict[str, Any] | None = None
    simulate: dict[str, Any] | None = None


class Progress(BaseModel):
    phase: str | None = None
    done: int | None = None
    total: int | None = None


class ScenarioJob(BaseModel):
    """A scenario job: ``status`` queued, running, done or failed; ``progress`` while it runs;
    ``result`` when done (scenario, dir, kpis {name: {mean, ci_low, ci_high, unit}}, plan,
    seed, replications, seconds); ``error`` when failed."""

    id: str
    scenario: str
    status: str
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress = Progress()
    error: str | None = None
    result: dict[str, Any] | None = None


class ScenarioFile(BaseModel):
    """A scenario file of the server's scenario root: ``text`` is the file as it is (send it
    back as ``application/yaml`` to run it); ``name`` is null and ``error`` says why when it
    does not parse."""

    file: str
    name: str | None
    description: str | None = None
    text: str
    error: str | None = None


class ComparisonRow(BaseModel):
    """One scenario x KPI: ``value`` (mean) with its interval, ``delta`` against the baseline
    with the interval of the difference (``ci_low``, ``ci_high``), ``better`` when the
    difference is significant (null when it is not, or the KPI is neutral)."""

    scenario: str
    kpi: str
    unit: str | None = None
    value: float | None = None
    value_ci_low: float | None = None
    value_ci_high: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    significant: bool | None = None
    better: bool | None = None


class ScenarioComparison(BaseModel):
    """Done jobs compared (:func:`scenarios.compare.compare`): ``scenarios`` in the order
    asked, named by scenario (``name@<id suffix>`` when two jobs ran scenarios of one name);
    ``rows`` one per scenario x KPI; ``costs`` simulated cost by category, ``plan_costs`` the
    plans' own; ``plans`` status, objective, gap per scenario; ``plan_changes`` orders added,
    removed, moved, resized against the baseline; ``runs`` the run folders."""

    baseline: str
    scenarios: list[str]
    paired: bool
    confidence: float
    currency: str = ""
    rows: list[ComparisonRow]
    costs: dict[str, dict[str, float | None]]
    plan_costs: dict[str, dict[str, float | None]]
    plans: list[dict[str, Any]]
    plan_changes: dict[str, dict[str, float | None]]
    runs: dict[str, str]
    notes: list[str]


# ---------------------------------------------------------------- the YAML body

#: media types of a scenario file sent as it is
YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml")
_YAML_BODY = {"requestBody": {"content": {
    t: {"schema": {"type": "string", "description": "the scenario file itself (CONTRACTS "
                                                    "§6); base and crm relative to the "
                                                    "server's scenario root"}}
    for t in YAML_TYPES[:3]}}}


class _ScenarioFileRoute(DecimalRoute):
    """A :class:`DecimalRoute` whose body may also be a scenario file as it is (YAML): once the
    key is checked, the YAML is read (422 naming the line when it is not a scenario mapping)
    and handed on as the JSON it stands for, so both forms go through the same checks."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        roles = _roles(self.dependant)

        async def route(request: Request):
            media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
            if media in YAML_TYPES:
                if roles is not None:
                    await authorize_async(request, roles)
                request = await _yaml_as_json(request)
            return await handler(request)

        return route


async def _yaml_as_json(request: Request) -> Request:
    """The request with its YAML body as the equivalent JSON body."""
    from chainlab.scenarios import spec

    body = await request.body()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationError([Issue("request", f"the YAML body is not UTF-8 text (byte "
                                                f"{e.start}); send it as UTF-8")]) from None
    raw = json.dumps(_jsonable(spec.read_yaml(text)), default=str).encode()
    headers = [(k, v) for k, v in request.scope["headers"]
               if k not in (b"content-type", b"content-length")]
    headers += [(b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode())]
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await request.receive()

    return Request(request.scope | {"headers": headers}, receive)


def _jsonable(v):
    """YAML values as JSON has them: dates as ISO text, keys as text."""
    if isinstance(v, dict):
        return {str(k.isoformat() if isinstance(k, dt.date) else k): _jsonable(x)
                for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


# ---------------------------------------------------------------- routes


def submit_scenario(request: Request, response: Response, key: Planner, jobs: Jobs,
                    body: Annotated[ScenarioCreate, Body()],
                    idem: IdempotencyKeyHeader = None):
    """Run a scenario in the background: 202 with the job; poll ``GET
    /v1/scenarios/{id}``. The body is the scenario as JSON, or the scenario file itself
    (``Content-Type: application/yaml``)."""
    from chainlab.scenarios.jobs import IdempotencyConflict

    sc = _scenario(body, settings_of(request.app))
    scope = (key.principal, idem) if idem is not None else None
    try:
        job, created = jobs.submit(sc, idempotency=scope)
    except IdempotencyConflict as e:
        raise IdempotencyKeyReused(str(e)) from None
    response.headers["Location"] = f"/v1/scenarios/{job.id}"
    if not created:
        response.status_code = 200
    return job.public()


router.add_api_route(
    "/scenarios", submit_scenario, methods=["POST"], status_code=202,
    response_model=ScenarioJob, route_class_override=_ScenarioFileRoute,
    openapi_extra=_YAML_BODY,
    responses={200: {"model": ScenarioJob,
                     "description": "the job of an earlier request with the same "
                                    "Idempotency-Key"}})


@router.get("/scenarios", response_model=list[ScenarioJob])
def list_scenarios(_: Planner, jobs: Jobs,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Recent scenario jobs, newest first."""
    return [j.public() for j in jobs.list(limit)]


@router.get("/scenarios/files", response_model=list[ScenarioFile])
def scenario_files(request: Request, _: Planner):
    """The scenario files (``*.yaml``, ``*.yml``) of the server's scenario root, by file
    name, with their text: what ``POST /v1/scenarios`` runs as ``application/yaml``."""
    from chainlab.scenarios import spec

    return spec.list_files(settings_of(request.app).scenario_root)


JOB_ID = r"^[0-9A-Za-z-]{1,64}$"
_NOT_COMPARABLE = {
    404: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": "no such job"},
    409: {"model": Problem, "content": {MEDIA_TYPE: {}},
          "description": "a job that is not done (queued, running or failed)"}}
Ids = Annotated[list[Annotated[str, StringConstraints(pattern=JOB_ID)]], Query(
    alias="id", min_length=1, max_length=20,
    description="job ids, repeated (`id=A&id=B`); the first is the baseline")]
Baseline = Annotated[str | None, Query(
    max_length=200, description="the baseline instead of the first job: a job id, or a "
                                "scenario name as the comparison shows it")]


@router.get("/scenarios/compare", response_model=ScenarioComparison,
            responses=_NOT_COMPARABLE)
def compare_scenarios(_: Planner, jobs: Jobs, ids: Ids, baseline: Baseline = None):
    """Done jobs side by side: each KPI with its delta against the baseline and the
    interval of the difference (paired when the runs share seed and replications), costs,
    plans and plan changes. Two jobs of one scenario name are shown as ``name@<id
    suffix>``."""
    return _comparison(jobs, ids, baseline).as_dict()


@router.get("/scenarios/compare/report", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "description": "the report, one self-contained HTML page"}}
            | _NOT_COMPARABLE)
def compare_report(_: Planner, jobs: Jobs, ids: Ids, baseline: Baseline = None):
    """The comparison of ``GET /v1/scenarios/compare`` as the HTML report (tables and inline
    SVG charts; it fetches nothing)."""
    from chainlab.scenarios.report import render

    return HTMLResponse(render(_comparison(jobs, ids, baseline)))


def _comparison(jobs, ids: list[str], baseline: str | None):
    from chainlab.scenarios.jobs import NoResults

    try:
        return jobs.compare(ids, baseline)
    except NoResults as e:
        raise ConflictError(str(e)) from None


@router.get("/scenarios/{job_id}", response_model=ScenarioJob,
            responses={404: {"model": Problem, "content": {MEDIA_TYPE: {}},
                             "description": "no such job"}})
def get_scenario(_: Planner, jobs: Jobs,
                 job_id: Annotated[str, PathParam(pattern=JOB_ID)]):
    """A scenario job: status, progress, and its results when done."""
    return jobs.get(job_id).public()


def _scenario(body: ScenarioCreate, s: ScenarioSettings):
    """The scenario of a request, its paths resolved inside the scenario root."""
    from chainlab.scenarios import spec

    root = s.scenario_root.resolve()
    data = body.model_dump(exclude_none=True)
    issues = []
    for key in ("base", "crm"):
        if key not in data:
            continue
        p = Path(data[key])
        full = (root / p).resolve()
        if p.is_absolute() or not full.is_relative_to(root) or not full.exists():
            issues.append(Issue("request", f"{key} {data[key]!r} must name a folder under the "
                                           f"server's scenario root (e.g. 'acme')",
                                column=key))
        data[key] = str(full)
    if issues:
        raise ValidationError(issues)
    sim = data.get("simulate") or {}
    n = sim.get("replications")
    if isinstance(n, (int, float)) and n > s.scenario_max_replications:
        raise ValidationError([Issue("request", f"simulate.replications {n} is more than this "
                                                f"server runs ({s.scenario_max_replications})",
                                     column="simulate.replications")])
    return spec.parse(_plain(data), root / "request")


def _plain(v):
    """Decimals (how the API reads JSON numbers) as floats, as a scenario file has them."""
    from decimal import Decimal

    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and "." not in str(v) else float(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v
