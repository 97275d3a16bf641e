"""Inventory optimization benchmark: seconds for the guaranteed-service model on large trees.

    python benchmarks/inventory_bench.py [--stages 100 300 1000] [--repeat 3] [--seed 1]
        [--json-out FILE]

Each size is a random tree (seeded): stage ``i`` joins a random earlier stage, as its supplier
or its customer with equal chance, so the tree mixes assembly and distribution; processing
times 1..5 periods, holding costs 0.5..2 per unit per period, demand N(mu, sigma) at every stage
without customers, service level 95% (k = 1.645), end customers quoted 0 periods, sources
supplied at once. :func:`solver.inventory.gsm.optimize` solves it ``--repeat`` times; the table
shows the longest replenishment path M (the DP works on times 0..M), the median seconds and the
optimal safety-stock cost. Target (issue 22): 1,000 stages under 10 s on 2 cores. Writes JSON
to ``benchmarks/results/inventory_bench.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS = 10.0


def random_tree(n: int, seed: int):
    from chainlab.solver.inventory import gsm

    rng = np.random.default_rng(seed)
    arcs = []
    for i in range(1, n):
        j = int(rng.integers(0, i))
        arcs.append((f"S{j}", f"S{i}", 1.0) if rng.random() < 0.5 else (f"S{i}", f"S{j}", 1.0))
    has_customer = {a for a, _, _ in arcs}
    stages = []
    for i in range(n):
        sid = f"S{i}"
        sink = sid not in has_customer
        stages.append(gsm.Stage(
            sid, int(rng.integers(1, 6)), float(rng.uniform(0.5, 2.0)),
            demand_mean=float(rng.uniform(10, 100)) if sink else 0.0,
            demand_sd=float(rng.uniform(2, 30)) if sink else 0.0,
            external_outbound=0 if sink else None))
    return gsm.Problem(tuple(stages), tuple(arcs), demand_bound=1.645, name=f"tree{n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stages", nargs="+", type=int, default=[100, 300, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json-out", type=Path, default=RESULTS / "inventory_bench.json")
    a = ap.parse_args(argv)
    from chainlab.solver.inventory import gsm

    rows = []
    print(f"{'stages':>7} {'M':>5} {'median s':>9} {'worst s':>8} {'cost':>14}  target")
    for n in a.stages:
        problem = random_tree(n, a.seed)
        times, sol = [], None
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            sol = gsm.optimize(problem)
            times.append(time.perf_counter() - t0)
        M = max(s.net_lead_time + s.cst for s in sol.stages.values())
        med = statistics.median(times)
        ok = med < TARGET_SECONDS if n >= 1000 else None
        rows.append({"stages": n, "longest_path": M, "median_seconds": med,
                     "worst_seconds": max(times), "cost": sol.cost, "meets_target": ok})
        print(f"{n:>7} {M:>5} {med:>9.3f} {max(times):>8.3f} {sol.cost:>14.2f}  "
              f"{'' if ok is None else ('ok' if ok else 'MISSED')}")
    out = {"benchmark": "inventory_gsm", "date": dt.datetime.now(dt.timezone.utc).isoformat(),
           "machine": platform.platform(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
           "seed": a.seed, "repeat": a.repeat, "target_seconds": TARGET_SECONDS, "rows": rows}
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {a.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
