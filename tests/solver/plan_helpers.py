"""Stand-in backends for the limit tests, loaded by name as ``tests.solver.plan_helpers:X``
(also inside worker processes, which run from the repository root)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from chainlab.solver.backends.base import Backend, Capability, RawResult
from chainlab.solver.lp import LPArrays
from chainlab.solver.result import Progress, Status

#: environment variable naming the file where :class:`Spawner` writes its group and child
SPAWNED_ENV = "CHAINLAB_TEST_SPAWNED"

C = Capability


class Sleeper(Backend):
    """Ignores every limit, like PuLP's CBC that never returned."""

    name = "test-sleeper"
    library = solver = "time"
    capabilities = C.LP | C.MIP | C.TIME_LIMIT

    @classmethod
    def is_available(cls):
        return True

    def solve(self, lp, options, progress=None, stopper=None):
        if progress:
            progress(Progress("solve", 0.0))
        time.sleep(3600)


class Crasher(Backend):
    """Dies in native code."""

    name = "test-crasher"
    library = solver = "os"
    capabilities = C.LP | C.MIP

    @classmethod
    def is_available(cls):
        return True

    def solve(self, lp, options, progress=None, stopper=None):
        os.kill(os.getpid(), signal.SIGSEGV)


class Patient(Backend):
    """Runs in the caller's process until it is stopped from outside."""

    name = "test-patient"
    library = solver = "threading"
    capabilities = C.LP | C.MIP | C.TIME_LIMIT | C.IN_PROCESS | C.INTERRUPT

    @classmethod
    def is_available(cls):
        return True

    def solve(self, lp, options, progress=None, stopper=None):
        stop = threading.Event()
        stopper.on_stop(stop.set)
        start = time.perf_counter()
        if not stop.wait(60):
            return RawResult(Status.OPTIMAL, np.zeros(lp.n_vars), None, 0.0, 0.0)
        return RawResult(Status.TIME_LIMIT, detail="interrupted",
                         seconds=time.perf_counter() - start)


class Spawner(Backend):
    """Starts a program that would outlive it, as PuLP starts ``cbc``, and waits for it; writes
    its process group and the program's pid to the file named by :data:`SPAWNED_ENV`."""

    name = "test-spawner"
    library = solver = "subprocess"
    capabilities = C.LP | C.MIP | C.TIME_LIMIT

    @classmethod
    def is_available(cls):
        return True

    def solve(self, lp, options, progress=None, stopper=None):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        Path(os.environ[SPAWNED_ENV]).write_text(f"{os.getpgrp()} {child.pid}")
        if progress:
            progress(Progress("solve", 0.0))
        child.wait()


def market_split(rng: np.random.Generator, m: int = 4, n: int = 30) -> LPArrays:
    """A market split instance (Cornuejols & Dawande 1999): binaries x_j with
    sum_j a[i,j] x_j + over_i - under_i = d_i = floor(sum_j a[i,j] / 2), a[i,j] in 0..99,
    minimise sum_i (over_i + under_i). Tiny, and branch and bound takes hours on it."""
    a = rng.integers(0, 100, size=(m, n)).astype(float)
    nv = n + 2 * m
    cols = np.concatenate([np.r_[np.arange(n), n + i, n + m + i] for i in range(m)])
    vals = np.concatenate([np.r_[a[i], 1.0, -1.0] for i in range(m)])
    d = np.floor(a.sum(axis=1) / 2)
    return LPArrays(cost=np.r_[np.zeros(n), np.ones(2 * m)], offset=0.0, lower=np.zeros(nv),
                    upper=np.r_[np.ones(n), np.full(2 * m, np.inf)],
                    integer=np.r_[np.ones(n, dtype=bool), np.zeros(2 * m, dtype=bool)],
                    row_lower=d, row_upper=d,
                    a_start=np.arange(0, m * (n + 2) + 1, n + 2, dtype=np.int64),
                    a_index=cols.astype(np.int64), a_value=vals)
