"""Customer demand for the simulation: daily quantities per customer x product (a *stream*).

Two sources behind one small interface (:class:`DemandSource`):

- :class:`TableDemand` samples the network's ``demand.csv``: each row gives the mean (``quantity``)
  and ``sd`` of one bucket's demand and its ``distribution``. Demand arrives daily: a bucket of
  ``d`` days is ``d`` independent daily draws whose sum has the row's distribution exactly
  (normal: N(mu/d, sigma^2/d) each; Poisson: Poisson(mu/d); gamma: shape k/d, same scale;
  fixed: mu/d). Normal draws below zero count as zero (negligible when mu/sigma > 3).
- :class:`ScenarioDemand` takes joint scenarios from a CRM demand model (anything with
  ``sample(n, seed)``, see :class:`DemandModel`): replication r uses scenario r, each bucket's
  quantity spread evenly over its days.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from chainlab.models import Network, ValidationError
from chainlab.models.errors import Issue
from chainlab.models.schema import Distribution
from chainlab.simulation.streams import DEMAND, entity_rngs


@runtime_checkable
class DemandModel(Protocol):
    """A CRM demand model (``models.crm``): joint demand scenarios.

    ``sample(n, seed)`` returns a DataFrame with columns ``customer``, ``product``, ``quantity``,
    ``period`` (or ``date``) and a scenario column (``scenario``, ``sample``, ``draw`` or
    ``replication``, numbered 0..n-1), as columns or index levels."""

    def sample(self, n: int, seed) -> pd.DataFrame: ...


class DemandSource(Protocol):
    """What the simulation asks of demand."""

    #: (customer, product) of each stream, in a fixed order
    pairs: list[tuple[str, str]]

    def daily(self, rep: np.random.SeedSequence, index: int, days: int) -> np.ndarray:
        """Demand of replication ``index`` (its stream ``rep``), shape (streams, days)."""


class TableDemand:
    """Samples ``net.demand`` (see the module docstring)."""

    def __init__(self, net: Network):
        cal = net.calendar
        self.bucket_days = cal.days
        self.periods = cal.periods
        d = net.demand
        if d.empty:
            self.pairs = []
            self.params = {k: np.zeros((0, cal.periods)) for k in _PARAMS}
            return
        period = cal.period_of(d["date"])
        inside = (period >= 0) & (period < cal.periods)
        d = d.loc[inside].assign(period=period[inside])
        m, uniq = pd.MultiIndex.from_arrays(
            [d["customer"].astype(str), d["product"].astype(str)]).factorize(sort=True)
        self.pairs = [(str(c), str(p)) for c, p in uniq]
        t = d["period"].to_numpy(dtype=np.int64)
        q = d["quantity"].to_numpy(dtype=float)
        sd = np.nan_to_num(d["sd"].to_numpy(dtype=float))
        dist = d["distribution"].to_numpy()
        shape = (len(self.pairs), cal.periods)
        p = {k: np.zeros(shape) for k in _PARAMS}
        fixed, normal = dist == Distribution.FIXED, dist == Distribution.NORMAL
        for name, mask in ((Distribution.FIXED, fixed | (normal & (sd == 0))),
                           (Distribution.NORMAL, normal & (sd > 0)),
                           (Distribution.POISSON, dist == Distribution.POISSON),
                           (Distribution.GAMMA, dist == Distribution.GAMMA)):
            np.add.at(p[f"{name}_mean"], (m[mask], t[mask]), q[mask])
            if name in (Distribution.NORMAL, Distribution.GAMMA):
                np.add.at(p[f"{name}_var"], (m[mask], t[mask]), sd[mask] ** 2)
        bad = (dist == Distribution.GAMMA) & ((q <= 0) | (sd <= 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValidationError([Issue(
                "demand.csv", f"{self.pairs[m[i]][0]}/{self.pairs[m[i]][1]}: a gamma demand "
                              f"needs quantity > 0 and sd > 0 (got {q[i]:g}, {sd[i]:g})",
                row=int(net.rows["demand"][d.index[i]]) if "demand" in net.rows else None,
                column="sd")])
        self.params = p

    def mean(self) -> np.ndarray:
        """Expected demand per stream and period, shape (streams, periods)."""
        p = self.params
        return p["fixed_mean"] + p["normal_mean"] + p["poisson_mean"] + p["gamma_mean"]

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_by_day"}

    def _day_params(self, days: int) -> dict[str, np.ndarray]:
        """The distributions' parameters day by day (the same for every replication)."""
        cache = self.__dict__.setdefault("_by_day", {})
        if days not in cache:
            p, d = self.params, self.bucket_days
            t = np.minimum(np.arange(days) // d, self.periods - 1)
            gm, gv = p["gamma_mean"][:, t], p["gamma_var"][:, t]
            on = gm > 0
            pm = p["poisson_mean"][:, t] / d
            cache[days] = {
                "fixed": p["fixed_mean"][:, t] / d, "normal_mean": p["normal_mean"][:, t] / d,
                "normal_sd": np.sqrt(p["normal_var"][:, t] / d), "poisson": pm,
                "has_poisson": pm.any(axis=1), "gamma_on": on, "has_gamma": gm.any(axis=1),
                "shape": np.where(on, gm ** 2 / np.where(gv > 0, gv, 1.0), 1.0) / d,
                "scale": np.where(on, gv / np.where(on, gm, 1.0), 1.0),
                "keys": [f"{c}\x1f{prod}" for c, prod in self.pairs]}
        return cache[days]

    def daily(self, rep: np.random.SeedSequence, index: int, days: int) -> np.ndarray:
        q = self._day_params(days)
        M = len(self.pairs)
        has_p, has_g, pm, shape, scale = (q["has_poisson"], q["has_gamma"], q["poisson"],
                                          q["shape"], q["scale"])
        # each stream's generator draws normals, then Poisson, then gamma variates
        z = np.empty((M, days))
        pois = np.zeros((M, days))
        gam = np.zeros((M, days))
        for m, rng in enumerate(entity_rngs(rep, DEMAND, q["keys"])):
            rng.standard_normal(out=z[m])
            if has_p[m]:
                pois[m] = rng.poisson(pm[m])
            if has_g[m]:
                gam[m] = rng.gamma(shape[m], scale[m])
        x = q["fixed"] + np.maximum(0.0, q["normal_mean"] + q["normal_sd"] * z)
        if has_p.any():
            x = np.where(has_p[:, None], x + pois, x)
        if has_g.any():
            x = np.where(has_g[:, None], x + np.where(q["gamma_on"], gam, 0.0), x)
        return x


_PARAMS = ("fixed_mean", "normal_mean", "normal_var", "poisson_mean", "gamma_mean", "gamma_var")


class ScenarioDemand:
    """Joint scenarios of a :class:`DemandModel`: ``model.sample(n, seed)`` is called once; the
    seed given is the simulation's root seed, so two scenarios simulated with the same seed see
    the same demand draws (common random numbers)."""

    _SCENARIO = ("scenario", "sample", "draw", "replication")

    def __init__(self, model: DemandModel, net: Network, n: int, seed: int):
        cal = net.calendar
        self.bucket_days = cal.days
        if hasattr(model, "sample_array"):  # models.demand.DemandModel: the same draws as arrays
            arr = model.sample_array(n, seed)
            if arr.values.shape[2] == cal.periods:
                self.pairs = [(str(c), str(p)) for c, p in arr.pairs]
                order = sorted(range(len(self.pairs)), key=self.pairs.__getitem__)
                self.pairs = [self.pairs[i] for i in order]
                self.scenarios = np.asarray(arr.values, dtype=float)[:, order, :]
                return
        s = model.sample(n, seed)
        if not isinstance(s, pd.DataFrame):
            raise TypeError(f"{type(model).__name__}.sample() must return a DataFrame, "
                            f"got {type(s).__name__}")
        if any(name in s.index.names for name in (*self._SCENARIO, "customer", "period")):
            s = s.reset_index()
        col = next((c for c in self._SCENARIO if c in s.columns), None)
        missing = [c for c in ("customer", "product", "quantity") if c not in s.columns]
        if col is None:
            missing.append("scenario")
        if "period" not in s.columns and "date" not in s.columns:
            missing.append("period or date")
        if missing:
            raise ValidationError([Issue("demand model", f"sample() lacks column(s) "
                                                          f"{', '.join(missing)}")])
        period = (s["period"].to_numpy(dtype=np.int64) if "period" in s.columns
                  else cal.period_of(s["date"]))
        scen = s[col].to_numpy(dtype=np.int64)
        inside = (period >= 0) & (period < cal.periods) & (scen >= 0) & (scen < n)
        s, period, scen = s[inside], period[inside], scen[inside]
        keys = list(zip(s["customer"].astype(str), s["product"].astype(str)))
        self.pairs = sorted(set(keys))
        row_of = {k: i for i, k in enumerate(self.pairs)}
        m = np.array([row_of[k] for k in keys], dtype=np.int64)
        self.scenarios = np.zeros((n, len(self.pairs), cal.periods))
        q = s["quantity"].to_numpy(dtype=float)
        if (q < 0).any() or np.isnan(q).any():
            raise ValidationError([Issue("demand model", "sample() has negative or missing "
                                                          "quantities")])
        np.add.at(self.scenarios, (scen, m, period), q)

    def mean(self) -> np.ndarray:
        return self.scenarios.mean(axis=0)

    def daily(self, rep: np.random.SeedSequence, index: int, days: int) -> np.ndarray:
        t = np.minimum(np.arange(days) // self.bucket_days, self.scenarios.shape[2] - 1)
        return self.scenarios[index][:, t] / self.bucket_days


def source_for(net: Network, demand, n: int, seed: int) -> DemandSource:
    """The demand source for ``simulate``: None = ``net.demand``; a :class:`DemandModel`; or
    any object that already is a :class:`DemandSource`."""
    if demand is None:
        return TableDemand(net)
    if hasattr(demand, "daily") and hasattr(demand, "pairs"):
        return demand
    if isinstance(demand, DemandModel):
        return ScenarioDemand(demand, net, n, seed)
    raise TypeError(f"demand must be None, a demand model with sample(n, seed) or a "
                    f"DemandSource; got {type(demand).__name__}")
