"""Statistical forecasting pieces of the demand model (:mod:`models.demand`).

* :func:`harmonic_regression`: the seasonal model of a product's weekly (or daily) run-rate
  demand, a dynamic-harmonic-regression-style GLM (Hyndman & Athanasopoulos, *Forecasting:
  Principles and Practice*, 3rd ed., §12.1 "weekly data"): log mean = level + trend + K pairs
  of Fourier terms of the year, fitted as a quasi-Poisson GLM with statsmodels; the trend and K
  are chosen by QAIC. Fourier terms are the standard answer for weekly data with one or two
  years of history, where Holt-Winters cannot estimate 52 seasonal states.
* :func:`classify`: the Syntetos-Boylan-Croston classes (ADI 1.32, CV² 0.49) of a series.
* :func:`ses_level`, :func:`croston_sba_level`, :func:`adida_level`: the level (mean per bucket)
  of smooth, intermittent and lumpy series: simple exponential smoothing with alpha chosen by
  one-step squared error; Croston with the Syntetos-Boylan bias correction; ADIDA (Nikolopoulos
  et al. 2011: aggregate into blocks of ADI buckets, SES, disaggregate). They follow the
  definitions of Nixtla's statsforecast (``SimpleExponentialSmoothingOptimized``,
  ``CrostonSBA``, ``ADIDA``) and are written here in numpy, because statsforecast pins
  ``pandas<3`` (see :mod:`models.demand` for the measurements that chose statsmodels).
* :func:`wape`, :func:`seasonal_naive`: backtest measures.

Every function is deterministic; none prints or logs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import Enum

import numpy as np

#: days in a year, for the Fourier period of yearly seasonality
YEAR_DAYS = 365.25
#: Syntetos-Boylan-Croston cut-offs: average demand interval, squared CV of nonzero sizes
ADI_CUT, CV2_CUT = 1.32, 0.49
SES_ALPHAS = np.round(np.arange(0.05, 0.51, 0.05), 2)


class SeriesClass(str, Enum):
    """Syntetos-Boylan-Croston demand classes, and the level method used for each."""

    SMOOTH = "smooth"  # ADI < 1.32, CV² < 0.49: SES
    ERRATIC = "erratic"  # ADI < 1.32, CV² >= 0.49: SES
    INTERMITTENT = "intermittent"  # ADI >= 1.32, CV² < 0.49: Croston-SBA
    LUMPY = "lumpy"  # ADI >= 1.32, CV² >= 0.49: ADIDA

    @property
    def method(self) -> str:
        return {"smooth": "ses", "erratic": "ses", "intermittent": "croston_sba",
                "lumpy": "adida"}[self.value]


def classify(y: np.ndarray) -> tuple[SeriesClass, float, float]:
    """(class, ADI, CV²) of one series; ADI = buckets per nonzero bucket from the first one."""
    nz = np.flatnonzero(y > 0)
    if len(nz) == 0:
        return SeriesClass.LUMPY, float("inf"), 0.0
    adi = (len(y) - nz[0]) / len(nz)
    sizes = y[nz]
    cv2 = float(np.var(sizes) / np.mean(sizes) ** 2) if len(nz) > 1 else 0.0
    if adi < ADI_CUT:
        return (SeriesClass.SMOOTH if cv2 < CV2_CUT else SeriesClass.ERRATIC), adi, cv2
    return (SeriesClass.INTERMITTENT if cv2 < CV2_CUT else SeriesClass.LUMPY), adi, cv2


# ---------------------------------------------------------------- levels


def _ses_paths(y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Final level and one-step SSE of SES for each alpha; level starts at y[0]."""
    lvl = np.full(len(alphas), float(y[0]))
    sse = np.zeros(len(alphas))
    for v in y[1:]:
        err = v - lvl
        sse += err * err
        lvl = lvl + alphas * err
    return lvl, sse


def ses_level(y: np.ndarray, alphas: np.ndarray = SES_ALPHAS) -> float:
    """Level of simple exponential smoothing, alpha on a grid by least one-step squared error:
    l_t = l_{t-1} + alpha (y_t - l_{t-1})."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return 0.0
    if len(y) < 3:
        return float(y.mean())
    lvl, sse = _ses_paths(y, alphas)
    return float(max(lvl[int(np.argmin(sse))], 0.0))


def croston_sba_level(y: np.ndarray, alpha: float = 0.1) -> float:
    """Croston's method with the Syntetos-Boylan approximation: smooth the nonzero sizes z and
    the intervals p between them (alpha 0.1 each), forecast (1 - alpha/2) z / p."""
    y = np.asarray(y, dtype=float)
    nz = np.flatnonzero(y > 0)
    if len(nz) == 0:
        return 0.0
    sizes = y[nz]
    intervals = np.diff(np.concatenate([[-1], nz])).astype(float)
    z, p = sizes[0], intervals[0]
    for s, q in zip(sizes[1:], intervals[1:]):
        z += alpha * (s - z)
        p += alpha * (q - p)
    return float((1 - alpha / 2) * z / p)


def adida_level(y: np.ndarray) -> float:
    """ADIDA: sum into non-overlapping blocks of round(ADI) buckets counted back from the last
    bucket, SES on the block totals, divide by the block length."""
    y = np.asarray(y, dtype=float)
    nz = np.flatnonzero(y > 0)
    if len(nz) == 0:
        return 0.0
    k = max(1, round((len(y) - nz[0]) / len(nz)))
    n = (len(y) // k) * k
    if n == 0:
        return float(y.sum() / len(y))
    blocks = y[len(y) - n:].reshape(-1, k).sum(axis=1)
    return ses_level(blocks) / k


LEVEL_METHODS = {"ses": ses_level, "croston_sba": croston_sba_level, "adida": adida_level}


# ---------------------------------------------------------------- seasonal model


@dataclass(frozen=True)
class HarmonicFit:
    """A fitted harmonic regression: the mean per bucket over history and horizon, the standard
    error of the log mean over the horizon, and what was chosen."""

    fitted: np.ndarray  # mean per history bucket
    forecast: np.ndarray  # mean per horizon bucket
    se_log: np.ndarray  # standard error of log(forecast), per horizon bucket
    harmonics: int  # K, pairs of yearly Fourier terms
    trend: bool
    dispersion: float  # quasi-Poisson scale phi (variance = phi * mean)


def fourier(t: np.ndarray, period: float, k: int) -> np.ndarray:
    """Columns sin(2 pi j t / period), cos(2 pi j t / period) for j = 1..k."""
    if k == 0:
        return np.empty((len(t), 0))
    ang = 2 * np.pi * np.outer(t, np.arange(1, k + 1)) / period
    return np.column_stack([np.sin(ang), np.cos(ang)])


def _design(t, n_hist, period, k, trend, weekly):
    cols = [np.ones(len(t))]
    if trend:
        cols.append(t / max(n_hist, 1))
    cols.append(fourier(t, period, k))
    if weekly:
        cols.append(fourier(t, 7.0, 3))
    return np.column_stack(cols)


def harmonic_regression(y: np.ndarray, horizon: int, bucket_days: int, *,
                        max_harmonics: int = 6, seasonal: bool = True) -> HarmonicFit:
    """Fit log E[y_t] = b0 + b1 t + sum_j (a_j sin + c_j cos)(2 pi j t / P) (P = one year in
    buckets) as a quasi-Poisson GLM and forecast ``horizon`` buckets.

    Selection by QAIC = deviance / phi + 2 k (Burnham & Anderson 2002, §2.5), phi = Pearson
    chi² / df of the largest model inflated by (1 + rho) / (1 - rho) for the lag-1
    autocorrelation rho of its residuals: first K = 0..max_harmonics (K > 0 only with a full
    year of history) with the trend (only with half a year), then the chosen K without the
    trend. A trend whose forecast is more than twice or under half the same model's without
    it is not trusted. Daily buckets add day-of-week terms. A series of zeros forecasts zeros.
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    y = np.asarray(y, dtype=float)
    n = len(y)
    zeros = np.zeros(horizon)
    if n == 0 or y.sum() <= 0:
        return HarmonicFit(np.zeros(n), zeros, zeros, 0, False, 1.0)
    period = YEAR_DAYS / bucket_days
    t_hist = np.arange(n, dtype=float) - n  # history is -n..-1, horizon 0..horizon-1
    t_fut = np.arange(horizon, dtype=float)
    weekly = bucket_days == 1 and n >= 28
    k_max = max_harmonics if (seasonal and n >= period) else 0
    trend = n >= period / 2
    fits: dict = {}

    def fit(k, tr):
        if (k, tr) not in fits:
            x = _design(t_hist, n, period, k, tr, weekly)
            res = None
            if x.shape[1] < n - 1:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = GLM(y, x, family=families.Poisson()).fit(scale="X2")
                except (ValueError, np.linalg.LinAlgError):
                    res = None
                if res is not None and not np.all(np.isfinite(res.params)):
                    res = None
            fits[(k, tr)] = res
        return fits[(k, tr)]

    for k in range(k_max, -1, -1):
        fit(k, trend)
    done = {c: r for c, r in fits.items() if r is not None}
    if not done:
        m = y.mean()
        return HarmonicFit(np.full(n, m), np.full(horizon, m),
                           np.full(horizon, 1 / np.sqrt(max(y.sum(), 1))), 0, False, 1.0)
    largest = max(done, key=lambda c: done[c].df_model)
    infl = _ar1_inflation(np.asarray(done[largest].resid_pearson, dtype=float))
    phi = max(float(done[largest].scale), 1.0) * infl

    def qaic(c):
        r = fits.get(c)
        return np.inf if r is None else r.deviance / phi + 2 * (r.df_model + 1)

    k = min(range(k_max + 1), key=lambda j: qaic((j, trend)))
    tr = trend
    if trend and fit(k, False) is not None:
        flat = np.exp(_design(t_fut, n, period, k, False, weekly) @ fits[(k, False)].params)
        steep = np.exp(_design(t_fut, n, period, k, True, weekly) @ fits[(k, True)].params) \
            if fits.get((k, True)) is not None else flat
        trusted = 0.5 <= steep.sum() / max(flat.sum(), 1e-12) <= 2.0
        tr = trusted and qaic((k, True)) < qaic((k, False))
    res = fits[(k, tr)]
    xf = _design(t_fut, n, period, k, tr, weekly)
    cov = np.asarray(res.cov_params()) * infl
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", xf, cov, xf), 0.0))
    return HarmonicFit(np.asarray(res.fittedvalues, dtype=float), np.exp(xf @ res.params), se,
                       k, tr, phi)


def _ar1_inflation(resid: np.ndarray) -> float:
    """Variance inflation (1 + rho) / (1 - rho) for lag-1 autocorrelated residuals: the
    effective number of observations is n (1 - rho) / (1 + rho). Clipped to [1, 10]."""
    r = resid - resid.mean()
    den = float(r @ r)
    if len(r) < 3 or den <= 0:
        return 1.0
    rho = float(np.clip((r[1:] @ r[:-1]) / den, 0.0, 0.8))
    return float(min((1 + rho) / (1 - rho), 10.0))


# ---------------------------------------------------------------- measures


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |a - f| / sum a (NaN when nothing happened)."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    tot = a.sum()
    return float(np.abs(a - f).sum() / tot) if tot > 0 else float("nan")


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """y_hat[T + h] = y[T + h - season * ceil((h + 1) / season)] per row of ``history``
    (buckets along the last axis); rows with less than a season of history repeat their last
    value."""
    hist = np.asarray(history, dtype=float)
    n = hist.shape[-1]
    if n < season:
        return np.repeat(hist[..., -1:], horizon, axis=-1) if n else np.zeros(
            hist.shape[:-1] + (horizon,))
    idx = n - season + (np.arange(horizon) % season)
    return hist[..., idx]
