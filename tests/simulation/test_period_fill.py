"""The three fill measures by hand: ``fill_rate`` (on the day demanded), ``period_fill_rate``
(by the end of the calendar period demanded in) and ``avg_days_late`` (days a backordered unit
waits for its fill), on a weekly network whose weeks start on Monday 2027-01-04.

Every case is the single stage SUP -> DC -> C0 with one customer order placed on a chosen day
and the DC's policy ``plan`` with 4 on hand, i.e. a base stock of 4 reviewed daily: the day
after a stockout it orders what was short, which arrives after the lane's transit days.
"""

import numpy as np
import pytest
from sim_networks import START, single_stage

from chainlab.simulation import SimOptions, simulate

MONDAY, WEDNESDAY, SUNDAY = 0, 2, 6


class OnDays:
    """Demand of the one stream (C0, P) on given days only: {day: units}."""

    def __init__(self, units: dict[int, float]):
        self.pairs = [("C0", "P")]
        self.units = units

    def daily(self, rep, index: int, days: int) -> np.ndarray:
        out = np.zeros((1, days))
        for day, q in self.units.items():
            out[0, day] = q
        return out


def run(units: dict[int, float], lead: float, bucket: str = "week", engine: str = "simpy",
        **options):
    net = single_stage(days=14, bucket=bucket, sd=None, lead=lead, on_hand=4.0,
                       policy={"policy": "plan"})
    r = simulate(net, demand=OnDays(units),
                 options=SimOptions(replications=1, workers=1, engine=engine, **options))
    assert r.engine == engine
    return r.kpis["mean"]


def test_the_calendar_starts_on_a_monday():
    assert START.weekday() == 0


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_monday_demand_filled_by_a_wednesday_arrival_is_on_time_in_the_week(engine):
    # Monday: 4 of 10 filled, 6 owed; Tuesday: IP = -6, order 10 (1 day transit);
    # Wednesday: it arrives and fills the 6 owed, 2 days late, still in week 0
    k = run({MONDAY: 10.0}, lead=1.0, engine=engine)
    assert k["fill_rate"] == pytest.approx(0.4)
    assert k["period_fill_rate"] == pytest.approx(1.0)
    assert k["avg_days_late"] == pytest.approx(2.0)
    assert k["backorders"] == pytest.approx(6 * 2 / 14)  # 6 owed at the end of Mon and Tue


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_sunday_demand_filled_next_monday_is_late(engine):
    # Sunday (day 6): 4 of 10 filled, 6 owed; Monday (day 7, week 1): order 10, no transit,
    # it fills the 6 at once: one day late, and in the next week
    k = run({SUNDAY: 10.0}, lead=0.0, engine=engine)
    assert k["fill_rate"] == pytest.approx(0.4)
    assert k["period_fill_rate"] == pytest.approx(0.4)
    assert k["avg_days_late"] == pytest.approx(1.0)


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_both_in_one_run(engine):
    # Monday's 6 owed are filled on Wednesday (in week 0), Sunday's 6 on Tuesday of week 1:
    # on the day 8 of 20, by the end of the week 8 + 6 = 14, each late unit 2 days late
    k = run({MONDAY: 10.0, SUNDAY: 10.0}, lead=1.0, engine=engine)
    assert k["fill_rate"] == pytest.approx(8 / 20)
    assert k["period_fill_rate"] == pytest.approx(14 / 20)
    assert k["avg_days_late"] == pytest.approx(2.0)


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_lost_sales_never_count(engine):
    # Monday: 4 of 10 filled, 6 lost; what arrives on Wednesday owes nobody anything
    k = run({MONDAY: 10.0}, lead=1.0, engine=engine, unmet="lost")
    assert k["lost_sales"] == pytest.approx(6.0)
    assert k["fill_rate"] == pytest.approx(0.4)
    assert k["period_fill_rate"] == pytest.approx(0.4)
    assert np.isnan(k["avg_days_late"])  # no unit was filled late


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_units_never_filled_count_as_not_on_time_and_not_in_days_late(engine):
    # Sunday of week 1 (day 13, the last day): 6 owed at the end of the horizon
    k = run({MONDAY: 10.0, 13: 10.0}, lead=1.0, engine=engine)
    assert k["period_fill_rate"] == pytest.approx((4 + 6 + 4) / 20)
    assert k["avg_days_late"] == pytest.approx(2.0)  # Monday's 6 only


@pytest.mark.parametrize("engine", ["simpy", "numpy"])
def test_with_daily_buckets_period_fill_rate_is_fill_rate(engine):
    k = run({MONDAY: 10.0, SUNDAY: 10.0}, lead=1.0, bucket="day", engine=engine)
    assert k["fill_rate"] == pytest.approx(0.4)
    assert k["period_fill_rate"] == k["fill_rate"]
    assert k["avg_days_late"] == pytest.approx(2.0)


def test_warmup_counts_the_demand_of_the_days_after_it():
    # warm-up of 1 day: Monday's demand is left out, Sunday's counts
    k = run({MONDAY: 10.0, SUNDAY: 10.0}, lead=1.0, warmup_days=1)
    assert k["fill_rate"] == pytest.approx(0.4)
    assert k["period_fill_rate"] == pytest.approx(0.4)
    assert k["avg_days_late"] == pytest.approx(2.0)
