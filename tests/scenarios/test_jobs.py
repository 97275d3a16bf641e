"""Runs made elsewhere recorded as done jobs (what ``chainlab demo`` does for the API), and
done jobs compared."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from chainlab.models import ValidationError
from chainlab.scenarios import spec
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.jobs import (
    JOB_FILE,
    Job,
    JobManager,
    JobStatus,
    NoResults,
    compare_jobs,
    record_runs,
)
from chainlab.scenarios.run import run

TINY = Path(__file__).parents[1] / "data" / "tiny"
JOB_ID = r"^[0-9A-Za-z-]{1,64}$"


def write(folder: Path, name: str, overrides: str = "") -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(f"name: {name}\nbase: {TINY}\n" + (f"overrides:\n{overrides}" if overrides
                                                     else "")
                 + "simulate: {replications: 3, seed: 5}\n")
    return p


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Two runs (baseline, surge) made twice into one folder, as a demo run twice makes
    them."""
    d = tmp_path_factory.mktemp("made")
    files = [write(d, "baseline"), write(d, "surge", "  - demand: {scale: 1.3}\n")]
    with open_pool(workers=1) as pool:
        first = run(files, d / "runs", pool=pool)
        second = run(files, d / "runs", pool=pool)
    return first, second


def manager(root: Path) -> JobManager:
    return JobManager(root, lambda: None, heartbeat=0.05)


def test_recorded_runs_are_done_jobs(made, tmp_path):
    import re

    first, _ = made
    jobs = record_runs(tmp_path, first)
    assert [j.scenario for j in jobs] == ["baseline", "surge"]
    assert [j.id for j in jobs] == sorted(j.id for j in jobs)  # in submission order
    assert all(re.match(JOB_ID, j.id) for j in jobs)
    for j, r in zip(jobs, first):
        assert j.status is JobStatus.DONE and j.result == r.as_dict()
        assert j.progress == {"phase": "done", "done": 3, "total": 3}
        assert j.request == spec.dump(spec.load(r.path / "scenario.yaml"))
        on_disk = json.loads((tmp_path / j.id / JOB_FILE).read_text())
        # job.json as a JobManager writes it
        assert set(on_disk) == set(asdict(j)) and on_disk["status"] == "done"
        assert Job.from_dict(on_disk) == j
    # a server started later (a new manager) lists them, newest first, and reads each
    m = manager(tmp_path)
    try:
        assert [j.id for j in m.list()] == [jobs[1].id, jobs[0].id]
        assert m.get(jobs[0].id).public() == jobs[0].public()
        c = m.compare([j.id for j in jobs])
        assert c.baseline == "baseline" and c.scenarios == ["baseline", "surge"]
    finally:
        m.close()
    m = manager(tmp_path)  # and again after a restart
    try:
        assert m.get(jobs[1].id).result == first[1].as_dict()
    finally:
        m.close()


def test_recording_again_replaces_the_jobs_of_the_same_source(made, tmp_path):
    first, second = made
    a = record_runs(tmp_path, first, source="demo")
    assert [j.id for j in record_runs(tmp_path, first, source="demo")] == [j.id for j in a]
    other = record_runs(tmp_path, first[1:], source="someone else")
    b = record_runs(tmp_path, second, source="demo")  # the runs made again
    assert {j.id for j in b}.isdisjoint(j.id for j in a)
    m = manager(tmp_path)
    try:
        listed = m.list()
    finally:
        m.close()
    assert sorted(j.id for j in listed) == sorted(j.id for j in b + other)
    assert {j.result["dir"] for j in b} == {str(r.path) for r in second}
    assert not (tmp_path / a[0].id).exists()


def test_comparing_jobs(made, tmp_path):
    first, second = made
    jobs = record_runs(tmp_path, list(first) + [second[1]])
    base, surge, surge2 = jobs
    c = compare_jobs([surge, base])
    assert c.baseline == "surge" and c.scenarios == ["surge", "baseline"]
    assert c.paired
    d = c.rows.set_index(["scenario", "kpi"]).loc[("baseline", "demand")]
    assert d["delta"] < 0 and d["ci_low"] <= d["delta"] <= d["ci_high"]
    assert compare_jobs([surge, base], baseline=base.id).baseline == "baseline"
    # two runs of one scenario, told apart by the end of their job ids
    c = compare_jobs([base, surge, surge2])
    names = ["baseline", f"surge@{surge.id.rsplit('-', 1)[1]}",
             f"surge@{surge2.id.rsplit('-', 1)[1]}"]
    assert c.scenarios == names
    assert compare_jobs([base, surge, surge2], baseline=names[2]).baseline == names[2]
    with pytest.raises(ValidationError, match="names 2 runs here"):
        compare_jobs([base, surge, surge2], baseline="surge")
    with pytest.raises(ValidationError, match="twice"):
        compare_jobs([base, base])
    with pytest.raises(ValidationError, match="at least one"):
        compare_jobs([])
    running = Job(id="20270101T000000-00000000", scenario="x", status=JobStatus.RUNNING,
                  submitted_at="2027-01-01T00:00:00+00:00")
    with pytest.raises(NoResults, match="is running; compare it when it is done"):
        compare_jobs([base, running])
    gone = Job.from_dict(asdict(base) | {"id": "20270101T000000-11111111",
                                        "result": base.result | {"dir": str(tmp_path / "no")}})
    with pytest.raises(NoResults, match="can no longer be read"):
        compare_jobs([base, gone])
