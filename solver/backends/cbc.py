"""CBC (and its LP solver CLP) as the command-line program that PuLP ships, fed an MPS file
written from the arrays in bulk (by HiGHS's MPS writer): PuLP's solver without PuLP's
per-element model.

The binary is found from PuLP's package folder without importing pulp (so this backend may run
in any process), runs as a child process that is killed if it outlives ``time_limit + grace``
(PuLP's CBC has overrun its limit by minutes), and answers in a solution file read back by
name. Status comes from the solution file's first line ("Optimal", "Stopped on time", ...).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from chainlab.models.errors import SolverError
from chainlab.solver.backends.base import Backend, Capability, RawResult, Stopper, stdout_to_stderr
from chainlab.solver.lp import LPArrays
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Phase, Progress, Status

C = Capability


def cbc_path() -> str | None:
    """PuLP's bundled ``cbc`` for this platform, else one on PATH."""
    spec = importlib.util.find_spec("pulp")
    if spec is not None and spec.submodule_search_locations:
        base = Path(list(spec.submodule_search_locations)[0]) / "solverdir" / "cbc"
        system = {"Linux": "linux", "Darwin": "osx", "Windows": "win"}.get(platform.system(), "")
        arch = {"x86_64": "i64", "AMD64": "i64", "aarch64": "arm64", "arm64": "arm64"}.get(
            platform.machine(), "i64")
        exe = base / system / arch / ("cbc.exe" if system == "win" else "cbc")
        if exe.exists() and os.access(exe, os.X_OK):
            return str(exe)
    return shutil.which("cbc")


class CbcBackend(Backend):
    name = "cbc"
    library = "pulp (bundled cbc program)"
    solver = "CBC/CLP"
    capabilities = C.LP | C.MIP | C.DUALS | C.TIME_LIMIT | C.GAP | C.IN_PROCESS | C.INTERRUPT

    @classmethod
    def is_available(cls) -> bool:
        return cbc_path() is not None and importlib.util.find_spec("highspy") is not None

    def solve(self, lp: LPArrays, options: SolveOptions, progress=None,
              stopper: Stopper | None = None) -> RawResult:
        exe = cbc_path()
        if exe is None:
            raise SolverError("no cbc program found (PuLP's bundled one or on PATH)")
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="chainlab-cbc-") as tmp:
            mps, sol = Path(tmp) / "model.mps", Path(tmp) / "model.sol"
            write_mps(lp, mps)
            handoff = time.perf_counter() - start
            cmd = [exe, str(mps)]
            if lp.is_mip:
                cmd += ["ratioGap", repr(float(options.gap))]
            if options.time_limit is not None:  # wall-clock seconds (CBC counts CPU by default)
                cmd += ["sec", repr(float(options.time_limit)), "timeMode", "elapsed"]
            if options.threads:
                cmd += ["threads", str(int(options.threads))]
            # as PuLP runs it: branch and cut for a MILP, CLP's initial solve for an LP
            cmd += ["branch" if lp.is_mip else "initialSolve", "printingOptions", "all",
                    "solution", str(sol)]
            if progress is not None:
                progress(Progress(Phase.SOLVE, handoff))
            log = Path(tmp) / "cbc.log"
            with open(log, "wb") as out:  # never to stdout; to stderr afterwards if verbose
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
                if stopper is not None:
                    stopper.on_stop(proc.kill)
                proc.wait()
            seconds = time.perf_counter() - start
            text = log.read_text(encoding="utf-8", errors="replace")
            if options.verbose:
                sys.stderr.write(text)
            if not sol.exists():
                if stopper is not None and stopper.stopped:
                    return RawResult(Status.TIME_LIMIT, detail="cbc killed at the limit",
                                     seconds=seconds, handoff=handoff)
                if re.search(r"infeasible", text, re.I):
                    return RawResult(Status.INFEASIBLE, detail="cbc: problem proven infeasible",
                                     seconds=seconds, handoff=handoff)
                tail = text.strip().splitlines()[-5:]
                raise SolverError(f"cbc ended ({proc.returncode}) without a solution file: "
                                  + " / ".join(tail))
            raw = read_solution(sol, lp, seconds, handoff)
            m = _BOUND.search(text)
            if raw.status is Status.FEASIBLE and m:  # the bound is only in CBC's log
                raw = replace(raw, bound=float(m.group(1)))
            return raw


def write_mps(lp: LPArrays, path: Path) -> None:
    """Write ``lp`` as MPS (rows ``r<i>``, columns ``c<j>``) with HiGHS's writer: the arrays go
    to highspy in one ``passModel`` and out as a file from C++, in the layout CBC reads."""
    from chainlab.solver.backends.highs import to_highs

    h = to_highs(lp, SolveOptions())
    with stdout_to_stderr(quiet=True):
        status = h.writeModel(str(path))
    if str(status).endswith("kError"):
        raise SolverError(f"HiGHS could not write the model to {path}")


_HEAD = re.compile(r"objective value\s+(\S+)", re.IGNORECASE)
_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.MULTILINE)


def read_solution(path: Path, lp: LPArrays, seconds: float, handoff: float) -> RawResult:
    """Read CBC's solution file (``printingOptions all``: rows, then columns)."""
    text = path.read_text(encoding="ascii", errors="replace").splitlines()
    head = text[0] if text else ""
    low = head.lower()
    x = np.zeros(lp.n_vars)
    duals = np.zeros(lp.n_rows)
    for line in text[1:]:
        parts = line.replace("**", " ").split()
        if len(parts) < 4:
            continue
        name, value, dual = parts[1], parts[2], parts[3]
        if name.startswith("c"):
            x[int(name[1:])] = float(value)
        elif name.startswith("r"):
            duals[int(name[1:])] = float(dual)
    m = _HEAD.search(head)
    obj = float(m.group(1)) if m else None
    detail = head.strip()
    if low.startswith("optimal"):
        return RawResult(Status.OPTIMAL, x, None if lp.is_mip else duals, obj, obj, detail,
                         seconds, handoff)
    if "infeasible" in low:
        if low.startswith("stopped") or "integer infeasible" in low and "stopped" in low:
            return RawResult(Status.TIME_LIMIT, detail=detail, seconds=seconds, handoff=handoff)
        return RawResult(Status.INFEASIBLE, detail=detail, seconds=seconds, handoff=handoff)
    if "unbounded" in low:
        return RawResult(Status.UNBOUNDED, detail=detail, seconds=seconds, handoff=handoff)
    if low.startswith("stopped"):
        if "no solution" in low or m is None:
            return RawResult(Status.TIME_LIMIT, detail=detail, seconds=seconds, handoff=handoff)
        return RawResult(Status.FEASIBLE, x, None, obj, None, detail, seconds, handoff)
    raise SolverError(f"cbc answered {head!r}")
