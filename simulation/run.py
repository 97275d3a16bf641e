"""Monte Carlo: replications in parallel processes, then KPIs with confidence intervals.

Replication r draws from ``SeedSequence(seed).spawn(n)[r]`` and nothing else, and the parent
combines replications in a fixed order and in blocks of fixed size, so a seed gives the same
result, bit for bit, whatever the number of worker processes, and whatever executor runs the
blocks: :func:`simulate` can hand them to any ``concurrent.futures.Executor`` (a process pool
shared by many simulations, a Dask cluster's ``client.get_executor()``). :func:`prepare` and
:func:`run_prepared` split a simulation into its two halves, so that the model can be built in
one process (next to the plan it executes) and its replications fanned out from another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models import Network
from chainlab.simulation import engine, fast, kpis
from chainlab.simulation.build import SimModel, build
from chainlab.simulation.demand import source_for
from chainlab.simulation.options import Engine, SimOptions
from chainlab.simulation.plan import PlanReleases
from chainlab.simulation.result import SimResult
from chainlab.simulation.streams import lead_times, replication_streams, root_entropy

#: replications per task; fixed so that sums over replications never depend on the workers
BLOCK = 8
#: below this many stock points NumPy's per-call overhead makes the SimPy model the faster one
FAST_MIN_NODES = 20


def simulate(net: Network, plan=None, demand=None, options: SimOptions | None = None, *,
             executor: Executor | None = None, progress: Callable[[int], None] | None = None,
             **changes) -> SimResult:
    """Simulate ``net`` ``options.replications`` times and return KPIs with confidence
    intervals, per-replication values and time series.

    ``plan``: a ``solver`` Plan, a plan folder or :class:`~simulation.plan.PlanReleases`; with
    it the plan's releases are executed (unless ``options.replenishment`` says ``policy``).
    ``demand``: None for ``net.demand`` (``demand.csv`` with ``sd`` and ``distribution``), or a
    CRM demand model with ``sample(n, seed)`` (replication r uses scenario r).
    ``executor``: run the blocks of replications there (any ``concurrent.futures.Executor``)
    instead of in a pool of ``options.workers`` processes made for this call; the numbers are
    the same either way. ``progress`` is called in this process with the number of
    replications done each time a block finishes.
    ``changes`` are shortcuts for ``options.replace(...)``: ``simulate(net, replications=50)``.

    Each replication is the SimPy model of :mod:`simulation.engine` (its docstring states the
    order of events within a day: receive, order, supply, produce, demand, cost), or for pure
    policy systems the vectorized :mod:`simulation.fast` that reproduces it.

    Raises :class:`~models.ValidationError` (naming site, product and field) for input the
    simulation cannot run: policies with missing or inconsistent parameters, negative lead
    times, a plan made for another network, demand nobody can serve.
    """
    return run_prepared(prepare(net, plan, demand, options, **changes), executor=executor,
                        progress=progress)


@dataclass(frozen=True)
class Prepared:
    """A simulation built and ready to run (what :func:`prepare` returns): the model, its
    demand source and seeds, and the blocks of replications. It pickles, so it can be built in
    a worker process and run from another."""

    ctx: _Context
    network: str
    calendar: object
    engine: str
    #: replication indices of each block (of :data:`BLOCK`)
    blocks: tuple[tuple[int, ...], ...]
    #: seconds spent building it
    seconds: float

    @property
    def replications(self) -> int:
        return self.ctx.n

    @property
    def seed(self) -> int:
        return self.ctx.seed


def prepare(net: Network, plan=None, demand=None, options: SimOptions | None = None,
            **changes) -> Prepared:
    """The first half of :func:`simulate` (same arguments): check the input and build the
    model; raises what :func:`simulate` raises for bad input."""
    options = (options or SimOptions()).replace(**changes) if changes else (options or SimOptions())
    t0 = time.perf_counter()
    seed = root_entropy(options.seed)
    releases = PlanReleases.of(plan) if plan is not None else None
    source = source_for(net, demand, options.replications, seed)
    model = build(net, source.pairs, options, releases)
    use_fast = _engine(model, options)
    n = options.replications
    blocks = tuple(tuple(range(a, min(a + BLOCK, n))) for a in range(0, n, BLOCK))
    ctx = _Context(model, source, seed, n, use_fast, options)
    return Prepared(ctx, net.name, net.calendar, "numpy" if use_fast else "simpy", blocks,
                    time.perf_counter() - t0)


def run_prepared(prep: Prepared, *, executor: Executor | None = None,
                 progress: Callable[[int], None] | None = None) -> SimResult:
    """The second half of :func:`simulate`: run the replications of ``prep`` (on ``executor``
    when given, else in ``options.workers`` processes) and assemble the result.
    ``SimResult.workers`` is 0 when an executor ran the blocks (it decides how many run at
    once)."""
    t0 = time.perf_counter()
    ctx, blocks = prep.ctx, [list(b) for b in prep.blocks]
    done = 0

    def advance(out: dict) -> dict:
        nonlocal done
        done += len(out["kpis"])
        if progress is not None:
            progress(done)
        return out

    if executor is not None:
        futures = {executor.submit(run_block, ctx, b): i for i, b in enumerate(blocks)}
        outs: list = [None] * len(blocks)
        try:
            for f in as_completed(futures):
                outs[futures[f]] = advance(f.result())
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        workers = 0
    else:
        workers = ctx.options.n_workers()
        if workers <= 1 or len(blocks) == 1:
            outs = [advance(_block(ctx, b)) for b in blocks]
            workers = 1
        else:
            workers = min(workers, len(blocks))
            with ProcessPoolExecutor(max_workers=workers, initializer=_init,
                                     initargs=(ctx,)) as pool:
                outs = [advance(o) for o in pool.map(_block_in_worker, blocks)]
    return _assemble(prep, outs, workers, prep.seconds + time.perf_counter() - t0)


def _engine(model: SimModel, options: SimOptions) -> bool:
    reason = fast.unsupported(model)
    if options.engine is Engine.NUMPY and reason:
        from chainlab.models import ValidationError
        from chainlab.models.errors import Issue

        raise ValidationError([Issue("options", f"engine='numpy' cannot simulate this network: "
                                                f"{reason}; use engine='simpy' or 'auto'")])
    return options.engine is Engine.NUMPY or (options.engine is Engine.AUTO and not reason
                                              and len(model.nodes) >= FAST_MIN_NODES)


class _Context:
    """What every replication shares (sent once to each worker process)."""

    def __init__(self, model, source, seed, n, use_fast, options):
        self.model, self.source, self.seed, self.n = model, source, seed, n
        self.use_fast, self.options = use_fast, options
        self.streams = replication_streams(seed, n)


_CTX: _Context | None = None


def _init(ctx: _Context) -> None:
    global _CTX
    _CTX = ctx


def _block_in_worker(reps: list[int]) -> dict:
    return _block(_CTX, reps)


def inputs(ctx: _Context, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Demand (streams x days) and transit days (lanes x days) of replication ``r``."""
    m = ctx.model
    ss = ctx.streams[r]
    demand = ctx.source.daily(ss, r, m.days)
    lanes = m.lanes
    lead = lead_times(ss, lanes["id"].tolist(), lanes["lead_mean"].to_numpy(),
                      lanes["lead_sd"].to_numpy(), m.days, m.lane_scale, m.lane_extra)
    return demand, lead


def run_block(ctx: _Context, reps: list[int]) -> dict:
    """Replications ``reps`` of a prepared simulation (``Prepared.ctx``): their KPIs and
    per-node figures, and their series summed. What an executor runs."""
    return _block(ctx, reps)


def _block(ctx: _Context, reps: list[int]) -> dict:
    """Replications ``reps``: their KPIs and per-node figures, and their series summed."""
    m, o = ctx.model, ctx.options
    out = {"kpis": [], "sites": [], "balance": [], "events": [], "series": None}
    if ctx.use_fast:  # the whole block at once
        ins = [inputs(ctx, r) for r in reps]
        demands = [d for d, _ in ins]
        recs = fast.run_block(m, demands, [lead for _, lead in ins], o.order_lead_days)
        del ins
    for k, r in enumerate(reps):
        if ctx.use_fast:
            demand, rec = demands[k], recs[k]
            demands[k] = recs[k] = None  # what is summarised is let go
        else:
            demand, lead = inputs(ctx, r)
            rec = engine.run(m, demand, lead, o.order_lead_days)
        rep = kpis.replication(m, demand, rec, o.warmup_days)
        out["kpis"].append(rep.kpis)
        out["sites"].append(rep.sites)
        out["balance"].append(rep.balance)
        out["events"].append(rep.events)
        if o.series:
            s = rep.series
            out["series"] = s if out["series"] is None else {
                k: out["series"][k] + s[k] for k in s}
    return out


def _nanmean(stack: np.ndarray) -> np.ndarray:
    """Column means ignoring NaN; NaN where a column has no value."""
    ok = ~np.isnan(stack)
    count = ok.sum(axis=0)
    total = np.where(ok, stack, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _assemble(prep: Prepared, outs: list[dict], workers: int, seconds: float) -> SimResult:
    model, seed, options = prep.ctx.model, prep.ctx.seed, prep.ctx.options
    n = options.replications
    conf = options.confidence
    reps = pd.DataFrame([k for o in outs for k in o["kpis"]])
    reps.index.name = "replication"
    reps["events"] = [e for o in outs for e in o["events"]]
    rows = []
    for name, (unit, _) in kpis.KPIS.items():
        mean, lo, hi, sd = kpis.interval(reps[name].to_numpy(), conf)
        rows.append({"kpi": name, "mean": mean, "ci_low": lo, "ci_high": hi, "sd": sd,
                     "unit": unit})
    table = pd.DataFrame(rows).set_index("kpi")

    idx = pd.MultiIndex.from_tuples([(x.site, x.product) for x in model.nodes],
                                    names=["site", "product"])
    per_rep = [s for o in outs for s in o["sites"]]
    sites = pd.DataFrame(index=idx)
    for name in kpis.SITE_KPIS:
        stack = np.array([s[name] for s in per_rep]) if per_rep else np.zeros((0, len(idx)))
        sites[name] = _nanmean(stack)
        if name in ("fill_rate", "avg_inventory"):
            ci = [kpis.interval(stack[:, j], conf) for j in range(stack.shape[1])]
            sites[f"{name}_ci_low"] = [c[1] for c in ci]
            sites[f"{name}_ci_high"] = [c[2] for c in ci]
    sites = sites.sort_index()

    cal = prep.calendar
    dates = cal.dates
    if options.series and outs and outs[0]["series"] is not None:
        total = outs[0]["series"]
        for o in outs[1:]:
            total = {k: total[k] + o["series"][k] for k in total}
        P = model.periods
        series = pd.DataFrame({
            "site": np.repeat([x.site for x in model.nodes], P),
            "product": np.repeat([x.product for x in model.nodes], P),
            "period": np.tile(np.arange(P), len(model.nodes)),
            "date": np.tile(dates.date, len(model.nodes)),
            "inventory": (total["inventory"] / n).ravel(),
            "backlog": (total["backlog"] / n).ravel(),
        }).set_index(["site", "product", "period"]).sort_index()
        dem, fil = total["demand"] / n, total["filled"] / n
        with np.errstate(invalid="ignore", divide="ignore"):
            fr = np.where(dem > 0, fil / dem, np.nan)
        service = pd.DataFrame({"date": dates.date, "demand": dem, "filled": fil,
                                "fill_rate": fr}, index=pd.RangeIndex(P, name="period"))
    else:
        series = pd.DataFrame(columns=["site", "product", "period", "date", "inventory",
                                       "backlog"]).set_index(["site", "product", "period"])
        service = pd.DataFrame(columns=["date", "demand", "filled", "fill_rate"])

    bal = [{"replication": r, "product": p, **v}
           for r, b in enumerate(x for o in outs for x in o["balance"]) for p, v in b.items()]
    balance = pd.DataFrame(bal).set_index(["replication", "product"]) if bal else pd.DataFrame()
    return SimResult(kpis=table, replications=reps, sites=sites, series=series, service=service,
                     balance=balance, seed=seed, options=options, network=prep.network,
                     engine=prep.engine, replenishment=model.replenishment.value,
                     workers=workers, seconds=seconds, warnings=tuple(model.warnings))
