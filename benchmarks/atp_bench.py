"""Order-promising benchmark on the bundled example (scenarios/examples/acme) with its plan
published and its starting stock on hand:

1. in-process ATP check latency (``Ledger.check``), target p99 < 2 ms, and the CPU time of
   each check (on a busy machine the wall-clock tail is mostly other processes' turns);
2. HTTP ``POST /v1/atp/check`` latency at a fixed 200 requests/s, open loop (each request is
   sent at its scheduled time whatever the earlier ones do; latency counts from that time), by
   a load generator on loopback against ``chainlab serve`` (uvicorn, one process), target
   p99 < 25 ms;
3. ``POST /v1/promises`` per second with 32 concurrent clients (small quantities with
   ``allow_partial``, so most are promised; 409s are counted apart).

    python benchmarks/atp_bench.py [--checks 3000] [--rate 200] [--seconds 15]
                                   [--clients 32] [--promise-seconds 15]
                                   [--database-url URL] [--plan DIR] [--seed 7]

The plan comes from ``--plan`` (a ``Plan.to_folder``), else from
``benchmarks/results/acme_plan`` when it is there, else it is solved (gap 2 %, 120 s) and kept
there. The ledger is a new SQLite file unless ``--database-url`` names another (a PostgreSQL
URL gets a scratch database next to it, dropped afterwards). Requests are drawn, with
``--seed``, from the example's demand: a customer, a product it buys, a quantity of 20-100 %
of a week's demand, a date in the plan's horizon. Prints a table and writes
``benchmarks/results/atp_bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from chainlab.api.serving import served
from chainlab.ledger import Ledger, testing
from chainlab.ledger.promising import LineRequest, PromiseRequest
from chainlab.models import Network

RESULTS = Path(__file__).parent / "results"
EXAMPLE = ROOT / "scenarios" / "examples" / "acme"
TARGET_CHECK_P99_MS = 2.0
TARGET_HTTP_P99_MS = 25.0
# ------------------------------------------------------------------ setup

def load_plan(net: Network, folder: Path | None) -> Path:
    if folder is not None:
        return folder
    kept = RESULTS / "acme_plan"
    if (kept / "production.csv").exists():
        return kept
    from chainlab import solver
    print("solving the example's plan (once; kept in benchmarks/results/acme_plan) ...",
          file=sys.stderr)
    solver.plan(net, gap=0.02, time_limit=120).to_folder(kept)
    return kept


def build_ledger(url: str, net: Network, plan: Path) -> dict:
    """Publish the plan with its network (which puts the network's starting stock on hand as
    opening moves); returns what it took."""
    t = time.perf_counter()
    with Ledger(url, upgrade=True) as led:
        r = led.publish(plan, network=net)
        keys = {role: led.create_key(role)[0] for role in ("sales", "erp")}
    return {"plan_version": r.plan_version, "orders": r.orders, "stock_rows": r.opening_moves,
            "seconds": round(time.perf_counter() - t, 2), "keys": keys}


def requests(net: Network, n: int, seed: int) -> list[PromiseRequest]:
    """``n`` one-line requests drawn from the example's demand."""
    rng = np.random.default_rng(seed)
    d = net.demand
    i = rng.integers(0, len(d), n)
    start = np.datetime64(net.calendar.start, "D")
    horizon = net.calendar.periods * net.calendar.days
    days = rng.integers(3, horizon - 7, n)
    frac = rng.uniform(0.2, 1.0, n)
    out = []
    for k in range(n):
        row = d.iloc[int(i[k])]
        q = max(1, round(float(row["quantity"]) * frac[k]))
        day = (start + np.timedelta64(int(days[k]), "D")).astype(dt.date)
        out.append(PromiseRequest(str(row["customer"]),
                                  [LineRequest(str(row["product"]), Decimal(q), day)]))
    return out


def body(req: PromiseRequest, **kw) -> dict:
    return {"customer": req.customer,
            "lines": [{"product": ln.product, "quantity": str(ln.quantity),
                       "requested_date": ln.requested_date.isoformat()} for ln in req.lines],
            **kw}


def stats(ms: list[float]) -> dict:
    a = np.asarray(ms, dtype=float)
    if not len(a):
        return {"n": 0}
    return {"n": len(a), "p50_ms": round(float(np.percentile(a, 50)), 3),
            "p90_ms": round(float(np.percentile(a, 90)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3),
            "max_ms": round(float(a.max()), 3), "mean_ms": round(float(a.mean()), 3)}


# ------------------------------------------------------------------ 1. in process

def bench_in_process(url: str, reqs: list[PromiseRequest], today: dt.date) -> dict:
    with Ledger(url) as led:
        for r in reqs[:50]:  # warm the caches and the connection pool
            led.check(r, today=today)
        ms, cpu_ms, fills = [], [], {}
        cpu = time.process_time()
        for r in reqs:
            t, c = time.perf_counter(), time.thread_time()
            a = led.check(r, today=today)
            ms.append((time.perf_counter() - t) * 1e3)
            cpu_ms.append((time.thread_time() - c) * 1e3)
            fills[a.fill.value] = fills.get(a.fill.value, 0) + 1
        cpu = (time.process_time() - cpu) / len(reqs) * 1e3
    # the CPU time of each check, apart from the time the machine's other work takes from it:
    # on a busy 2-core machine the wall-clock tail is mostly the scheduler's
    on_cpu = stats(cpu_ms)
    out = stats(ms) | {"cpu_ms_per_check": round(cpu, 3), "cpu_p50_ms": on_cpu["p50_ms"],
                       "cpu_p99_ms": on_cpu["p99_ms"], "fills": fills}
    out["target_p99_ms"] = TARGET_CHECK_P99_MS
    return out


# ------------------------------------------------------------------ 2. and 3. over HTTP

class _Connections:
    """Keep-alive HTTP/1.1 connections to the server, for a load generator that costs little
    CPU next to the server it measures (a raw request and a Content-Length read, no client
    library)."""

    def __init__(self, host: str, port: int, most: int):
        self.host, self.port, self.most = host, port, most
        self.idle: list = []
        self.opened = 0
        self.freed = asyncio.Condition()

    async def get(self):
        async with self.freed:
            while not self.idle and self.opened >= self.most:
                await self.freed.wait()
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    async def put(self, conn) -> None:
        async with self.freed:
            self.idle.append(conn)
            self.freed.notify()

    async def post(self, path: str, payload: bytes, key: str) -> int:
        conn = await self.get()
        reader, writer = conn
        try:
            writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\n"
                         b"Authorization: Bearer " + key.encode() + b"\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
        except Exception:
            writer.close()
            async with self.freed:
                self.opened -= 1
                self.freed.notify()
            raise
        await self.put(conn)
        return status


async def _open_loop(base: str, key: str, bodies: list[dict], rate: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    pool = _Connections(host, int(port), most=256)
    payloads = [json.dumps(b).encode() for b in bodies]
    lat: list[float] = []
    codes: dict[int, int] = {}
    for p in payloads[:50]:  # warm up the connections and the server's caches
        await pool.post("/v1/atp/check", p, key)
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05

    async def one(i: int, p: bytes):
        scheduled = t0 + i / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        try:
            code = await pool.post("/v1/atp/check", p, key)
        except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
            code = 0
        codes[code] = codes.get(code, 0) + 1
        lat.append((loop.time() - scheduled) * 1e3)

    await asyncio.gather(*(one(i, p) for i, p in enumerate(payloads)))
    achieved = len(payloads) / (loop.time() - t0)
    for reader, writer in pool.idle:
        writer.close()
    return stats(lat) | {"codes": {str(k): v for k, v in sorted(codes.items())},
                         "rate_asked": rate, "rate_achieved": round(achieved, 1),
                         "connections": pool.opened, "target_p99_ms": TARGET_HTTP_P99_MS}


def bench_http_checks(base: str, key: str, reqs: list[PromiseRequest], rate: float,
                      seconds: float) -> dict:
    n = int(rate * seconds)
    bodies = [body(reqs[i % len(reqs)]) for i in range(n)]
    return asyncio.run(_open_loop(base, key, bodies, rate))


def bench_promises(base: str, key: str, reqs: list[PromiseRequest], clients: int,
                   seconds: float) -> dict:
    import httpx

    lat: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(c: int):
        rng = np.random.default_rng(c)
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            start.wait()
            i = 0
            while time.perf_counter() < stop_at[0]:
                r0 = reqs[int(rng.integers(len(reqs)))]
                ln = r0.lines[0]
                small = PromiseRequest(r0.customer, [LineRequest(
                    ln.product, Decimal(int(rng.integers(1, 6))), ln.requested_date)])
                t = time.perf_counter()
                r = http.post("/v1/promises", json=body(small, allow_partial=True),
                              headers={"Idempotency-Key": f"bench-{c}-{i}"})
                with lock:
                    lat.append((time.perf_counter() - t) * 1e3)
                    codes[r.status_code] = codes.get(r.status_code, 0) + 1
                i += 1

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 0.5
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    made = codes.get(201, 0)
    return stats(lat) | {"clients": clients, "seconds": round(wall, 2),
                         "promises_per_s": round(made / wall, 1),
                         "requests_per_s": round(len(lat) / wall, 1),
                         "codes": {str(k): v for k, v in sorted(codes.items())}}


# ------------------------------------------------------------------ main

@contextlib.contextmanager
def database(url: str | None):
    if url and url.startswith("postgresql"):
        with testing.scratch_postgres(url, prefix="chainlab_atpbench") as u:
            yield u
        return
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory() as d:
        yield f"sqlite:///{Path(d) / 'ledger.db'}"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checks", type=int, default=3000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--promise-seconds", type=float, default=15.0)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--plan", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    net = Network.from_folder(EXAMPLE)
    plan = load_plan(net, args.plan)
    reqs = requests(net, args.checks, args.seed)
    out = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
           "network": net.name, "plan": str(plan), "seed": args.seed}
    with database(args.database_url) as url:
        setup = build_ledger(url, net, plan)
        keys = setup.pop("keys")
        out["engine"] = url.split(":", 1)[0].split("+")[0]
        out["setup"] = setup
        print(f"ledger ready ({out['engine']}): plan version {setup['plan_version']}, "
              f"{setup['orders']} orders, {setup['seconds']} s", file=sys.stderr)
        out["in_process_check"] = bench_in_process(url, reqs, net.calendar.start)
        with served(url) as base:
            out["http_check"] = bench_http_checks(base, keys["sales"], reqs, args.rate,
                                                  args.seconds)
            out["promises"] = bench_promises(base, keys["sales"], reqs, args.clients,
                                             args.promise_seconds)
        with Ledger(url) as led:
            over = [(p, s) for p in sorted({r.lines[0].product for r in reqs})
                    for s, t in led.atp(p).items() if t.shortfall > 0]
        out["check_no_overpromise_sites"] = len(over)
    out["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    report(out)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"atp_bench-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return out


def report(out: dict) -> None:
    ip, hc, pr = out["in_process_check"], out["http_check"], out["promises"]
    rows = [
        ("in-process ATP check", ip["n"], ip["p50_ms"], ip["p99_ms"], ip["max_ms"],
         f"p99 < {TARGET_CHECK_P99_MS} ms", "yes" if ip["p99_ms"] < TARGET_CHECK_P99_MS
         else "no", f"cpu {ip['cpu_ms_per_check']} ms/check, p99 {ip['cpu_p99_ms']} ms"),
        (f"HTTP check @ {hc['rate_asked']:.0f}/s", hc["n"], hc["p50_ms"], hc["p99_ms"],
         hc["max_ms"], f"p99 < {TARGET_HTTP_P99_MS} ms",
         "yes" if hc["p99_ms"] < TARGET_HTTP_P99_MS else "no",
         f"achieved {hc['rate_achieved']}/s, codes {hc['codes']}"),
        (f"promises, {pr['clients']} clients", pr["n"], pr["p50_ms"], pr["p99_ms"],
         pr["max_ms"], "", "", f"{pr['promises_per_s']} promises/s, codes {pr['codes']}"),
    ]
    head = ("benchmark", "n", "p50 ms", "p99 ms", "max ms", "target", "met", "note")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print(f"\natp_bench on {out['network']} ({out['engine']}), load average "
          f"{out['machine']['load_avg_start']} -> {out['machine']['load_avg_end']} on "
          f"{out['machine']['cpus']} cpus")
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(f"in-process answers: {ip['fills']}; sites over-promised after the run: "
          f"{out['check_no_overpromise_sites']}")


if __name__ == "__main__":
    main()
