"""Never hang, never lie: time limits hold from outside, a stopped MILP keeps its incumbent."""

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from plan_helpers import SPAWNED_ENV, market_split
from plan_testing import AVAILABLE, solve

from chainlab.models.errors import SolverError
from chainlab.solver import SolveOptions, Status, plan, worker
from chainlab.solver.synthetic import generate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def helpers(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    return "tests.solver.plan_helpers:"


def test_worker_is_killed_at_the_limit(tiny, helpers):
    t = time.perf_counter()
    p = plan(tiny, backend=helpers + "Sleeper", time_limit=0.5, grace=0.5)
    took = time.perf_counter() - t
    assert p.status is Status.TIME_LIMIT and not p.has_solution
    assert "killed" in p.detail
    assert took < 15, took  # 1 s of limit + grace, plus the worker's start on a busy machine


def test_crash_in_a_worker_is_an_error_not_a_crash(tiny, helpers):
    with pytest.raises(SolverError, match="SIGSEGV"):
        plan(tiny, backend=helpers + "Crasher")


def test_in_process_solve_is_interrupted_from_outside(tiny, helpers):
    t = time.perf_counter()
    p = plan(tiny, backend=helpers + "Patient", time_limit=0.2, grace=0.3)
    assert time.perf_counter() - t < 10
    assert p.status is Status.TIME_LIMIT and "stopped from outside" in p.detail


@pytest.fixture(scope="module")
def hard_mip():
    """A MILP whose first incumbent comes after about 2 s and whose proof takes minutes."""
    return generate("S", seed=0, mip=True, customers=20)


@pytest.mark.parametrize("backend", [b for b in ("highs", "ortools-highs", "cbc")
                                     if b in AVAILABLE])
def test_milp_at_the_time_limit_returns_its_incumbent(hard_mip, backend):
    p = solve(hard_mip, backend=backend, time_limit=5.0)
    assert p.status is Status.FEASIBLE, p.detail
    assert p.objective is not None and p.bound is not None and p.bound <= p.objective + 1e-6
    assert 0 < p.gap < 1
    # the limit plus the default grace (a MILP answer may also be polished: an LP re-solve)
    assert p.solve_seconds < 5.0 + 10.0
    assert len(p.production) > 0


def _group(pgid: int) -> dict[int, str]:
    """pid -> program name of the live processes in process group ``pgid`` (zombies, which
    an init that does not reap leaves behind, are dead)."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        state, _, group = stat[stat.rindex(")") + 2:].split()[:3]
        if int(group) == pgid and state not in "ZX":
            out[int(d.name)] = stat[stat.index("(") + 1:stat.rindex(")")]
    return out


def _gone(pgid: int, within: float = 3.0) -> dict[int, str]:
    """What is still alive in group ``pgid`` after ``within`` seconds (a SIGKILL lands soon,
    not at once)."""
    end = time.perf_counter() + within
    while (left := _group(pgid)) and time.perf_counter() < end:
        time.sleep(0.05)
    return left


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@needs_proc
def test_killed_worker_takes_its_solver_program_along(tiny, helpers, tmp_path, monkeypatch):
    spawned = tmp_path / "spawned"
    monkeypatch.setenv(SPAWNED_ENV, str(spawned))
    p = plan(tiny, backend=helpers + "Spawner", time_limit=0.3, grace=0.3)
    assert p.status is Status.TIME_LIMIT and "killed" in p.detail
    pgid, child = map(int, spawned.read_text().split())
    assert pgid != os.getpgrp()  # the worker leads a group of its own
    assert _gone(pgid) == {}
    assert child not in _group(pgid)


@needs_proc
@pytest.mark.skipif("pulp-cbc" not in AVAILABLE, reason="needs pulp")
def test_pulp_cbc_killed_at_the_hard_limit_leaves_no_cbc(monkeypatch):
    """PuLP's cbc, with no limit of its own on a model it takes hours over, is killed with
    the worker at the hard limit: nothing of the worker's process group survives."""
    workers = []
    take = worker._take
    monkeypatch.setattr(worker, "_take", lambda b: workers.append(take(b)) or workers[-1])
    seen = []

    def progress(e):  # a second into the solve, cbc runs in the worker's group
        if e.phase == "solve" and not seen:
            seen.append(None)
            threading.Timer(1.0, lambda: seen.append(_group(workers[0].proc.pid))).start()

    lp = market_split(np.random.default_rng(0))
    raw = worker.run("pulp-cbc", lp, SolveOptions(gap=0.0), progress, hard_limit=2.0)
    assert raw.status is Status.TIME_LIMIT and "killed" in raw.detail
    pgid = workers[0].proc.pid
    assert "cbc" in seen[1].values(), seen
    assert _gone(pgid) == {}
    assert not Path(workers[0].tmp).exists()  # nor PuLP's model and solution files


def test_options_are_checked():
    with pytest.raises(ValueError, match="time_limit"):
        plan(None, time_limit=-1)
    with pytest.raises(ValueError, match="unmet"):
        plan(None, unmet="sometimes")
