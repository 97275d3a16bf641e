"""A local scenario pool survives the death of a worker and does not outlive its owner (issue
15): a worker killed with SIGKILL fails its job, and the next job runs on a new pool; the
workers of a server killed with SIGKILL end within seconds instead of computing on as orphans.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chainlab.scenarios import spec
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.jobs import JobManager, JobStatus

TINY = Path(__file__).parents[1] / "data" / "tiny"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def scenario(folder: Path, name: str, replications: int):
    p = folder / f"{name}.yaml"
    p.write_text(f"name: {name}\nbase: {TINY}\nsimulate: {{replications: {replications}, "
                 f"seed: 1}}\n")
    return spec.load(p)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def wait_for(check, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


def test_a_killed_worker_fails_its_job_and_the_next_job_runs(tmp_path):
    before = {p.pid for p in multiprocessing.active_children()}
    jobs = JobManager(tmp_path / "jobs", lambda: open_pool(workers=2), heartbeat=0.2)
    try:
        long, _ = jobs.submit(scenario(tmp_path, "long", 20000))
        wait_for(lambda: jobs.get(long.id).progress.get("phase") == "simulate", 120,
                 "the long job did not start simulating")
        workers = wait_for(lambda: [p for p in multiprocessing.active_children()
                                    if p.pid not in before], 30, "no pool worker")
        os.kill(workers[0].pid, signal.SIGKILL)
        failed = wait_for(lambda: (j := jobs.get(long.id)).status.finished and j, 60,
                          "the job of the killed worker did not end")
        assert failed.status is JobStatus.FAILED
        # the pool it ran on is broken: every task on it would now fail at once
        after, _ = jobs.submit(scenario(tmp_path, "after", 4))
        done = wait_for(lambda: (j := jobs.get(after.id)).status.finished and j, 120,
                        "the next job did not end")
        assert done.status is JobStatus.DONE, done.error
        assert done.result["replications"] == 4
    finally:
        jobs.close()


SERVER = """
import json, multiprocessing, sys, time
from pathlib import Path
from chainlab.scenarios import spec
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.jobs import JobManager

if __name__ == "__main__":
    tmp = Path({tmp!r})
    jobs = JobManager(tmp / "jobs", lambda: open_pool(workers=2), heartbeat=0.2)
    job, _ = jobs.submit(spec.load({file!r}))
    while jobs.get(job.id).progress.get("phase") != "simulate":
        time.sleep(0.05)
    while len(multiprocessing.active_children()) < 2:
        time.sleep(0.05)
    print(json.dumps([p.pid for p in multiprocessing.active_children()]), flush=True)
    time.sleep(600)
"""


def test_the_workers_of_a_killed_server_end_with_it(tmp_path):
    """A process running scenario jobs on a local pool (as ``chainlab serve`` does) killed with
    SIGKILL mid-job: its pool workers, busy with the job's replications, end within seconds."""
    scenario(tmp_path, "long", 20000)
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent(SERVER.format(tmp=str(tmp_path),
                                                    file=str(tmp_path / "long.yaml"))))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        workers = json.loads(proc.stdout.readline())
        assert len(workers) >= 2 and all(running(p) for p in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        t0 = time.monotonic()
        wait_for(lambda: not any(running(p) for p in workers), 10,
                 f"pool workers {workers} still run after their server was killed")
        assert time.monotonic() - t0 < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
