"""Scenario benchmark: many what-if scenarios on one process, a local pool and a Dask cluster.

    python benchmarks/scenario_bench.py [--scenarios 8] [--replications 50] [--workers 2]
                                        [--configs serial,local,dask]

The bundled example's eight scenario files (``scenarios/examples/*.yaml``: baseline, a demand
surge, a plant outage, a new DC, a supplier shortage, a line slowdown, a DC closed, dearer
freight; the first ``--scenarios`` of them), each run end to end (CRM demand model, overrides,
plan, ``--replications`` replications), three ways:

- ``serial``: everything in this process, one task after the other (``workers=1``);
- ``local``: a local pool of ``--workers`` processes (the default of ``chainlab scenario run``);
- ``dask``: a Dask ``LocalCluster`` of ``--workers`` single-threaded worker processes, its
  scheduler and workers talking TCP on the loopback interface (what ``--cluster`` connects to).

Each way starts from nothing (its own pool, its own reading of the network and fitting of the
demand model). ``startup`` is the pool's start (processes spawned and imported; for Dask the
cluster and the client); ``run`` is the scenarios' wall time; the speed-up is serial run time /
run time. ``CPU s`` is the CPU time of the run's processes (this one, the pool's workers, the
cluster's), and ``cores used`` that over the wall time: on a machine shared with other work,
a parallel run is only as fast as the cores it gets, and this says how many it got. The load
averages before and after are recorded too. The KPIs of every scenario must be the same, bit
for bit, in every way (checked).

Prints a table and writes JSON to ``benchmarks/results/scenario_bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "benchmarks" / "results"
ORDER = ("baseline", "surge-east", "plant2-outage", "open-dc-mountain", "cells-shortage",
         "line3-slowdown", "close-dc-southwest", "freight-up")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _cpu() -> float:
    """CPU seconds of this process and of its finished (waited-for) descendants: the local
    pool's workers, the Dask cluster's nannies and workers."""
    import resource

    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def one(config: str, files: list[Path], replications: int, workers: int) -> dict:
    """Run ``files`` one way; the timings and every scenario's KPIs."""
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import RunOptions, run

    cluster = None
    load_before = _load()
    cpu0 = _cpu()
    t0 = time.perf_counter()
    if config == "serial":
        pool = open_pool(workers=1)
    elif config == "local":
        pool = open_pool(workers=workers)
        # start the worker processes now, so that startup is measured apart
        for f in [pool.submit(time.sleep, 0) for _ in range(workers)]:
            f.result()
    elif config == "dask":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", protocol="tcp", dashboard_address=None)
        pool = open_pool(cluster.scheduler_address)
    else:
        raise SystemExit(f"unknown config {config!r}; use serial, local or dask")
    startup = time.perf_counter() - t0
    phases = {}
    try:
        with tempfile.TemporaryDirectory() as out:
            t1 = time.perf_counter()

            def progress(e):
                phases.setdefault(e.scenario, {})[e.phase.value] = round(
                    time.perf_counter() - t1, 2)

            runs = run(files, out, pool=pool, options=RunOptions(replications=replications),
                       progress=progress)
            seconds = time.perf_counter() - t1
            kpis = {r.scenario: r.sim.replications.to_dict("list") for r in runs}
            summary = [{"scenario": r.scenario, "plan": r.manifest["plan"]["status"],
                        "objective": r.manifest["plan"]["objective"],
                        "plan_seconds": r.manifest["timings"].get("plan"),
                        "simulation_seconds": r.manifest["timings"].get("simulation"),
                        "fill_rate": r.manifest["kpis"]["fill_rate"]["mean"],
                        "total_cost": r.manifest["kpis"]["total_cost"]["mean"]} for r in runs]
    finally:
        pool.close()
        if cluster is not None:
            cluster.close()
    cpu = _cpu() - cpu0
    return {"config": config, "workers": 1 if config == "serial" else workers,
            "startup_seconds": round(startup, 2), "run_seconds": round(seconds, 2),
            "total_seconds": round(startup + seconds, 2), "cpu_seconds": round(cpu, 1),
            "cores_used": round(cpu / (startup + seconds), 2), "load_before": load_before,
            "load_after": _load(), "scenarios": summary, "phases": phases, "_kpis": kpis}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=8, help="how many of the 8 examples")
    ap.add_argument("--replications", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--configs", default="serial,local,dask")
    args = ap.parse_args(argv)

    from chainlab.scenarios import EXAMPLES

    files = [EXAMPLES / f"{n}.yaml" for n in ORDER[:args.scenarios]]
    results = []
    for config in args.configs.split(","):
        print(f"{config}: {len(files)} scenarios x {args.replications} replications ...",
              file=sys.stderr, flush=True)
        results.append(one(config.strip(), files, args.replications, args.workers))
        r = results[-1]
        print(f"  startup {r['startup_seconds']:.1f} s, run {r['run_seconds']:.1f} s "
              f"(load {r['load_before']} -> {r['load_after']})", file=sys.stderr, flush=True)

    ref = results[0]["_kpis"]
    identical = all(r["_kpis"] == ref for r in results)
    base = next((r for r in results if r["config"] == "serial"), results[0])
    print(f"\n{len(files)} scenarios x {args.replications} replications on the example "
          f"({os.cpu_count()} cores)")
    print(f"{'config':<8} {'workers':>7} {'startup s':>10} {'run s':>8} {'total s':>8} "
          f"{'speed-up':>9} {'CPU s':>8} {'cores used':>11}  load before -> after")
    for r in results:
        r["speedup"] = round(base["run_seconds"] / r["run_seconds"], 2)
        r["speedup_total"] = round(base["total_seconds"] / r["total_seconds"], 2)
        print(f"{r['config']:<8} {r['workers']:>7} {r['startup_seconds']:>10.1f} "
              f"{r['run_seconds']:>8.1f} {r['total_seconds']:>8.1f} {r['speedup']:>8.2f}x "
              f"{r['cpu_seconds']:>8.0f} {r['cores_used']:>11.2f}  {r['load_before']} -> "
              f"{r['load_after']}")
    print("(cores used = CPU seconds of the run's processes / wall seconds; on a machine "
          "shared with other work it shows how much of the cores the run got)")
    print(f"same KPIs, bit for bit, in every configuration: {'yes' if identical else 'NO'}")
    for r in results:
        r.pop("_kpis")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scenario_bench-{stamp}.json"
    path.write_text(json.dumps({
        "benchmark": "scenario_bench", "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "scenarios": len(files), "replications": args.replications, "workers": args.workers,
        "identical": identical, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"written to {path}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
