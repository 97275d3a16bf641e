"""Detailed scheduling benchmark: seconds to a proven optimum on classic job-shop instances, and
the time to schedule a week of the bundled example's plan.

    python benchmarks/schedule_bench.py [PATH...] [--time-limit 60] [--workers 2]
        [--plan DIR] [--weeks 0 10] [--week-time-limit 60] [--json-out FILE]

Job shop: each instance (default: every file of ``tests/data/jobshop``; give others by path,
with an ``instances.json`` beside them for their optima) is read by
:mod:`solver.schedule.jobshop` and its makespan minimised by :func:`solver.schedule.schedule`,
the code users run, once with ``--time-limit`` seconds. The table gives the status, makespan,
bound, gap, the published optimum, the seconds until the incumbent first reached the optimum,
and the seconds to the proof (the solve's wall clock, dispatching rule and model build
included). Target (issue 20): every instance of tests/data/jobshop proven optimal within 60 s on
2 cores.

Example week: the bundled example planned (``solver.plan``, gap 5 %, not timed) or the plan
folder ``--plan``; each of ``--weeks`` (default: the first with production, and the busiest)
scheduled for weighted tardiness as ``chainlab schedule`` does: orders, operations, seconds,
status, tardy orders. Writes JSON to ``benchmarks/results/schedule_bench.json`` (with the load
average: a shared machine's numbers are only as good as its idle time).
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
DATA = ROOT / "tests" / "data" / "jobshop"
ACME = ROOT / "scenarios" / "examples" / "acme"
TARGET = 60.0


def jobshop_row(path: Path, time_limit: float, workers: int) -> dict:
    from chainlab.solver.schedule import ScheduleOptions, schedule
    from chainlab.solver.schedule.jobshop import known_optimum, read_jobshop

    known = known_optimum(path)
    reached: dict = {}

    def progress(p):
        if known is not None and "at" not in reached and p["incumbent"] <= known + 1e-9:
            reached["at"] = p["seconds"]

    problem = read_jobshop(path)
    s = schedule(problem, ScheduleOptions(time_limit=time_limit, workers=workers),
                 on_progress=progress)
    jobs = len({o.job for o in problem.operations})
    return {"instance": path.stem, "size": f"{jobs}x{len(problem.resources)}",
            "status": s.status.value, "makespan": s.value, "bound": s.bound, "gap": s.gap,
            "known": known, "seconds_to_optimum_found": reached.get("at"),
            "seconds": round(s.seconds, 3), "dispatch_makespan": s.dispatch_value,
            "proven_within_target": s.status.value == "optimal" and s.seconds <= TARGET}


def week_rows(plan_dir: Path, weeks: list[int] | None, time_limit: float, workers: int
              ) -> list[dict]:
    import pandas as pd

    from chainlab.solver.schedule import Objective, ScheduleOptions, schedule
    from chainlab.solver.schedule.from_plan import week_problem

    if not weeks:
        prod = pd.read_csv(plan_dir / "production.csv")
        prod = prod[prod["hours"] > 1e-9]
        busiest = int(prod.groupby("period")["hours"].sum().idxmax())
        weeks = sorted({int(prod["period"].min()), busiest})
    rows = []
    for w in weeks:
        t0 = time.perf_counter()
        wp = week_problem(plan_dir, w)
        s = schedule(wp.problem, ScheduleOptions(objective=Objective.TARDINESS,
                                                 time_limit=time_limit, workers=workers),
                     time_unit="minute")
        k = s.kpis
        rows.append({"week": w, "orders": len(wp.orders), "operations": len(wp.problem.operations),
                     "units": len(wp.problem.resources), "status": s.status.value,
                     "tardiness_hours": None if s.value is None else s.value / 60,
                     "bound_hours": None if s.bound is None else s.bound / 60,
                     "tardy_operations": k.get("tardy_operations"),
                     "makespan_hours": None if not k else k["makespan"] / 60,
                     "seconds": round(time.perf_counter() - t0, 3)})
    return rows


def example_plan(tmp: Path) -> Path:
    from chainlab import solver
    from chainlab.models import Network

    net = Network.from_folder(ACME)
    p = solver.plan(net, options=solver.SolveOptions(gap=0.05, time_limit=120))
    d = tmp / "plan"
    p.to_folder(d)
    net.to_folder(d / "network")
    return d


def fmt(v, spec=""):
    if v is None:
        return "-"
    return format(v, spec) if spec else str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--time-limit", type=float, default=TARGET)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--plan", type=Path, default=None)
    ap.add_argument("--weeks", type=int, nargs="*", default=None)
    ap.add_argument("--week-time-limit", type=float, default=60.0)
    ap.add_argument("--no-week", action="store_true", help="job shop only")
    ap.add_argument("--json-out", type=Path, default=RESULTS / "schedule_bench.json")
    a = ap.parse_args(argv)
    paths = a.paths or sorted(p for p in DATA.iterdir()
                              if p.is_file() and not p.suffix and p.name != "README")
    load0 = os.getloadavg()
    print(f"{'instance':<9} {'size':>6} {'status':<9} {'makespan':>8} {'bound':>7} "
          f"{'gap':>7} {'known':>6} {'found s':>8} {'proof s':>8}")
    js = []
    for p in paths:
        r = jobshop_row(p, a.time_limit, a.workers)
        js.append(r)
        print(f"{r['instance']:<9} {r['size']:>6} {r['status']:<9} {fmt(r['makespan']):>8} "
              f"{fmt(r['bound']):>7} {fmt(r['gap'], '.2%'):>7} {fmt(r['known']):>6} "
              f"{fmt(r['seconds_to_optimum_found'], '.2f'):>8} {r['seconds']:>8.2f}", flush=True)
    weeks = []
    if not a.no_week:
        with tempfile.TemporaryDirectory() as tmp:
            plan_dir = a.plan or example_plan(Path(tmp))
            weeks = week_rows(plan_dir, a.weeks, a.week_time_limit, a.workers)
        print(f"\n{'week':>4} {'orders':>6} {'ops':>4} {'units':>5} {'status':<9} "
              f"{'tardy h':>8} {'tardy ops':>9} {'makespan h':>10} {'seconds':>8}")
        for r in weeks:
            print(f"{r['week']:>4} {r['orders']:>6} {r['operations']:>4} {r['units']:>5} "
                  f"{r['status']:<9} {fmt(r['tardiness_hours'], '.2f'):>8} "
                  f"{fmt(r['tardy_operations']):>9} {fmt(r['makespan_hours'], '.1f'):>10} "
                  f"{r['seconds']:>8.2f}")
    ok = sum(r["proven_within_target"] for r in js)
    print(f"\n{ok}/{len(js)} job-shop instances proven optimal within {TARGET:.0f} s "
          f"(load average {load0[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)")
    a.json_out.parent.mkdir(parents=True, exist_ok=True)
    a.json_out.write_text(json.dumps({
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_start": load0, "loadavg_end": os.getloadavg()},
        "time_limit": a.time_limit, "workers": a.workers, "target_seconds": TARGET,
        "jobshop": js, "example_weeks": weeks}, indent=2) + "\n", encoding="utf-8")
    print(f"written {a.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
