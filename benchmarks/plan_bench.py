"""Planning benchmark: build and solve times and memory per backend on generated networks.

    python benchmarks/plan_bench.py [--sizes S M L] [--backends highs ortools-highs ...]
                                    [--xl] [--time-limit 600] [--no-plain]

For each size (``solver.synthetic.SIZES``; L is about 250k variables, XL about 2M and only with
``--xl``) and each backend, one fresh process builds the model with chainlab (vectorised, index
arrays) and solves it: variables, constraints, nonzeros, build seconds, hand-off seconds (arrays
to the library's model), solve seconds, peak memory (RSS of the process and its workers).
Beside them, the baseline: the same model written the plain PuLP way (one ``LpVariable`` and one
``lpSum`` per element, from the same sets) and solved with PuLP's CBC, which includes PuLP's
own MPS export. Prints a table and writes JSON to ``benchmarks/results/``.

Targets (issue 3): on L, chainlab's build at least 10x faster than the plain PuLP build, and
chainlab's build + solve no slower than the fastest plain path.

The bundled example (``scenarios/examples/acme``, size ``example``, a MILP: two products with
setup costs and minimum lots) is planned at the default gap with the default backend, each
formulation in its own process in the same run (the machine may be loaded: compare the two
rows of one run, as ratios): ``setup-rows`` is the model with ``make <= M setup`` alone,
``lot-sizing`` adds the cuts of ``solver.lot_sizing`` (the default), ``lot-sizing+integer``
plans the orders of products counted in pieces in whole units (``integer_quantities=None``). Beside the wall-clock
seconds: the CPU seconds of the run and the LP gap, (objective - LP relaxation) / objective,
which no load on the machine changes. ``--example-only`` runs just these; ``--no-example``
skips them. Target (issue 17): proven optimal in under 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "benchmarks" / "results"
BACKENDS = ["highs", "ortools-highs", "cbc", "pulp-cbc", "pulp-highs"]


def peak_mb() -> float:
    """Peak RSS of this process and of its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def run_chainlab(size: str, backend: str, time_limit: float, seed: int) -> dict:
    from chainlab.solver import plan, worker
    from chainlab.solver.synthetic import generate

    t = time.perf_counter()
    net = generate(size, seed=seed)
    gen = time.perf_counter() - t
    p = plan(net, backend=backend, time_limit=time_limit)
    worker.shutdown()  # so the worker's memory is counted among the children
    return {"size": size, "backend": backend, "path": "chainlab", "generate_seconds": gen,
            **p.size, "build_seconds": p.build_seconds, "handoff_seconds": p.handoff_seconds,
            "solve_seconds": p.solve_seconds - p.handoff_seconds,
            "total_seconds": p.build_seconds + p.solve_seconds,
            "status": p.status.value, "objective": p.objective, "peak_mb": peak_mb()}


EXAMPLE = ROOT / "scenarios" / "examples" / "acme"
#: formulations of the bundled example's MILP -> their SolveOptions
FORMULATIONS = {"setup-rows": {"lot_sizing_cuts": False}, "lot-sizing": {},
                "lot-sizing+integer": {"integer_quantities": None}}


def run_example(formulation: str, time_limit: float) -> dict:
    """The bundled example planned at the default gap with ``formulation``."""
    from chainlab.models import Network
    from chainlab.solver import plan, worker

    net = Network.from_folder(EXAMPLE)
    cpu = cpu_seconds()
    p = plan(net, time_limit=time_limit, duals=False, **FORMULATIONS[formulation])
    worker.shutdown()
    cpu = cpu_seconds() - cpu
    lp = lp_bound(net, FORMULATIONS[formulation])
    return {"size": "example", "backend": p.backend, "path": formulation, **p.size,
            "build_seconds": p.build_seconds, "handoff_seconds": p.handoff_seconds,
            "solve_seconds": p.solve_seconds - p.handoff_seconds,
            "total_seconds": p.build_seconds + p.solve_seconds, "cpu_seconds": cpu,
            "status": p.status.value, "objective": p.objective, "gap": p.gap,
            "lp_bound": lp, "root_gap": (p.objective - lp) / abs(p.objective)
            if p.objective and lp is not None else None, "peak_mb": peak_mb()}


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (a loaded machine stretches
    wall-clock time, much less the CPU a solve needs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def lp_bound(net, changes: dict) -> float | None:
    """The optimum of the LP relaxation of the bundled example's MILP (integers relaxed):
    the bound the search starts from, the same on any machine."""
    from dataclasses import replace

    import numpy as np

    from chainlab.solver.data import prepare
    from chainlab.solver.model import build
    from chainlab.solver.options import SolveOptions
    from chainlab.solver.solve import solve_lp

    options = SolveOptions(duals=False, **changes)
    lp = build(prepare(net, None, options), options).lp.arrays()
    raw = solve_lp(replace(lp, integer=np.zeros_like(lp.integer)), options)
    return raw.objective


def plain_pulp_model(net):
    """The planning LP written the plain PuLP way: dicts of LpVariable keyed by readable tuples,
    one lpSum per constraint, loops over the same sets chainlab builds from (LP features only:
    the generated benchmark networks have no setups or lane fixed costs)."""
    import pulp

    from chainlab.solver.data import prepare
    from chainlab.solver.options import SolveOptions

    d = prepare(net, None, SolveOptions())
    T = d.T
    m = pulp.LpProblem("plain", pulp.LpMinimize)
    prods = d.products
    make = {}
    for r in d.production.itertuples(index=False):
        for t in range(T):
            make[r.plant, r.product, t] = pulp.LpVariable(f"make_{r.plant}_{r.product}_{t}", 0)
    ship = {}
    for a in d.arcs.itertuples(index=False):
        for t in range(a.first, a.last + 1):
            ship[a.lane, a.product, t] = pulp.LpVariable(f"ship_{len(ship)}", 0)
    inv, short = {}, {}
    for n in d.nodes.itertuples(index=False):
        for t in range(T):
            inv[n.site, n.product, t] = pulp.LpVariable(f"inv_{n.site}_{n.product}_{t}", 0)
            if n.safety_stock > 0:
                short[n.site, n.product, t] = pulp.LpVariable(
                    f"short_{n.site}_{n.product}_{t}", 0, n.safety_stock)
    back = {}
    for c in d.pairs.itertuples(index=False):
        for t in range(T):
            back[c.customer, c.product, t] = pulp.LpVariable(
                f"back_{c.customer}_{c.product}_{t}", 0)

    arcs = {(a.lane, a.product): a for a in d.arcs.itertuples(index=False)}
    prod_rows = {(r.plant, r.product): r for r in d.production.itertuples(index=False)}
    obj = []
    for (k, p, t), v in make.items():
        obj.append(prod_rows[k, p].unit_cost * v)
    for (lane, p, t), v in ship.items():
        a = arcs[lane, p]
        obj.append((a.cost_per_unit + a.purchase_cost) * v)
    for (s, p, t), v in inv.items():
        obj.append(prods.at[p, "holding_cost"] * v)
    for (s, p, t), v in short.items():
        obj.append(prods.at[p, "safety_penalty"] * v)
    for (c, p, t), v in back.items():
        obj.append(prods.at[p, "backlog_penalty"] * v)
        if t == T - 1:
            obj.append(prods.at[p, "lost_penalty"] * v)
    fixed = float(d.sites.loc[d.sites["kind"] != "customer", "fixed_cost"].fillna(0).sum()) * T
    m += pulp.lpSum(obj) + fixed

    into, out_of = {}, {}
    for (lane, p, t), v in ship.items():
        a = arcs[lane, p]
        out_of.setdefault((a.origin, p, t), []).append(v)
        into.setdefault((a.destination, p, t + a.lead), []).append(v)
    uses = {}
    for r in d.recipes.itertuples(index=False):
        uses.setdefault((r.plant, r.product), []).append((r.component, r.quantity))
    consume = {}
    for (k, p, t), v in make.items():
        for comp, q in uses.get((k, p), []):
            consume.setdefault((k, comp, t), []).append(q * v)
    on_hand = {(n.site, n.product): n.on_hand for n in d.nodes.itertuples(index=False)}
    for (s, p, t), v in inv.items():
        prev = inv[s, p, t - 1] if t > 0 else on_hand[s, p]
        m += (v == prev + pulp.lpSum(into.get((s, p, t), [])) + make.get((s, p, t), 0)
              - pulp.lpSum(out_of.get((s, p, t), [])) - pulp.lpSum(consume.get((s, p, t), [])))
    for r in d.demand.itertuples(index=False):
        c, p, t = r.customer, r.product, r.period
        prev = back[c, p, t - 1] if t > 0 else 0
        m += pulp.lpSum(into.get((c, p, t), [])) + back[c, p, t] - prev == r.quantity
    for r in d.resources.itertuples(index=False):
        made = [(k, p) for (k, p), pr in prod_rows.items()
                if k == r.plant and pr.resource == r.resource]
        for t in range(T):
            m += pulp.lpSum(prod_rows[k, p].hours_per_unit * make[k, p, t] for k, p in made) \
                <= r.hours_per_period
    for r in d.supply[d.supply["capacity"].notna()].itertuples(index=False):
        for t in range(T):
            m += pulp.lpSum(out_of.get((r.supplier, r.product, t), [])) <= r.capacity
    by_lane = {}
    for (lane, p, t), v in ship.items():
        by_lane.setdefault((lane, t), []).append(v)
    for lane, row in d.lanes[d.lanes["capacity"].notna()].iterrows():
        for t in range(T):
            m += pulp.lpSum(by_lane.get((lane, t), [])) <= row.capacity
    by_origin = {}
    for (lane, p, t), v in ship.items():
        by_origin.setdefault((arcs[lane, p].origin, t), []).append(v)
    for j, row in d.sites[(d.sites["kind"] == "dc") & d.sites["capacity"].notna()].iterrows():
        for t in range(T):
            m += pulp.lpSum(by_origin.get((j, t), [])) <= row.capacity
    for n in d.nodes[d.nodes["max_stock"].notna()].itertuples(index=False):
        for t in range(T):
            m += inv[n.site, n.product, t] <= n.max_stock
    floor = {(n.site, n.product): n.safety_stock for n in d.nodes.itertuples(index=False)}
    for (s, p, t), v in short.items():
        m += inv[s, p, t] + v >= floor[s, p]
    return m


def run_plain(size: str, time_limit: float, seed: int, solve: bool) -> dict:
    import pulp

    from chainlab.solver.synthetic import generate

    net = generate(size, seed=seed)
    t = time.perf_counter()
    m = plain_pulp_model(net)
    build = time.perf_counter() - t
    row = {"size": size, "backend": "pulp-cbc", "path": "plain-pulp",
           "variables": len(m.variables()), "constraints": len(m.constraints),
           "build_seconds": build}
    if solve:
        t = time.perf_counter()
        m.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
        row["solve_seconds"] = time.perf_counter() - t
        row["total_seconds"] = build + row["solve_seconds"]
        row["status"] = pulp.LpSolution.get(m.sol_status, str(m.sol_status))
        row["objective"] = pulp.value(m.objective)
    row["peak_mb"] = peak_mb()
    return row


def one(args) -> None:
    """Run one measurement in this process and print it as JSON (the parent's subprocess)."""
    if args.one_size == "example":
        row = run_example(args.one_path, args.time_limit)
    elif args.one_path == "plain":
        row = run_plain(args.one_size, args.time_limit, args.seed, not args.no_plain_solve)
    else:
        row = run_chainlab(args.one_size, args.one_path, args.time_limit, args.seed)
    sys.stdout.write(json.dumps(row) + "\n")


def table(rows: list[dict]) -> str:
    cols = [("size", "{}"), ("path", "{}"), ("backend", "{}"), ("variables", "{:,}"),
            ("constraints", "{:,}"), ("nonzeros", "{:,}"), ("build_seconds", "{:.2f}"),
            ("handoff_seconds", "{:.2f}"), ("solve_seconds", "{:.2f}"),
            ("total_seconds", "{:.2f}"), ("peak_mb", "{:,.0f}"), ("status", "{}"),
            ("cpu_seconds", "{:.1f}"), ("objective", "{:,.2f}"), ("gap", "{:.2e}"),
            ("root_gap", "{:.2e}")]
    head = ["size", "path", "backend", "vars", "rows", "nnz", "build s", "handoff s", "solve s",
            "total s", "peak MB", "status", "cpu s", "objective", "gap", "LP gap"]
    body = []
    for r in rows:
        body.append([("" if r.get(c) is None else f.format(r[c])) if c in r else "-"
                     for c, f in cols])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells):
        return " | ".join(c.rjust(w) for c, w in zip(cells, widths))

    return "\n".join([line(head), "-+-".join("-" * w for w in widths)] + [line(b) for b in body])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["S", "M", "L"])
    ap.add_argument("--xl", action="store_true", help="add XL (about 2M variables)")
    ap.add_argument("--backends", nargs="+", default=BACKENDS)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain PuLP baseline")
    ap.add_argument("--no-plain-solve", action="store_true",
                    help="time only the plain PuLP build, not its CBC solve")
    ap.add_argument("--no-example", action="store_true",
                    help="skip the bundled example (both formulations)")
    ap.add_argument("--example-only", action="store_true",
                    help="run only the bundled example (both formulations)")
    ap.add_argument("--formulations", nargs="+", default=list(FORMULATIONS),
                    choices=list(FORMULATIONS), help="of the bundled example")
    ap.add_argument("--one-size", help=argparse.SUPPRESS)
    ap.add_argument("--one-path", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one_size:
        one(args)
        return 0
    sizes = args.sizes + (["XL"] if args.xl and "XL" not in args.sizes else [])
    jobs = [] if args.example_only else [
        (size, path) for size in sizes
        for path in list(args.backends) + ([] if args.no_plain else ["plain"])]
    if not args.no_example:
        jobs += [("example", f) for f in args.formulations]
    rows = []
    for size, path in jobs:
        cmd = [sys.executable, __file__, "--one-size", size, "--one-path", path,
               "--time-limit", str(args.time_limit), "--seed", str(args.seed)]
        if args.no_plain_solve:
            cmd.append("--no-plain-solve")
        sys.stderr.write(f"{size} {path} ...\n")
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if r.returncode != 0:
            rows.append({"size": size, "path": path, "backend": path, "status": "error",
                         "error": r.stderr[-500:]})
            sys.stderr.write(r.stderr[-2000:])
            continue
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        sys.stderr.write(f"  {rows[-1].get('total_seconds', 0):.1f} s\n")
    print(table(rows))
    ex = {r["path"]: r for r in rows if r["size"] == "example" and "total_seconds" in r}
    if "lot-sizing+integer" in ex and "lot-sizing" in ex:
        a, b = ex["lot-sizing+integer"], ex["lot-sizing"]
        print(f"\nbundled example, whole units / any quantity: wall time "
              f"{a['total_seconds'] / b['total_seconds']:.2f}x, CPU time "
              f"{a['cpu_seconds'] / b['cpu_seconds']:.2f}x")
    if "setup-rows" in ex and "lot-sizing" in ex:
        a, b = ex["setup-rows"], ex["lot-sizing"]
        print(f"\nbundled example, setup-rows / lot-sizing: wall time "
              f"{a['total_seconds'] / b['total_seconds']:.2f}x, CPU time "
              f"{a['cpu_seconds'] / b['cpu_seconds']:.2f}x; LP gap (optimum - LP relaxation) "
              f"{a['root_gap']:.2e} -> {b['root_gap']:.2e}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"plan_bench-{stamp}.json"
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg(), "time_limit": args.time_limit,
                               "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
