"""Ctrl+C during a HiGHS MILP solve keeps the incumbent (issue 15): the solve answers FEASIBLE
with its bound and gap, like a time limit, instead of "HiGHS stopped without an answer"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ACME = Path(__file__).parents[2] / "scenarios" / "examples" / "acme"

SCRIPT = """
import json, os, signal, sys, threading
from chainlab.models import Network
from chainlab.solver import SolveOptions, plan

sent = []
def progress(p):
    if p.incumbent is not None and p.phase.value == "solve" and not sent:
        sent.append(1)
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()

r = plan(Network.from_folder({acme!r}), options=SolveOptions(gap=0.0), progress=progress)
print(json.dumps({{"sent": bool(sent), "status": r.status.value, "gap": r.gap,
                  "objective": r.objective, "detail": r.detail}}))
"""


def test_ctrl_c_keeps_the_incumbent(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(acme=str(ACME))))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["sent"]
    assert got["status"] == "feasible" and got["objective"] is not None
    assert got["gap"] is not None and got["gap"] > 0
    assert "Ctrl+C" in got["detail"]
