"""The interface every solver backend implements, and what it hands back.

A backend takes the model as arrays (:class:`solver.lp.LPArrays`), solves it, and returns a
:class:`RawResult` in chainlab's terms: a :class:`~solver.result.Status`, the solution vector, the
row duals (LPs), objective and bound. It translates its library's exceptions into
:class:`~models.errors.SolverError` at its boundary, and it never prints (native chatter is kept
off stdout).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import Flag, auto
from typing import ClassVar

import numpy as np

from chainlab.solver.lp import LPArrays
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Progress, Status


class Capability(Flag):
    """What a backend can do."""

    LP = auto()
    MIP = auto()
    #: row duals of an LP
    DUALS = auto()
    TIME_LIMIT = auto()
    GAP = auto()
    #: reports incumbent and bound while solving
    PROGRESS = auto()
    #: may run in the caller's process (else always in a worker process)
    IN_PROCESS = auto()
    #: can be stopped from outside and still return its incumbent
    INTERRUPT = auto()
    #: solves only models whose variables are all integer (CP-SAT)
    INTEGER_ONLY = auto()
    #: first-order method: optimal to a looser tolerance (about 1e-6 relative, not 1e-9)
    APPROXIMATE = auto()


@dataclass(frozen=True)
class RawResult:
    """What a backend found: ``x`` and ``duals`` are None when it has no solution / no duals;
    ``objective`` includes the model's constant."""

    status: Status
    x: np.ndarray | None = None
    duals: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    detail: str = ""
    #: seconds from the call to the answer, ``handoff`` among them
    seconds: float = 0.0
    #: seconds spent turning the arrays into the library's model before its solver started
    handoff: float = 0.0


class Stopper:
    """Asks a running solve to stop from outside (a watchdog thread calls :meth:`stop`); the
    backend registers how with :meth:`on_stop`."""

    def __init__(self):
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.stopped = False

    def on_stop(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._callbacks.append(fn)
            if self.stopped:
                fn()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for fn in self._callbacks:
                fn()


ProgressFn = Callable[[Progress], None]


class Backend(ABC):
    """A solver library behind chainlab's interface. Subclasses set the class attributes and
    implement :meth:`solve` and :meth:`is_available`."""

    #: registry name, e.g. ``highs``, ``ortools-scip``, ``pulp-cbc``
    name: ClassVar[str]
    #: python library used
    library: ClassVar[str]
    #: the solver inside it
    solver: ClassVar[str]
    capabilities: ClassVar[Capability]
    #: modules that, once imported in a process, make running this backend there unsafe
    #: (``pulp`` loads highspy's library globally, which crashes OR-Tools' HiGHS)
    conflicts: ClassVar[tuple[str, ...]] = ()

    @classmethod
    @abstractmethod
    def is_available(cls) -> bool:
        """Whether the library is installed and usable (without importing anything that
        could conflict with other backends in this process)."""

    @abstractmethod
    def solve(self, lp: LPArrays, options: SolveOptions, progress: ProgressFn | None = None,
              stopper: Stopper | None = None) -> RawResult:
        """Solve ``lp`` (minimise) with ``options.time_limit``, ``gap``, ``threads``,
        ``method``; report progress; honour ``stopper``."""

    @classmethod
    def can_run_here(cls) -> bool:
        """Whether this process may run the backend itself (see ``conflicts``)."""
        return Capability.IN_PROCESS in cls.capabilities and not any(
            m in sys.modules for m in cls.conflicts)

    def __repr__(self) -> str:
        return f"<Backend {self.name}: {self.solver} via {self.library}>"


@contextlib.contextmanager
def stdout_to_stderr(quiet: bool = False):
    """Send what native code writes to fd 1 to fd 2 (or, ``quiet``, nowhere) for the duration:
    solver banners must not reach stdout, which carries the CLI's JSON."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        if quiet:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
        else:
            os.dup2(2, 1)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def finite_or_none(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None
