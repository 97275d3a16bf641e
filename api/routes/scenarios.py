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

A job belongs to the owner of the key that submitted it: a planner key lists, reads and
compares only its owner's jobs and those that belong to no one (runs recorded by ``chainlab
demo``); another owner's job answers 404 like an unknown id. Admin keys see every job
(:func:`api.deps.job_scope`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import StringConstraints

from chainlab.api import problems
from chainlab.api.deps import (
    IdempotencyKeyHeader,
    JobsDep,
    PlannerKey,
    ScenarioSettingsDep,
    authorize_async,
    job_scope,
)
from chainlab.api.routing import DecimalRoute, route_roles
from chainlab.api.schemas.scenarios import (
    ScenarioComparison,
    ScenarioCreate,
    ScenarioFile,
    ScenarioJob,
)
from chainlab.ledger import KeyInfo
from chainlab.ledger.errors import ConflictError, IdempotencyKeyReused
from chainlab.models.errors import Issue, ValidationError
from chainlab.scenarios import spec
from chainlab.scenarios.jobs import IdempotencyConflict, JobManager, NoResults
from chainlab.scenarios.report import render

router = APIRouter(prefix="/v1", tags=["scenarios"], route_class=DecimalRoute,
                   responses=problems.PROBLEM_RESPONSES)


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
        roles = route_roles(self)

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


def submit_scenario(response: Response, key: PlannerKey, jobs: JobsDep,
                    settings: ScenarioSettingsDep, body: Annotated[ScenarioCreate, Body()],
                    idem: IdempotencyKeyHeader = None):
    """Run a scenario in the background: 202 with the job; poll ``GET
    /v1/scenarios/{id}``. The body is the scenario as JSON, or the scenario file itself
    (``Content-Type: application/yaml``)."""
    sc = body.scenario(settings.scenario_root, settings.scenario_max_replications)
    scope = (key.principal, idem) if idem is not None else None
    try:
        job, created = jobs.submit(sc, idempotency=scope, submitted_by=key.owner)
    except IdempotencyConflict as e:
        raise IdempotencyKeyReused(str(e)) from None
    response.headers["Location"] = f"/v1/scenarios/{job.id}"
    if not created:
        response.status_code = 200
    return ScenarioJob.model_validate(job)


router.add_api_route(
    "/scenarios", submit_scenario, methods=["POST"], status_code=202,
    response_model=ScenarioJob, route_class_override=_ScenarioFileRoute,
    openapi_extra=_YAML_BODY,
    responses={200: {"model": ScenarioJob,
                     "description": "the job of an earlier request with the same "
                                    "Idempotency-Key"}})


@router.get("/scenarios", response_model=list[ScenarioJob])
def list_scenarios(key: PlannerKey, jobs: JobsDep,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    """Recent scenario jobs the key may see, newest first."""
    return [ScenarioJob.model_validate(j)
            for j in jobs.list(limit, visible_to=job_scope(key))]


@router.get("/scenarios/files", response_model=list[ScenarioFile])
def scenario_files(_: PlannerKey, settings: ScenarioSettingsDep):
    """The scenario files (``*.yaml``, ``*.yml``) of the server's scenario root, by file
    name, with their text: what ``POST /v1/scenarios`` runs as ``application/yaml``."""
    return [ScenarioFile.model_validate(f) for f in spec.list_files(settings.scenario_root)]


JOB_ID = r"^[0-9A-Za-z-]{1,64}$"
NO_JOB = problems.responses(404, "no such job")
_NOT_COMPARABLE = NO_JOB | problems.responses(409, "a job that is not done (queued, running "
                                                   "or failed)")
Ids = Annotated[list[Annotated[str, StringConstraints(pattern=JOB_ID)]], Query(
    alias="id", min_length=1, max_length=20,
    description="job ids, repeated (`id=A&id=B`); the first is the baseline")]
Baseline = Annotated[str | None, Query(
    max_length=200, description="the baseline instead of the first job: a job id, or a "
                                "scenario name as the comparison shows it")]


@router.get("/scenarios/compare", response_model=ScenarioComparison,
            responses=_NOT_COMPARABLE)
def compare_scenarios(key: PlannerKey, jobs: JobsDep, ids: Ids, baseline: Baseline = None):
    """Done jobs side by side: each KPI with its delta against the baseline and the
    interval of the difference (paired when the runs share seed and replications), costs,
    plans and plan changes. Two jobs of one scenario name are shown as ``name@<id
    suffix>``."""
    return _comparison(jobs, key, ids, baseline).as_dict()


@router.get("/scenarios/compare/report", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "description": "the report, one self-contained HTML page"}}
            | _NOT_COMPARABLE)
def compare_report(key: PlannerKey, jobs: JobsDep, ids: Ids, baseline: Baseline = None):
    """The comparison of ``GET /v1/scenarios/compare`` as the HTML report (tables and inline
    SVG charts; it fetches nothing)."""
    return HTMLResponse(render(_comparison(jobs, key, ids, baseline)))


def _comparison(jobs: JobManager, key: KeyInfo, ids: list[str], baseline: str | None):
    try:
        return jobs.compare(ids, baseline, visible_to=job_scope(key))
    except NoResults as e:
        raise ConflictError(str(e)) from None


@router.get("/scenarios/{job_id}", response_model=ScenarioJob,
            responses=NO_JOB)
def get_scenario(key: PlannerKey, jobs: JobsDep,
                 job_id: Annotated[str, PathParam(pattern=JOB_ID)]):
    """A scenario job: status, progress, and its results when done (404 for another
    owner's)."""
    return ScenarioJob.model_validate(jobs.get(job_id, visible_to=job_scope(key)))
