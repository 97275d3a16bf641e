"""Simulation benchmark: SimPy overhead and the scale run, against a baseline revision.

    python benchmarks/sim_bench.py [--replications 100] [--pairs 1000] [--days 365]
                                   [--overhead-reps 4] [--repeat 3] [--baseline REV]
                                   [--skip-scale]

1. **Overhead.** The SimPy model of the bundled example (``scenarios/examples/acme``, policy
   replenishment; a generated network when it is missing) runs a few replications in this
   process; SimPy numbers every event it schedules, so we know how many it processed. A bare
   SimPy loop (processes that only ``yield env.timeout(1)``) then runs the same number of
   events. Overhead = (our seconds per event) / (bare seconds per event); target <= 2.
2. **Scale.** A generated pure-policy system of ``--pairs`` DC x product stock points (50 DCs,
   one customer each, unlimited suppliers, random transit times, base-stock / (s, S) / (r, Q)
   policies) over ``--days`` daily periods and ``--replications`` replications, through
   ``simulation.simulate`` with its default workers (min(cores, replications)), each run in a
   fresh process; target < 4 s. The same run of the ``--baseline`` revision (default: the
   last one with the per-replication NumPy path; ``git archive`` of it in a temporary folder)
   alternates with ours ``--repeat`` times, so both see the same machine load: the table
   gives medians and the ratio, and whether KPIs, replications, per-site figures and series
   are bit-identical. Peak memory (largest resident set of the process and of its workers)
   is measured at ``--replications`` and at a quarter of them: flat means the same. The
   first replications are also run with the SimPy model and must agree to 1e-9 (the
   cross-check), and their time gives the SimPy model's throughput on the same system.

Prints a table and writes JSON to ``benchmarks/results/sim_bench.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "benchmarks" / "results"
#: the last revision whose NumPy path ran one replication at a time
BASELINE = "eb342df"


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
    from chainlab.simulation import kpis

    events = 0
    seconds = 0.0
    values = []
    for r in range(reps):
        d, lead = inputs(ctx, r)
        t = time.perf_counter()
        rec = engine.run(model, d, lead)
        seconds += time.perf_counter() - t
        events += rec.events
        rep = kpis.replication(model, d, rec, 0)
        values.append([rep.kpis[k] for k in kpis.KPIS] + [
            x for k in kpis.SITE_KPIS for x in rep.sites[k].tolist()])
    bare = min(bare_simpy(events) for _ in range(3))
    sp_days = len(model.nodes) * model.days * reps
    return {"network": net.name, "nodes": len(model.nodes), "days": model.days,
            "replications": reps, "events": events, "seconds": seconds,
            "events_per_second": events / seconds, "bare_seconds": bare,
            "bare_events_per_second": events / bare, "overhead": seconds / bare,
            "events_per_site_product_day": events / sp_days,
            "site_product_days_per_second": sp_days / seconds,
            "values": values}


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


def scale_once(pairs: int, days: int, reps: int, out: str) -> None:
    """One timed scale run in this process (whichever ``chainlab`` it imports); its figures
    and result tables are pickled to ``out``."""
    import resource

    import chainlab
    from chainlab.simulation import SimOptions, simulate

    net = scale_network(pairs, days)
    t = time.perf_counter()
    res = simulate(net, options=SimOptions(replications=reps, seed=7))
    seconds = time.perf_counter() - t
    # largest resident set of this process, and of any of its worker processes (0: none)
    rss = [resource.getrusage(w).ru_maxrss / 1024 for w in (resource.RUSAGE_SELF,
                                                            resource.RUSAGE_CHILDREN)]
    tables = {k: getattr(res, k) for k in ("kpis", "replications", "sites", "series",
                                            "service", "balance")}
    with open(out, "wb") as f:
        pickle.dump({"seconds": seconds, "engine": res.engine, "workers": res.workers,
                     "peak_rss_mb": rss[0], "peak_worker_rss_mb": rss[1],
                     "package": str(Path(chainlab.__file__).parent), "tables": tables}, f)


def _child(pairs: int, days: int, reps: int, tree: Path | None, tmp: Path) -> dict:
    """:func:`scale_once` in a fresh process, of the package in ``tree`` (None: ours)."""
    out = tmp / f"run-{time.monotonic_ns()}.pkl"
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")])
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(out),
                    "--pairs", str(pairs), "--days", str(days), "--replications", str(reps)],
                   check=True, env=env, cwd=str(tmp))
    with open(out, "rb") as f:
        return pickle.load(f)


#: the git repository the baseline revision is taken from (``--repo``)
REPO = ROOT


def _export(rev: str, tmp: Path) -> Path | None:
    """The package at revision ``rev`` of :data:`REPO` as ``tmp/base/chainlab`` (None when
    git cannot)."""
    base = tmp / "base"
    (base / "chainlab").mkdir(parents=True)
    try:
        data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev],
                              check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"baseline {rev} not available ({e}); running ours only", file=sys.stderr)
        return None
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(base / "chainlab", filter="data")
    return base


def _same(u, v) -> bool:
    """Equal arrays: numbers bit for bit (NaNs included), objects (dates, text) by value."""
    if u.dtype == object or v.dtype == object:
        return u.dtype == v.dtype and u.tolist() == v.tolist()
    return u.dtype == v.dtype and u.tobytes() == v.tobytes()


def _identical(a: dict, b: dict) -> list[str]:
    """Names of the result tables that differ in any bit (values, index, columns)."""
    import pandas as pd

    bad = []
    for k in a:
        x, y = a[k], b[k]
        if not (isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame)
                and x.shape == y.shape and x.index.equals(y.index)
                and list(x.columns) == list(y.columns)
                and all(_same(x[c].to_numpy(), y[c].to_numpy()) for c in x.columns)):
            bad.append(k)
    return bad


def scale(pairs: int, days: int, reps: int, check_reps: int, repeat: int,
          baseline: str | None) -> dict:
    import numpy as np

    from chainlab.simulation import SimOptions, simulate

    with tempfile.TemporaryDirectory(prefix="sim_bench_") as d:
        tmp = Path(d)
        tree = _export(baseline, tmp) if baseline else None
        ours, base = [], []
        for i in range(repeat):
            pair = [("ours", None), ("base", tree)] if tree is not None else [("ours", None)]
            for label, t in (pair if i % 2 == 0 else pair[::-1]):
                (ours if label == "ours" else base).append(_child(pairs, days, reps, t, tmp))
        quarter = _child(pairs, days, max(1, reps // 4), None, tmp)
    med = statistics.median(r["seconds"] for r in ours)
    out = {"pairs": pairs, "days": days, "replications": reps, "repeat": repeat,
           "workers": ours[0]["workers"], "engine": ours[0]["engine"],
           "seconds": med, "seconds_all": [r["seconds"] for r in ours],
           "site_product_days_per_second": pairs * days * reps / med,
           "target_seconds": 4.0, "ok": med < 4.0,
           "peak_worker_rss_mb": max(r["peak_worker_rss_mb"] for r in ours),
           "peak_rss_mb": max(r["peak_rss_mb"] for r in ours),
           "quarter_replications": max(1, reps // 4),
           "quarter_peak_worker_rss_mb": quarter["peak_worker_rss_mb"],
           "quarter_peak_rss_mb": quarter["peak_rss_mb"]}
    if base:
        bmed = statistics.median(r["seconds"] for r in base)
        diff = _identical(ours[-1]["tables"], base[-1]["tables"])
        out |= {"baseline": baseline, "baseline_seconds": bmed,
                "baseline_seconds_all": [r["seconds"] for r in base],
                "baseline_peak_worker_rss_mb": max(r["peak_worker_rss_mb"] for r in base),
                "speedup": bmed / med, "bit_identical": not diff, "tables_differing": diff}
    net = scale_network(pairs, days)
    opts = SimOptions(replications=check_reps, seed=7)
    fast = simulate(net, options=opts.replace(workers=1))
    t = time.perf_counter()
    slow = simulate(net, options=opts.replace(engine="simpy", workers=1))
    simpy_seconds = time.perf_counter() - t
    a = fast.replications.drop(columns="events").to_numpy()
    b = slow.replications.drop(columns="events").to_numpy()
    worst = float(np.max(np.abs(a - b) / (np.abs(b) + 1e-9)))
    per_rep_simpy = simpy_seconds / check_reps
    return out | {
        "fill_rate": float(ours[-1]["tables"]["kpis"].at["fill_rate", "mean"]),
        "crosscheck_replications": check_reps, "crosscheck_max_rel_diff": worst,
        "crosscheck_ok": worst < 1e-9, "simpy_seconds_per_replication": per_rep_simpy,
        "simpy_events_per_replication": float(slow.replications["events"].mean()),
        "simpy_estimated_seconds_full_run": per_rep_simpy * reps / max(
            1, min(os.cpu_count() or 1, reps))}


def overhead_once(reps: int, out: str) -> None:
    """:func:`overhead` in this process (whichever ``chainlab`` it imports), pickled."""
    with open(out, "wb") as f:
        pickle.dump(overhead(reps), f)


def overheads(reps: int, repeat: int, baseline: str | None) -> dict:
    """:func:`overhead` of ours and of the baseline in fresh processes, alternated; medians."""
    import numpy as np

    with tempfile.TemporaryDirectory(prefix="sim_bench_") as d:
        tmp = Path(d)
        tree = _export(baseline, tmp) if baseline else None
        runs: dict[str, list[dict]] = {"ours": [], "base": []}
        for i in range(repeat):
            pair = [("ours", None), ("base", tree)] if tree is not None else [("ours", None)]
            for label, t in (pair if i % 2 == 0 else pair[::-1]):
                o = tmp / f"o-{time.monotonic_ns()}.pkl"
                env = dict(os.environ)
                if t is not None:
                    env["PYTHONPATH"] = os.pathsep.join([str(t), env.get("PYTHONPATH", "")])
                subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(o),
                                "--what", "overhead", "--overhead-reps", str(reps)],
                               check=True, env=env, cwd=str(tmp))
                with open(o, "rb") as f:
                    runs[label].append(pickle.load(f))

    def med(rows: list[dict]) -> dict:
        keys = ("seconds", "bare_seconds", "overhead", "events_per_second",
                "bare_events_per_second", "site_product_days_per_second")
        return rows[0] | {k: statistics.median(r[k] for r in rows) for k in keys} | {
            "overhead_all": [r["overhead"] for r in rows]}

    out = med(runs["ours"]) | {"repeat": repeat}
    if runs["base"]:
        b = med(runs["base"])
        out["baseline"] = {"revision": baseline} | {k: b[k] for k in (
            "events", "seconds", "bare_seconds", "overhead", "overhead_all",
            "events_per_site_product_day", "site_product_days_per_second")}
        out["speedup"] = b["seconds"] / out["seconds"]
        # our seconds against a bare loop of as many events as the baseline needed for the
        # same replications (the bare cost of the baseline's event count)
        out["overhead_vs_baseline_events"] = out["seconds"] / (
            out["bare_seconds"] * b["events"] / out["events"])
        # every KPI and per-site figure of every replication, bit for bit
        out["bit_identical"] = (np.array(out["values"]).tobytes()
                                == np.array(b["values"]).tobytes())
    out.pop("values")
    out.get("baseline", {}).pop("values", None)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--overhead-reps", type=int, default=4)
    ap.add_argument("--check-reps", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of ours and of the baseline each (alternated); medians")
    ap.add_argument("--baseline", default=BASELINE,
                    help="git revision to compare with ('' for none)")
    ap.add_argument("--repo", default=str(ROOT),
                    help="git repository holding the baseline (default: this checkout)")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--what", default="scale", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global REPO
    REPO = Path(args.repo)
    if args.child:
        if args.what == "overhead":
            overhead_once(args.overhead_reps, args.child)
        else:
            scale_once(args.pairs, args.days, args.replications, args.child)
        return 0

    out = {"when": dt.datetime.now().isoformat(timespec="seconds"),
           "python": platform.python_version(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg()}
    o = overheads(args.overhead_reps, args.repeat, args.baseline or None)
    out["overhead"] = o
    ob = o.get("baseline")

    def vs(ours, base, fmt: str) -> str:
        return (f"{fmt.format(ours)} (baseline {fmt.format(base)})" if base is not None
                else fmt.format(ours))

    rows = [("SimPy model events/s", f"{o['events_per_second']:,.0f}",
             f"{o['network']}: {o['nodes']} stock points x {o['days']} days x "
             f"{o['replications']} reps, {o['events']:,} events"),
            ("bare SimPy loop events/s", f"{o['bare_events_per_second']:,.0f}",
             "same number of events"),
            ("overhead (ours / bare)", vs(o["overhead"], ob and ob["overhead"], "{:.2f}x"),
             "median; target <= 2x: " + ("met" if o["overhead"] <= 2 else "NOT met")),
            ("ours / bare loop of baseline's events",
             f"{o['overhead_vs_baseline_events']:.2f}x" if ob else "-",
             "our seconds / bare SimPy seconds for the baseline's event count (same work)"),
            ("events per site-product-day", vs(o["events_per_site_product_day"],
                                               ob and ob["events_per_site_product_day"],
                                               "{:.2f}"), ""),
            ("SimPy site-product-days/s", vs(o["site_product_days_per_second"],
                                             ob and ob["site_product_days_per_second"],
                                             "{:,.0f}"),
             f"SimPy model {o['speedup']:.2f}x the baseline's speed; results "
             + ("bit-identical" if o["bit_identical"] else "DIFFER") if ob else "")]
    if not args.skip_scale:
        s = scale(args.pairs, args.days, args.replications, args.check_reps, args.repeat,
                  args.baseline or None)
        out["scale"] = s
        rows += [("scale run seconds", vs(s["seconds"], s.get("baseline_seconds"), "{:.2f}"),
                  f"median of {s['repeat']}; {s['pairs']} pairs x {s['days']} days x "
                  f"{s['replications']} reps, {s['engine']}, {s['workers']} workers; "
                  "target < 4 s: " + ("met" if s["ok"] else "NOT met"))]
        if "speedup" in s:
            rows += [("scale speed-up over baseline", f"{s['speedup']:.2f}x",
                      f"baseline {s['baseline']}; results "
                      + ("bit-identical" if s["bit_identical"] else
                         "DIFFER in " + ", ".join(s["tables_differing"])))]
        rows += [("scale site-product-days/s", f"{s['site_product_days_per_second']:,.0f}", ""),
                 ("scale peak memory per worker", f"{s['peak_worker_rss_mb']:.0f} MB",
                  f"{s['quarter_peak_worker_rss_mb']:.0f} MB with "
                  f"{s['quarter_replications']} reps (flat in replications)"
                  + (f"; baseline {s['baseline_peak_worker_rss_mb']:.0f} MB"
                     if "speedup" in s else "")),
                 ("cross-check NumPy vs SimPy", f"{s['crosscheck_max_rel_diff']:.1e}",
                  f"max relative difference of every KPI, {s['crosscheck_replications']} reps"),
                 ("SimPy model on the scale system", f"{s['simpy_seconds_per_replication']:.1f}"
                  " s/rep", f"about {s['simpy_estimated_seconds_full_run']:.0f} s for the full "
                  "run on all cores")]
    width = max(len(r[0]) for r in rows)
    vw = max(len(r[1]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{vw}}  {note}")
    print(f"load average at the start: {out['load_average'][0]:.1f} on {out['cpus']} cores")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sim_bench.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"written {RESULTS / 'sim_bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
