"""The result of a simulation: KPIs with confidence intervals, per-replication values, figures
per stock point, time series, and the unit balance of every replication."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chainlab.simulation.options import SimOptions


@dataclass(frozen=True)
class SimResult:
    """What :func:`simulation.simulate` returns. Tables are keyed by the network's IDs.

    - ``kpis``: one row per KPI (index ``kpi``): ``mean``, ``ci_low``, ``ci_high`` (the
      ``options.confidence`` t interval of the mean over replications), ``sd``, ``unit``;
    - ``replications``: one row per replication, one column per KPI, plus ``events``;
    - ``sites``: per (site, product) stock point, the mean over replications of
      avg_inventory, peak_inventory, backorders, stockout_days, demand and fill_rate, with
      the interval of fill_rate and avg_inventory;
    - ``series``: per (site, product, period) the mean end-of-period ``inventory`` and customer
      ``backlog`` over replications;
    - ``service``: per period the mean ``demand``, ``filled`` (on the day) and ``fill_rate``;
    - ``balance``: per (replication, product) the units initially on hand, bought, made,
      consumed, delivered, at the end in stock, in transit and in production, and the
      ``imbalance`` (0 up to rounding: units in = units out + change in stock).
    """

    kpis: pd.DataFrame
    replications: pd.DataFrame
    sites: pd.DataFrame
    series: pd.DataFrame
    service: pd.DataFrame
    balance: pd.DataFrame
    seed: int
    options: SimOptions
    network: str = ""
    engine: str = "simpy"
    replenishment: str = "policy"
    workers: int = 1
    seconds: float = 0.0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.replications)

    def kpi(self, name: str) -> float:
        """Mean of one KPI over the replications."""
        return float(self.kpis.at[name, "mean"])

    def as_dict(self) -> dict:
        """The JSON form (CONTRACTS §3): kpis {name: {mean, ci_low, ci_high}}, replications,
        seed, and a few facts of the run."""
        def num(x):
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

        return {
            "network": self.network,
            "kpis": {k: {"mean": num(r["mean"]), "ci_low": num(r["ci_low"]),
                         "ci_high": num(r["ci_high"]), "unit": r["unit"]}
                     for k, r in self.kpis.iterrows()},
            "replications": self.n,
            "seed": self.seed,
            "confidence": self.options.confidence,
            "engine": self.engine,
            "replenishment": self.replenishment,
            "unmet": self.options.unmet.value,
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "events": int(self.replications["events"].sum()) if "events" in self.replications
            else None,
            "warnings": list(self.warnings),
        }

    def to_folder(self, path, plot: bool = True) -> Path:
        """Write ``kpis.csv``, ``replications.csv``, ``sites.csv``, ``series.csv``,
        ``service.csv``, ``balance.csv``, ``summary.json`` and (``plot``) ``simulation.png``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.kpis.to_csv(path / "kpis.csv", index_label="kpi", lineterminator="\n")
        self.replications.to_csv(path / "replications.csv", lineterminator="\n")
        self.sites.to_csv(path / "sites.csv", lineterminator="\n")
        self.series.to_csv(path / "series.csv", lineterminator="\n")
        self.service.to_csv(path / "service.csv", lineterminator="\n")
        self.balance.to_csv(path / "balance.csv", lineterminator="\n")
        (path / "summary.json").write_text(json.dumps(self.as_dict(), indent=2) + "\n",
                                           encoding="utf-8")
        if plot:
            self.plot(path / "simulation.png")
        return path

    def to_excel(self, path) -> Path:
        """One workbook: ``summary``, ``kpis`` and the tables :meth:`to_folder` writes."""
        from chainlab.models.workbook import key_values, write_workbook

        return write_workbook(path, {
            "summary": key_values(self.as_dict()), "kpis": self.kpis.rename_axis("kpi"),
            "replications": self.replications, "sites": self.sites, "series": self.series,
            "service": self.service, "balance": self.balance})

    def plot(self, file) -> Path | None:
        """A PNG of inventory, backlog and fill rate over time; None when matplotlib is not
        installed."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return None
        s = self.series.groupby(level="period")[["inventory", "backlog"]].sum()
        svc = self.service
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        x = svc.get("date", svc.index)
        a1.plot(x, s["inventory"].to_numpy(), label="inventory (end of period)")
        a1.plot(x, s["backlog"].to_numpy(), label="customer backlog", color="tab:red")
        a1.set_ylabel("units")
        a1.legend(loc="upper right")
        a1.set_title(f"{self.network}: mean of {self.n} replications (seed {self.seed})")
        a2.plot(x, svc["fill_rate"].to_numpy(), color="tab:green", label="fill rate")
        fr = self.kpis.loc["fill_rate"]
        a2.axhline(fr["mean"], color="gray", ls="--", lw=1,
                   label=f"overall {fr['mean']:.3f} [{fr['ci_low']:.3f}, {fr['ci_high']:.3f}]")
        a2.set_ylabel("fill rate")
        a2.set_ylim(min(0.5, float(svc["fill_rate"].min()) - 0.05) if len(svc) else 0, 1.02)
        a2.legend(loc="lower left")
        fig.autofmt_xdate()
        fig.tight_layout()
        fig.savefig(file, dpi=110)
        plt.close(fig)
        return Path(file)

    def __repr__(self) -> str:
        k = self.kpis

        def cell(name, fmt):
            if name not in k.index:
                return ""
            r = k.loc[name]
            return f"{name} {r['mean']:{fmt}} [{r['ci_low']:{fmt}}, {r['ci_high']:{fmt}}]"

        parts = [cell("fill_rate", ".3f"), cell("otif", ".3f"), cell("avg_inventory", ",.0f"),
                 cell("total_cost", ",.0f")]
        return (f"<SimResult {self.network!r}: {self.n} replications, seed {self.seed}, "
                f"{self.engine}/{self.replenishment}; " + "; ".join(p for p in parts if p) + ">")
