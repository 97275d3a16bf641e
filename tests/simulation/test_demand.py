"""Demand sources: demand.csv distributions, and joint scenarios of a CRM demand model."""

import numpy as np
import pandas as pd
import pytest
from sim_networks import single_stage

from chainlab.simulation import SimOptions, simulate
from chainlab.simulation.demand import DemandModel, TableDemand
from chainlab.simulation.streams import replication_streams


class FakeModel:
    """A demand model whose scenario k is k + 1 units per bucket for every pair."""

    def __init__(self, pairs, periods):
        self.pairs, self.periods, self.calls = pairs, periods, []

    def sample(self, n, seed):
        self.calls.append((n, seed))
        rows = [{"scenario": k, "customer": c, "product": p, "period": t, "quantity": k + 1.0}
                for k in range(n) for c, p in self.pairs for t in range(self.periods)]
        return pd.DataFrame(rows)


def test_scenarios_of_a_demand_model_one_per_replication():
    net = single_stage(days=14, sd=None, customers=2)
    model = FakeModel([("C0", "P"), ("C1", "P")], 14)
    assert isinstance(model, DemandModel)
    r = simulate(net, demand=model, options=SimOptions(replications=3, seed=21, workers=1))
    assert model.calls == [(3, 21)]  # once, with the root seed: the same draws in every scenario
    np.testing.assert_allclose(r.replications["demand"], [2 * 14 * 1, 2 * 14 * 2, 2 * 14 * 3])


@pytest.mark.parametrize("dist, sd", [("normal", 30.0), ("poisson", None), ("gamma", 40.0),
                                      ("fixed", None)])
def test_weekly_rows_keep_their_distribution_when_drawn_daily(dist, sd):
    # a weekly row (mean 700) drawn as 7 daily draws: the weekly sums have its mean and sd
    net = single_stage(days=7 * 20, bucket="week", mean=700.0, sd=sd, distribution=dist)
    src = TableDemand(net)
    weekly = np.concatenate([
        src.daily(ss, r, net.calendar.periods * 7).reshape(-1, 20, 7).sum(axis=2).ravel()
        for r, ss in enumerate(replication_streams(1, 60))])
    assert weekly.mean() == pytest.approx(700.0, rel=0.01)
    want = {"normal": 30.0, "poisson": np.sqrt(700.0), "gamma": 40.0, "fixed": 0.0}[dist]
    assert weekly.std() == pytest.approx(want, rel=0.08, abs=1e-9)
