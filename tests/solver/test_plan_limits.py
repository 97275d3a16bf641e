"""Never hang, never lie: time limits hold from outside, a stopped MILP keeps its incumbent."""

import time
from pathlib import Path

import pytest
from plan_testing import AVAILABLE, solve

from models.errors import SolverError
from solver import Status, plan
from solver.synthetic import generate

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


def test_options_are_checked():
    with pytest.raises(ValueError, match="time_limit"):
        plan(None, time_limit=-1)
    with pytest.raises(ValueError, match="unmet"):
        plan(None, unmet="sometimes")
