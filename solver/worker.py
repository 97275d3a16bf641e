"""Solving in a worker process that can be killed: ``run(...)`` in the caller, ``main()`` in the
worker (``python -m solver.worker``).

Why a separate process: it keeps libraries that cannot share a process apart (PuLP loads
highspy's library globally, and OR-Tools' HiGHS then crashes), it enforces the time limit from
outside (PuLP's CBC has overrun its limit by minutes; the worker is killed at
``time_limit + grace``), a crash in native solver code becomes a :class:`SolverError` instead
of killing the caller, and native solver output cannot reach the caller's stdout.

A worker serves one backend and is kept for the next solve with that backend (starting Python
with pandas costs a second or two); a worker that overran or failed is killed, never reused.
A worker exits by itself when the caller's end of its stdin closes (the caller exited).

Protocol, both ways length-prefixed pickles: the caller sends ``(backend, LPArrays,
SolveOptions)``; the worker answers ``("progress", Progress)`` messages while solving, then
``("result", RawResult)`` or ``("error", (exception class name, message))``. Everything else
the worker or its solver prints goes to stderr (kept in a temporary file for error messages).
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from models.errors import BackendUnavailable, SolverError
from solver.lp import LPArrays
from solver.options import SolveOptions
from solver.result import Status

_HEADER = struct.Struct("<Q")
_ROOT = str(Path(__file__).resolve().parent.parent)
#: environment variable set in every worker (the PuLP backends refuse to run without it)
WORKER_ENV = "CHAINLAB_SOLVER_WORKER"


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, backend: str):
        env = dict(os.environ)
        env[WORKER_ENV] = "1"
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
        self.backend = backend
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "solver.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env, cwd=_ROOT)
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=_read, args=(self.proc.stdout, self.messages),
                         daemon=True).start()

    def send(self, obj) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(_HEADER.pack(len(data)) + data)
        self.proc.stdin.flush()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, kill: bool = False) -> None:
        if self.alive():
            if kill:
                self.proc.kill()
            else:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
        self.err.close()

    def crash_message(self) -> str:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        code = self.proc.returncode
        self.err.seek(0)
        tail = self.err.read()[-2000:].decode("utf-8", "replace").strip()
        if code is not None and code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        msg = f"the {self.backend} worker process {how} before it returned a result"
        return msg + (f"; its last output:\n{tail}" if tail else "")


_idle: dict[str, _Worker] = {}
_lock = threading.Lock()


def _take(backend: str) -> _Worker:
    with _lock:
        w = _idle.pop(backend, None)
    if w is not None and w.alive():
        return w
    if w is not None:
        w.close()
    return _Worker(backend)


def _give_back(w: _Worker) -> None:
    with _lock:
        old = _idle.pop(w.backend, None)
        _idle[w.backend] = w
    if old is not None:
        old.close()


@atexit.register
def shutdown() -> None:
    """Close the idle workers (they also exit on their own when this process does)."""
    with _lock:
        workers = list(_idle.values())
        _idle.clear()
    for w in workers:
        w.close()


def run(backend: str, lp: LPArrays, options: SolveOptions, progress=None,
        hard_limit: float | None = None):
    """Solve in a worker process and return its :class:`~solver.backends.base.RawResult`.

    The worker is killed, and a time-limit result returned, ``hard_limit`` seconds after its
    solver reported the phase ``solve`` (or after the request plus :func:`build_allowance`
    if it never did)."""
    from solver.backends.base import RawResult

    w = _take(backend)
    start = time.perf_counter()
    ok = False
    try:
        try:
            w.send((backend, lp, options))
        except (BrokenPipeError, OSError):
            raise SolverError(w.crash_message()) from None
        solving_since = None
        while True:
            try:
                kind, payload = w.messages.get(timeout=0.1)
            except queue.Empty:
                if hard_limit is not None:
                    now = time.perf_counter()
                    # until the solver starts, allow for the worker's start and its build
                    late = (now - solving_since > hard_limit if solving_since is not None
                            else now - start > hard_limit + build_allowance(lp))
                    if late:
                        return RawResult(Status.TIME_LIMIT, detail=(
                            f"{backend} did not return {hard_limit:.1f} s after its solve "
                            f"started; its worker process was killed"),
                            seconds=now - (solving_since or start))
                continue
            if kind == "progress":
                if payload.phase == "solve" and solving_since is None:
                    solving_since = time.perf_counter()
                if progress is not None:
                    progress(payload)
            elif kind == "result":
                ok = True
                return payload
            elif kind == "error":
                ok = True  # the worker itself is fine
                name, message = payload
                cls = BackendUnavailable if name == "BackendUnavailable" else SolverError
                raise cls(message)
            elif kind == "eof":
                raise SolverError(w.crash_message())
    finally:
        if ok:
            _give_back(w)
        else:
            w.close(kill=True)


def build_allowance(lp: LPArrays) -> float:
    """Seconds a worker may take to start and hand the model to its solver (PuLP builds it
    one element at a time: about 20 s per million coefficients, measured)."""
    return 30.0 + 2e-5 * (lp.nnz + lp.n_vars + lp.n_rows)


def _read(stream, messages: queue.Queue) -> None:
    try:
        while True:
            head = stream.read(_HEADER.size)
            if len(head) < _HEADER.size:
                break
            (n,) = _HEADER.unpack(head)
            messages.put(pickle.loads(stream.read(n)))
    except Exception:  # a torn stream means the worker died; the caller reports it
        pass
    messages.put(("eof", None))


def main() -> None:
    """The worker: solve each request from stdin, answer on the original stdout, until stdin
    closes."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native solver output goes to stderr, never into the message channel
    sys.stdout = sys.stderr
    lock = threading.Lock()
    requests = sys.stdin.buffer

    def send(kind, payload):
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        with lock:
            channel.write(_HEADER.pack(len(data)) + data)
            channel.flush()

    from solver import backends

    while True:
        head = requests.read(_HEADER.size)
        if len(head) < _HEADER.size:
            break
        (n,) = _HEADER.unpack(head)
        name, lp, options = pickle.loads(requests.read(n))
        try:
            backend = backends.get(name)
            send("result", backend.solve(lp, options, progress=lambda p: send("progress", p)))
        except Exception as e:
            send("error", (type(e).__name__, str(e) if isinstance(e, SolverError)
                           else f"{type(e).__name__}: {e}"))
    channel.close()


if __name__ == "__main__":
    main()
