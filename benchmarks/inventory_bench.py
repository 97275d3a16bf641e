"""Inventory optimization benchmark: seconds for the guaranteed-service model on large trees.

    python benchmarks/inventory_bench.py [--stages 100 300 1000] [--repeat 3] [--seed 1]
        [--closing-check] [--replications 20] [--json-out FILE]

Each size is a random tree (seeded): stage ``i`` joins a random earlier stage, as its supplier
or its customer with equal chance, so the tree mixes assembly and distribution; processing
times 1..5 periods, holding costs 0.5..2 per unit per period, demand N(mu, sigma) at every stage
without customers, service level 95% (k = 1.645), end customers quoted 0 periods, sources
supplied at once. :func:`solver.inventory.gsm.optimize` solves it ``--repeat`` times; the table
shows the longest replenishment path M (the DP works on times 0..M), the median seconds and the
optimal safety-stock cost. Target (issue 22): 1,000 stages under 10 s on 2 cores.

``--closing-check``: the bundled example optimized for a 95% fill rate (``single``, two
calibration rounds of 8 replications), then the hand-set and the optimized ``inventory.csv``
simulated by chainlab's simulation on ``--replications`` common-random-number replications
(:func:`scenarios.inventory_check.compare_policies`): per DC the fill rate and its 95% interval,
and the paired differences of fill rate, inventory and costs. The check holds when every DC's
interval reaches 95% and total cost is lower at a fill rate at least as high.

Writes JSON to ``benchmarks/results/inventory_bench.json``.
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


def closing_check(replications: int) -> dict:
    from chainlab.models import Network
    from chainlab.scenarios.inventory import optimize_calibrated
    from chainlab.scenarios.inventory_check import compare_policies
    from chainlab.simulation import SimOptions

    net = Network.from_folder(ROOT / "scenarios" / "examples" / "acme")
    t0 = time.perf_counter()
    opt = optimize_calibrated(net, 0.95, "beta", "single", rounds=2,
                              options=SimOptions(replications=8, seed=100, warmup_days=28))
    t1 = time.perf_counter()
    c = compare_policies(net, opt.network, replications=replications, seed=0)
    t2 = time.perf_counter()
    print(f"\nclosing check: acme optimized for fill rate 0.95 in {t1 - t0:.1f} s, "
          f"{replications} paired replications in {t2 - t1:.1f} s")
    print(f"{'DC':<14} {'hand-set fill [95% CI]':>26} {'optimized fill [95% CI]':>26}  95%?")
    for site, r in c.sites.iterrows():
        print(f"{site:<14} {r['fill_a']:>8.3f} [{r['ci_low_a']:.3f}, {r['ci_high_a']:.3f}]"
              f"{'':>2} {r['fill_b']:>8.3f} [{r['ci_low_b']:.3f}, {r['ci_high_b']:.3f}]"
              f"{'':>3}{'yes' if r['ci_high_b'] >= 0.95 else 'NO'}")
    print(f"{'KPI':<14} {'hand-set':>14} {'optimized':>14} {'paired delta [95% CI]':>36}")
    for k, r in c.kpis.iterrows():
        print(f"{k:<14} {r['a']:>14,.3f} {r['b']:>14,.3f} {r['delta']:>14,.3f} "
              f"[{r['ci_low']:,.3f}, {r['ci_high']:,.3f}]")
    k = c.kpis
    holds = bool(c.meets(0.95).all() and k.at["total_cost", "ci_high"] < 0
                 and k.at["fill_rate", "delta"] >= 0)
    print(f"check {'holds' if holds else 'does NOT hold'}")
    return {"holds": holds, "replications": replications, "optimize_seconds": t1 - t0,
            "sites": c.sites.reset_index().to_dict("records"),
            "kpis": c.kpis.reset_index().to_dict("records"), "facts": opt.facts}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stages", nargs="+", type=int, default=[100, 300, 1000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--closing-check", action="store_true")
    ap.add_argument("--replications", type=int, default=20)
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
    if a.closing_check:
        out["closing_check"] = closing_check(a.replications)
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {a.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
