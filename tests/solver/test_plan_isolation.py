"""The PuLP/OR-Tools HiGHS crash cannot happen: pulp never enters a process that runs
OR-Tools' HiGHS. Measured: after `import pulp`, every OR-Tools HiGHS solve segfaulted."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from plan_testing import AVAILABLE, DATA, solve

from chainlab.models.errors import SolverError
from chainlab.solver import SolveOptions
from chainlab.solver.backends.pulp_backend import PulpCbc

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif("pulp-cbc" not in AVAILABLE or "ortools-highs" not in AVAILABLE,
                                reason="needs pulp and ortools")


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_ortools_highs_after_import_pulp_does_not_crash():
    """Would segfault (exit -11) if chainlab solved with OR-Tools' HiGHS in this process
    after pulp was imported; also: no solver writes to stdout, which carries `--json`."""
    r = _run(f"""
        import pulp  # loads highspy's library globally
        from chainlab.models import Network
        from chainlab.solver import plan
        net = Network.from_folder({str(DATA / 'tiny')!r})
        for b in ("ortools-highs", "highs", "pulp-highs"):
            p = plan(net, backend=b)
            print(p.status.value, p.objective)
    """)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout == "optimal 2858.0\n" * 3


def test_pulp_then_ortools_in_this_process(tiny):
    a = solve(tiny, backend="pulp-cbc")
    assert "pulp" not in sys.modules  # PuLP ran in a worker process
    b = solve(tiny, backend="ortools-highs")
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_pulp_backend_refuses_to_run_in_the_callers_process(tiny):
    from chainlab.solver.data import prepare
    from chainlab.solver.model import build

    lp = build(prepare(tiny), SolveOptions()).lp.arrays()
    with pytest.raises(SolverError, match="only in a worker process"):
        PulpCbc().solve(lp, SolveOptions())
    assert "pulp" not in sys.modules
