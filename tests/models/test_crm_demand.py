"""The demand model on synthetic CRM data whose truth is known (models.demand, models.forecast).

Tolerances are statistical: each says which standard error it allows.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from chainlab.models import ValidationError
from chainlab.models.crm import CrmData
from chainlab.models.crm_synthetic import small_network, synthetic_crm
from chainlab.models.demand import DemandModel, FitOptions, backtest, band_coverage, stage_win_rates
from chainlab.models.forecast import (
    SeriesClass,
    adida_level,
    classify,
    croston_sba_level,
    harmonic_regression,
    seasonal_naive,
    ses_level,
    wape,
)

ORIGIN = dt.date(2027, 1, 4)  # a Monday
CUSTOMERS = [f"C{i}" for i in range(1, 9)]
PRODUCTS = ["P1", "P2"]
#: weekly Poisson rates: 6 .. 41 units
RATES = {(c, p): 6.0 + 3 * i + (12.0 if p == "P1" else 0.0)
         for i, c in enumerate(CUSTOMERS) for p in PRODUCTS}
STAGES = {"Prospecting": (0.15, 300), "Proposal": (0.45, 300), "Negotiation": (0.8, 300)}


def crm_of(net, synth) -> CrmData:
    return CrmData.from_records(**synth.records(), net=net)


@pytest.fixture(scope="module")
def net():
    return small_network(CUSTOMERS, PRODUCTS, ORIGIN, periods=26)


@pytest.fixture(scope="module")
def run_rate(net):
    """Two years of Poisson run rate, orders delivered 7 days after they are placed."""
    synth = synthetic_crm(ORIGIN, RATES, weeks=104, lag_days=7, seed=11)
    crm = crm_of(net, synth)
    return crm, DemandModel.fit(crm, net, FitOptions(seed=3))


# ---------------------------------------------------------------- run rate


def test_poisson_run_rate_is_recovered(run_rate):
    """From bucket 1 on (bucket 0 holds only the orders of last week, firm), the expected
    demand per pair is its weekly rate. The product total is fitted on 104 weeks of a Poisson
    sum (se of the level about 1 %, plus a possible trend): within 6 %. A pair's share is a
    smoothed level with se up to about 12 % for the smallest rate: within 30 %, and the mean
    relative error over the 16 pairs within 6 %."""
    crm, m = run_rate
    truth = np.array([RATES[k] for k in m.pairs])
    fitted = m.run_rate[:, 1:].mean(axis=1)
    rel = fitted / truth - 1
    assert np.all(np.abs(rel) < 0.30), rel
    assert abs(rel.mean()) < 0.06
    for p in PRODUCTS:
        rows = m.pairs.get_level_values(1) == p
        assert abs(fitted[rows].sum() / truth[rows].sum() - 1) < 0.06
    # bucket 0: last week's orders, delivered 7 days later, are firm; nothing else lands yet
    assert np.allclose(m.run_rate[:, 0], 0) and m.firm[:, 1:].sum() == 0
    first = crm.orders[crm.orders["requested_date"] >= pd.Timestamp(ORIGIN)]
    assert m.firm[:, 0].sum() == first["quantity"].sum() > 0
    assert set(m.series["class"]) == {"smooth"} and set(m.series["method"]) == {"ses"}
    assert (m.products["harmonics"] == 0).all()  # no season in the data, none chosen (QAIC)


def test_expected_demand_table_and_apply(run_rate, net):
    _crm, m = run_rate
    d = m.expected_demand()
    assert list(d.columns) == ["customer", "product", "date", "quantity", "sd", "distribution"]
    assert set(d["distribution"]) <= {"gamma", "fixed"}
    assert (d.loc[d["distribution"] == "gamma", "sd"] > 0).all()
    assert d["quantity"].sum() == pytest.approx(m.expected.sum(), rel=1e-6)
    # a run-rate week of a Poisson(rate) pair has sd at least sqrt(rate)
    later = d[d["date"] > pd.Timestamp(ORIGIN) + pd.Timedelta(days=7)]
    rate = np.array([RATES[(c, p)] for c, p in zip(later["customer"], later["product"])])
    assert np.median(later["sd"] / np.sqrt(rate)) > 1.0
    planned = m.apply(net)
    assert planned is not net and len(net.demand) == 0
    by = planned.demand_by_period()
    assert by["quantity"].sum() == pytest.approx(d["quantity"].sum())
    assert planned.demand["date"].dtype == net.demand["date"].dtype


def test_sampling_is_reproducible_and_unbiased(run_rate):
    _crm, m = run_rate
    a, b = m.sample(40, seed=7), m.sample(40, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["quantity"], m.sample(40, seed=8)["quantity"])
    assert list(a.columns) == ["scenario", "customer", "product", "period", "date", "quantity"]
    assert len(a) == 40 * len(m.pairs) * m.calendar.periods
    arr = m.sample_array(2000, seed=np.random.SeedSequence(5)).values
    # the draws' mean is the expected demand: within 4 standard errors in every cell
    se = arr.std(axis=0) / np.sqrt(len(arr))
    assert np.all(np.abs(arr.mean(axis=0) - m.expected) <= 4 * se + 1e-9)
    assert (arr >= 0).all()


def test_seasonal_run_rate_is_recovered(net):
    """A yearly sine of amplitude 0.5 over two years: the harmonic regression finds a season
    and the 26-week forecast of each product follows the true mean within 10 % on average."""
    synth = synthetic_crm(ORIGIN, RATES, weeks=104, amplitude=0.5, lag_days=0, seed=5)
    m = DemandModel.fit(crm_of(net, synth), net)
    w = np.arange(26)
    season = 1 + 0.5 * np.sin(2 * np.pi * w / 52.18)
    assert (m.products["harmonics"] >= 1).all()
    for p in PRODUCTS:
        rows = (m.pairs.get_level_values(1) == p)
        truth = sum(r for (c, q), r in RATES.items() if q == p) * season
        got = m.expected[rows].sum(axis=0)
        assert np.mean(np.abs(got[1:] / truth[1:] - 1)) < 0.10


def test_ordering_cycle_is_kept(net):
    """A customer who orders every 4 weeks is expected in the weeks its cycle falls on."""
    rates = {("C1", "P1"): 50.0, ("C2", "P1"): 20.0}
    synth = synthetic_crm(ORIGIN, rates, weeks=104, every={("C1", "P1"): 4}, lag_days=0,
                          seed=2)
    m = DemandModel.fit(crm_of(net, synth), net)
    row = m.pairs.get_loc(("C1", "P1"))
    last = synth.orders[synth.orders["customer"] == "C1"]["order_date"].max()
    due = (pd.Timestamp(last) - pd.Timestamp(ORIGIN)).days // 7 + 4  # next cycle bucket
    e = m.expected[row]
    on = e[due::4][:4]
    off = np.delete(e[:due + 13], np.arange(due, due + 13, 4))
    assert on.min() > 3 * off.max()
    assert e[due:due + 24].sum() == pytest.approx(50.0 * 24, rel=0.25)
    s = m.series.set_index(["customer", "product"])
    assert s.loc[("C1", "P1"), "class"] == "intermittent"
    assert s.loc[("C1", "P1"), "method"] == "croston_sba"


# ---------------------------------------------------------------- pipeline


@pytest.fixture(scope="module")
def pipeline(net):
    synth = synthetic_crm(
        ORIGIN, {("C1", "P1"): 10.0}, weeks=60, lag_days=7, stages=STAGES,
        open_opportunities=[
            {"customer": "C2", "product": "P2", "quantity": 1000, "stage": "Proposal",
             "close_in_days": 14, "probability": 0.6},
            {"customer": "C3", "product": "P2", "quantity": 400, "stage": "Negotiation",
             "close_in_days": 300},
        ], seed=4)
    crm = crm_of(net, synth)
    return synth, crm, DemandModel.fit(crm, net, FitOptions(win_rate_prior=0))


def test_stage_win_rates_are_recovered(pipeline):
    """300 closed opportunities per stage: the observed rates are within 4 binomial standard
    errors (<= 0.12) of the rates the data was drawn with."""
    _synth, crm, m = pipeline
    st = m.stages
    for stage, (rate, n) in STAGES.items():
        assert abs(st.loc[stage, "win_rate"] - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
        assert st.loc[stage, "closed"] == n
    assert st.loc["Proposal", "crm_probability"] == 0.6
    # the prior pulls a stage with few closed deals towards the CRM's probability
    shrunk = stage_win_rates(crm.opportunities, prior=1e6)
    assert shrunk.loc["Proposal", "win_rate"] == pytest.approx(0.6, abs=1e-3)


def test_pipeline_lands_whole_where_expected(pipeline):
    """No slippage in the history, orders placed at the close and delivered 7 days later: the
    deal expected to close in 14 days lands in bucket 3 (day 21) with its stage's win rate;
    the one closing in 300 days lands beyond the horizon."""
    _synth, _crm, m = pipeline
    row = m.pairs.get_loc(("C2", "P2"))
    rate = m.stages.loc["Proposal", "win_rate"]
    expect = np.zeros(26)
    expect[3] = 1000 * rate
    assert np.allclose(m.pipeline[row], expect)
    assert m.pipeline[m.pairs.get_loc(("C3", "P2"))].sum() == 0
    draws = m.sample_array(500, seed=1).values[:, row, :]
    assert set(np.unique(draws.sum(axis=1))) == {0.0, 1000.0}  # won or lost whole
    assert set(np.flatnonzero(draws.sum(axis=0))) == {3}
    won = (draws.sum(axis=1) > 0).mean()
    assert abs(won - rate) < 4 * np.sqrt(rate * (1 - rate) / 500)


def test_linked_orders_are_not_counted_twice(net):
    """Orders of a won deal are not run rate; an open deal's quantity already ordered is not
    counted again."""
    synth = synthetic_crm(ORIGIN, {("C1", "P1"): 10.0}, weeks=30, lag_days=7,
                          open_opportunities=[{"customer": "C1", "product": "P1",
                                               "quantity": 500, "stage": "Negotiation",
                                               "close_in_days": 7}])
    orders = synth.records()["orders"]
    oid = synth.opportunities["opportunity_id"].iloc[0]
    orders.append({"order_id": "SO-X", "customer": "C1", "product": "P1",
                   "order_date": "2026-12-30", "quantity": 200, "requested_date": "2027-01-20",
                   "opportunity_id": oid, "status": "open"})
    crm = CrmData.from_records(orders, synth.records()["opportunities"], net)
    m = DemandModel.fit(crm, net, FitOptions(win_rate_prior=0))
    opp = m.opportunities.set_index("opportunity_id")
    assert opp.loc[oid, "quantity"] == 300
    row = m.pairs.get_loc(("C1", "P1"))
    assert m.firm[row, 2] >= 200  # the linked open order is firm, on its requested week
    # the linked order is not part of the run-rate history
    assert m.series.set_index(["customer", "product"]).loc[("C1", "P1"), "orders"] == 30


def test_firm_orders_are_the_open_order_book(net):
    """Open orders count on their requested week (past-due ones in the first); shipped and
    cancelled ones do not; an order without status counts when it is for the horizon."""
    base = synthetic_crm(ORIGIN, {("C1", "P1"): 10.0}, weeks=20, lag_days=0).records()
    extra = [("open", "2026-12-20", 11), ("shipped", "2027-01-15", 13),
             ("", "2027-01-20", 17), ("cancelled", "2027-01-12", 19), ("", "2026-12-01", 23)]
    for k, (status, day, qty) in enumerate(extra):
        base["orders"].append({"order_id": f"X{k}", "customer": "C4", "product": "P2",
                               "order_date": "2026-11-30", "quantity": qty,
                               "requested_date": day, "status": status})
    crm = CrmData.from_records(**base, net=net)
    m = DemandModel.fit(crm, net)
    row = m.pairs.get_loc(("C4", "P2"))
    expect = np.zeros(26)
    expect[0], expect[2] = 11, 17
    assert np.array_equal(m.firm[row], expect)
    # the backtest's view: shipped since, but open then
    then = crm.as_of("2027-01-04").orders.set_index("order_id")["status"]
    assert then["X1"] == "open" and then["X0"] == "open" and then["X3"] == "cancelled"


def test_backtest_beats_seasonal_naive_and_is_calibrated(net):
    """On Poisson run rate the backtest WAPE is well under seasonal naive's and the P10-P90
    coverage is near 80 % (16 pairs x 13 weeks)."""
    synth = synthetic_crm(ORIGIN, RATES, weeks=104, lag_days=7, seed=21)
    bt = backtest(crm_of(net, synth), net, FitOptions(seed=1))
    assert bt.origin == dt.date(2026, 10, 5) and bt.buckets == 13
    assert bt.wape < 0.7 * bt.wape_seasonal_naive
    assert 0.7 <= bt.coverage_p10_p90 <= 0.9
    assert 0.7 <= bt.levels["product"]["coverage_p10_p90"] <= 0.95
    assert len(bt.cells) == 16 * 13
    assert bt.cells["actual"].sum() > 0


def test_bad_crm_gives_no_model(net):
    recs = synthetic_crm(ORIGIN, {("C1", "P1"): 10.0}, weeks=10).records()
    recs["orders"][0]["customer"] = "NOBODY"
    with pytest.raises(ValidationError) as e:
        DemandModel.fit(CrmData.from_records(**recs, net=net), net)
    assert "orders[0], column 'customer'" in str(e.value)


# ---------------------------------------------------------------- forecast pieces


def test_level_methods_on_hand_solvable_series():
    assert ses_level(np.full(20, 7.0)) == pytest.approx(7.0)
    y = np.tile([0, 0, 0, 12.0], 10)  # 12 every 4 buckets
    assert croston_sba_level(y) == pytest.approx((1 - 0.05) * 12 / 4)
    assert adida_level(y) == pytest.approx(3.0)
    assert classify(y)[0] is SeriesClass.INTERMITTENT
    assert classify(np.array([5.0, 6, 5, 4, 5, 6]))[0] is SeriesClass.SMOOTH
    assert classify(np.array([1.0, 0, 0, 40, 0, 2, 0, 0, 90]))[0] is SeriesClass.LUMPY
    assert classify(np.array([1.0, 30, 2, 50, 1, 3]))[0] is SeriesClass.ERRATIC


def test_harmonic_regression_finds_a_season():
    t = np.arange(104)
    mean = 100 * (1 + 0.4 * np.cos(2 * np.pi * (t - 104) / (365.25 / 7)))
    y = np.random.default_rng(0).poisson(mean).astype(float)
    f = harmonic_regression(y, 26, 7)
    truth = 100 * (1 + 0.4 * np.cos(2 * np.pi * np.arange(26) / (365.25 / 7)))
    assert f.harmonics >= 1
    assert np.mean(np.abs(f.forecast / truth - 1)) < 0.05
    assert (f.se_log > 0).all() and (f.se_log < 0.1).all()
    flat = harmonic_regression(np.zeros(30), 5, 7)
    assert (flat.forecast == 0).all()


def test_measures():
    assert wape([10, 0, 10], [5, 5, 10]) == pytest.approx(0.5)
    assert np.isnan(wape([0, 0], [1, 1]))
    hist = np.arange(104.0)
    assert seasonal_naive(hist, 3, 52).tolist() == [52.0, 53.0, 54.0]
    # a continuous forecast: the actual at its P50 is inside, at its P95 outside
    d = np.linspace(0, 100, 1001)[:, None]
    assert band_coverage(np.array([50.0]), d) == 1.0
    assert band_coverage(np.array([95.0]), d) == 0.0
    # half the draws are 0: an actual 0 sits on [0, 0.5] of the CDF, 0.4 / 0.5 of it in band
    d = np.concatenate([np.zeros(500), np.arange(1, 501.0)])[:, None]
    assert band_coverage(np.array([0.0]), d) == pytest.approx(0.8)
