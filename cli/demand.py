"""``chainlab demand NET --crm CRM [--out DIR] [--seed S] [--json]``: the demand model from CRM
data (CONTRACTS §3).

It fits :class:`models.demand.DemandModel` on the CRM history before the network calendar's
start, backtests it on the last 13 weeks of that history, and reports the backtest (WAPE
against a seasonal-naive forecast, P10-P90 coverage), the stage win rates (calibrated, beside
the CRM's own probabilities) and the expected demand per period. ``--out DIR`` writes:

* ``demand.csv``: the expected demand in the network's demand.csv format (with ``sd``), ready to
  replace a network's demand table;
* ``quantiles.csv`` (customer x product x bucket) and ``quantiles_product.csv`` (product x
  bucket): mean, P10, P50, P90;
* ``backtest.csv``: every customer x product x bucket of the hold-out: actual, forecast,
  seasonal naive, P10, P50, P90;
* ``summary.json``: the ``--json`` object;
* ``fan_chart.png``: history, expected demand and P10-P90 band of the largest products.

Register with :func:`register`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from chainlab.cli.kit import JsonOpt, NetArg, emit, err, guarded, load
from chainlab.cli.kit import out as console
from chainlab.models.files import atomic_file, atomic_write_text
from chainlab.models.io import to_text_frame
from chainlab.models.schema import TABLES

CrmOpt = Annotated[Path, typer.Option("--crm", help="CRM folder (orders.csv, opportunities.csv) "
                                                    "or a .json file of the same records")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="folder for demand.csv, quantiles, backtest and fan_chart.png")]
SeedOpt = Annotated[int, typer.Option("--seed", help="seed of the draws behind sd and quantiles")]
ShippedOpt = Annotated[bool, typer.Option(
    "--count-shipped", help="count orders already shipped for delivery in the horizon as demand")]

#: products drawn in the fan chart, largest expected demand first
FAN_PRODUCTS = 6
#: weeks of history shown before the forecast
FAN_HISTORY_WEEKS = 52


@guarded
def demand_command(net: NetArg, crm: CrmOpt, out: OutOpt = None, as_json: JsonOpt = False,
                   seed: SeedOpt = 0, count_shipped: ShippedOpt = False):
    """Demand from CRM data: run rate, open orders and the sales pipeline, backtested."""
    from chainlab.models.crm import load_crm
    from chainlab.models.demand import DemandModel, FitOptions, backtest

    t_start = time.perf_counter()
    network = load(net)
    data = load_crm(crm, network)
    options = FitOptions(seed=seed, count_shipped=count_shipped)
    if not as_json:
        err.print(f"fitting the demand model on {data.summary()['orders']:,} orders and "
                  f"{len(data.opportunities)} opportunities ...", highlight=False)
    t0 = time.perf_counter()
    model = DemandModel.fit(data, network, options)
    expected = model.expected_demand()
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    bt = backtest(data, network, options)
    t_bt = time.perf_counter() - t0
    result = summary(model, bt, network, crm)
    t0 = time.perf_counter()
    if out is not None:
        result["files"] = write_outputs(out, model, bt, data, expected)
    result["seconds"] = {"fit": round(t_fit, 2), "backtest": round(t_bt, 2),
                         "write": round(time.perf_counter() - t0, 2),
                         "total": round(time.perf_counter() - t_start, 2)}
    if out is not None:
        _write_json(Path(out) / "summary.json", result)
    if as_json:
        emit(result)
        return
    _print(result, model)
    if out is not None:
        console.print(f"written to {out}: {', '.join(result['files'])}", highlight=False)


def summary(model, bt, network, crm_path) -> dict:
    """The ``--json`` object: CONTRACTS §3 fields first, then the details."""
    s = model.summary()
    totals = model.quantiles(by="total")
    by_period = [{"period": int(i), "date": d.date().isoformat(),
                  "expected": round(float(r["mean"]), 3), "p10": round(float(r["p10"]), 3),
                  "p50": round(float(r["p50"]), 3), "p90": round(float(r["p90"]), 3)}
                 for i, (d, r) in enumerate(zip(totals["date"], totals.to_dict("records")))]
    return {
        "backtest": bt.as_dict(),
        "stage_win_rates": s["stage_win_rates"],
        "periods": s["periods"],
        "total_expected": s["total_expected"],
        "network": network.name,
        "crm": str(crm_path),
        "origin": s["origin"],
        "bucket": s["bucket"],
        "components": s["components"],
        "by_period": by_period,
        "stages": s["stages"],
        "pairs": s["pairs"],
        "open_opportunities": s["open_opportunities"],
        "series": s["series"],
        "products": s["products"],
        "order_to_delivery_buckets": s["order_to_delivery_buckets"],
        "close_slippage_days": s["close_slippage_days"],
        "forecast": _library(),
        "warnings": [i.as_dict() for i in model.warnings],
    }


def _library() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    try:
        v = version("statsmodels")
    except PackageNotFoundError:  # pragma: no cover - statsmodels is a dependency
        v = None
    return {"library": "statsmodels", "version": v,
            "method": "run rate: quasi-Poisson harmonic regression per product, shares by "
                      "SES / Croston-SBA / ADIDA, renewal timing; pipeline: stage win rates, "
                      "close slippage and lags"}


def write_outputs(out: Path, model, bt, crm, expected: pd.DataFrame) -> list[str]:
    """Write the files of ``--out`` (see the module docstring); returns their names."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "demand.csv": to_text_frame(TABLES["demand"], expected),
        "quantiles.csv": _dated(model.quantiles(by="pair")),
        "quantiles_product.csv": _dated(model.quantiles(by="product")),
        "backtest.csv": _dated(bt.cells),
    }
    for name, df in files.items():
        atomic_write_text(out / name, df.to_csv(index=False, lineterminator="\n",
                                                float_format="%.6g"))
    written = list(files)
    fan_chart(out / "fan_chart.png", model, crm)
    written.append("fan_chart.png")
    written.append("summary.json")
    return written


def _dated(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(date=pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d"))


def _write_json(path: Path, obj: dict) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, default=str) + "\n")


def delivered_history(crm, model, buckets: int) -> pd.DataFrame:
    """Demand delivered per product and bucket in the ``buckets`` buckets before the origin
    (orders not cancelled, by requested delivery date): columns product, date, quantity."""
    cal = model.calendar
    o = crm.orders[crm.orders["status"] != "cancelled"]
    b = cal.period_of(o["delivery_date"])
    keep = (b < 0) & (b >= -buckets)
    d = pd.DataFrame({"product": o["product"].to_numpy()[keep], "b": b[keep],
                      "quantity": o["quantity"].to_numpy()[keep]})
    g = d.groupby(["product", "b"])["quantity"].sum()
    full = pd.MultiIndex.from_product([sorted(d["product"].unique()), range(-buckets, 0)],
                                      names=["product", "b"])
    g = g.reindex(full, fill_value=0.0).reset_index()
    g["date"] = [cal.period_start(int(x)) for x in g["b"]]
    return g[["product", "date", "quantity"]]


def fan_chart(path: Path, model, crm, top: int = FAN_PRODUCTS) -> Path:
    """A PNG of the ``top`` products by expected demand: delivered history, the expected
    demand, the P50 and the P10-P90 band per bucket (matplotlib, imported here only)."""
    from matplotlib.figure import Figure

    q = model.quantiles(by="product")
    largest = q.groupby("product")["mean"].sum().sort_values(ascending=False).index[:top]
    hist_buckets = max(1, FAN_HISTORY_WEEKS * 7 // model.calendar.days)
    hist = delivered_history(crm, model, hist_buckets)
    cols = 3 if len(largest) > 4 else max(1, min(2, len(largest)))
    rows = max(1, int(np.ceil(len(largest) / cols)))
    fig = Figure(figsize=(4.6 * cols, 3.2 * rows), dpi=100)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.1, top=0.88, wspace=0.22, hspace=0.45)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    origin = pd.Timestamp(model.calendar.start)
    step = pd.Timedelta(days=model.calendar.days)

    def closed(df):  # one more row at the end, so that the last bucket is drawn whole
        last = df.iloc[[-1]].assign(date=df["date"].iloc[-1] + step)
        return pd.concat([df, last], ignore_index=True)

    for ax, p in zip(axes, largest):
        f = closed(q[q["product"] == p])
        h = closed(hist[hist["product"] == p]) if (hist["product"] == p).any() else hist[:0]
        ax.fill_between(f["date"], f["p10"], f["p90"], step="post", color="tab:blue",
                        alpha=0.25, linewidth=0, label="P10-P90")
        ax.step(h["date"], h["quantity"], where="post", color="0.35", linewidth=1,
                label="delivered")
        ax.step(f["date"], f["mean"], where="post", color="tab:blue", linewidth=1.6,
                label="expected")
        ax.step(f["date"], f["p50"], where="post", color="tab:blue", linewidth=0.8,
                linestyle="--", label="P50")
        ax.axvline(origin, color="0.5", linewidth=0.8, linestyle=":")
        ax.set_title(str(p), fontsize=10)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelrotation=30)
    for ax in axes[len(largest):]:
        ax.set_visible(False)
    if len(largest):
        axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Demand per {model.calendar.bucket}: history, expected and P10-P90 band "
                 f"(largest {len(largest)} products)", fontsize=11)
    path = Path(path)
    with atomic_file(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path


def _print(result: dict, model) -> None:
    bt = result["backtest"]
    t = Table(title=f"backtest: {bt['buckets']} {result['bucket']}s from {bt['origin']}")
    for c in ("level", "WAPE", "WAPE seasonal naive", "P10-P90 coverage", "inside P10-P90"):
        t.add_column(c, justify="right" if c != "level" else "left")
    for lvl, v in bt["levels"].items():
        t.add_row(lvl.replace("pair", "customer x product"), _pct(v["wape"]),
                  _pct(v["wape_seasonal_naive"]), _pct(v["coverage_p10_p90"]),
                  _pct(v["share_inside_p10_p90"]))
    console.print(t)
    s = Table(title="stage win rates (closed opportunities by the stage they closed from)")
    for c in ("stage", "closed", "won", "observed", "CRM probability", "used", "open",
              "open quantity"):
        s.add_column(c, justify="left" if c == "stage" else "right")
    for r in result["stages"]:
        s.add_row(r["stage"], str(r["closed"]), str(r["won"]), _pct(r["observed_win_rate"]),
                  _pct(r["crm_probability"]), _pct(r["win_rate"]), str(r["open"]),
                  f"{r['open_quantity']:,.0f}")
    console.print(s)
    c = result["components"]
    console.print(f"expected demand over {result['periods']} {result['bucket']}s from "
              f"{result['origin']}: [bold]{result['total_expected']:,.0f}[/] "
              f"({c['firm_orders']:,.0f} firm orders, {c['run_rate']:,.0f} run rate, "
              f"{c['pipeline']:,.0f} pipeline)", highlight=False)
    if result.get("files"):
        console.print("wrote " + ", ".join(result["files"]), highlight=False)
    for w in result["warnings"][:10]:
        console.print(f"[yellow]warning:[/] {w['file']}: {w['message']}", highlight=False)
    console.print(f"{result['seconds']['total']:.1f} s", style="dim")


def _pct(v) -> str:
    return "" if v is None else f"{100 * v:.1f} %"


def register(app: typer.Typer) -> None:
    """Add ``demand`` to a typer app."""
    app.command("demand")(demand_command)
