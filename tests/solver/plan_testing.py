"""Solver test helpers: every plan solved in these tests goes through the plan checker."""

from pathlib import Path

from chainlab.solver import backends, plan
from chainlab.solver.check import check_plan

DATA = Path(__file__).resolve().parent.parent / "data"

#: backends whose libraries are installed here; tests parametrize over them
AVAILABLE = backends.available()


def solve(net, demand=None, tol=1e-6, **options):
    """``plan(net, demand, **options)``, asserting that the plan passes :func:`check_plan`."""
    p = plan(net, demand, **options)
    problems = check_plan(p, net, demand, tol=tol)
    assert problems == [], "\n".join(problems)
    return p
