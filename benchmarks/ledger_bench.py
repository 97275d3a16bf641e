"""Ledger benchmark: publishing a plan of 100,000 planned orders (SQLite and PostgreSQL) and
sustained stock-move posting over HTTP by 16 clients (uvicorn on loopback).

    python benchmarks/ledger_bench.py [--orders 100000] [--clients 16] [--seconds 20]
                                      [--workers 1,2] [--load python,wrk]
                                      [--engines sqlite,postgresql]

Each HTTP run is made with each load generator (``--load``) and each number of server
processes (``--workers``), on a fresh database:

- ``python``: 16 threads of ``httpx`` clients in this process. On a 2-core machine they take
  much of the CPU the server needs, so this measures the client as much as the server;
- ``wrk``: 16 connections of one ``wrk`` thread (C), with a generated Lua script for the POST
  bodies; it costs the server little CPU. wrk is a system package (Debian: ``apt-get install
  wrk``); this script installs nothing: without it the default runs the Python client alone,
  and ``--load wrk`` stops with a message.

PostgreSQL runs on a scratch database made next to ``CHAINLAB_TEST_DATABASE_URL`` (or
``--pg-url``) and dropped afterwards. Prints a table and writes
``benchmarks/results/ledger_bench.json``. Targets: publish < 10 s; >= 500 moves/s on
PostgreSQL (p99 latency reported).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.api.serving import served
from chainlab.ledger import Ledger, testing

RESULTS = Path(__file__).parent / "results"
TARGET_PUBLISH_S = 10.0
TARGET_MOVES_PER_S = 500.0


def master_data(n_sites: int = 40, n_products: int = 400):
    sites = pd.DataFrame({"id": [f"S{i:03d}" for i in range(n_sites)],
                          "kind": ["supplier", "plant", "dc", "dc"] * (n_sites // 4)})
    products = pd.DataFrame({"id": [f"P{i:04d}" for i in range(n_products)],
                             "standard_cost": np.round(np.linspace(1, 100, n_products), 2)})
    return sites, products


def plan_orders(n: int, sites: pd.DataFrame, products: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = sites.set_index("id")["kind"]
    plants = kinds.index[kinds == "plant"].to_numpy()
    stock = kinds.index[kinds.isin(["plant", "dc"])].to_numpy()
    suppliers = kinds.index[kinds == "supplier"].to_numpy()
    t = rng.choice(["production", "purchase", "transfer"], n)
    frm = np.where(t == "production", rng.choice(plants, n),
                   np.where(t == "purchase", rng.choice(suppliers, n), rng.choice(stock, n)))
    to = np.where(t == "production", frm, rng.choice(stock, n))
    start = np.datetime64("2027-01-04")
    release = start + rng.integers(0, 52, n) * np.timedelta64(7, "D")
    due = release + rng.integers(0, 3, n) * np.timedelta64(7, "D")
    return pd.DataFrame({"type": t, "product": rng.choice(products["id"].to_numpy(), n),
                         "from_site": frm, "to_site": to,
                         "quantity": np.round(rng.uniform(1, 1000, n), 3),
                         "release_date": pd.to_datetime(release).date,
                         "due_date": pd.to_datetime(due).date})


def bench_publish(url: str, n: int) -> dict:
    sites, products = master_data()
    a, b = plan_orders(n, sites, products, 1), plan_orders(n, sites, products, 2)
    with Ledger(url, upgrade=True) as led:
        led.publish_orders(a.head(10), sites=sites, products=products)  # master data, warm-up
        t = time.perf_counter()
        r1 = led.publish_orders(a)
        first = time.perf_counter() - t
        for o in led.orders(r1.plan_version, limit=n // 100).orders:  # 1% firm
            led.set_order_status(o.number, "firm")
        t = time.perf_counter()
        r2 = led.publish_orders(b)
        second = time.perf_counter() - t
        t = time.perf_counter()
        r3 = led.publish_orders(b)
        again = time.perf_counter() - t
        assert r2.carried == n // 100 and not r3.created
    return {"orders": n, "publish_s": round(first, 3), "republish_with_carry_s": round(second, 3),
            "carried": r2.carried, "idempotent_again_s": round(again, 3),
            "orders_per_s": round(n / first), "target_s": TARGET_PUBLISH_S,
            "meets_target": first < TARGET_PUBLISH_S and second < TARGET_PUBLISH_S}


def bench_baseline(url: str, clients: int, seconds: float, workers: int,
                   load: str = "python") -> dict:
    """The same clients and server on ``GET /health``: the ceiling of the HTTP stack on this
    machine, to read the posting numbers against."""
    import httpx

    Ledger(url, upgrade=True).close()
    if load == "wrk":
        with served(url, workers=workers, env={"CHAINLAB_KEY_CACHE_SECONDS": "30"}) as base:
            r = run_wrk(base, WRK_HEALTH, clients, seconds)
        return {"clients": clients, "workers": workers, "load": load,
                "requests_per_s": round(r["requests"] / r["seconds"], 1)}
    counts = [0] * clients
    with served(url, workers=workers, env={"CHAINLAB_KEY_CACHE_SECONDS": "30"}) as base:
        start = threading.Barrier(clients + 1)
        stop_at = [0.0]

        def client(c: int):
            with httpx.Client(base_url=base, timeout=30) as http:
                start.wait()
                while time.perf_counter() < stop_at[0]:
                    counts[c] += http.get("/health").status_code == 200

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        for t in threads:
            t.start()
        stop_at[0] = time.perf_counter() + seconds
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    return {"clients": clients, "workers": workers, "load": load,
            "requests_per_s": round(sum(counts) / elapsed, 1)}


def bench_http(url: str, clients: int, seconds: float, workers: int, batch: int = 1,
               load: str = "python") -> dict:
    """Each client posts ``batch`` moves per request (1: one move, an object; more: a list,
    posted atomically) with an Idempotency-Key, as fast as it can for ``seconds``."""
    sites, products = master_data()
    with Ledger(url, upgrade=True) as led:
        led.publish_orders(plan_orders(10, sites, products, 3), sites=sites, products=products)
        key = led.create_key("erp", name="bench")[0]
    stock = sites["id"][sites["kind"].isin(["plant", "dc"])].to_list()
    if load == "wrk":
        with served(url, workers=workers, env={"CHAINLAB_KEY_CACHE_SECONDS": "30"}) as base:
            r = run_wrk(base, wrk_post_script(key, stock, products["id"].to_list(), batch),
                        clients, seconds)
        ok, elapsed = r["requests"] - r["non_2xx"], r["seconds"]
        stats = {"requests": r["requests"], "failures": r["non_2xx"] + r["socket_errors"],
                 **{k: r[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}}
    else:
        ok, elapsed, lat = http_clients(url, workers, key, stock, clients, seconds, batch)
        stats = {"requests": int(lat.size), "failures": int(lat.size) - ok,
                 **{f"p{q}_ms": round(float(np.percentile(lat, q)), 2) for q in (50, 95, 99)},
                 "max_ms": round(float(lat.max()), 2)}
    with Ledger(url) as led:
        posted = len(led.moves(limit=10**7))
        balanced = led.trial_balance().balanced
    # wrk drops the requests in flight when it stops; the server may still post those
    in_flight = clients if load == "wrk" else 0
    assert ok * batch <= posted <= (ok + in_flight) * batch, (posted, ok * batch)
    rate = ok * batch / elapsed
    return {"clients": clients, "workers": workers, "load": load, "moves_per_request": batch,
            "seconds": round(elapsed, 2), "requests_per_s": round(ok / elapsed, 1),
            **stats, "moves_posted": posted, "moves_per_s": round(rate, 1),
            "trial_balance_zero": balanced, "target_moves_per_s": TARGET_MOVES_PER_S,
            "meets_target": rate >= TARGET_MOVES_PER_S}


def http_clients(url: str, workers: int, key: str, stock: list[str], clients: int,
                 seconds: float, batch: int) -> tuple[int, float, np.ndarray]:
    """The ``python`` load: ``clients`` threads of httpx; returns (answers that were 201,
    seconds, latencies in ms)."""
    import httpx

    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    with served(url, workers=workers, env={"CHAINLAB_KEY_CACHE_SECONDS": "30"}) as base:
        start = threading.Barrier(clients + 1)
        stop_at = [0.0]

        def client(c: int):
            rng = np.random.default_rng(c)
            with httpx.Client(base_url=base, timeout=30,
                              headers={"Authorization": f"Bearer {key}"}) as http:
                start.wait()
                i = 0
                while time.perf_counter() < stop_at[0]:
                    moves = [{"type": "receipt", "site": stock[rng.integers(len(stock))],
                              "product": f"P{rng.integers(400):04d}",
                              "quantity": round(float(rng.uniform(1, 100)), 3),
                              "date": "2027-01-05", "reference": f"bench-{c}-{i}-{j}"}
                             for j in range(batch)]
                    body = moves if batch > 1 else moves[0]
                    t = time.perf_counter()
                    r = http.post("/v1/stock-moves", json=body,
                                  headers={"Idempotency-Key": f"bench-{c}-{i}"})
                    latencies[c].append(time.perf_counter() - t)
                    failures[c] += r.status_code != 201
                    i += 1

        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        for t in threads:
            t.start()
        stop_at[0] = time.perf_counter() + seconds
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    lat = np.array([x for xs in latencies for x in xs]) * 1000
    return int(lat.size - sum(failures)), elapsed, lat


# ------------------------------------------------------------------ wrk

#: reports what :func:`run_wrk` reads, as one JSON line (latencies in microseconds)
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d, "max": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""

WRK_HEALTH = 'wrk.method = "GET"\nwrk.path = "/health"\n' + WRK_DONE


def wrk_post_script(key: str, sites: list[str], products: list[str], batch: int) -> str:
    """A wrk script that posts ``batch`` random receipts per request (an object for one, a
    list for more), each request with its own Idempotency-Key, as the python clients do."""
    lua_list = ", ".join
    return f"""
local key, batch = "{key}", {batch}
local sites = {{{lua_list(f'"{x}"' for x in sites)}}}
local products = {{{lua_list(f'"{x}"' for x in products)}}}
local thread_no, n = 0, 0
function setup(thread)
  thread:set("thread_no", thread_no)
  thread_no = thread_no + 1
end
function init(args)
  math.randomseed(os.time() * 1000 + thread_no)
end
local function move(j)
  return string.format(
    '{{"type": "receipt", "site": "%s", "product": "%s", "quantity": %d.%03d, ' ..
    '"date": "2027-01-05", "reference": "wrk-%d-%d-%d"}}',
    sites[math.random(#sites)], products[math.random(#products)], math.random(1, 99),
    math.random(0, 999), thread_no, n, j)
end
request = function()
  n = n + 1
  local body
  if batch == 1 then
    body = move(0)
  else
    local moves = {{}}
    for j = 1, batch do moves[j] = move(j) end
    body = "[" .. table.concat(moves, ", ") .. "]"
  end
  return wrk.format("POST", "/v1/stock-moves",
    {{["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json",
     ["Idempotency-Key"] = string.format("wrk-%d-%d", thread_no, n)}}, body)
end
""" + WRK_DONE


def run_wrk(base: str, script: str, clients: int, seconds: float) -> dict:
    """Run wrk (one thread, ``clients`` connections) with ``script`` against ``base``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s",
                              "--timeout", "30s", "-s", f.name, base],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    r = json.loads(line.removeprefix("WRK_JSON "))
    return {"requests": r["requests"], "seconds": r["us"] / 1e6, "non_2xx": r["non_2xx"],
            "socket_errors": r["socket_errors"],
            **{f"{k}_ms": round(r[k] / 1000, 2) for k in ("p50", "p95", "p99", "max")}}


@contextlib.contextmanager
def database(engine: str, pg_url: str | None):
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            yield f"sqlite:///{Path(d) / 'ledger.db'}"
        return
    if not pg_url:
        raise SystemExit("PostgreSQL needs --pg-url or CHAINLAB_TEST_DATABASE_URL")
    with testing.scratch_postgres(pg_url, prefix="chainlab_bench") as url:
        yield url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", default="1,2",
                    help="server processes (uvicorn --workers), one HTTP run each")
    ap.add_argument("--load", default=None,
                    help="load generators, one HTTP run each: python (httpx threads), wrk "
                         "(default: both, or python alone when wrk is not installed)")
    ap.add_argument("--batches", default="1,20",
                    help="moves per request, one HTTP run each (1 = single moves)")
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--skip", default="", help="publish or http")
    ap.add_argument("--pg-url", default=os.environ.get("CHAINLAB_TEST_DATABASE_URL"))
    args = ap.parse_args()
    if args.load is None:
        args.load = "python,wrk" if shutil.which("wrk") else "python"
        if args.load == "python":
            print("wrk is not installed (Debian: apt-get install wrk): the HTTP runs use the "
                  "Python client alone", file=sys.stderr)
    loads, workers = args.load.split(","), [int(w) for w in args.workers.split(",")]
    if not set(loads) <= {"python", "wrk"}:
        raise SystemExit(f"--load {args.load}: use python, wrk or both")
    if "wrk" in loads and "http" not in args.skip and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed; install it (Debian: apt-get install wrk) or "
                         "run with --load python")
    results = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "load_avg_1m": os.getloadavg()[0]},
               "publish": {}, "http": {}}
    for engine in args.engines.split(","):
        if "publish" not in args.skip:
            with database(engine, args.pg_url) as url:
                results["publish"][engine] = bench_publish(url, args.orders)
                print(f"publish {engine}: {results['publish'][engine]}", file=sys.stderr)
        if "http" not in args.skip:
            for load in loads:
                for w in workers:
                    with database(engine, args.pg_url) as url:
                        results.setdefault("baseline", {})[f"{engine}/{load}/w{w}"] = \
                            bench_baseline(url, args.clients, min(args.seconds, 5.0), w, load)
                    for batch in map(int, args.batches.split(",")):
                        with database(engine, args.pg_url) as url:
                            r = bench_http(url, args.clients, args.seconds, w, batch, load)
                        results["http"][f"{engine}/batch{batch}/{load}/w{w}"] = r
                        print(f"http {engine} batch {batch} {load} workers {w}: {r}",
                              file=sys.stderr)
    results["machine"]["load_avg_1m_end"] = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "ledger_bench.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    rows = [("benchmark", "engine", "load", "workers", "result", "target", "met")]
    for e, r in results["publish"].items():
        rows.append((f"publish {r['orders']:,} orders", e, "-", "-",
                     (f"{r['publish_s']:.2f} s (republish {r['republish_with_carry_s']:.2f} s, "
                     f"same again {r['idempotent_again_s']:.2f} s)"),
                     f"< {TARGET_PUBLISH_S:.0f} s", "yes" if r["meets_target"] else "NO"))
    for e, r in results["http"].items():
        per = "1 move" if r["moves_per_request"] == 1 else f"{r['moves_per_request']} moves"
        rows.append((f"post moves, {r['clients']} clients x {per}/request", e.split("/")[0],
                     r["load"], r["workers"],
                     (f"{r['moves_per_s']:.0f}/s, p50 {r['p50_ms']:.1f} ms, p99 "
                     f"{r['p99_ms']:.1f} ms, {r['failures']} failed"),
                     f">= {TARGET_MOVES_PER_S:.0f}/s", "yes" if r["meets_target"] else "NO"))
    for e, r in results.get("baseline", {}).items():
        rows.append((f"baseline: GET /health, {r['clients']} clients", e.split("/")[0],
                     r["load"], r["workers"], f"{r['requests_per_s']:.0f} requests/s", "-",
                     "-"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nwritten to {out} (load average {results['machine']['load_avg_1m']:.1f} -> "
          f"{results['machine']['load_avg_1m_end']:.1f} on {results['machine']['cpus']} CPUs)")


if __name__ == "__main__":
    main()
