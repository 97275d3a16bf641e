"""Load + validate time and peak memory for generated networks of growing size.

    python benchmarks/load_bench.py [--sizes S M L XL] [--repeat 3]

Each size is written once as a network folder, then loaded and validated in a fresh process
(``Network.from_folder`` runs every validation rule) ``--repeat`` times; the table shows the
median seconds of reading + parsing + validation and the peak resident memory of that process.
Target (the foundation issue): XL = 2,000 sites, 20,000 lanes, 200 products and 500,000 demand
rows in under 10 s on a 2-core machine. The baseline in the same run is a bare
``pandas.read_csv`` of the same files (no checks), to show what validation costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SIZES = {  # sites, lanes, products, demand rows
    "S": (100, 1_000, 20, 10_000),
    "M": (500, 5_000, 50, 100_000),
    "L": (1_000, 10_000, 100, 250_000),
    "XL": (2_000, 20_000, 200, 500_000),
}


def generate(folder: Path, n_sites: int, n_lanes: int, n_products: int, n_demand: int, seed=7):
    """A valid network: 2% suppliers, 2% plants, 6% DCs, the rest customers; each customer has
    lanes from several DCs; every product made at every plant from one component."""
    rng = np.random.default_rng(seed)
    n_sup, n_pl, n_dc = max(1, n_sites // 50), max(1, n_sites // 50), max(1, n_sites * 3 // 50)
    n_cu = n_sites - n_sup - n_pl - n_dc
    sup = [f"S{i}" for i in range(n_sup)]
    pl = [f"P{i}" for i in range(n_pl)]
    dc = [f"D{i}" for i in range(n_dc)]
    cu = [f"C{i}" for i in range(n_cu)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "network.yaml").write_text("name: bench\ncalendar: {bucket: week, start: 2027-01-04, "
                                         "periods: 52}\n")
    pd.DataFrame({"id": sup + pl + dc + cu,
                  "kind": ["supplier"] * n_sup + ["plant"] * n_pl + ["dc"] * n_dc + ["customer"] * n_cu,
                  "lat": rng.uniform(25, 48, n_sites).round(4),
                  "lon": rng.uniform(-123, -70, n_sites).round(4)}).to_csv(folder / "sites.csv", index=False)
    fg = [f"F{i}" for i in range(n_products - n_products // 10)]
    rm = [f"R{i}" for i in range(n_products // 10)]
    pd.DataFrame({"id": fg + rm, "standard_cost": rng.uniform(1, 100, len(fg) + len(rm)).round(2),
                  "holding_cost": 0.1}).to_csv(folder / "products.csv", index=False)
    pd.DataFrame({"product": fg, "component": [rm[i % len(rm)] for i in range(len(fg))],
                  "quantity": 1.0}).to_csv(folder / "bom.csv", index=False)
    pd.DataFrame([(p, f, 5.0) for p in pl for f in fg],
                 columns=["plant", "product", "unit_cost"]).to_csv(folder / "production.csv", index=False)
    pd.DataFrame([(s, r, 2.0) for s in sup for r in rm],
                 columns=["supplier", "product", "unit_cost"]).to_csv(folder / "supply.csv", index=False)
    fixed = [(s, p) for s in sup for p in pl] + [(p, d) for p in pl for d in dc]
    base, extra = divmod(max(n_cu, n_lanes - len(fixed)), n_cu)
    cust = [(dc[(i * 7 + k) % n_dc], c) for i, c in enumerate(cu)
            for k in range(base + (i < extra))]
    lanes = pd.DataFrame(fixed + cust, columns=["origin", "destination"]).drop_duplicates()
    lanes["cost_per_unit"] = rng.uniform(0.1, 5, len(lanes)).round(3)
    lanes["lead_time_days"] = rng.integers(1, 10, len(lanes))
    lanes.to_csv(folder / "lanes.csv", index=False)
    start = np.datetime64("2027-01-04")
    pd.DataFrame({
        "customer": rng.choice(cu, n_demand), "product": rng.choice(fg, n_demand),
        "date": (start + rng.integers(0, 52, n_demand) * 7).astype(str),
        "quantity": rng.integers(1, 500, n_demand), "sd": rng.uniform(0, 50, n_demand).round(2),
    }).to_csv(folder / "demand.csv", index=False)
    return len(lanes)


CHILD = """
import json, resource, sys, time
t = time.perf_counter()
if sys.argv[2] == "chainlab":
    from chainlab.models import Network
    net = Network.from_folder(sys.argv[1])
else:
    import pandas as pd, pathlib
    for f in pathlib.Path(sys.argv[1]).glob("*.csv"):
        pd.read_csv(f)
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(folder: Path, path: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, str(folder), path], capture_output=True,
                             text=True, check=True)
        runs.append(json.loads(out.stdout))
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out", default="benchmarks/results/load_bench.json")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sizes:
            sites, lanes, prods, dem = SIZES[name]
            folder = Path(tmp) / name
            n_lanes = generate(folder, sites, lanes, prods, dem)
            ours = measure(folder, "chainlab", args.repeat)
            base = measure(folder, "pandas", args.repeat)
            rows.append({"size": name, "sites": sites, "lanes": n_lanes, "products": prods,
                         "demand_rows": dem, "load_validate_s": round(ours["seconds"], 3),
                         "peak_mb": round(ours["peak_mb"]), "bare_read_csv_s": round(base["seconds"], 3),
                         "ratio": round(ours["seconds"] / base["seconds"], 2)})
            r = rows[-1]
            print(f"{name:3} sites={sites:5} lanes={n_lanes:6} products={prods:4} demand={dem:7}  "
                  f"load+validate {r['load_validate_s']:7.2f}s  peak {r['peak_mb']:5} MB  "
                  f"bare read_csv {r['bare_read_csv_s']:6.2f}s  ratio {r['ratio']:5.2f}", flush=True)
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": dt.date.today().isoformat(), "rows": rows}, indent=2))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
