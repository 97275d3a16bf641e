"""Simulation benchmark: SimPy overhead and the scale run.

    python benchmarks/sim_bench.py [--replications 100] [--pairs 1000] [--days 365]
                                   [--overhead-reps 4] [--skip-scale]

1. **Overhead.** The SimPy model of the bundled example (``scenarios/examples/acme``, policy
   replenishment; a generated network when it is missing) runs a few replications in this
   process; SimPy numbers every event it schedules, so we know how many it processed. A bare
   SimPy loop (processes that only ``yield env.timeout(1)``) then runs the same number of
   events. Overhead = (our seconds per event) / (bare seconds per event); target <= 3.
2. **Scale.** A generated pure-policy system of ``--pairs`` DC x product stock points (50 DCs,
   one customer each, unlimited suppliers, random transit times, base-stock / (s, S) / (r, Q)
   policies) over ``--days`` daily periods and ``--replications`` replications, through
   ``simulation.simulate`` with its default workers (min(cores, replications)); target < 300 s
   (issue 6). ``engine='auto'`` takes the NumPy path there; the first replications are also run
   with the SimPy model and must agree to 1e-9 (the cross-check), and their time gives the SimPy
   model's throughput on the same system.

Prints a table and writes JSON to ``benchmarks/results/sim_bench.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "benchmarks" / "results"


def bare_simpy(events: int, processes: int = 100) -> float:
    """Seconds of a SimPy run of ``events`` events: ``processes`` loops of timeouts."""
    import simpy

    env = simpy.Environment()
    per = events // processes

    def loop(env, n):
        for _ in range(n):
            yield env.timeout(1)

    for _ in range(processes):
        env.process(loop(env, per))
    t = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - t
    scheduled = next(env._eid)
    return seconds * events / scheduled


def overhead(reps: int) -> dict:
    from chainlab.models import Network
    from chainlab.simulation import SimOptions, engine
    from chainlab.simulation.build import build
    from chainlab.simulation.demand import TableDemand
    from chainlab.simulation.run import _Context, inputs

    path = ROOT / "scenarios" / "examples" / "acme"
    net = Network.from_folder(path) if (path / "network.yaml").exists() else scale_network(
        200, 182)
    opts = SimOptions(replications=reps, workers=1, engine="simpy")
    src = TableDemand(net)
    model = build(net, src.pairs, opts)
    ctx = _Context(model, src, 0, reps, False, opts)
    events = 0
    seconds = 0.0
    for r in range(reps):
        d, lead = inputs(ctx, r)
        t = time.perf_counter()
        rec = engine.run(model, d, lead)
        seconds += time.perf_counter() - t
        events += rec.events
    bare = min(bare_simpy(events) for _ in range(3))
    sp_days = len(model.nodes) * model.days * reps
    return {"network": net.name, "nodes": len(model.nodes), "days": model.days,
            "replications": reps, "events": events, "seconds": seconds,
            "events_per_second": events / seconds, "bare_seconds": bare,
            "bare_events_per_second": events / bare, "overhead": seconds / bare,
            "events_per_site_product_day": events / sp_days,
            "site_product_days_per_second": sp_days / seconds}


def scale_network(pairs: int, days: int, seed: int = 1):
    """50 DCs (or fewer) x products = ``pairs`` stock points; one customer per DC."""
    import numpy as np
    import pandas as pd

    from chainlab.models import Calendar, Network

    rng = np.random.default_rng(seed)
    n_dc = min(50, pairs)
    n_p = pairs // n_dc
    dcs = [f"DC{i:02d}" for i in range(n_dc)]
    cust = [f"C{i:02d}" for i in range(n_dc)]
    prods = [f"P{j:03d}" for j in range(n_p)]
    start = dt.date(2027, 1, 4)
    cal = Calendar("day", start, days)
    sites = pd.DataFrame({"id": ["S1", "S2"] + dcs + cust,
                          "kind": ["supplier"] * 2 + ["dc"] * n_dc + ["customer"] * n_dc})
    products = pd.DataFrame({"id": prods, "standard_cost": rng.uniform(5, 50, n_p),
                             "holding_cost": 0.002 * rng.uniform(5, 50, n_p)})
    supply = pd.DataFrame({"supplier": ["S1"] * n_p + ["S2"] * n_p, "product": prods * 2,
                           "unit_cost": np.r_[rng.uniform(5, 50, n_p), rng.uniform(5, 50, n_p)],
                           "lead_time_days": np.r_[np.full(n_p, 2.0), np.full(n_p, 5.0)]})
    lt = rng.integers(1, 6, 2 * n_dc).astype(float)
    lanes = pd.DataFrame({
        "origin": ["S1"] * n_dc + ["S2"] * n_dc + dcs, "destination": dcs + dcs + cust,
        "cost_per_unit": np.r_[rng.uniform(0.5, 2, 2 * n_dc), np.full(n_dc, 0.3)],
        "lead_time_days": np.r_[lt, np.zeros(n_dc)],
        "lead_time_sd_days": np.r_[0.3 * lt, np.zeros(n_dc)]})
    mu = rng.uniform(5, 60, (n_dc, n_p))
    L = (lt[:n_dc] + 2)[:, None]
    rows = []
    for i, d in enumerate(dcs):
        for j, p in enumerate(prods):
            kind = ("base_stock", "s_S", "r_Q")[(i + j) % 3]
            m = mu[i, j]
            base = {"site": d, "product": p, "policy": kind}
            if kind == "base_stock":
                S = round(m * (L[i, 0] + 1 + 3) + 2 * 0.35 * m * np.sqrt(L[i, 0] + 4))
                rows.append(base | {"on_hand": S, "order_up_to": S, "review_days": 3})
            elif kind == "s_S":
                s = round(m * (L[i, 0] + 1) + 2 * 0.35 * m * np.sqrt(L[i, 0] + 1))
                rows.append(base | {"on_hand": s + 3 * m, "reorder_point": s,
                                    "order_up_to": round(s + 4 * m)})
            else:
                r = round(m * (L[i, 0] + 1) + 2 * 0.35 * m * np.sqrt(L[i, 0] + 1))
                rows.append(base | {"on_hand": r + 2 * m, "reorder_point": r,
                                    "order_quantity": round(5 * m)})
    inventory = pd.DataFrame(rows)
    net = Network.from_tables("scale", cal, sites=sites, products=products, supply=supply,
                              lanes=lanes, inventory=inventory)
    dates = pd.date_range(start, periods=days, freq="D").date
    c_idx, p_idx = np.repeat(np.arange(n_dc), n_p), np.tile(np.arange(n_p), n_dc)
    dist = np.array(["normal", "poisson", "gamma"])[(c_idx + 2 * p_idx) % 3]
    m = mu[c_idx, p_idx]
    sd = np.where(dist == "poisson", np.nan, 0.35 * m)
    net.demand = pd.DataFrame({
        "customer": np.repeat(np.array(cust)[c_idx], days),
        "product": np.repeat(np.array(prods)[p_idx], days),
        "date": np.tile(dates, n_dc * n_p), "quantity": np.repeat(m, days),
        "sd": np.repeat(sd, days), "distribution": np.repeat(dist, days)})
    net.rows.pop("demand", None)
    return net


def scale(pairs: int, days: int, reps: int, check_reps: int) -> dict:
    import numpy as np

    from chainlab.simulation import SimOptions, simulate

    t = time.perf_counter()
    net = scale_network(pairs, days)
    gen = time.perf_counter() - t
    opts = SimOptions(replications=reps, seed=7)
    t = time.perf_counter()
    fast = simulate(net, options=opts)
    seconds = time.perf_counter() - t
    check = opts.replace(replications=check_reps, engine="simpy", workers=1)
    t = time.perf_counter()
    slow = simulate(net, options=check)
    simpy_seconds = time.perf_counter() - t
    a = fast.replications.drop(columns="events").iloc[:check_reps].to_numpy()
    b = slow.replications.drop(columns="events").to_numpy()
    worst = float(np.max(np.abs(a - b) / (np.abs(b) + 1e-9)))
    sp_days = pairs * days * reps
    per_rep_simpy = simpy_seconds / check_reps
    return {"pairs": pairs, "days": days, "replications": reps, "workers": fast.workers,
            "engine": fast.engine, "generate_seconds": gen, "seconds": seconds,
            "site_product_days_per_second": sp_days / seconds,
            "target_seconds": 300.0, "ok": seconds < 300.0,
            "fill_rate": fast.kpi("fill_rate"),
            "fill_rate_ci": [float(fast.kpis.at["fill_rate", "ci_low"]),
                             float(fast.kpis.at["fill_rate", "ci_high"])],
            "crosscheck_replications": check_reps, "crosscheck_max_rel_diff": worst,
            "crosscheck_ok": worst < 1e-9,
            "simpy_seconds_per_replication": per_rep_simpy,
            "simpy_events_per_replication": float(slow.replications["events"].mean()),
            "simpy_estimated_seconds_full_run": per_rep_simpy * reps / max(
                1, min(os.cpu_count() or 1, reps))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--overhead-reps", type=int, default=4)
    ap.add_argument("--check-reps", type=int, default=2)
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args(argv)

    out = {"when": dt.datetime.now().isoformat(timespec="seconds"),
           "python": platform.python_version(), "cpus": os.cpu_count()}
    o = overhead(args.overhead_reps)
    out["overhead"] = o
    rows = [("SimPy model events/s", f"{o['events_per_second']:,.0f}",
             f"{o['network']}: {o['nodes']} stock points x {o['days']} days x "
             f"{o['replications']} reps, {o['events']:,} events"),
            ("bare SimPy loop events/s", f"{o['bare_events_per_second']:,.0f}",
             "same number of events"),
            ("overhead (ours / bare)", f"{o['overhead']:.2f}x",
             "target <= 3x: " + ("met" if o["overhead"] <= 3 else "NOT met")),
            ("events per site-product-day", f"{o['events_per_site_product_day']:.2f}", ""),
            ("SimPy site-product-days/s", f"{o['site_product_days_per_second']:,.0f}", "")]
    if not args.skip_scale:
        s = scale(args.pairs, args.days, args.replications, args.check_reps)
        out["scale"] = s
        rows += [("scale run seconds", f"{s['seconds']:.1f}",
                  f"{s['pairs']} pairs x {s['days']} days x {s['replications']} reps, "
                  f"{s['engine']}, {s['workers']} workers; target < 300 s: "
                  + ("met" if s["ok"] else "NOT met")),
                 ("scale site-product-days/s", f"{s['site_product_days_per_second']:,.0f}", ""),
                 ("cross-check NumPy vs SimPy", f"{s['crosscheck_max_rel_diff']:.1e}",
                  f"max relative difference of every KPI, {s['crosscheck_replications']} reps"),
                 ("SimPy model on the scale system", f"{s['simpy_seconds_per_replication']:.1f}"
                  " s/rep", f"about {s['simpy_estimated_seconds_full_run']:.0f} s for the full "
                  "run on all cores")]
    width = max(len(r[0]) for r in rows)
    vw = max(len(r[1]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{vw}}  {note}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sim_bench.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written {RESULTS / 'sim_bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
