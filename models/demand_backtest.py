"""Backtest of the CRM demand model (:mod:`models.demand`): refit on the history as it stood
``backtest_weeks`` before the origin, and score the forecast of those weeks against what was
then ordered for them, beside a seasonal-naive forecast; and the coverage of its P10-P90 band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.crm import CrmData, OrderStatus
from chainlab.models.demand_fit import PAIR, FitOptions
from chainlab.models.demand_model import DemandModel, json_number
from chainlab.models.forecast import seasonal_naive, wape


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
                "wape": json_number(self.wape),
                "wape_seasonal_naive": json_number(self.wape_seasonal_naive),
                "coverage_p10_p90": json_number(self.coverage_p10_p90), "levels": self.levels}


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
    model = DemandModel.over(crm.as_of(t0), bcal, opt)

    o = crm.orders[crm.orders["status"] != OrderStatus.CANCELLED]
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
    draws[:, where] = model.draws()
    qs = np.quantile(draws, [0.1, 0.5, 0.9], axis=0)

    def score(a, f, s, d):
        lo, hi = np.quantile(d, [0.1, 0.9], axis=0)
        inside = float(((a >= lo - 1e-9) & (a <= hi + 1e-9)).mean()) if a.size else np.nan
        return {"wape": json_number(wape(a, f)), "wape_seasonal_naive": json_number(wape(a, s)),
                "coverage_p10_p90": json_number(band_coverage(a, d)),
                "share_inside_p10_p90": json_number(inside)}

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
