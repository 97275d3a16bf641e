"""Stand-in backends for the limit tests, loaded by name as ``tests.solver.plan_helpers:X``
(also inside worker processes, which run from the repository root)."""

import os
import signal
import threading
import time

import numpy as np

from solver.backends.base import Backend, Capability, RawResult
from solver.result import Progress, Status

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
