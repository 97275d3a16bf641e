"""The CRM demand model as an object (:class:`DemandModel`): expected demand, its spread and
joint scenarios per customer x product x bucket; how it is built is :mod:`models.demand_fit`,
how it draws :mod:`models.demand_sampling` (the overview is in :mod:`models.demand`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.crm import CrmData
from chainlab.models.demand_fit import FitOptions, fit
from chainlab.models.demand_sampling import DemandScenarios, RunRate, draw
from chainlab.models.errors import Issue
from chainlab.models.schema import Distribution


class DemandModel:
    """Demand from CRM data over a calendar: :meth:`expected_demand` (the network's demand
    table, with ``sd``), :meth:`quantiles`, :meth:`sample` (joint scenarios), :meth:`apply`.

    Build with :meth:`fit`. ``pairs`` (customer, product) x ``dates`` is the grid of every
    array; ``firm``, ``run_rate`` and ``pipeline`` are the expected demand of each part.
    """

    def __init__(self, *, calendar: Calendar, pairs: pd.MultiIndex, firm: np.ndarray,
                 run_rate: np.ndarray, pipeline: np.ndarray, rr: RunRate, lag: np.ndarray,
                 opps: pd.DataFrame, opp_pmf: np.ndarray,
                 stages: pd.DataFrame, series: pd.DataFrame, products: pd.DataFrame,
                 slippage_days: np.ndarray, options: FitOptions, warnings: list[Issue]):
        self.calendar = calendar
        self.pairs = pairs
        self.dates = calendar.dates.as_unit("ns")
        self.firm, self.run_rate, self.pipeline = firm, run_rate, pipeline
        self._rr = rr
        #: P(delivery bucket - order bucket = l), l = 0, 1, ...
        self.lag = lag
        #: open opportunities the model counts: pair row, remaining quantity, win probability
        self.opportunities = opps
        self._opp_pmf = opp_pmf
        #: stage win rates (see :func:`stage_win_rates`)
        self.stages = stages
        #: run-rate series: class, ADI, CV², level method, share of the product, orders
        self.series = series
        #: per product: harmonics, trend, dispersion of the seasonal model, intake forecast
        self.products = products
        self.slippage_days = slippage_days
        self.options = options
        self.warnings = list(warnings)
        self._draws_cache: np.ndarray | None = None

    # ------------------------------------------------------------ construction

    @classmethod
    def fit(cls, crm: CrmData, net, options: FitOptions | None = None) -> DemandModel:
        """Fit on everything in ``crm`` before ``net.calendar.start``; forecast the calendar."""
        return cls.over(crm, net.calendar, options)

    @classmethod
    def over(cls, crm: CrmData, calendar: Calendar,
             options: FitOptions | None = None) -> DemandModel:
        """Fit on everything in ``crm`` before ``calendar.start``; forecast ``calendar``."""
        return cls(**fit(crm, calendar, options or FitOptions()))

    # ------------------------------------------------------------ outputs

    @property
    def expected(self) -> np.ndarray:
        """Expected demand, (pairs, buckets)."""
        return self.firm + self.run_rate + self.pipeline

    def expected_demand(self) -> pd.DataFrame:
        """The expected demand as the network's demand table: customer, product, date (bucket
        start), quantity (mean), sd, distribution (``gamma``, or ``fixed`` where sd is 0).
        Cells with no demand are left out."""
        mean, sd = self.expected, self.draws().std(axis=0)
        i, t = np.nonzero(mean > 1e-9)
        sd = np.round(sd[i, t], 3)
        return pd.DataFrame({
            "customer": pd.array(self.pairs.get_level_values(0)[i], dtype="str"),
            "product": pd.array(self.pairs.get_level_values(1)[i], dtype="str"),
            "date": self.dates[t],
            "quantity": np.round(mean[i, t], 3),
            "sd": sd,
            "distribution": pd.array(np.where(sd > 0, Distribution.GAMMA.value,
                                              Distribution.FIXED.value), dtype="str"),
        })

    def quantiles(self, q=(0.1, 0.5, 0.9), by: str = "pair") -> pd.DataFrame:
        """Quantiles of demand per bucket from the model's draws, with the mean: columns
        ``p10``, ``p50``, ``p90`` (for q = 0.1, 0.5, 0.9). ``by``: ``pair`` (customer x
        product), ``product`` or ``total``; sums are taken within each scenario, so a
        product's band is that of its total demand, not a sum of bands."""
        draws, mean, keys = self._grouped(by)
        qs = np.quantile(draws, list(q), axis=0)  # (q, groups, H)
        g, t = np.indices(mean.shape).reshape(2, -1)
        out = keys.iloc[g].reset_index(drop=True) if len(keys.columns) else pd.DataFrame(
            index=range(len(t)))
        out["date"] = self.dates[t]
        out["mean"] = mean[g, t]
        for j, qq in enumerate(q):
            out[_qname(qq)] = qs[j][g, t]
        return out

    def sample(self, n: int, seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
               ) -> pd.DataFrame:
        """``n`` joint scenarios of demand as rows: ``scenario`` (0..n-1), ``customer``,
        ``product``, ``period`` (bucket index), ``date`` (bucket start), ``quantity``, for
        every scenario x pair x bucket (zeros included). The same seed gives the same
        scenarios, bit for bit. Each opportunity is won or lost whole and lands in one bucket;
        run-rate orders come in the customer's rhythm. :meth:`sample_array` gives the same
        draws as an array."""
        return self.sample_array(n, seed).long()

    def sample_array(self, n: int,
                     seed: int | np.random.SeedSequence | np.random.Generator | None = 0,
                     ) -> DemandScenarios:
        """The draws of :meth:`sample` as :class:`DemandScenarios` (values: scenario x pair x
        bucket)."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return DemandScenarios(self._simulate(int(n), rng), self.pairs, self.dates,
                               None if isinstance(seed, np.random.Generator) else seed)

    def apply(self, net):
        """A copy of ``net`` whose demand table is this model's expected demand."""
        out = net.copy()
        out.demand = self.expected_demand()
        out.rows.pop("demand", None)
        return out

    def summary(self) -> dict:
        """Numbers a planner checks first (JSON-ready)."""
        exp = self.expected
        st = self.stages
        cls = self.series["class"].value_counts() if len(self.series) else pd.Series(dtype=int)
        return {
            "origin": self.calendar.start.isoformat(),
            "bucket": self.calendar.bucket,
            "periods": self.calendar.periods,
            "pairs": len(self.pairs),
            "total_expected": round(float(exp.sum()), 3),
            "components": {"firm_orders": round(float(self.firm.sum()), 3),
                           "run_rate": round(float(self.run_rate.sum()), 3),
                           "pipeline": round(float(self.pipeline.sum()), 3)},
            "stage_win_rates": {str(s): round(float(r), 4) for s, r in st["win_rate"].items()},
            "stages": [{"stage": str(s), "closed": int(r.closed), "won": int(r.won),
                        "observed_win_rate": json_number(r.observed),
                        "crm_probability": json_number(r.crm_probability),
                        "win_rate": json_number(r.win_rate), "open": int(r.open),
                        "open_quantity": json_number(r.open_quantity)} for s, r in st.iterrows()],
            "open_opportunities": len(self.opportunities),
            "series": {str(c): int(k) for c, k in cls.items()},
            "products": [{"product": p, "harmonics": int(r.harmonics), "trend": bool(r.trend),
                          "dispersion": round(float(r.dispersion), 3),
                          "run_rate_intake": round(float(r.intake), 3)}
                         for p, r in self.products.iterrows()],
            "order_to_delivery_buckets": {int(k): round(float(v), 4)
                                          for k, v in enumerate(self.lag) if v > 0},
            "close_slippage_days": _describe(self.slippage_days),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<DemandModel {s['pairs']} customer x product pairs, {s['periods']} "
                f"{s['bucket']}s from {s['origin']}: {s['total_expected']:,.0f} expected "
                f"({s['components']['firm_orders']:,.0f} firm, "
                f"{s['components']['run_rate']:,.0f} run rate, "
                f"{s['components']['pipeline']:,.0f} pipeline)>")

    # ------------------------------------------------------------ internals

    def draws(self) -> np.ndarray:
        """The model's own ``options.samples`` draws (seed ``options.seed``), (samples, pairs,
        buckets): what ``sd`` and the quantiles come from. Computed once."""
        if self._draws_cache is None:
            self._draws_cache = self._simulate(self.options.samples,
                                               np.random.default_rng(self.options.seed))
        return self._draws_cache

    def _grouped(self, by: str):
        draws, mean = self.draws(), self.expected
        if by == "pair":
            return draws, mean, self.pairs.to_frame(index=False)
        if by == "product":
            prods = self.pairs.get_level_values(1)
            codes, uniq = pd.factorize(prods, sort=True)
            m = np.zeros((len(uniq), len(self.pairs)))
            m[codes, np.arange(len(self.pairs))] = 1.0
            return (np.einsum("gp,nph->ngh", m, draws), m @ mean,
                    pd.DataFrame({"product": np.asarray(uniq, dtype=object)}))
        if by == "total":
            return draws.sum(axis=1, keepdims=True), mean.sum(axis=0, keepdims=True), \
                pd.DataFrame(index=range(1))
        raise ValueError(f"by={by!r} must be 'pair', 'product' or 'total'")

    def _simulate(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Joint draws (n, pairs, H) of firm + run rate + pipeline."""
        return draw(self.firm, self._rr, self.lag, self.opportunities, self._opp_pmf, n, rng)


def _qname(q: float) -> str:
    return f"p{q * 100:g}".replace(".", "_")


def json_number(v):
    """``v`` rounded to 4 decimals for JSON; None for None and NaN."""
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4)


def _describe(v: np.ndarray) -> dict:
    v = np.asarray(v, dtype=float)
    if not len(v):
        return {}
    return {"n": len(v), "mean": round(float(v.mean()), 2),
            "median": float(np.median(v)), "p10": float(np.quantile(v, 0.1)),
            "p90": float(np.quantile(v, 0.9))}
