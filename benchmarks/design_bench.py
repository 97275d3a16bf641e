"""Network design benchmark: seconds to a proven optimum on OR-Library facility location, per
backend.

    python benchmarks/design_bench.py [--backends highs ortools-highs ...] [--repeat 3]
        [--families cflp uflp sscflp] [--capc 5000 5750 6500 7250] [--capc-backends highs]
        [--capc-uflp] [--time-limit 300] [--data tests/data/orlib] [--json-out FILE]

Every instance of ``--data``/known_values.csv (cap41..cap74 as ``cflp``, cap71..cap74 as
``uflp``, p1..p8 as ``sscflp``; all 16 x 50) is read into a chainlab network by
:mod:`solver.orlib` and designed by :func:`solver.design` with each backend, ``--repeat`` times;
the table shows the status, the objective's relative error against the published optimum and
the median seconds from the network to the proven optimum (``design()`` wall clock: model
build, hand-off, solve and reading the result; reading the file is not counted), with the
build and solve parts beside it. ``--capc`` adds the 100 x 1000 instance capc at each given
capacity, once per backend of ``--capc-backends`` (its known optimum is published for 7250
only); ``--capc-uflp`` adds capc uncapacitated. Instances that do not finish in
``--time-limit`` seconds show their status and gap.

Targets (issue 4): every 16 x 50 instance under 2 s median; capc at each of its four
capacities under 5 minutes. The summary gives, per family and backend, the median and worst
of the instance medians and names the fastest backend per family. Writes JSON to
``benchmarks/results/design_bench.json`` (with the machine's load average: the numbers of a
shared machine are only as good as its idle time).
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

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "benchmarks" / "results"
DATA = ROOT / "tests" / "data" / "orlib"
BACKENDS = ["highs", "ortools-highs", "ortools-scip", "cbc", "pulp-cbc", "pulp-highs"]
CAPC = [5000.0, 5750.0, 6500.0, 7250.0]
#: targets of issue 4, seconds
TARGET_SMALL, TARGET_CAPC = 2.0, 300.0


def run(inst, backend: str, time_limit: float | None, known: float | None) -> dict:
    """One design of one instance: status, objective, error, seconds."""
    from chainlab.solver.design import design

    t = time.perf_counter()
    try:
        d = design(inst.network, **inst.options, backend=backend, time_limit=time_limit)
    except Exception as e:  # a backend that fails is a row of the table, not the end of the run
        return {"status": "error", "error": f"{type(e).__name__}: {e}",
                "seconds": time.perf_counter() - t}
    wall = time.perf_counter() - t
    row = {"status": d.status.value, "objective": d.objective, "bound": d.bound, "gap": d.gap,
           "seconds": wall, "build_seconds": d.build_seconds, "solve_seconds": d.solve_seconds,
           "open": len(d.opened)}
    if known is not None and d.objective is not None:
        row["rel_error"] = abs(d.objective - known) / abs(known)
    return row


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["status"] != "error"]
    last = runs[-1]
    out = {k: last.get(k) for k in ("status", "objective", "bound", "gap", "rel_error", "open",
                                    "error") if last.get(k) is not None}
    if ok:
        out["seconds"] = statistics.median(r["seconds"] for r in ok)
        out["build_seconds"] = statistics.median(r["build_seconds"] for r in ok)
        out["solve_seconds"] = statistics.median(r["solve_seconds"] for r in ok)
    else:
        out["seconds"] = last["seconds"]
    out["runs"] = len(runs)
    return out


def fmt(row: dict) -> str:
    err = row.get("rel_error")
    err = "" if err is None else f"{err:.1e}"
    gap = row.get("gap")
    gap = "" if not gap else f" gap {gap:.2%}"
    s = row.get("solve_seconds")
    b = row.get("build_seconds")
    obj = row.get("objective")
    obj = "" if obj is None else f"{obj:,.3f}"
    parts = (f"{row['family']:7} {row['instance']:10} {row['backend']:14} "
             f"{row['status']:10} {obj:>16} {err:>8}  {row['seconds']:8.2f} s")
    if s is not None:
        parts += f"  (build {b:6.2f}, solve {s:8.2f})"
    return parts + gap + (f"  {row['error'][:80]}" if row.get("error") else "")


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return None


def main(argv=None) -> int:
    from chainlab.solver import backends
    from chainlab.solver.orlib import catalogue, read

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", nargs="+", default=None,
                    help=f"default: those of {', '.join(BACKENDS)} that are installed")
    ap.add_argument("--families", nargs="*", default=["cflp", "uflp", "sscflp"],
                    help="families of the 16 x 50 instances (none: only capc)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--capc", nargs="*", type=float, default=[],
                    help=f"capacities of capc to run (e.g. {' '.join(map(str, map(int, CAPC)))})")
    ap.add_argument("--capc-backends", nargs="+", default=["highs"])
    ap.add_argument("--capc-uflp", action="store_true", help="capc uncapacitated too")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json-out", type=Path, default=RESULTS / "design_bench.json")
    a = ap.parse_args(argv)
    names = a.backends or [b for b in BACKENDS if b in backends.available()]
    known = catalogue(a.data)
    rows = []
    started = {"loadavg": loadavg(), "time": dt.datetime.now().isoformat(timespec="seconds")}
    print(f"{'family':7} {'instance':10} {'backend':14} {'status':10} {'objective':>16} "
          f"{'rel.err':>8}  {'median wall':>10}", flush=True)
    small = [k for k in known if k.family in a.families and k.capacity is None
             and not k.path.name.startswith("capc")]
    for k in small:
        inst = read(k.family, k.path)
        for backend in names:
            runs = [run(inst, backend, a.time_limit, k.value) for _ in range(a.repeat)]
            rows.append({"family": k.family, "instance": k.instance, "file": k.path.name,
                         "backend": backend, "size": "16x50", "known_value": k.value,
                         **summarise(runs)})
            print(fmt(rows[-1]), flush=True)
    capc = next((k.path for k in known if k.path.name.startswith("capc")), None)
    big = [("cflp", c) for c in a.capc] + ([("uflp", None)] if a.capc_uflp else [])
    if big and capc is None:
        print(f"capc is not in {a.data}; skipped", file=sys.stderr)
        big = []
    for family, cap in big:
        inst = read(family, capc, capacity=cap)
        value = next((k.value for k in known if k.family == family and k.path == capc
                      and k.capacity == cap), None)
        for backend in a.capc_backends:
            r = run(inst, backend, a.time_limit, value)
            rows.append({"family": family, "instance": inst.name, "file": capc.name,
                         "backend": backend, "size": "100x1000", "known_value": value,
                         **summarise([r])})
            print(fmt(rows[-1]), flush=True)
    summary = summary_table(rows)
    print()
    for line in summary["lines"]:
        print(line)
    out = {"date": dt.date.today().isoformat(), "machine": {
        "cpus": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "loadavg_start": started["loadavg"],
        "loadavg_end": loadavg()}, "repeat": a.repeat, "time_limit": a.time_limit,
        "targets": {"16x50_median_s": TARGET_SMALL, "capc_s": TARGET_CAPC},
        "rows": rows, "summary": summary["by_family"], "fastest": summary["fastest"]}
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"written {a.json_out}")
    return 0


def summary_table(rows: list[dict]) -> dict:
    """Per family, size and backend: instances, how many proven optimal and matching the known
    value to 1e-6, median and worst of the instance medians; the fastest backend per family."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["family"], r["size"], r["backend"]), []).append(r)
    by_family, lines = [], []
    lines.append(f"{'family':7} {'size':8} {'backend':14} {'inst.':>5} {'proven':>6} "
                 f"{'median s':>9} {'worst s':>9}  target")
    for (family, size, backend), rs in sorted(groups.items()):
        proven = sum(1 for r in rs if r["status"] == "optimal"
                     and (r.get("rel_error") is None or r["rel_error"] <= 1e-6))
        secs = [r["seconds"] for r in rs]
        target = TARGET_SMALL if size == "16x50" else TARGET_CAPC
        worst = max(secs)
        meets = proven == len(rs) and worst < target
        by_family.append({"family": family, "size": size, "backend": backend,
                          "instances": len(rs), "proven": proven,
                          "median_seconds": statistics.median(secs), "worst_seconds": worst,
                          "meets_target": meets})
        lines.append(f"{family:7} {size:8} {backend:14} {len(rs):5} {proven:6} "
                     f"{statistics.median(secs):9.2f} {worst:9.2f}  "
                     f"{'yes' if meets else 'no'} (< {target:g} s)")
    fastest = {}
    for b in by_family:
        key = f"{b['family']} {b['size']}"
        if b["proven"] == b["instances"] and (
                key not in fastest or b["median_seconds"] < fastest[key]["median_seconds"]):
            fastest[key] = {"backend": b["backend"], "median_seconds": b["median_seconds"]}
    lines.append("fastest: " + "; ".join(f"{k}: {v['backend']} ({v['median_seconds']:.2f} s)"
                                         for k, v in sorted(fastest.items())))
    return {"by_family": by_family, "fastest": fastest, "lines": lines}


if __name__ == "__main__":
    sys.exit(main())
