"""Scenario jobs: scenarios run in the background (what ``POST /v1/scenarios`` starts), with
their state kept on disk so that a restart of the server loses nothing.

Each job is a folder ``ROOT/<id>/`` holding ``job.json`` (status, progress, result or error,
and the owner: host, process id, manager instance, heartbeat) and ``runs/`` (the run folder,
:mod:`scenarios.store`). ``job.json`` is replaced atomically at each change, so a reader never
sees half of it.

A job may belong to whoever submitted it (``submitted_by``: the owner of the API key); readers
that pass ``visible_to`` see only that owner's jobs and those of no one (recorded runs, jobs
from before owners), and another owner's job does not exist for them.

A job is ``queued``, ``running``, then ``done`` or ``failed``. A manager that stops fails its
unfinished jobs ("stopped before it finished"); a manager that dies (a crash, ``kill -9``)
cannot, so whoever reads a job that is not finished checks its owner: when the owner process
is gone (same host) or its heartbeat is older than ``stale_after`` seconds, the job is failed
then ("cut off by a restart"), never left running forever.

Runs made elsewhere (``chainlab demo``) become done jobs with :func:`record_runs`, and the runs
of done jobs are compared with :func:`compare_jobs` (``JobManager.compare``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from chainlab.models.errors import ChainlabError, Issue, NotFoundError, ValidationError
from chainlab.models.files import atomic_write_text
from chainlab.models.records import from_json, to_json
from chainlab.scenarios import spec
from chainlab.scenarios.executor import Pool
from chainlab.scenarios.run import (
    Event,
    InputCache,
    Phase,
    RunOptions,
    ScenariosFailed,
    check,
    run,
)
from chainlab.scenarios.spec import Scenario
from chainlab.scenarios.store import now

if TYPE_CHECKING:
    from chainlab.scenarios.compare import Comparison

JOB_FILE = "job.json"


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class IdempotencyConflict(ChainlabError, ValueError):
    """An Idempotency-Key reused with another body."""


class NoResults(ChainlabError, RuntimeError):
    """A job's results were asked for, but it has none (yet): it is queued or running, it
    failed, or its run folder is gone."""


@dataclass
class Job:
    """The state of one job, as stored in ``job.json``."""

    id: str
    scenario: str
    status: JobStatus
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    #: phase of the scenario, and replications done of total while simulating
    progress: dict = field(default_factory=dict)
    error: str | None = None
    #: when done: the run (scenario, dir, kpis, plan, seed, replications, seconds)
    result: dict | None = None
    #: the scenario as submitted (paths absolute)
    request: dict = field(default_factory=dict)
    #: who runs it: host, pid, manager instance, heartbeat; ``source`` for recorded runs
    owner: dict = field(default_factory=dict)
    #: who it belongs to: the owner of the API key that submitted it (None: everyone's)
    submitted_by: str | None = None

    def visible_to(self, owner: str | None) -> bool:
        """Whether a reader limited to ``owner``'s jobs (None: every job) sees this one."""
        return owner is None or self.submitted_by is None or self.submitted_by == owner

    def as_dict(self) -> dict:
        """The JSON form, as stored in ``job.json``."""
        return to_json(self)

    def public(self) -> dict:
        """What the API shows (no owner details)."""
        d = self.as_dict()
        d.pop("owner")
        d.pop("request")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Job:
        """The job of its JSON form (:meth:`as_dict`)."""
        return from_json(cls, d)


class JobManager:
    """Runs scenario jobs on a pool (made on first use by ``pool_factory``), ``max_jobs`` at a
    time, with their state under ``root``."""

    def __init__(self, root, pool_factory: Callable[[], Pool], *, max_jobs: int = 2,
                 heartbeat: float = 5.0, stale_after: float = 60.0):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pool_factory = pool_factory
        self.heartbeat = heartbeat
        self.stale_after = max(stale_after, 3 * heartbeat)
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(),
                      "instance": uuid.uuid4().hex, "heartbeat": time.time()}
        self._pool: Pool | None = None
        self.cache = InputCache()
        self._lock = threading.RLock()
        self._active: dict[str, Job] = {}
        self._stops: dict[str, threading.Event] = {}
        self._threads = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="job")
        self._closed = threading.Event()
        self._beat = threading.Thread(target=self._beating, name="job-heartbeat", daemon=True)
        self._beat.start()
        self.recover()

    def recover(self) -> list[Job]:
        """Fail the jobs that a server which is gone left unfinished; returns them."""
        return [j for j in self.list(limit=None)
                if j.status is JobStatus.FAILED and j.error and "cut off" in j.error
                and j.finished_at and j.owner.get("instance") == self.owner["instance"]]

    # ------------------------------------------------------------ reading

    def _path(self, job_id: str) -> Path:
        if not job_id or not all(c.isalnum() or c == "-" for c in job_id):
            raise NotFoundError(f"no scenario job {job_id!r}")
        return self.root / job_id / JOB_FILE

    def get(self, job_id: str, *, visible_to: str | None = None) -> Job:
        """A job; one left unfinished by a server that is gone is failed first. With
        ``visible_to``, another owner's job is a NotFoundError like an unknown id."""
        job = self._get(job_id)
        if not job.visible_to(visible_to):
            raise _no_job(job_id)
        return job

    def _get(self, job_id: str) -> Job:
        with self._lock:
            if job_id in self._active:
                return Job.from_dict(self._active[job_id].as_dict())
        p = self._path(job_id)
        try:
            job = Job.from_dict(json.loads(p.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise _no_job(job_id) from None
        return self._check_owner(job)

    def list(self, limit: int | None = 100, *, visible_to: str | None = None) -> list[Job]:
        """Jobs, newest first (``visible_to``: see :meth:`get`)."""
        ids = sorted((p.parent.name for p in self.root.glob(f"*/{JOB_FILE}")), reverse=True)
        out = []
        for i in ids:
            if limit and len(out) >= limit:
                break
            try:
                job = self._get(i)
            except (NotFoundError, ValueError, KeyError, TypeError):
                continue
            if job.visible_to(visible_to):
                out.append(job)
        return sorted(out, key=lambda j: (j.submitted_at, j.id), reverse=True)

    def compare(self, ids: Sequence[str], baseline: str | None = None, *,
                visible_to: str | None = None) -> Comparison:
        """:func:`compare_jobs` of the jobs ``ids`` (NotFoundError for an unknown one, or
        one not ``visible_to``)."""
        return compare_jobs([self.get(i, visible_to=visible_to) for i in ids], baseline)

    def _check_owner(self, job: Job) -> Job:
        if job.status.finished or job.owner.get("instance") == self.owner["instance"]:
            return job
        why = self._gone(job.owner)
        if why is None:
            return job
        job.status = JobStatus.FAILED
        job.finished_at = now()
        job.error = (f"cut off by a restart of the server: {why}; the job was "
                     f"{job.progress.get('phase', 'queued')} and did not finish; submit it "
                     f"again")
        self._write(job)
        return job

    def _gone(self, owner: dict) -> str | None:
        """Why the owner of a job is gone, or None when it may still be running it."""
        if owner.get("host") == self.owner["host"] and owner.get("pid"):
            if owner["pid"] != os.getpid() and not _alive(int(owner["pid"])):
                return f"its server process {owner['pid']} is no longer running"
        beat = owner.get("heartbeat") or 0
        if time.time() - beat > self.stale_after:
            return f"its server has not been heard of for {time.time() - beat:.0f} s"
        return None

    # ------------------------------------------------------------ writing

    def _write(self, job: Job) -> None:
        write_job(self.root, job)

    def _save(self, job: Job) -> None:
        with self._lock:
            job.owner = dict(self.owner)
            self._write(job)

    def submit(self, sc: Scenario, options: RunOptions | None = None, *,
               idempotency: tuple[str, str] | None = None,
               submitted_by: str | None = None) -> tuple[Job, bool]:
        """Queue a scenario for ``submitted_by``; returns (job, created). ``idempotency`` =
        (scope, key): the same key with the same scenario returns the first job (created
        False); with another scenario it is an :class:`IdempotencyConflict`."""
        if self._closed.is_set():
            raise ChainlabError("the scenario service is stopping; try again")
        check(sc, self.cache)  # a bad override is the caller's error, now, not a failed job
        request = spec.dump(sc)
        with self._lock:
            if idempotency is not None:
                found = self._idempotent(idempotency, request)
                if found is not None:
                    return found, False
            job = Job(id=f"{_stamp(dt.datetime.now(dt.UTC))}-{uuid.uuid4().hex[:8]}",
                      scenario=sc.name,
                      status=JobStatus.QUEUED, submitted_at=now(), request=request,
                      progress={"phase": "queued"}, submitted_by=submitted_by)
            self._active[job.id] = job
            self._stops[job.id] = threading.Event()
            self._save(job)
            if idempotency is not None:
                self._remember(idempotency, request, job.id)
        self._threads.submit(self._run, job, sc, options or RunOptions())
        return Job.from_dict(job.as_dict()), True

    def _idem_path(self, idempotency: tuple[str, str]) -> Path:
        h = hashlib.sha256("\x1f".join(idempotency).encode()).hexdigest()
        return self.root / ".idempotency" / f"{h}.json"

    def _idempotent(self, idempotency, request) -> Job | None:
        p = self._idem_path(idempotency)
        if not p.exists():
            return None
        seen = json.loads(p.read_text(encoding="utf-8"))
        if seen["request"] != _digest(request):
            raise IdempotencyConflict(f"Idempotency-Key {idempotency[1]!r} was used with "
                                      f"another scenario; use a new key for a new request")
        return self.get(seen["job"])

    def _remember(self, idempotency, request, job_id: str) -> None:
        p = self._idem_path(idempotency)
        p.parent.mkdir(exist_ok=True)
        p.write_text(json.dumps({"job": job_id, "request": _digest(request)}),
                     encoding="utf-8")

    def _pool_now(self) -> Pool:
        """The pool, made on first use, and made again when a worker died and broke it (every
        later job would fail with "the process pool is not usable anymore")."""
        with self._lock:
            if self._pool is not None and self._pool.broken:
                broken, self._pool = self._pool, None
                broken.close(kill=True)
            if self._pool is None:
                self._pool = self.pool_factory()
            return self._pool

    def _run(self, job: Job, sc: Scenario, options: RunOptions) -> None:
        stop = self._stops[job.id]
        try:
            if stop.is_set():
                raise ChainlabError("the server stopped before the job started")
            job.status = JobStatus.RUNNING
            job.started_at = now()
            self._save(job)
            last = [0.0]

            def progress(e: Event) -> None:
                job.progress = {"phase": e.phase.value, "done": e.done, "total": e.total}
                t = time.monotonic()
                if e.phase is not Phase.SIMULATE or t - last[0] > 1.0 or e.done == e.total:
                    last[0] = t
                    self._save(job)

            runs = run([sc], self.root / job.id / "runs", pool=self._pool_now(),
                       options=options, progress=progress, stop=stop, cache=self.cache)
            job.result = runs[0].as_dict()
            job.status = JobStatus.DONE
        except ScenariosFailed as e:
            job.status = JobStatus.FAILED
            job.error = "; ".join(str(x) for x in e.failures.values())
        except Exception as e:  # reported in the job, not lost in a thread
            job.status = JobStatus.FAILED
            job.error = str(e) or type(e).__name__
        finally:
            if stop.is_set() and job.status is not JobStatus.DONE:
                job.status = JobStatus.FAILED
                job.error = "the server stopped before the job finished; submit it again"
            job.finished_at = now()
            with self._lock:
                self._save(job)
                self._active.pop(job.id, None)
                self._stops.pop(job.id, None)

    def _beating(self) -> None:
        while not self._closed.wait(self.heartbeat):
            with self._lock:
                self.owner["heartbeat"] = time.time()
                for job in list(self._active.values()):
                    try:
                        self._save(job)
                    except OSError:
                        pass

    def close(self, wait: float = 30.0) -> None:
        """Stop: unfinished jobs are failed (and their work cancelled); the pool is closed."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            for ev in self._stops.values():
                ev.set()
            for job in list(self._active.values()):
                if job.status is JobStatus.QUEUED:
                    job.status = JobStatus.FAILED
                    job.error = "the server stopped before the job started; submit it again"
                    job.finished_at = now()
                    self._save(job)
        pool = self._pool
        if pool is not None:
            pool.close(kill=True)
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for job in list(self._active.values()):
                job.status = JobStatus.FAILED
                job.error = "the server stopped before the job finished; submit it again"
                job.finished_at = now()
                self._save(job)
            self._active.clear()


def _no_job(job_id: str) -> NotFoundError:
    return NotFoundError(f"no scenario job {job_id!r}; POST /v1/scenarios starts one")


def write_job(root, job: Job) -> None:
    """Write ``ROOT/<id>/job.json`` atomically (a reader never sees half of it)."""
    atomic_write_text(Path(root) / job.id / JOB_FILE,
                      json.dumps(job.as_dict(), indent=2, default=str) + "\n")


def _stamp(t: dt.datetime) -> str:
    """The head of a job id: its submission time (UTC), so that ids sort as submitted."""
    return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def record_runs(root, runs: Sequence, requests: Sequence[dict] | None = None, *,
                source: str | None = None) -> list[Job]:
    """Done jobs under ``root`` for runs already made (:class:`scenarios.run.ScenarioRun`, as
    :func:`scenarios.run.run` returns them), so that the API lists and compares them; returns
    the jobs, in the order of ``runs``.

    Each job is what :class:`JobManager` writes for a finished job: ``result`` is
    ``run.as_dict()``, ``request`` the scenario as run (``requests[i]`` when given, else the
    run folder's ``scenario.yaml``). The runs stay where they are; the jobs point at them.
    Job ids are ``<start of the earliest run>-<position><hash of the run folder>``: they sort
    in the order given, after the jobs submitted before, and recording the same runs again
    writes the same jobs. ``source`` (e.g. "chainlab demo") marks the jobs; the jobs that an
    earlier call with the same ``source`` recorded in ``root`` are removed, so that a run made
    again replaces its job rather than adding one.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    runs = list(runs)
    if requests is not None and len(requests) != len(runs):
        raise ValueError(f"requests(={len(requests)}) must be one per run ({len(runs)})")
    starts = [r.manifest.get("started_at") or now() for r in runs]
    submitted = min(starts, default=now())
    stamp = _stamp(dt.datetime.fromisoformat(submitted))
    width = max(2, len(str(len(runs) - 1)))
    owner = {"host": socket.gethostname(), "pid": os.getpid(),
             "instance": f"recorded-{uuid.uuid4().hex}", "heartbeat": time.time(),
             "source": source}
    jobs = []
    for i, (r, started) in enumerate(zip(runs, starts)):
        path = Path(r.path).resolve()
        h = hashlib.sha256(str(path).encode()).hexdigest()[:6]
        req = (requests[i] if requests is not None
               else spec.dump(spec.load(path / "scenario.yaml")))
        result = r.as_dict()
        n = result["replications"]
        job = Job(id=f"{stamp}-{i:0{width}d}{h}", scenario=r.scenario, status=JobStatus.DONE,
                  submitted_at=submitted, started_at=started,
                  finished_at=r.manifest.get("finished_at") or now(),
                  progress={"phase": "done", "done": n, "total": n}, result=result,
                  request=req, owner=owner)
        write_job(root, job)
        jobs.append(job)
    if source is not None:
        keep = {j.id for j in jobs}
        for p in root.glob(f"*/{JOB_FILE}"):
            if p.parent.name in keep:
                continue
            try:
                earlier = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (earlier.get("owner") or {}).get("source") == source:
                p.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    p.parent.rmdir()  # only when empty: never a run made by a manager
    return jobs


def compare_jobs(jobs: Sequence[Job], baseline: str | None = None,
                 confidence: float = 0.95) -> Comparison:
    """:func:`scenarios.compare.compare` of the runs of done jobs, in the order given.

    The first job is the baseline unless ``baseline`` names another: a job id, or a scenario
    name as the comparison shows it. Jobs that ran scenarios of the same name are told apart
    as ``<scenario>@<last part of the job id>`` (``surge@3f2a9c1b``), so two runs of one
    scenario (another seed, an edited file) can be compared. A job given twice is a
    ValidationError; one that is not done (or whose run folder is gone), :class:`NoResults`.
    """
    from chainlab.scenarios.compare import compare
    from chainlab.scenarios.store import RunError, StoredRun, open_run

    if not jobs:
        raise ValidationError([Issue("request", "give at least one job to compare")])
    ids = [j.id for j in jobs]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValidationError([Issue("request", f"job {twice[0]} is given twice; give each "
                                                f"job once")])
    for j in jobs:
        if j.status is JobStatus.FAILED:
            raise NoResults(f"job {j.id} ({j.scenario}) failed, so it has no results to "
                            f"compare: {j.error}")
        if j.status is not JobStatus.DONE or not j.result:
            raise NoResults(f"job {j.id} is {j.status.value}; compare it when it is done")
    names = _labels(jobs)
    runs = []
    for j, name in zip(jobs, names):
        try:
            stored = open_run(j.result["dir"])
        except RunError as e:
            raise NoResults(f"job {j.id} ({j.scenario}): its run can no longer be read ({e})"
                            ) from None
        runs.append(StoredRun(stored.path, stored.manifest | {"scenario": name}))
    if baseline is None:
        base = names[0]
    elif baseline in ids:
        base = names[ids.index(baseline)]
    elif baseline in names:
        base = baseline
    else:
        same = [n for j, n in zip(jobs, names) if j.scenario == baseline]
        hint = (f"it names {len(same)} runs here; give one of {', '.join(same)} or its job id"
                if same else f"give one of {', '.join(names)} or a job id")
        raise ValidationError([Issue("request", f"baseline {baseline!r} is not one of the "
                                                f"jobs compared: {hint}", column="baseline")])
    return compare(runs, baseline=base, confidence=confidence)


def _labels(jobs: Sequence[Job]) -> list[str]:
    """Scenario names, with ``@<id suffix>`` (else ``@<id>``) where they repeat."""
    names = [j.scenario for j in jobs]
    out = [n if names.count(n) == 1 else f"{n}@{j.id.rsplit('-', 1)[-1]}"
           for j, n in zip(jobs, names)]
    return [o if out.count(o) == 1 else f"{j.scenario}@{j.id}" for j, o in zip(jobs, out)]


def _digest(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
