"""Fitting the CRM demand model (:mod:`models.demand`): stage win rates, the pipeline, the
run rate and the order-to-delivery lag, from the CRM history before the forecast origin.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.crm import CrmData, OpportunityStatus, OrderStatus
from chainlab.models.demand_sampling import RunRate
from chainlab.models.errors import Issue, Severity
from chainlab.models.forecast import LEVEL_METHODS, YEAR_DAYS, classify, harmonic_regression

W = Severity.WARNING
#: the key of every demand table: customer x product
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
    open_ = opp[opp["status"] == OpportunityStatus.OPEN]
    closed_all = opp[opp["status"] != OpportunityStatus.OPEN]
    told = ((closed_all["last_open_stage"] != "") | closed_all["stage"].isin(open_["stage"]))
    closed = closed_all[told.to_numpy()]
    by = pd.DataFrame({
        "closed": closed.groupby("close_stage").size(),
        "won": closed[closed["status"] == OpportunityStatus.WON].groupby("close_stage").size(),
        "crm_probability": open_.groupby("stage")["probability"].median(),
        "open": open_.groupby("stage").size(),
        "open_quantity": open_.groupby("stage")["quantity"].sum(),
    })
    by.index.name = "stage"
    by[["closed", "won", "open", "open_quantity"]] = by[
        ["closed", "won", "open", "open_quantity"]].fillna(0)
    by[["closed", "won", "open"]] = by[["closed", "won", "open"]].astype(int)
    pooled = (closed_all["status"] == OpportunityStatus.WON).mean() if len(closed_all) else np.nan
    by["observed"] = np.where(by["closed"] > 0, by["won"] / by["closed"].clip(lower=1), np.nan)
    p0 = by["crm_probability"].fillna(pooled).fillna(0.5)
    by["win_rate"] = (by["won"] + prior * p0) / (by["closed"] + prior)
    by.loc[(by["closed"] == 0) & (prior == 0), "win_rate"] = p0
    order = by.assign(_o=by["open"] == 0, _p=by["crm_probability"].fillna(2.0))
    by = by.loc[order.sort_values(["_o", "_p"], kind="stable").index]
    return by[["closed", "won", "observed", "crm_probability", "win_rate", "open",
               "open_quantity"]]


# ---------------------------------------------------------------- fitting


def fit(crm: CrmData, cal: Calendar, opt: FitOptions) -> dict:
    """Fit the three parts on everything in ``crm`` before ``cal.start`` and forecast ``cal``;
    returns the keyword arguments of :class:`models.demand_model.DemandModel`."""
    warns: list[Issue] = list(crm.warnings)
    H = cal.periods
    o = crm.orders[crm.orders["status"] != OrderStatus.CANCELLED]
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
    shipped = (status == OrderStatus.SHIPPED) & (db >= 0) & (db < H)
    in_hand = (db < H) & ((status == OrderStatus.OPEN) | ((status == "") & (db >= 0))
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
    return {"calendar": cal, "pairs": pairs, "firm": firm, "run_rate": run_rate,
            "pipeline": pipeline, "rr": rr, "lag": lag, "opps": opps,
            "opp_pmf": opp_pmf[:, :H + 1] if len(opp_pmf) else np.zeros((0, H + 1)),
            "stages": stages, "series": series, "products": products, "slippage_days": slips,
            "options": opt, "warnings": warns}


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
    closed = opp[(opp["status"] != OpportunityStatus.OPEN) & opp["closed_date"].notna()]
    slips = ((closed["closed_date"] - closed["expected_close_date"]).dt.days.to_numpy()
             if len(closed) else np.zeros(1, dtype=np.int64))
    slips = slips if len(slips) else np.zeros(1, dtype=np.int64)
    # close -> order: first order of each won opportunity; order -> delivery: every order
    linked = orders[orders["opportunity_id"] != ""].groupby("opportunity_id")["order_date"].min()
    won = closed[closed["status"] == OpportunityStatus.WON]
    won = won.set_index("opportunity_id")["closed_date"]
    c2o = (linked.reindex(won.index) - won).dropna().dt.days.to_numpy()
    c2o = np.clip(c2o, 0, None) if len(c2o) else np.zeros(1, dtype=np.int64)
    o2d = (orders["delivery_date"] - orders["order_date"]).dt.days.to_numpy()[hist]
    o2d = np.clip(o2d, 0, None) if len(o2d) else np.zeros(1, dtype=np.int64)
    lo_c, p_c = _pmf(c2o)
    lo_d, p_d = _pmf(o2d)
    after_close = np.convolve(p_c, p_d)  # days from close to delivery, offset lo_c + lo_d

    open_ = opp[opp["status"] == OpportunityStatus.OPEN].copy()
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
        return (RunRate(z, np.zeros(0), np.zeros((0, 2)), np.zeros(0, int), np.ones(0),
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

    rr_model = RunRate(rate=forecast[pidx] * share[:, None], gap_mean=gap_mean, hazard=hazard,
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
