"""The demand model: expected demand and joint scenarios per customer x product x bucket, built
from CRM order history and the sales pipeline (:mod:`models.crm`).

Demand is dated by delivery (the order's ``requested_date``), in the network calendar's buckets,
from the calendar's start (the forecast origin). It has three parts, added up:

1. **Firm orders**: open orders whose delivery falls in the horizon (past-due ones in its
   first bucket); shipped and cancelled orders are not demand any more.
2. **Run rate**: orders that did not come from an opportunity, still to be placed. Per product,
   the weekly rate of demand x_p(t) (each customer's orders spread over the weeks until its next
   order, so that ordering cycles do not pass for noise) is a quasi-Poisson harmonic regression
   (trend + yearly Fourier terms, chosen by QAIC; :func:`models.forecast.harmonic_regression`).
   Each customer's share of it is the level of its own orders deseasonalised by the product's
   fit, y_cp(t) / x_p(t), by the method its Syntetos-Boylan class calls for (SES, Croston-SBA
   or ADIDA), and the shares are normalised to 1 per product: top-down reconciliation with
   forecast proportions, so thin and intermittent series borrow the product's seasonality and
   stay coherent with it. When orders come is a discrete renewal process per customer x
   product (the empirical gaps between ordering buckets, shrunk towards a geometric law),
   started from the time since the last order: a customer who orders every 4 weeks is expected
   in the weeks its cycle falls on. Orders then land after the order-to-delivery lag observed
   in the history.
3. **Pipeline**: each open opportunity is won with the win rate of its stage, calibrated from the
   closed opportunities (won / closed by the stage they closed from, with a weak beta prior of
   ``win_rate_prior`` pseudo-opportunities at the CRM's own probability), as a whole, and lands
   at its expected close date plus the slippage observed on closed opportunities (conditioned
   on not having closed yet), plus the close-to-order lag of won opportunities and the
   order-to-delivery lag. Orders linked to an opportunity are never run rate, and an open
   opportunity's quantity already ordered is not counted again.

:meth:`DemandModel.sample` draws joint scenarios of the same model (lognormal uncertainty of
each product's level and each customer's share, renewal timing, gamma order sizes, each
opportunity won or lost whole); the expected demand is the exact mean of those draws, and its
``sd`` and the quantiles come from ``FitOptions.samples`` draws with ``FitOptions.seed``.
:func:`backtest` refits on the history 13 weeks before the origin and scores the forecast
against what was then ordered for those weeks, and against a seasonal-naive forecast.

Forecasting library: statsmodels, chosen after measuring it against statsforecast on this
machine (2 cores, 2026-11) on the Acme example's 246 customer x product weekly series and its
12 product series. Cold imports are ``python -c`` wall times in one venv (statsforecast needs
pandas < 3, so that venv had pandas 2.3; there numpy + pandas alone take 1.2-1.7 s):

============================================  ================  =================
measured                                      statsforecast     statsmodels
============================================  ================  =================
version                                       2.1.1             0.15.0
cold import, models used                      3.2-4.0 s         2.6-2.7 s
SBA + ADIDA + SES on the 246 series           0.12 s            8.7 s (SES only)
seasonal model of the 12 products             0.44 s (MSTL)     0.16 s (GLM)
dependencies it adds                          pandas < 3,       scipy, patsy,
                                              fugue, pyarrow    formulaic
============================================  ================  =================

statsforecast 2.1.1 no longer depends on numba (nothing is JIT-compiled) and is fast, but it
pins ``pandas<3`` (this project runs pandas 3) and brings fugue and pyarrow. statsmodels
imports faster (+1.6 s over numpy and pandas with pandas 3) and fits the seasonal GLM in
milliseconds, but its per-series SES is slow, so the small level methods (SES, Croston-SBA,
ADIDA) are numpy in :mod:`models.forecast`. statsmodels is imported inside the fit, so
importing :mod:`models` stays cheap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.crm import CrmData
from chainlab.models.errors import Issue, Severity
from chainlab.models.forecast import (
    LEVEL_METHODS,
    YEAR_DAYS,
    classify,
    harmonic_regression,
    seasonal_naive,
    wape,
)

W = Severity.WARNING
PAIR = ["customer", "product"]


@dataclass(frozen=True)
class FitOptions:
    """How the demand model is fitted.

    ``seed`` and ``samples``: the draws behind ``sd`` and the quantiles. ``win_rate_prior``:
    pseudo-opportunities at the CRM's own stage probability added to each stage's closed
    history (0 = the raw won / closed). ``max_harmonics``: most pairs of yearly Fourier terms;
    ``seasonal=False`` allows none. ``gap_prior``: pseudo-gaps of the geometric law in each
    customer's ordering rhythm. ``backtest_weeks``: hold-out length of :func:`backtest`.
    ``count_shipped``: count orders already shipped for delivery in the horizon as firm demand
    too (when the network's stock on hand predates their shipment).
    """

    seed: int = 0
    samples: int = 500
    win_rate_prior: float = 2.0
    seasonal: bool = True
    max_harmonics: int = 6
    gap_prior: float = 2.0
    backtest_weeks: int = 13
    count_shipped: bool = False


# ---------------------------------------------------------------- stage win rates


def stage_win_rates(opportunities: pd.DataFrame, prior: float = 2.0) -> pd.DataFrame:
    """Win rate per stage from the closed opportunities, beside the CRM's own probability.

    Indexed by stage (open stages first, in the order of the CRM's probability): ``closed`` and
    ``won`` (closed opportunities by the stage they closed from: ``last_open_stage``, or their
    ``stage`` when it is one that open opportunities are in), ``observed`` = won / closed,
    ``crm_probability`` (median of the open ones' ``probability``), ``win_rate`` = (won + m p0)
    / (closed + m), the rate the model uses, with m = ``prior`` and p0 the CRM's probability
    (or, where the CRM gives none, the pooled rate of every closed opportunity), ``open`` and
    ``open_quantity``. A closed opportunity that does not tell its stage (only 'Closed Won')
    counts in the pooled rate alone.
    """
    opp = opportunities
    open_ = opp[opp["status"] == "open"]
    closed_all = opp[opp["status"] != "open"]
    told = ((closed_all["last_open_stage"] != "") | closed_all["stage"].isin(open_["stage"]))
    closed = closed_all[told.to_numpy()]
    by = pd.DataFrame({
        "closed": closed.groupby("close_stage").size(),
        "won": closed[closed["status"] == "won"].groupby("close_stage").size(),
        "crm_probability": open_.groupby("stage")["probability"].median(),
        "open": open_.groupby("stage").size(),
        "open_quantity": open_.groupby("stage")["quantity"].sum(),
    })
    by.index.name = "stage"
    by[["closed", "won", "open", "open_quantity"]] = by[
        ["closed", "won", "open", "open_quantity"]].fillna(0)
    by[["closed", "won", "open"]] = by[["closed", "won", "open"]].astype(int)
    pooled = (closed_all["status"] == "won").mean() if len(closed_all) else np.nan
    by["observed"] = np.where(by["closed"] > 0, by["won"] / by["closed"].clip(lower=1), np.nan)
    p0 = by["crm_probability"].fillna(pooled).fillna(0.5)
    by["win_rate"] = (by["won"] + prior * p0) / (by["closed"] + prior)
    by.loc[(by["closed"] == 0) & (prior == 0), "win_rate"] = p0
    order = by.assign(_o=by["open"] == 0, _p=by["crm_probability"].fillna(2.0))
    by = by.loc[order.sort_values(["_o", "_p"], kind="stable").index]
    return by[["closed", "won", "observed", "crm_probability", "win_rate", "open",
               "open_quantity"]]


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class DemandScenarios:
    """``n`` joint demand scenarios: ``values[k, i, t]`` is the demand of pair ``pairs[i]``
    (customer, product) in bucket ``t`` (starting on ``dates[t]``) in scenario ``k``."""

    values: np.ndarray
    pairs: pd.MultiIndex
    dates: pd.DatetimeIndex
    seed: int | np.random.SeedSequence | None

    @property
    def n(self) -> int:
        return self.values.shape[0]

    def frame(self, k: int) -> pd.DataFrame:
        """Scenario ``k`` as a demand table (fixed quantities, no zero rows)."""
        v = self.values[k]
        i, t = np.nonzero(v > 0)
        return pd.DataFrame({
            "customer": self.pairs.get_level_values(0)[i],
            "product": self.pairs.get_level_values(1)[i],
            "date": self.dates[t], "quantity": v[i, t], "sd": np.nan, "distribution": "fixed"})

    def long(self) -> pd.DataFrame:
        """Every scenario, pair and bucket as rows: scenario, customer, product, period, date,
        quantity (customer and product categorical)."""
        n, p, h = self.values.shape
        k, i, t = np.indices((n, p, h)).reshape(3, -1)
        cust = pd.Categorical(self.pairs.get_level_values(0))
        prod = pd.Categorical(self.pairs.get_level_values(1))
        return pd.DataFrame({"scenario": k, "customer": cust[i], "product": prod[i],
                             "period": t, "date": self.dates[t],
                             "quantity": self.values.reshape(-1)})


@dataclass(frozen=True)
class _RunRate:
    """What the run-rate part needs to give its mean and draw scenarios (index: pairs)."""

    rate: np.ndarray  # (pairs, H) expected intake per bucket if orders came evenly, f
    gap_mean: np.ndarray  # (pairs,) mean gap between ordering buckets
    hazard: np.ndarray  # (pairs, A + 1) P(order | buckets since last order = a), a = 0..A
    age0: np.ndarray  # (pairs,) buckets since the last order at the origin (capped at A)
    size_cv: np.ndarray  # (pairs,) CV of an order's size around its mean
    share_sd: np.ndarray  # (pairs,) sd of log share (estimation error of the customer's share)
    product: np.ndarray  # (pairs,) index into products
    product_sd: np.ndarray  # (products, H) sd of the log of the product's forecast level
    arrivals: np.ndarray  # (pairs, H) expected number of ordering buckets, u
    rows: np.ndarray  # (pairs,) row of each pair in the model's grid


class DemandModel:
    """Demand from CRM data over a calendar: :meth:`expected_demand` (the network's demand
    table, with ``sd``), :meth:`quantiles`, :meth:`sample` (joint scenarios), :meth:`apply`.

    Build with :meth:`fit`. ``pairs`` (customer, product) x ``dates`` is the grid of every
    array; ``firm``, ``run_rate`` and ``pipeline`` are the expected demand of each part.
    """

    def __init__(self, *, calendar: Calendar, pairs: pd.MultiIndex, firm: np.ndarray,
                 run_rate: np.ndarray, pipeline: np.ndarray, rr: _RunRate, lag: np.ndarray, opps: pd.DataFrame, opp_pmf: np.ndarray,
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
        return _fit(crm, net.calendar, options or FitOptions())

    # ------------------------------------------------------------ outputs

    @property
    def expected(self) -> np.ndarray:
        """Expected demand, (pairs, buckets)."""
        return self.firm + self.run_rate + self.pipeline

    def expected_demand(self) -> pd.DataFrame:
        """The expected demand as the network's demand table: customer, product, date (bucket
        start), quantity (mean), sd, distribution (``gamma``, or ``fixed`` where sd is 0).
        Cells with no demand are left out."""
        mean, sd = self.expected, self._draws().std(axis=0)
        i, t = np.nonzero(mean > 1e-9)
        sd = np.round(sd[i, t], 3)
        return pd.DataFrame({
            "customer": pd.array(self.pairs.get_level_values(0)[i], dtype="str"),
            "product": pd.array(self.pairs.get_level_values(1)[i], dtype="str"),
            "date": self.dates[t],
            "quantity": np.round(mean[i, t], 3),
            "sd": sd,
            "distribution": pd.array(np.where(sd > 0, "gamma", "fixed"), dtype="str"),
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
                        "observed_win_rate": _num(r.observed),
                        "crm_probability": _num(r.crm_probability),
                        "win_rate": _num(r.win_rate), "open": int(r.open),
                        "open_quantity": _num(r.open_quantity)} for s, r in st.iterrows()],
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

    def _draws(self) -> np.ndarray:
        if self._draws_cache is None:
            self._draws_cache = self._simulate(self.options.samples,
                                               np.random.default_rng(self.options.seed))
        return self._draws_cache

    def _grouped(self, by: str):
        draws, mean = self._draws(), self.expected
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
        H = self.calendar.periods
        out = np.broadcast_to(self.firm, (n,) + self.firm.shape).copy()
        rr = self._rr
        if len(rr.rows):
            npairs, nprod = len(rr.gap_mean), rr.product_sd.shape[0]
            zp = rng.standard_normal((n, nprod))
            level = np.exp(zp[:, :, None] * rr.product_sd - rr.product_sd ** 2 / 2)
            share = np.exp(rng.standard_normal((n, npairs)) * rr.share_sd - rr.share_sd ** 2 / 2)
            share_gap = (share * rr.gap_mean).ravel()
            k = 1.0 / rr.size_cv ** 2
            age = np.broadcast_to(rr.age0, (n, npairs)).copy()
            amax = rr.hazard.shape[1] - 1
            cols = np.arange(npairs)
            lag_cdf = np.cumsum(self.lag)
            for t in range(H):
                hit = rng.random((n, npairs)) < rr.hazard[cols, age]
                idx = np.flatnonzero(hit)
                r, c = np.divmod(idx, npairs)
                amount = (rng.gamma(k[c], 1.0 / k[c]) * level[r, rr.product[c], t]
                          * share_gap[idx] * rr.rate[c, t])
                land = t + np.minimum(np.searchsorted(lag_cdf, rng.random(len(idx)),
                                                      side="right"), len(self.lag) - 1)
                ok = land < H
                # each (scenario, pair) orders at most once per bucket: no repeated targets
                out[r[ok], rr.rows[c[ok]], land[ok]] += amount[ok]
                age += 1
                np.minimum(age, amax, out=age)
                age[hit] = 1
        if len(self.opportunities):
            rows = self.opportunities["row"].to_numpy()
            qty = self.opportunities["quantity"].to_numpy(dtype=float)
            prob = self.opportunities["win_rate"].to_numpy(dtype=float)
            won = rng.random((n, len(rows))) < prob
            cdf = np.cumsum(self._opp_pmf, axis=1)
            u = rng.random((n, len(rows)))
            for j in range(len(rows)):
                b = np.minimum(np.searchsorted(cdf[j], u[:, j], side="right"), H)
                ok = won[:, j] & (b < H)
                out[np.flatnonzero(ok), rows[j], b[ok]] += qty[j]
        return out


# ---------------------------------------------------------------- fitting


def _fit(crm: CrmData, cal: Calendar, opt: FitOptions) -> DemandModel:
    warns: list[Issue] = list(crm.warnings)
    H = cal.periods
    o = crm.orders[crm.orders["status"] != "cancelled"]
    ob = cal.period_of(o["order_date"])
    db = cal.period_of(o["delivery_date"])
    hist = ob < 0
    late = ~hist
    if late.any():
        warns.append(Issue("orders.csv", f"{int(late.sum())} order(s) placed on or after the "
                                         f"forecast origin {cal.start}; they count as firm "
                                         "demand, and the run-rate forecast covers their "
                                         "weeks too", column="order_date", severity=W))

    # order-to-delivery lag in buckets, from every order of the history
    lag_b = np.clip(db[hist] - ob[hist], 0, None)
    lag = np.bincount(lag_b).astype(float) if len(lag_b) else np.ones(1)
    lag /= lag.sum()

    # firm orders: open ones for delivery in the horizon, past-due ones in its first bucket;
    # without a status, those for delivery in the horizon. Shipped orders are fulfilled.
    status = o["status"].to_numpy()
    shipped = (status == "shipped") & (db >= 0) & (db < H)
    in_hand = (db < H) & ((status == "open") | ((status == "") & (db >= 0))
                          | (shipped & opt.count_shipped))
    firm_rows = o[in_hand]
    firm_b = np.maximum(db[in_hand], 0)

    # pipeline
    stages = stage_win_rates(crm.opportunities, opt.win_rate_prior)
    opps, opp_pmf, slips = _pipeline(crm, o, hist, cal, stages)

    # run rate
    rr_hist = o[hist & (o["opportunity_id"] == "").to_numpy()]
    rr_b = ob[hist & (o["opportunity_id"] == "").to_numpy()]
    n_hist = int(-ob[hist].min()) if hist.any() else 0

    keys = [tuple(k) for k in firm_rows[PAIR].to_numpy()] + \
        [tuple(k) for k in opps[PAIR].to_numpy()] + \
        [tuple(k) for k in rr_hist[PAIR].to_numpy()]
    pairs = pd.MultiIndex.from_tuples(sorted(set(keys)), names=PAIR) if keys else \
        pd.MultiIndex.from_arrays([[], []], names=PAIR)
    P = len(pairs)

    firm = np.zeros((P, H))
    if len(firm_rows):
        np.add.at(firm, (pairs.get_indexer(pd.MultiIndex.from_frame(firm_rows[PAIR])), firm_b),
                  firm_rows["quantity"].to_numpy(dtype=float))

    pipeline = np.zeros((P, H))
    if len(opps):
        opps = opps.assign(row=pairs.get_indexer(pd.MultiIndex.from_frame(opps[PAIR])))
        pipeline_add = (opps["quantity"].to_numpy() * opps["win_rate"].to_numpy())[:, None] \
            * opp_pmf[:, :H]
        np.add.at(pipeline, opps["row"].to_numpy(), pipeline_add)
    else:
        opps = opps.assign(row=np.zeros(0, dtype=int))

    rr, series, products = _run_rate(rr_hist, rr_b, n_hist, cal, opt, pairs)
    run_rate = np.zeros((P, H))
    if len(rr.rows):
        intake = rr.rate * rr.gap_mean[:, None] * rr.arrivals
        delivered = np.zeros_like(intake)
        for lv, pl in enumerate(lag):
            if pl > 0 and lv < H:
                delivered[:, lv:] += pl * intake[:, :H - lv]
        run_rate[rr.rows] = delivered
    if shipped.any() and not opt.count_shipped:
        warns.append(Issue("orders.csv", f"{int(shipped.sum())} order(s) for delivery in the "
                                         f"horizon ({o['quantity'].to_numpy()[shipped].sum():g} "
                                         "units) are already shipped and are not demand; "
                                         "count_shipped (--count-shipped) counts them",
                           column="status", severity=W))
    return DemandModel(calendar=cal, pairs=pairs, firm=firm, run_rate=run_rate,
                       pipeline=pipeline, rr=rr, lag=lag, opps=opps,
                       opp_pmf=opp_pmf[:, :H + 1] if len(opp_pmf) else np.zeros((0, H + 1)),
                       stages=stages, series=series, products=products, slippage_days=slips,
                       options=opt, warnings=warns)


def _pmf(values: np.ndarray) -> tuple[int, np.ndarray]:
    """Empirical pmf of integers as (offset of first value, probabilities)."""
    v = np.asarray(values, dtype=np.int64)
    lo = int(v.min())
    p = np.bincount(v - lo).astype(float)
    return lo, p / p.sum()


def _pipeline(crm: CrmData, orders: pd.DataFrame, hist: np.ndarray, cal: Calendar,
              stages: pd.DataFrame):
    """Open opportunities with their win rate, remaining quantity and delivery-bucket pmf
    (columns 0..H-1, then the mass beyond the horizon in column H)."""
    H, bd = cal.periods, cal.days
    origin = np.datetime64(cal.start, "D")
    opp = crm.opportunities
    closed = opp[(opp["status"] != "open") & opp["closed_date"].notna()]
    slips = ((closed["closed_date"] - closed["expected_close_date"]).dt.days.to_numpy()
             if len(closed) else np.zeros(1, dtype=np.int64))
    slips = slips if len(slips) else np.zeros(1, dtype=np.int64)
    # close -> order: first order of each won opportunity; order -> delivery: every order
    linked = orders[orders["opportunity_id"] != ""].groupby("opportunity_id")["order_date"].min()
    won = closed[closed["status"] == "won"].set_index("opportunity_id")["closed_date"]
    c2o = (linked.reindex(won.index) - won).dropna().dt.days.to_numpy()
    c2o = np.clip(c2o, 0, None) if len(c2o) else np.zeros(1, dtype=np.int64)
    o2d = (orders["delivery_date"] - orders["order_date"]).dt.days.to_numpy()[hist]
    o2d = np.clip(o2d, 0, None) if len(o2d) else np.zeros(1, dtype=np.int64)
    lo_c, p_c = _pmf(c2o)
    lo_d, p_d = _pmf(o2d)
    after_close = np.convolve(p_c, p_d)  # days from close to delivery, offset lo_c + lo_d

    open_ = opp[opp["status"] == "open"].copy()
    ordered = orders.groupby("opportunity_id")["quantity"].sum()
    open_["quantity"] = (open_["quantity"] - open_["opportunity_id"].map(ordered).fillna(0)
                         ).clip(lower=0)
    open_ = open_[open_["quantity"] > 0]
    open_["win_rate"] = open_["stage"].map(stages["win_rate"]).astype(float)
    pmfs = np.zeros((len(open_), H + 1))
    exp_off = ((open_["expected_close_date"].to_numpy().astype("datetime64[D]") - origin)
               .astype(np.int64))
    for j, e in enumerate(exp_off):
        close = e + slips
        keep = close >= 0  # it has not closed before the origin
        if keep.any():
            lo, pc = _pmf(close[keep])
        else:  # overdue beyond every observed slip: closes like late deals, from the origin
            late = slips[slips >= 0]
            lo, pc = _pmf(late if len(late) else np.zeros(1, dtype=np.int64))
        days = np.convolve(pc, after_close)
        off = lo + lo_c + lo_d + np.arange(len(days))
        b = np.minimum(off // bd, H)
        pmfs[j] = np.bincount(b, weights=days, minlength=H + 1)[:H + 1]
    cols = ["opportunity_id", "customer", "product", "stage", "quantity", "win_rate",
            "expected_close_date"]
    return open_[cols].reset_index(drop=True), pmfs, slips


def _run_rate(rr: pd.DataFrame, rr_b: np.ndarray, n: int, cal: Calendar, opt: FitOptions,
              pairs: pd.MultiIndex):
    """The run-rate part: per product the seasonal intake forecast, per pair its share, its
    ordering rhythm and its order-size dispersion."""
    H, bd = cal.periods, cal.days
    year = YEAR_DAYS / bd
    empty_series = pd.DataFrame(columns=["customer", "product", "class", "adi", "cv2", "method",
                                         "share", "orders"])
    empty_products = pd.DataFrame(columns=["harmonics", "trend", "dispersion", "intake"])
    if len(rr) == 0 or n == 0:
        z = np.zeros((0, H))
        return (_RunRate(z, np.zeros(0), np.zeros((0, 2)), np.zeros(0, int), np.ones(0),
                         np.zeros(0), np.zeros(0, int), np.zeros((0, H)), z,
                         np.zeros(0, dtype=int)), empty_series, empty_products)
    key = pd.MultiIndex.from_frame(rr[PAIR])
    rr_pairs = key.unique().sort_values()
    Y = np.zeros((len(rr_pairs), n))
    np.add.at(Y, (rr_pairs.get_indexer(key), rr_b + n), rr["quantity"].to_numpy(dtype=float))
    prods, pidx = np.unique(rr_pairs.get_level_values(1).to_numpy(dtype=object),
                            return_inverse=True)

    R = _spread(Y)
    fitted = np.zeros((len(prods), n))
    forecast = np.zeros((len(prods), H))
    se = np.zeros((len(prods), H))
    prow = []
    for j, p in enumerate(prods):
        f = harmonic_regression(R[pidx == j].sum(axis=0), H, bd,
                                max_harmonics=opt.max_harmonics, seasonal=opt.seasonal)
        fitted[j], forecast[j], se[j] = f.fitted, f.forecast, f.se_log
        prow.append((p, f.harmonics, f.trend, f.dispersion, float(f.forecast.sum())))
    products = pd.DataFrame(prow, columns=["product", "harmonics", "trend", "dispersion",
                                           "intake"]).set_index("product")

    m = len(rr_pairs)
    level = np.zeros(m)
    rows = []
    gaps_all, ages, n_orders, n_recent, cv_emp = [], np.zeros(m, int), np.zeros(m), \
        np.zeros(m), np.full(m, np.nan)
    for i in range(m):
        y = Y[i]
        nz = np.flatnonzero(y > 0)
        first = nz[0]
        cls, adi, cv2 = classify(y[first:])
        base = fitted[pidx[i], first:]
        zser = np.where(base > 0, y[first:] / np.where(base > 0, base, 1.0), 0.0)
        level[i] = LEVEL_METHODS[cls.method](zser)
        gaps_all.append(np.diff(nz))
        ages[i] = n - nz[-1]
        n_orders[i] = len(nz)
        n_recent[i] = int((nz >= n - year).sum())
        zs = zser[nz - first]
        if len(zs) >= 2 and zs.mean() > 0:
            cv_emp[i] = zs.std() / zs.mean()
        rows.append((rr_pairs[i][0], rr_pairs[i][1], cls.value, round(adi, 3), round(cv2, 3),
                     cls.method, len(nz)))
    # shares: levels normalised per product (top-down with forecast proportions)
    tot = np.bincount(pidx, weights=level, minlength=len(prods))
    hist_tot = np.bincount(pidx, weights=Y.sum(axis=1), minlength=len(prods))
    share = np.where(tot[pidx] > 0, level / np.where(tot[pidx] > 0, tot[pidx], 1.0),
                     Y.sum(axis=1) / hist_tot[pidx])
    series = pd.DataFrame(rows, columns=["customer", "product", "class", "adi", "cv2", "method",
                                         "orders"])
    series.insert(6, "share", np.round(share, 5))

    # ordering rhythm: discrete renewal process, hazard by buckets since the last order
    gmax = max([int(g.max()) for g in gaps_all if len(g)] + [1])
    amax = gmax + 1  # from here on the hazard is the geometric one, constant
    hazard = np.zeros((m, amax + 1))
    gap_mean = np.zeros(m)
    a = np.arange(1, amax + 1)
    for i, g in enumerate(gaps_all):
        span = n - int(np.flatnonzero(Y[i] > 0)[0])
        q = 1.0 / g.mean() if len(g) else min(1.0, max(n_orders[i] / max(span, 1), 1.0 / n))
        w = len(g) / (len(g) + opt.gap_prior)
        emp = np.bincount(g, minlength=amax + 1)[1:amax + 1] / max(len(g), 1)
        pmf = w * emp + (1 - w) * q * (1 - q) ** (a - 1)
        surv = 1.0 - np.concatenate([[0.0], np.cumsum(pmf)[:-1]])
        hazard[i, 1:] = np.where(surv > 1e-12, pmf / np.maximum(surv, 1e-12), q)
        hazard[i, amax] = q
        gap_mean[i] = w * (g.mean() if len(g) else 0.0) + (1 - w) / q
    hazard = np.clip(hazard, 0.0, 1.0)
    age0 = np.minimum(ages, amax)
    arrivals = np.zeros((m, H))
    state = np.zeros((m, amax + 1))
    state[np.arange(m), age0] = 1.0
    for t in range(H):
        hit = state * hazard
        arrivals[:, t] = hit.sum(axis=1)
        nxt = np.zeros_like(state)
        nxt[:, 2:] = (state - hit)[:, 1:-1]
        nxt[:, amax] += (state - hit)[:, amax]
        nxt[:, 1] = arrivals[:, t]
        state = nxt

    pooled_cv = float(np.nanmedian(cv_emp[n_orders >= 3])) if (n_orders >= 3).any() else 0.5
    cv_i = np.where(np.isnan(cv_emp), pooled_cv, cv_emp)
    cv2 = (n_orders * cv_i ** 2 + 3 * pooled_cv ** 2) / (n_orders + 3)
    size_cv = np.clip(np.sqrt(cv2), 0.05, 3.0)
    share_sd = np.minimum(np.sqrt((1 + size_cv ** 2) / np.maximum(n_recent, 1)), 1.0)

    rr_model = _RunRate(rate=forecast[pidx] * share[:, None], gap_mean=gap_mean, hazard=hazard,
                        age0=age0, size_cv=size_cv, share_sd=share_sd, product=pidx,
                        product_sd=se, arrivals=arrivals, rows=pairs.get_indexer(rr_pairs))
    return rr_model, series, products


def _spread(Y: np.ndarray) -> np.ndarray:
    """Each order spread evenly over the buckets until the same customer's next order (the
    last one over its median gap, cut at the origin): the rate of demand behind the orders.
    A first order that comes sooner than the next gap shows the customer ordered before the
    history began, so its rate is carried back to the start.

    A customer who orders every 4 weeks puts 4 weeks of demand into one bucket; summed over
    customers, such cycles make a product's weekly intake far noisier than its demand, and
    the yearly season is fitted on these rates instead (the mean is kept: every unit is
    spread, none is lost, except the part of the last orders that falls after the origin).
    """
    R = np.zeros_like(Y)
    n = Y.shape[1]
    for i, y in enumerate(Y):
        nz = np.flatnonzero(y > 0)
        if not len(nz):
            continue
        gaps = np.diff(nz)
        last = int(np.median(gaps)) if len(gaps) else 1
        ends = np.concatenate([nz[1:], [nz[-1] + last]])
        for a, b in zip(nz, ends):
            R[i, a:min(b, n)] += y[a] / (b - a)
        if len(gaps) and nz[0] < gaps[0]:  # ordering before the history began: carry back
            R[i, :nz[0]] = R[i, nz[0]]
    return R


# ---------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    """Scores of a forecast made ``buckets`` buckets before the origin, against what was then
    ordered for delivery in those buckets.

    ``wape``, ``wape_seasonal_naive`` and ``coverage_p10_p90`` are per customer x product x
    bucket; ``levels`` has the same for ``pair``, ``product`` (x bucket) and ``total`` (per
    bucket). ``cells`` lists every customer x product x bucket: actual, forecast,
    seasonal_naive, p10, p50, p90.
    """

    origin: dt.date
    buckets: int
    wape: float
    wape_seasonal_naive: float
    coverage_p10_p90: float
    levels: dict
    cells: pd.DataFrame

    def as_dict(self) -> dict:
        return {"origin": self.origin.isoformat(), "buckets": self.buckets,
                "wape": _num(self.wape), "wape_seasonal_naive": _num(self.wape_seasonal_naive),
                "coverage_p10_p90": _num(self.coverage_p10_p90), "levels": self.levels}


def backtest(crm: CrmData, net, options: FitOptions | None = None) -> Backtest:
    """Hold out the last ``options.backtest_weeks`` weeks before the calendar's start: fit on
    the CRM as it stood then (:meth:`CrmData.as_of`), forecast those weeks, and score the
    forecast and a seasonal-naive one (same bucket a year before: 52 weeks or 364 days)
    against the demand ordered for delivery in them (WAPE), and the share of actuals inside
    the model's P10-P90 band."""
    opt = options or FitOptions()
    cal = net.calendar
    hb = max(1, opt.backtest_weeks * 7 // cal.days)
    t0 = cal.start - dt.timedelta(days=hb * cal.days)
    bcal = Calendar(cal.bucket, t0, hb)
    model = _fit(crm.as_of(t0), bcal, opt)

    o = crm.orders[crm.orders["status"] != "cancelled"]
    db = bcal.period_of(o["delivery_date"])
    season = 364 // cal.days
    n_hist = int(-db.min()) if len(db) and db.min() < 0 else 0
    keys = pd.MultiIndex.from_frame(o[PAIR])
    pairs = model.pairs.union(keys.unique()).sort_values() if len(keys) else model.pairs
    A = np.zeros((len(pairs), hb))
    hist = np.zeros((len(pairs), max(n_hist, 1)))
    inside, before = (db >= 0) & (db < hb), db < 0
    q = o["quantity"].to_numpy(dtype=float)
    rows = pairs.get_indexer(keys)
    np.add.at(A, (rows[inside], db[inside]), q[inside])
    np.add.at(hist, (rows[before], db[before] + n_hist), q[before])
    sn = seasonal_naive(hist, hb, season)

    where = pairs.get_indexer(model.pairs)
    F = np.zeros_like(A)
    F[where] = model.expected
    draws = np.zeros((model.options.samples, len(pairs), hb))
    draws[:, where] = model._draws()
    qs = np.quantile(draws, [0.1, 0.5, 0.9], axis=0)

    def score(a, f, s, d):
        lo, hi = np.quantile(d, [0.1, 0.9], axis=0)
        inside = float(((a >= lo - 1e-9) & (a <= hi + 1e-9)).mean()) if a.size else np.nan
        return {"wape": _num(wape(a, f)), "wape_seasonal_naive": _num(wape(a, s)),
                "coverage_p10_p90": _num(band_coverage(a, d)),
                "share_inside_p10_p90": _num(inside)}

    prods = pairs.get_level_values(1)
    codes, _ = pd.factorize(prods, sort=True)
    agg = np.zeros((codes.max() + 1 if len(codes) else 0, len(pairs)))
    agg[codes, np.arange(len(pairs))] = 1.0
    levels = {
        "pair": score(A, F, sn, draws),
        "product": score(agg @ A, agg @ F, agg @ sn, np.einsum("gp,nph->ngh", agg, draws)),
        "total": score(A.sum(0), F.sum(0), sn.sum(0), draws.sum(1)),
    }
    i, t = np.indices(A.shape).reshape(2, -1)
    cells = pd.DataFrame({"customer": pairs.get_level_values(0)[i],
                          "product": pairs.get_level_values(1)[i], "date": bcal.dates[t],
                          "actual": A[i, t], "forecast": F[i, t], "seasonal_naive": sn[i, t],
                          "p10": qs[0][i, t], "p50": qs[1][i, t], "p90": qs[2][i, t]})
    top = levels["pair"]
    return Backtest(t0, hb, top["wape"], top["wape_seasonal_naive"], top["coverage_p10_p90"],
                    levels, cells)


def band_coverage(actual: np.ndarray, draws: np.ndarray, lo: float = 0.1,
                  hi: float = 0.9) -> float:
    """Coverage of the central band [P_lo, P_hi] of the predictive distributions given by
    ``draws`` (scenarios on axis 0), mean over cells; expected to be hi - lo when the forecast
    is calibrated.

    Where the actual value has probability mass of its own (a week without orders, when
    orders are intermittent), it counts by the share of that mass inside the band: with
    F(a-) and F(a) the predictive CDF just below and at a, the cell counts
    |[F(a-), F(a)] ∩ [lo, hi]| / (F(a) - F(a-)), the non-randomized PIT of Czado, Gneiting &
    Held (2009, Biometrics 65). For continuous forecasts this is 1 inside the band and 0
    outside; counting every zero in a band whose P10 is 0 as inside would instead report
    over 90 % for a calibrated forecast of intermittent demand.
    """
    a = np.asarray(actual, dtype=float)
    d = np.asarray(draws, dtype=float)
    if not a.size:
        return float("nan")
    below = (d < a - 1e-9).mean(axis=0)
    upto = (d <= a + 1e-9).mean(axis=0)
    mass = upto - below
    overlap = np.clip(np.minimum(upto, hi) - np.maximum(below, lo), 0.0, None)
    inside = (below >= lo) & (upto <= hi)
    frac = np.where(mass > 0, overlap / np.where(mass > 0, mass, 1.0),
                    ((below >= lo) & (below <= hi)).astype(float))
    return float(np.where(inside, 1.0, frac).mean())


# ---------------------------------------------------------------- helpers


def _qname(q: float) -> str:
    return f"p{q * 100:g}".replace(".", "_")


def _num(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4)


def _describe(v: np.ndarray) -> dict:
    v = np.asarray(v, dtype=float)
    if not len(v):
        return {}
    return {"n": len(v), "mean": round(float(v.mean()), 2),
            "median": float(np.median(v)), "p10": float(np.quantile(v, 0.1)),
            "p90": float(np.quantile(v, 0.9))}


__all__ = ["Backtest", "DemandModel", "DemandScenarios", "FitOptions", "backtest", "band_coverage",
           "stage_win_rates"]
