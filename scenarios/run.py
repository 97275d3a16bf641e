"""Running scenarios: demand model -> overrides -> plan -> simulation, each stored in its run
folder (:mod:`scenarios.store`).

For each scenario, in this process: the base network is read, the CRM demand model fitted
(``crm:``; once per base and CRM folder however many scenarios share them), and the overrides
applied to a copy. Every scenario is checked this way before any work starts, so a bad override
stops the run at once, naming its file and position. Then, on a :class:`~scenarios.executor.Pool`
(this process, a local process pool, a Dask cluster):

1. one task per scenario plans (``solver.plan``) and builds the simulation model;
2. the scenario's replications run in blocks, as tasks of the same pool;
3. this process assembles the result and writes the run folder.

Scenarios go side by side, so one scenario's replications run while another is being planned.

Seeds and common random numbers: replication r of a scenario with seed s draws from
``SeedSequence(s).spawn(n)[r]``, and inside it each customer's demand and each lane's transit
times from their own streams (:mod:`simulation.streams`). Scenarios run with the same seed thus
see the same demand noise and the same delays, and their per-replication differences measure
the effect of the changes, not of chance (:mod:`scenarios.compare` uses that). With ``crm:``,
demand is the CRM model's joint scenarios (replication r uses scenario r of the same seed), and
a ``demand`` override scales them by the factor it applied to the expected demand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import Network
from chainlab.models.errors import ChainlabError, Issue, ValidationError
from chainlab.scenarios import overrides, spec, store
from chainlab.scenarios.executor import Pool, open_pool
from chainlab.scenarios.spec import Scenario, SimulateSpec

#: solver options of a scenario file that leaves them out: stop within 0.5 % of the optimum
#: (the example's plan, a small MILP, then solves in seconds), and after 5 minutes at most
DEFAULT_GAP = 0.005
DEFAULT_TIME_LIMIT = 300.0
#: lead times rounded to the nearest period, no handling lag (``solver.Timing``)
DEFAULT_TIMING = "nominal"


@dataclass(frozen=True)
class RunOptions:
    """Changes to every scenario's own ``simulate`` and ``solve`` options (None = keep the
    file's). Runs record the values they used."""

    replications: int | None = None
    seed: int | None = None
    backend: str | None = None
    time_limit: float | None = None
    gap: float | None = None

    def __post_init__(self):
        if self.replications is not None and self.replications < 1:
            raise ValueError(f"replications(={self.replications}) must be >= 1")
        if self.seed is not None and self.seed < 0:
            raise ValueError(f"seed(={self.seed}) must be >= 0")

    def effective(self, sc: Scenario) -> Scenario:
        """``sc`` with these options and the defaults filled in: what is run and recorded."""
        def first(*values):
            return next((v for v in values if v is not None), None)

        sim = SimulateSpec(replications=first(self.replications, sc.simulate.replications),
                           seed=first(self.seed, sc.simulate.seed))
        sol = sc.solve.model_copy(update={
            "backend": first(self.backend, sc.solve.backend),
            "time_limit": first(self.time_limit, sc.solve.time_limit, DEFAULT_TIME_LIMIT),
            "gap": first(self.gap, sc.solve.gap, DEFAULT_GAP),
            "timing": first(sc.solve.timing, DEFAULT_TIMING)})
        return sc.model_copy(update={"simulate": sim, "solve": sol})


class Phase(str, Enum):
    """Where a scenario is."""

    QUEUED = "queued"
    #: base network, demand model, overrides
    PREPARE = "prepare"
    PLAN = "plan"
    SIMULATE = "simulate"
    STORE = "store"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Event:
    """Progress of one scenario: its ``phase`` and, while simulating, replications ``done`` of
    ``total`` (while preparing: 0 of 1, then 1 of 1 once it waits for the pool)."""

    scenario: str
    phase: Phase
    done: int = 0
    total: int = 0
    message: str = ""


ProgressFn = Callable[[Event], None]


@dataclass(frozen=True, repr=False)
class ScenarioRun:
    """A finished scenario: its run folder (``path``, ``manifest``), the plan and the
    simulation result."""

    scenario: str
    path: Path
    manifest: dict
    plan: object
    sim: object

    def as_dict(self) -> dict:
        """The JSON form of ``chainlab scenario run`` (CONTRACTS §3): scenario, dir, kpis, and
        the plan, seed, replications and seconds."""
        m = self.manifest
        return {"scenario": self.scenario, "dir": str(self.path), "kpis": m["kpis"],
                "plan": m["plan"], "seed": m["seed"], "replications": m["replications"],
                "seconds": m["timings"]["total"]}

    def __repr__(self) -> str:
        return (f"<ScenarioRun {self.scenario!r} at {self.path}: plan "
                f"{self.manifest['plan']['status']}, {self.sim!r}>")


class ScenariosFailed(ChainlabError, RuntimeError):
    """Some scenarios failed; the others were run and stored (``completed``)."""

    def __init__(self, completed: list[ScenarioRun], failures: dict[str, BaseException]):
        self.completed = completed
        self.failures = failures
        lines = [f"{name}: {e}" for name, e in failures.items()]
        super().__init__(f"{len(failures)} of {len(failures) + len(completed)} scenario(s) "
                         f"failed: " + "; ".join(lines))


class Cancelled(ChainlabError, RuntimeError):
    """The run was stopped before this scenario finished."""


# ---------------------------------------------------------------- the work of a worker


def plan_and_prepare(net: Network, solve_options, source, sim_options):
    """Task of a pool worker: the plan of ``net`` and the simulation built to execute it.
    Returns (plan, prepared simulation or None when there is no plan, seconds)."""
    from chainlab import solver
    from chainlab.simulation.run import prepare

    t0 = time.perf_counter()
    plan = solver.plan(net, options=solve_options)
    t1 = time.perf_counter()
    if not plan.has_solution:
        return plan, None, {"plan": t1 - t0}
    prep = prepare(net, plan, source, sim_options)
    return plan, prep, {"plan": t1 - t0, "simulation_build": time.perf_counter() - t1}


# ---------------------------------------------------------------- preparing in this process


@dataclass
class _Prepared:
    sc: Scenario
    net: Network
    source: object
    inputs: dict
    timings: dict
    warnings: list[str] = field(default_factory=list)


class InputCache:
    """Base networks and CRM demand models, read once however many scenarios share them (for
    one run, or for the life of a server: an entry is read again when its files change).
    Thread-safe."""

    def __init__(self):
        self.nets: dict[tuple, Network] = {}
        self.models: dict[tuple, tuple[object, Network]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _signature(path: Path) -> tuple:
        files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
        return (path, tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))

    def base(self, sc: Scenario) -> tuple[Network, float]:
        """(the base network, seconds spent reading it)."""
        t0 = time.perf_counter()
        path = sc.base
        if not path.exists():
            raise ValidationError([Issue(_file(sc), f"base {path} does not exist; give the "
                                                    f"network folder relative to the scenario "
                                                    f"file", column="base")])
        key = self._signature(path)
        with self._lock:
            if key not in self.nets:
                self.nets = {k: v for k, v in self.nets.items() if k[0] != path}
                self.nets[key] = (Network.from_excel(path) if path.suffix.lower() in
                                  (".xlsx", ".xlsm") else Network.from_folder(path))
            return self.nets[key], time.perf_counter() - t0

    def demand(self, sc: Scenario, base: Network):
        """(model, base with the model's expected demand, seconds)."""
        t0 = time.perf_counter()
        if not sc.crm.exists():
            raise ValidationError([Issue(_file(sc), f"crm {sc.crm} does not exist; give the "
                                                    f"CRM folder relative to the scenario "
                                                    f"file", column="crm")])
        key = (self._signature(sc.base), self._signature(sc.crm))
        with self._lock:
            if key not in self.models:
                from chainlab.models.crm import load_crm
                from chainlab.models.demand import DemandModel

                self.models = {k: v for k, v in self.models.items()
                               if (k[0][0], k[1][0]) != (sc.base, sc.crm)}
                model = DemandModel.fit(load_crm(sc.crm, base), base)
                self.models[key] = (model, model.apply(base))
            model, net = self.models[key]
        return model, net, time.perf_counter() - t0

    def network(self, sc: Scenario) -> Network:
        """The network ``sc`` is planned on: its base, with the CRM demand model's demand when
        it names a CRM folder, and its overrides applied."""
        base, _ = self.base(sc)
        net = self.demand(sc, base)[1] if sc.crm is not None else base
        return overrides.apply(sc, net)


def check(sc: Scenario, cache: InputCache | None = None) -> None:
    """Check a scenario against its base network without running it: raises
    :class:`~models.ValidationError` naming the file, the override's position and the bad
    value (an unknown site, product, resource or lane, a window outside the calendar)."""
    _check_backend(sc)
    base, _ = (cache or InputCache()).base(sc)
    overrides.apply(sc, base)


def _check_backend(sc: Scenario) -> None:
    from chainlab.models.errors import BackendUnavailable
    from chainlab.solver import backends

    try:
        cls = backends.backend_class(sc.solve.backend)
        if not cls.is_available():
            backends.get(sc.solve.backend)
    except BackendUnavailable as e:
        raise ValidationError([Issue(_file(sc), f"solve.backend: {e}",
                                     column="solve.backend")]) from None


def _file(sc: Scenario) -> str:
    return sc.file.name if sc.file else sc.name


def _demand_factors(before: Network, after: Network, pairs, periods: int) -> np.ndarray | None:
    """Per (customer, product) stream and period, expected demand after the overrides / before
    (1 where there was none); None when the overrides left demand alone."""
    b = before.demand_by_period()["quantity"]
    a = after.demand_by_period()["quantity"]
    if a.equals(b):
        return None
    ratio = (a / b.reindex(a.index)).where(b.reindex(a.index) > 0, 1.0).fillna(1.0)
    grid = ratio.unstack("period").reindex(columns=range(periods))
    rows = pd.MultiIndex.from_tuples(pairs, names=["customer", "product"])
    return grid.reindex(rows).fillna(1.0).to_numpy(dtype=float)


def _prepare(sc: Scenario, inputs: InputCache) -> _Prepared:
    _check_backend(sc)
    t: dict[str, float] = {}
    base, t["load"] = inputs.base(sc)
    net0, model = base, None
    if sc.crm is not None:
        model, net0, t["demand_model"] = inputs.demand(sc, base)
    t0 = time.perf_counter()
    net = overrides.apply(sc, net0)
    t["overrides"] = time.perf_counter() - t0
    source = None
    if model is not None:
        from chainlab.simulation.demand import ScenarioDemand

        source = ScenarioDemand(model, net, sc.simulate.replications, sc.simulate.seed)
        factors = _demand_factors(net0, net, source.pairs, net.calendar.periods)
        if factors is not None:
            source.scenarios = source.scenarios * factors[None, :, :]
    warnings = [str(w) for w in net.warnings]
    return _Prepared(sc, net, source, store.input_hashes(sc), t, warnings)


# ---------------------------------------------------------------- running


def load(scenarios: Sequence) -> list[Scenario]:
    """Scenario objects from paths of scenario files (or Scenario objects); names must be
    unique within one run."""
    out = [s if isinstance(s, Scenario) else spec.load(s) for s in scenarios]
    seen: dict[str, Scenario] = {}
    for s in out:
        if s.name in seen:
            raise ValidationError([Issue(_file(s), f"name {s.name!r} is also the name of "
                                                   f"{_file(seen[s.name])}; give each scenario "
                                                   f"of a run its own name", column="name")])
        seen[s.name] = s
    return out


def run(scenarios: Sequence, out, *, pool: Pool | None = None,
        options: RunOptions | None = None, progress: ProgressFn | None = None,
        stop: threading.Event | None = None, cache: InputCache | None = None
        ) -> list[ScenarioRun]:
    """Run ``scenarios`` (scenario files or :class:`Scenario` objects) and store each in its
    own folder under ``out``; return them in the order given.

    ``pool``: where the work runs (default: a local process pool made for this call).
    ``options``: replications, seed and solver options for every scenario. ``progress`` is
    called (from several threads) with an :class:`Event` at each phase and replication block.
    ``stop``: set it to cancel; scenarios not finished then fail with :class:`Cancelled`.
    ``cache``: base networks and demand models already read (default: read them here).
    With a local pool (processes started with ``spawn``), a script that calls this must
    guard its entry point with ``if __name__ == "__main__":``.

    Raises :class:`~models.ValidationError` before any work when a file or override is bad,
    and :class:`ScenariosFailed` (holding the completed runs) when some scenarios failed.
    """
    options = options or RunOptions()
    out = Path(out)
    report = progress or (lambda e: None)
    scs = [options.effective(s) for s in load(scenarios)]
    for s in scs:
        report(Event(s.name, Phase.QUEUED))
    inputs = cache or InputCache()
    prepared = []
    for s in scs:
        report(Event(s.name, Phase.PREPARE, 0, 1))
        prepared.append(_prepare(s, inputs))
        report(Event(s.name, Phase.PREPARE, 1, 1, message="waiting for the pool"))
    own = pool is None
    pool = pool or open_pool()
    stop = stop or threading.Event()
    try:
        runs: dict[str, ScenarioRun] = {}
        failures: dict[str, BaseException] = {}
        # one thread per scenario in flight: each waits for its tasks on the pool; enough of
        # them that the pool always has work, and only one when the pool is this process
        lanes = max(1, min(len(prepared), 2 * pool.workers)) if pool.parallel else 1
        threads = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="scenario")
        futures = {threads.submit(_one, p, out, pool, report, stop): p.sc.name
                   for p in prepared}
        try:
            for f, name in futures.items():
                try:
                    runs[name] = f.result()
                except Exception as e:  # one failing scenario does not stop the others
                    failures[name] = e
                    report(Event(name, Phase.FAILED, message=str(e)))
        except BaseException:  # interrupted (Ctrl-C): stop at once, leave no complete run
            stop.set()
            threads.shutdown(wait=False, cancel_futures=True)
            if own:
                pool.close(kill=True)
            raise
        threads.shutdown()
    finally:
        if own:
            pool.close()
    done = [runs[s.name] for s in scs if s.name in runs]
    if failures:
        raise ScenariosFailed(done, failures)
    return done


def _one(p: _Prepared, out: Path, pool: Pool, report: ProgressFn,
         stop: threading.Event) -> ScenarioRun:
    from chainlab.simulation import SimOptions
    from chainlab.simulation.run import run_prepared
    from chainlab.solver import SolveOptions

    sc = p.sc
    t_start = time.perf_counter()
    started = store.now()
    if stop.is_set():
        raise Cancelled(f"{sc.name}: cancelled before it started")
    solve = SolveOptions(**sc.solve.model_dump(exclude_none=True))
    n, seed = sc.simulate.replications, sc.simulate.seed
    sim_options = SimOptions(replications=n, seed=seed, workers=1)
    report(Event(sc.name, Phase.PLAN, message=pool.describe()))
    plan, prep, t = pool.submit(plan_and_prepare, p.net, solve, p.source, sim_options).result()
    timings = p.timings | t
    if prep is None:
        why = f"; {plan.diagnosis}" if plan.diagnosis is not None else ""
        raise ChainlabError(f"{sc.name}: no plan to simulate: the planner ended "
                            f"{plan.status.value} ({plan.detail}){why}")
    if stop.is_set():
        raise Cancelled(f"{sc.name}: cancelled after planning")
    report(Event(sc.name, Phase.SIMULATE, 0, n, message=f"plan {plan.status.value}"))
    t0 = time.perf_counter()

    def tick(done: int):
        if stop.is_set():
            raise Cancelled(f"{sc.name}: cancelled while simulating")
        report(Event(sc.name, Phase.SIMULATE, done, n))

    sim = run_prepared(prep, executor=pool.executor, progress=tick)
    timings["simulation"] = time.perf_counter() - t0
    report(Event(sc.name, Phase.STORE))
    t0 = time.perf_counter()
    with store.RunWriter(out, sc.name) as w:
        plan.to_folder(w.path / "plan")
        sim.to_folder(w.path / "simulation", plot=False)
        (w.path / "scenario.yaml").write_text(_yaml(sc), encoding="utf-8")
        timings["store"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        manifest = _manifest(p, plan, sim, pool, timings, started)
        path = w.commit(manifest)
    report(Event(sc.name, Phase.DONE, n, n, message=str(path)))
    return ScenarioRun(sc.name, path, manifest | {"dir": path.name}, plan, sim)


def _yaml(sc: Scenario) -> str:
    import yaml

    head = "# the scenario as run (chainlab scenario run); reproduce with\n" \
           "# chainlab scenario reproduce <this folder>\n"
    d = spec.dump(sc)
    if sc.description:
        d["description"] = sc.description
    return head + yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


def _num(v):
    return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)


def _manifest(p: _Prepared, plan, sim, pool: Pool, timings: dict, started: str) -> dict:
    sc = p.sc
    warnings = list(p.warnings) + list(sim.warnings)
    from chainlab.solver import Status  # loaded already: the plan came from it

    if plan.status is not Status.OPTIMAL:
        warnings.append(f"the plan is {plan.status.value} (gap {plan.gap}): the solver stopped "
                        f"at its time limit, and a rerun may find another plan")
    s = sim.as_dict()
    return {
        "format": store.FORMAT,
        "status": "complete",
        "scenario": sc.name,
        "description": sc.description,
        "file": str(sc.file) if sc.file else None,
        "inputs": p.inputs,
        "network_sha256": store.network_sha256(p.net),
        "seed": int(sim.seed),
        "replications": int(sim.n),
        "replication_seeds": f"numpy.random.SeedSequence({int(sim.seed)})"
                             f".spawn({int(sim.n)})[r] for replication r",
        "demand": "crm" if sc.crm is not None else "network",
        "solve": sc.solve.model_dump(),
        "plan": {"status": plan.status.value, "objective": _num(plan.objective),
                 "bound": _num(plan.bound), "gap": _num(plan.gap), "backend": plan.backend,
                 "costs": {k: float(v) for k, v in plan.costs.items()},
                 "solve_seconds": round(plan.solve_seconds, 3)},
        "kpis": s["kpis"],
        "simulation": {k: s[k] for k in ("engine", "replenishment", "unmet", "confidence",
                                         "events")},
        "versions": store.versions(plan.backend),
        "executor": pool.as_dict(),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "started_at": started,
        "finished_at": store.now(),
        "warnings": warnings,
    }


# ---------------------------------------------------------------- reproducing


def reproduce(run_dir, out, *, pool: Pool | None = None, progress: ProgressFn | None = None,
              allow_changed_inputs: bool = False) -> ScenarioRun:
    """Run a stored run again from its folder (``scenario.yaml`` and the manifest's seed,
    replications and solver options) into a new folder under ``out``.

    Raises :class:`~scenarios.store.RunError` naming the files that changed when the inputs
    are no longer those of the run (unless ``allow_changed_inputs``)."""
    old = store.open_run(run_dir)
    sc = old.scenario()
    now_inputs = store.input_hashes(sc)
    changed = store.changed_inputs(old.manifest["inputs"], now_inputs)
    if changed and not allow_changed_inputs:
        raise store.RunError(f"{old.path}: the inputs changed since this run: "
                             f"{', '.join(changed)}; restore them to reproduce it, or rerun "
                             f"the scenario file to get a new run")
    opts = RunOptions(replications=old.n, seed=old.seed)
    return run([sc], out, pool=pool, options=opts, progress=progress)[0]


def same_numbers(a: store.StoredRun, b: store.StoredRun) -> list[str]:
    """What differs between two runs' numbers (plan objective, KPIs of every replication);
    empty when they are the same, bit for bit."""
    diffs = []
    pa, pb = a.manifest["plan"], b.manifest["plan"]
    if pa["objective"] != pb["objective"]:
        diffs.append(f"plan objective {pa['objective']} != {pb['objective']}")
    ra, rb = a.replications, b.replications
    if ra.shape != rb.shape:
        diffs.append(f"replications {ra.shape} != {rb.shape}")
        return diffs
    for col in ra.columns:
        x, y = ra[col].to_numpy(), rb[col].to_numpy()
        same = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else (x == y)
        if not np.all(same):
            diffs.append(f"{col} differs in {int((~same).sum())} replication(s)")
    return diffs
