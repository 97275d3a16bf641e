"""Web page benchmark: how long the planner's page takes, in headless Chromium, from navigation
to each view drawn with the example's data, against the bare cost of what it shows (the HTML
and the JSON the view reads, fetched without a browser) in the same run.

    python benchmarks/web_bench.py [--loads 10] [--demo DIR] [--chromium PATH]

The example comes from ``chainlab demo`` (2 replications) into ``--demo`` (default
``benchmarks/results/web_demo``, reused when it is there). The server is ``chainlab serve``
(uvicorn, one process) over the demo's SQLite ledger, on loopback. Each load is a new browser
context (cold cache) with a signed-in key. Target: a view ready in under 1 s. Prints a table and
writes ``benchmarks/results/web_bench-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from chainlab.api.serving import served
from chainlab.ledger import Ledger

RESULTS = Path(__file__).parent / "results"
TARGET_MS = 1000.0
#: each view, the role that opens it, and the JSON it reads first
VIEWS = {"network": ("planner", "/v1/plans/current/report"),
         "plan": ("planner", "/v1/plans/current/report"),
         "scenarios": ("planner", "/v1/scenarios"),
         "promise": ("sales", "/v1/catalog")}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic"]


def demo(folder: Path) -> Path:
    if not (folder / "ledger.db").exists():
        from chainlab.cli.demo import run_demo

        print(f"running chainlab demo into {folder} ...", file=sys.stderr)
        run_demo(folder, replications=2, as_json=True)
    return folder


def fetch_ms(url: str, key: str | None = None) -> float:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
    return 1000 * (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--demo", type=Path, default=RESULTS / "web_demo")
    ap.add_argument("--chromium", default=os.environ.get("CHAINLAB_CHROMIUM")
                    or shutil.which("chromium") or shutil.which("chromium-browser"))
    a = ap.parse_args()
    if not a.chromium:
        sys.exit("no Chromium: install Debian's chromium (apt-get install chromium) or give "
                 "--chromium PATH")
    from playwright.sync_api import sync_playwright

    folder = demo(a.demo)
    url = f"sqlite:///{(folder / 'ledger.db').resolve()}"
    with Ledger(url, upgrade=True) as led:
        keys = {r: led.create_key(r, name="web bench")[0] for r in ("planner", "sales")}
    env = {"CHAINLAB_SCENARIO_DIR": str(folder / "scenarios")}
    rows = []
    with open(os.devnull, "w") as log, served(url, env=env, log=log) as base, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=a.chromium, args=ARGS)
        for view, (role, data) in VIEWS.items():
            runs = []
            for _ in range(a.loads + 1):  # the first load warms the server, not counted
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                ctx.add_init_script(f"sessionStorage.setItem('chainlab.key', "
                                    f"{json.dumps(keys[role])})")
                page = ctx.new_page()
                page.goto(f"{base}/#{view}")
                page.wait_for_selector(f"body[data-{view}-ready='1']", timeout=60_000)
                runs.append(page.evaluate(f"""() => {{
                    const n = performance.getEntriesByType('navigation')[0];
                    const m = performance.getEntriesByName('chainlab:{view}-ready')[0];
                    return {{dcl: n.domContentLoadedEventEnd, ready: m.startTime}}; }}"""))
                ctx.close()
            runs = runs[1:]
            html = [fetch_ms(f"{base}/") for _ in range(a.loads)]
            json_ms = [fetch_ms(f"{base}{data}", keys[role]) for _ in range(a.loads)]
            rows.append({"view": view, "loads": a.loads,
                         "page_html_ms": statistics.median(html),
                         "view_json_ms": statistics.median(json_ms),
                         "dom_content_loaded_ms": statistics.median(r["dcl"] for r in runs),
                         "view_ready_ms": statistics.median(r["ready"] for r in runs),
                         "view_ready_max_ms": max(r["ready"] for r in runs)})
        browser.close()

    print(f"\nweb page, {a.loads} cold loads per view (median ms; target: ready < "
          f"{TARGET_MS:.0f} ms)")
    head = ("view", "HTML alone", "view's JSON alone", "DOMContentLoaded", "view ready",
            "worst ready", "target")
    print("  ".join(f"{h:>18}" for h in head))
    for r in rows:
        print("  ".join(f"{v:>18}" for v in (
            r["view"], f"{r['page_html_ms']:.1f}", f"{r['view_json_ms']:.1f}",
            f"{r['dom_content_loaded_ms']:.0f}", f"{r['view_ready_ms']:.0f}",
            f"{r['view_ready_max_ms']:.0f}",
            "met" if r["view_ready_ms"] < TARGET_MS else "MISSED")))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"web_bench-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps({"machine": {"python": platform.python_version(),
                                           "cpus": os.cpu_count(), "chromium": a.chromium},
                               "target_ms": TARGET_MS, "rows": rows}, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
