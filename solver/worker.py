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

A worker leads its own session and process group, which the solver programs it starts (PuLP's
``cbc``) join: killing a worker kills the whole group (SIGTERM, then SIGKILL after
:data:`KILL_GRACE` seconds), so no solver is left running without it. Being out of the
caller's group, a worker gets no Ctrl-C from the terminal: the caller kills it on
``KeyboardInterrupt``, and a worker whose caller dies mid-solve kills its group itself.

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
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from chainlab.models.errors import BackendUnavailable, SolverError
from chainlab.solver.lp import LPArrays
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Phase, Status

_HEADER = struct.Struct("<Q")
_ROOT = str(Path(__file__).resolve().parent.parent)
#: environment variable set in every worker (the PuLP backends refuse to run without it)
WORKER_ENV = "CHAINLAB_SOLVER_WORKER"
#: seconds between SIGTERM and SIGKILL to a killed worker's process group
KILL_GRACE = 2.0
#: POSIX: workers lead their own process group (Windows has neither sessions nor killpg)
_GROUPS = hasattr(os, "killpg")


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, backend: str):
        env = dict(os.environ)
        env[WORKER_ENV] = "1"
        env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
        # the worker's temporary files (PuLP's model and solution files) go to a folder of its
        # own, removed when it is closed: a killed solver does not clean up after itself
        self.tmp = tempfile.mkdtemp(prefix="chainlab-worker-")
        env.update(TMPDIR=self.tmp, TEMP=self.tmp, TMP=self.tmp)
        self.backend = backend
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "chainlab.solver.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env, cwd=_ROOT,
                                     start_new_session=_GROUPS)
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
        """End the worker: ``kill`` it and its process group, or close its stdin and let it
        exit (killing it if it has not within 10 s)."""
        if kill:
            self.kill()
        elif self.alive():
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.kill()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kill(self, grace: float = KILL_GRACE) -> None:
        """SIGTERM to the worker's process group, SIGKILL ``grace`` seconds later if the worker
        has not exited by then, and SIGKILL to whatever is left of the group (a solver program
        the worker started, even if the worker itself crashed before)."""
        if not _GROUPS:
            if self.alive():
                self.proc.kill()
            self.proc.wait()
            return
        pgid = self.proc.pid  # a session leader's pid is its group's id
        if self.alive():
            _signal_group(pgid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(pgid, signal.SIGKILL)
        self.proc.wait()

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


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass


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
    from chainlab.solver.backends.base import RawResult

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
                if payload.phase is Phase.SOLVE and solving_since is None:
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

    from chainlab.solver import backends

    if _GROUPS and os.getpgrp() == os.getpid():  # started by _Worker, leading its own group
        threading.Thread(target=_die_with, args=(os.getppid(),), daemon=True).start()
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


def _die_with(parent: int) -> None:
    """Kill this worker's process group (it and its solver's programs) when the caller that
    started it is gone, which a worker busy solving would not notice on its stdin."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.killpg(0, signal.SIGKILL)


if __name__ == "__main__":
    main()
