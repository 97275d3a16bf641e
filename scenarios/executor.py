"""Where scenario work runs: in this process, a local process pool, or a Dask cluster.

A :class:`Pool` wraps a ``concurrent.futures.Executor`` that both halves of a scenario use: the
plan (one task per scenario) and the blocks of simulation replications (many tasks per
scenario). Whatever the pool, every task is a pure function of its arguments, and results are
combined in a fixed order, so the same seeds give the same numbers, bit for bit, in this
process, on a local pool of any size and on a Dask cluster.

- :func:`open_pool` with ``cluster`` (a scheduler address such as ``tcp://host:8786``) connects
  to Dask (the ``cluster`` extra: ``pip install 'chainlab[cluster]'``); every worker needs
  chainlab installed, at the same version (checked when connecting);
- without it, ``workers`` > 1 (default: the number of cores) is a local pool of processes
  started with ``spawn`` (safe under the threads of a server or of the scenario runner); each
  worker watches the process that started it and ends within a second of its death, so a
  server killed with SIGKILL leaves no orphan computing on; a pool whose worker was killed is
  :attr:`Pool.broken` (``concurrent.futures`` refuses every later task), and a long-lived
  owner (the API's job manager) replaces it;
- ``workers=1`` runs everything in this process, one task after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import Enum

from chainlab.models.errors import ChainlabError


class PoolError(ChainlabError, RuntimeError):
    """The pool cannot be opened: Dask is not installed, the scheduler does not answer, or its
    workers run another version of chainlab."""


class Kind(str, Enum):
    """What runs the tasks."""

    #: in the calling process, one task at a time
    INLINE = "inline"
    #: a pool of local worker processes
    LOCAL = "local"
    #: a Dask distributed cluster
    DASK = "dask"


class InlineExecutor(Executor):
    """Runs each task at once in the calling thread (a pool of one, without processes)."""

    def __init__(self):
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to an executor that was shut down")
        f: Future = Future()
        f.set_running_or_notify_cancel()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to whoever waits on the future
            f.set_exception(e)
        return f

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True


@dataclass
class Pool:
    """An executor and what it is: ``kind``, ``workers`` (tasks that run at once) and, for
    Dask, the scheduler ``address``. Use as a context manager, or :meth:`close` it."""

    executor: Executor
    kind: Kind
    workers: int
    address: str | None = None
    #: Dask: the client (closed with the pool)
    client: object = None
    #: Dask: chainlab version of each worker
    worker_versions: dict[str, str] = field(default_factory=dict)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self.executor.submit(fn, *args, **kwargs)

    @property
    def broken(self) -> bool:
        """Whether the pool takes no more tasks: a local worker died (killed, out of memory),
        after which ``concurrent.futures`` fails every task, or the pool was shut down. Asks by
        submitting a no-op, which a broken pool refuses at once."""
        if self.kind is not Kind.LOCAL:
            return False
        try:
            self.executor.submit(int)
        except (BrokenExecutor, RuntimeError):
            return True
        return False

    @property
    def parallel(self) -> bool:
        """Whether tasks can run side by side (not :attr:`Kind.INLINE`)."""
        return self.kind is not Kind.INLINE

    def describe(self) -> str:
        if self.kind is Kind.DASK:
            return f"dask {self.address} ({self.workers} worker threads)"
        if self.kind is Kind.LOCAL:
            return f"local pool of {self.workers} processes"
        return "this process"

    def as_dict(self) -> dict:
        out = {"kind": self.kind.value, "workers": self.workers}
        if self.address:
            out["address"] = self.address
        if self.worker_versions:
            out["worker_versions"] = dict(self.worker_versions)
        return out

    def close(self, kill: bool = False) -> None:
        """Cancel what has not started, wait for what runs (``kill``: stop it now, for an
        interrupted run), release the workers. Closing twice does nothing."""
        if self.kind is Kind.DASK:
            self.executor.shutdown(wait=False)  # cancels its tasks on the cluster
            self.client.close()
            return
        if kill and self.kind is Kind.LOCAL:
            # concurrent.futures has no public way to stop running tasks before Python 3.14
            for proc in list(getattr(self.executor, "_processes", {}).values()):
                proc.terminate()
        self.executor.shutdown(wait=not kill, cancel_futures=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Pool {self.describe()}>"


def open_pool(cluster: str | None = None, workers: int | None = None, *,
              timeout: float = 10.0) -> Pool:
    """A pool: Dask at ``cluster`` when given, else ``workers`` local processes (default: the
    number of cores; 1 = this process). The caller reads ``CHAINLAB_DASK_SCHEDULER`` and passes
    it as ``cluster`` (the CLI and the API do)."""
    if cluster:
        return _dask(cluster, timeout)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError(f"workers(={n}) must be >= 1")
    if n == 1:
        return Pool(InlineExecutor(), Kind.INLINE, 1)
    ex = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),))
    return Pool(ex, Kind.LOCAL, n)


#: seconds between a pool worker's looks at its parent
PARENT_CHECK_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    """Initializer of a local pool's workers: end this process when ``parent`` (the process
    that made the pool) is gone. A worker of ``concurrent.futures`` waits on its task queue,
    and runs its task, without noticing that its parent died (SIGKILL, out of memory): without
    this it computes on as an orphan for minutes. A daemon thread looks at the parent pid
    twice a second (a process whose parent dies is handed to another, so its parent pid
    changes); this works on every POSIX system, and does not depend on which thread of the
    parent started the worker, as Linux's PR_SET_PDEATHSIG would."""
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)  # no cleanup to run: the parent that wanted the results is gone

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def chainlab_version() -> str:
    """The installed chainlab distribution's version ("unknown" when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainlab")
    except PackageNotFoundError:
        return "unknown"


def _dask(address: str, timeout: float) -> Pool:
    try:
        from distributed import Client
    except ImportError:
        raise PoolError(f"--cluster {address} needs Dask distributed; install it with "
                        "pip install 'chainlab[cluster]'") from None
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise PoolError(f"no Dask scheduler answers at {address} ({e}); start one with "
                        "`dask scheduler` and workers with `dask worker ADDRESS`, or leave "
                        "out --cluster / CHAINLAB_DASK_SCHEDULER to run locally") from None
    try:
        info = client.scheduler_info(n_workers=-1)
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        if threads == 0:
            raise PoolError(f"the Dask scheduler at {address} has no workers; start some with "
                            f"`dask worker {address}`")
        versions = {str(k): str(v) for k, v in client.run(chainlab_version).items()}
        mine = chainlab_version()
        other = sorted({v for v in versions.values() if v != mine})
        if other:
            raise PoolError(f"Dask workers at {address} run chainlab {', '.join(other)} and "
                            f"this process runs {mine}; the same seeds would not give the "
                            f"same numbers: install chainlab {mine} on every worker")
    except BaseException:
        client.close()
        raise
    return Pool(client.get_executor(pure=False), Kind.DASK, threads, address, client, versions)
