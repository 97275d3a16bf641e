"""Solving in a worker process that can be killed: ``run(...)`` in the caller, ``main()`` in the
worker (``python -m solver.worker``).

Why a separate process: it keeps libraries that cannot share a process apart (PuLP loads
highspy's library globally, and OR-Tools' HiGHS then crashes), it enforces the time limit from
outside (PuLP's CBC has overrun its limit by minutes; the worker is killed at
``time_limit + grace``), a crash in native solver code becomes a :class:`SolverError` instead
of killing the caller, and native solver output cannot reach the caller's stdout.

Protocol: the caller writes one pickled request ``(backend name, LPArrays, SolveOptions)`` to
the worker's stdin; the worker writes length-prefixed pickled messages to its stdout:
``("progress", Progress)`` while solving, then ``("result", RawResult)`` or
``("error", (exception class name, message))``. Everything else the worker or its solver
prints goes to stderr (kept in a temporary file for error messages).
"""

from __future__ import annotations

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


def run(backend: str, lp: LPArrays, options: SolveOptions, progress=None,
        hard_limit: float | None = None):
    """Solve in a fresh worker process and return its :class:`~solver.backends.base.RawResult`.

    The worker is killed, and a time-limit result returned, ``hard_limit`` seconds after its
    solver reported the phase ``solve`` (or after its start plus :func:`build_allowance` if it
    never did)."""
    from solver.backends.base import RawResult

    env = dict(os.environ)
    env["CHAINLAB_SOLVER_WORKER"] = "1"
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "solver.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=err, env=env, cwd=_ROOT)
    messages: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read, args=(proc.stdout, messages), daemon=True)
    reader.start()
    try:
        try:
            pickle.dump((backend, lp, options), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        solving_since = None
        while True:
            try:
                kind, payload = messages.get(timeout=0.1)
            except queue.Empty:
                if hard_limit is not None:
                    now = time.perf_counter()
                    # until the solver starts, allow for the worker's start and its build
                    late = (now - solving_since > hard_limit if solving_since is not None
                            else now - start > hard_limit + build_allowance(lp))
                    if late:
                        _kill(proc)
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
                return payload
            elif kind == "error":
                name, message = payload
                cls = BackendUnavailable if name == "BackendUnavailable" else SolverError
                raise cls(message)
            elif kind == "eof":
                proc.wait(timeout=10)
                raise SolverError(_crash_message(backend, proc.returncode, err))
    finally:
        if proc.poll() is None:
            _kill(proc)
        err.close()


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


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def _crash_message(backend: str, code: int | None, err) -> str:
    err.seek(0)
    tail = err.read()[-2000:].decode("utf-8", "replace").strip()
    if code is not None and code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with status {code}"
    msg = f"the {backend} worker process {how} before it returned a result"
    return msg + (f"; its last output:\n{tail}" if tail else "")


def main() -> None:
    """The worker: read a request from stdin, solve, write messages to the original stdout."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native solver output goes to stderr, never into the message channel
    sys.stdout = sys.stderr
    lock = threading.Lock()

    def send(kind, payload):
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        with lock:
            channel.write(_HEADER.pack(len(data)) + data)
            channel.flush()

    from solver import backends

    name, lp, options = pickle.load(sys.stdin.buffer)
    try:
        backend = backends.get(name)
        result = backend.solve(lp, options, progress=lambda p: send("progress", p))
        send("result", result)
    except Exception as e:
        send("error", (type(e).__name__, f"{type(e).__name__}: {e}" if not isinstance(
            e, (SolverError,)) else str(e)))
    channel.close()


if __name__ == "__main__":
    main()
