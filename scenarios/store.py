"""Run folders: one folder per scenario run, with a manifest that lets it be reproduced.

A run folder holds::

    manifest.json      inputs hash, seed, replications, versions, timings, plan and KPIs
    scenario.yaml      the scenario as run (absolute paths; the seed, replications and solve
                       options actually used)
    plan/              the plan (``Plan.to_folder``: production, purchases, shipments, ...)
    simulation/        the simulation (``SimResult.to_folder``: kpis, replications, series, ...)

The manifest (``format`` 1) records: ``scenario``, ``description``, ``file``; ``inputs`` (the
SHA-256 of the scenario's canonical form and of every base network and CRM file, and one hash
over all of them, ``sha256``); ``network_sha256`` (the network after the overrides); ``seed``,
``replications`` and how replication seeds derive from them; ``demand`` (``crm`` or
``network``); ``solve`` (backend, time limit, gap asked) and ``plan`` (status, objective, bound,
gap, backend, costs by category); ``kpis`` (mean and interval of each); ``simulation`` (engine,
replenishment, unmet demand, confidence); ``versions`` (chainlab, Python, numpy, pandas, simpy,
statsmodels, the solver library); ``executor`` (kind, workers, Dask address and worker
versions); ``timings`` in seconds (``load``, ``demand_model``, ``overrides`` in the calling
process; ``plan``, ``simulation_build`` in a worker; ``simulation`` for the replications;
``store``; ``total`` from the scenario's start on the pool to its folder written);
``started_at``, ``finished_at`` (UTC) and ``warnings``.

A run is written into a hidden temporary folder beside its final place (``.NAME.partial-*``)
and renamed at the very end, after ``manifest.json``: a run that is interrupted leaves at most
a hidden folder without a manifest, which nothing here takes for a run. The final name is the
scenario's name, with ``-2``, ``-3``, ... when that folder is taken (no run is overwritten).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from chainlab.models.errors import ChainlabError
from chainlab.scenarios import spec
from chainlab.scenarios.executor import chainlab_version
from chainlab.scenarios.spec import Scenario

MANIFEST = "manifest.json"
#: version of the run-folder layout and manifest
FORMAT = 1
#: files of a network folder and of a CRM folder that count as inputs
_INPUT_SUFFIXES = (".csv", ".yaml", ".yml", ".json", ".xlsx", ".xlsm")


class RunError(ChainlabError, ValueError):
    """A folder is not a complete run (interrupted, or not a run folder at all), or a run
    cannot be reproduced as it was (its inputs changed)."""


# ---------------------------------------------------------------- hashes and versions


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of each input file of a network or CRM folder (top level only, as the readers
    read them), or of the one file when ``path`` is a workbook."""
    path = Path(path)
    if path.is_file():
        return {path.name: file_sha256(path)}
    if not path.is_dir():
        return {}
    return {p.name: file_sha256(p) for p in sorted(path.iterdir())
            if p.is_file() and p.suffix.lower() in _INPUT_SUFFIXES}


def _combine(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def canonical(sc: Scenario) -> dict:
    """What of a scenario decides its numbers, without paths: name, overrides, solve and
    simulate options (the base and CRM data are hashed by content)."""
    d = spec.dump(sc)
    d.pop("base", None)
    d.pop("crm", None)
    return d


def input_hashes(sc: Scenario) -> dict:
    """``sha256`` of everything a run reads: the scenario (:func:`canonical`), the base network
    files and the CRM files, with each file's own hash."""
    out = {"scenario": _combine(canonical(sc)),
           "base": {"path": str(sc.base), "files": folder_hashes(sc.base)}}
    if sc.crm is not None:
        out["crm"] = {"path": str(sc.crm), "files": folder_hashes(sc.crm)}
    out["sha256"] = _combine({k: (v["files"] if isinstance(v, dict) else v)
                              for k, v in out.items()})
    return out


def changed_inputs(before: dict, after: dict) -> list[str]:
    """The inputs that differ between two :func:`input_hashes` ("base/demand.csv", ...)."""
    out = []
    if before.get("scenario") != after.get("scenario"):
        out.append("the scenario (overrides, solve or simulate options)")
    for part in ("base", "crm"):
        a = (before.get(part) or {}).get("files", {})
        b = (after.get(part) or {}).get("files", {})
        out += [f"{part}/{f}" for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)]
    return out


def network_sha256(net) -> str:
    """A hash of a network's contents (calendar and every table), e.g. after overrides."""
    h = hashlib.sha256()
    h.update(json.dumps({"name": net.name, "currency": net.currency,
                         "calendar": net.calendar.as_dict()}, sort_keys=True,
                        default=str).encode())
    for name, df in sorted(net.tables().items()):
        h.update(name.encode())
        h.update(df.to_csv(index=False, lineterminator="\n").encode())
    return h.hexdigest()


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def versions(backend: str | None = None) -> dict:
    """Versions that decide a run's numbers: chainlab, Python, the numeric libraries and the
    solver library of ``backend``."""
    out = {"chainlab": chainlab_version(), "python": platform.python_version()}
    for dist in ("numpy", "pandas", "simpy", "statsmodels"):
        out[dist] = _dist_version(dist)
    if backend:
        from chainlab.solver import backends

        try:
            lib = backends.backend_class(backend).library.split()[0]
        except ChainlabError:
            lib = None
        out["solver"] = {"backend": backend, "library": lib,
                         "version": _dist_version(lib) if lib else None}
    return out


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------- writing


def slug(name: str) -> str:
    """A folder name for a scenario name."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return s[:80] or "scenario"


class RunWriter:
    """Writes one run: files go to :attr:`path` (a hidden temporary folder under ``root``);
    :meth:`commit` writes the manifest and renames the folder to its final name. Leaving the
    ``with`` block without a commit removes the temporary folder."""

    def __init__(self, root, name: str):
        self.root = Path(root)
        self.name = slug(name)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / f".{self.name}.partial-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        self.final: Path | None = None

    def write_json(self, rel: str, obj) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
        return p

    def commit(self, manifest: dict) -> Path:
        """Write ``manifest.json`` (with ``dir`` = the final folder) and move the run into
        place under the first free name."""
        for k in range(1, 10_000):
            target = self.root / (self.name if k == 1 else f"{self.name}-{k}")
            if target.exists():
                continue
            manifest = manifest | {"dir": target.name}
            self.write_json(MANIFEST, manifest)
            try:
                os.rename(self.path, target)  # fails if another run took the name meanwhile
            except OSError:
                if target.exists():
                    continue
                raise
            self.final = target
            return target
        raise RunError(f"{self.root}: no free folder name for run {self.name!r}")

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self.final is None:
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredRun:
    """A complete run folder: its manifest and, read on demand, its tables."""

    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.manifest["scenario"]

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def n(self) -> int:
        return int(self.manifest["replications"])

    def _csv(self, rel: str, **kw) -> pd.DataFrame:
        p = self.path / rel
        if not p.exists():
            raise RunError(f"{self.path}: {rel} is missing; the run folder is damaged, run the "
                           f"scenario again")
        return pd.read_csv(p, **kw)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """``simulation/kpis.csv``: mean, ci_low, ci_high, sd, unit per KPI."""
        return self._csv("simulation/kpis.csv", index_col="kpi")

    @cached_property
    def replications(self) -> pd.DataFrame:
        """Per-replication KPI values (index ``replication``)."""
        return self._csv("simulation/replications.csv", index_col="replication")

    @cached_property
    def service(self) -> pd.DataFrame:
        """Mean demand, filled and fill rate per period."""
        return self._csv("simulation/service.csv")

    @cached_property
    def series(self) -> pd.DataFrame:
        """Mean end-of-period inventory and backlog per site, product and period."""
        return self._csv("simulation/series.csv")

    def plan_table(self, name: str) -> pd.DataFrame:
        """A table of the stored plan (production, purchases, shipments, inventory, ...)."""
        return self._csv(f"plan/{name}.csv")

    @property
    def plan_costs(self) -> dict[str, float]:
        return dict(self.manifest.get("plan", {}).get("costs", {}))

    def scenario(self) -> Scenario:
        """The scenario as it was run (``scenario.yaml``)."""
        return spec.load(self.path / "scenario.yaml")

    def __repr__(self) -> str:
        return f"<StoredRun {self.name!r} at {self.path}: seed {self.seed}, {self.n} replications>"


def open_run(path) -> StoredRun:
    """The run in folder ``path``; :class:`RunError` when it is not a complete run."""
    path = Path(path)
    m = path / MANIFEST
    if not path.is_dir():
        raise RunError(f"{path} is not a folder; give a run folder written by "
                       f"`chainlab scenario run`")
    if not m.exists():
        what = ("an interrupted run (no manifest.json)" if ".partial-" in path.name
                else "not a complete run: it has no manifest.json")
        raise RunError(f"{path} is {what}; run the scenario again")
    try:
        manifest = json.loads(m.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{m} is not valid JSON ({e}); the run folder is damaged") from None
    if manifest.get("status") != "complete" or manifest.get("format") != FORMAT:
        raise RunError(f"{m}: not a complete run of format {FORMAT} (status "
                       f"{manifest.get('status')!r}, format {manifest.get('format')!r})")
    return StoredRun(path, manifest)


def find_runs(paths) -> list[StoredRun]:
    """Runs named by ``paths``: each a run folder, or a folder of run folders. Of a folder of
    runs, the latest complete run of each scenario is taken, in the order of their names
    (hidden and incomplete folders are left out)."""
    runs: list[StoredRun] = []
    for p in map(Path, paths):
        if (p / MANIFEST).exists() or not p.is_dir():
            runs.append(open_run(p))
            continue
        inside = [open_run(c) for c in sorted(p.iterdir())
                  if c.is_dir() and not c.name.startswith(".") and (c / MANIFEST).exists()]
        if not inside:
            raise RunError(f"{p} holds no complete run; give run folders written by "
                           f"`chainlab scenario run` (or the --out folder holding them)")
        latest: dict[str, StoredRun] = {}
        for r in inside:
            if r.name not in latest or (r.manifest.get("finished_at", ""), r.path.name) > (
                    latest[r.name].manifest.get("finished_at", ""), latest[r.name].path.name):
                latest[r.name] = r
        runs += sorted(latest.values(), key=lambda r: r.name)
    return runs
