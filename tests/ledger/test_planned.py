"""Planned orders from a plan's flows: hand-checked dates, quantities and types."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainlab.ledger import derive_planned_orders, planned_orders_from_plan
from chainlab.ledger.planned import content_hash, plan_calendar
from chainlab.models import Calendar, ValidationError

DATA = Path(__file__).parents[1] / "data"

D = dt.date
WEEKS = Calendar(bucket="week", start=D(2027, 1, 4), periods=4)

#: tests/data/tiny_plan (written by solver.plan on tests/data/tiny), read by hand: production
#: as is; purchases placed in ``period``, due in ``arrival``; shipments between PLANT1 and DC1
#: leave in ``period`` and are due in ``arrival`` (rail 8 days = 1 week); DC1 -> customers are
#: deliveries, not orders
TINY_ORDERS = [
    ("production", "FG1", "PLANT1", "PLANT1", 25.0, D(2027, 1, 4), D(2027, 1, 4)),
    ("production", "FG1", "PLANT1", "PLANT1", 195.0, D(2027, 1, 11), D(2027, 1, 11)),
    ("production", "FG1", "PLANT1", "PLANT1", 70.0, D(2027, 1, 18), D(2027, 1, 18)),
    ("purchase", "RM1", "SUP1", "PLANT1", 390.0, D(2027, 1, 4), D(2027, 1, 11)),
    ("purchase", "RM1", "SUP1", "PLANT1", 140.0, D(2027, 1, 11), D(2027, 1, 18)),
    ("transfer", "FG1", "PLANT1", "DC1", 20.0, D(2027, 1, 4), D(2027, 1, 4)),
    ("transfer", "FG1", "PLANT1", "DC1", 5.0, D(2027, 1, 4), D(2027, 1, 11)),
    ("transfer", "FG1", "PLANT1", "DC1", 195.0, D(2027, 1, 11), D(2027, 1, 11)),
    ("transfer", "FG1", "PLANT1", "DC1", 70.0, D(2027, 1, 18), D(2027, 1, 25)),
]


def rows(df):
    return [tuple(r) for r in df.itertuples(index=False)]


def test_plan_folder_gives_the_hand_checked_orders(tiny):
    assert rows(planned_orders_from_plan(DATA / "tiny_plan", tiny)) == TINY_ORDERS


def test_plan_folder_without_network_uses_site_kinds_and_rebuilt_calendar(tiny):
    kinds = tiny.sites["kind"].to_dict()
    assert plan_calendar(DATA / "tiny_plan") == tiny.calendar
    assert rows(planned_orders_from_plan(DATA / "tiny_plan", site_kinds=kinds)) == TINY_ORDERS


def test_without_arrival_columns_lead_times_come_from_the_network(tiny, tmp_path):
    """Hand-made plan without arrival: PLANT1>DC1 by rail (8 days -> 1 week); the truck lane
    (3 days -> 0 weeks) when no lane is named; supplier lead time 7 days -> released a week
    before it ships."""
    plan = tmp_path / "plan"
    plan.mkdir()
    pd.DataFrame({"lane": ["PLANT1>DC1@rail", ""], "origin": ["PLANT1", "PLANT1"],
                  "destination": ["DC1", "DC1"], "product": ["FG1", "FG1"], "period": [0, 2],
                  "quantity": [10, 4]}).to_csv(plan / "shipments.csv", index=False)
    pd.DataFrame({"origin": ["SUP1"], "destination": ["PLANT1"], "product": ["RM1"],
                  "lane": ["SUP1>PLANT1/RM1@truck"], "period": [2], "quantity": [50]}).to_csv(
        plan / "purchases.csv", index=False)
    pd.DataFrame({"plant": ["PLANT1"], "product": ["FG1"], "period": [3],
                  "quantity": [1e-9]}).to_csv(plan / "production.csv", index=False)
    # purchases.csv lacks ``supplier``/``destination`` pairing: supplier shipments are read
    # from shipments.csv only when purchases has no destination -> rename to test that path
    (plan / "purchases.csv").unlink()
    ships = pd.read_csv(plan / "shipments.csv", keep_default_na=False)
    ships = pd.concat([ships, pd.DataFrame({"lane": ["SUP1>PLANT1/RM1@truck"],
                                            "origin": ["SUP1"], "destination": ["PLANT1"],
                                            "product": ["RM1"], "period": [2],
                                            "quantity": [50]})])
    ships.to_csv(plan / "shipments.csv", index=False)
    assert rows(planned_orders_from_plan(plan, tiny)) == [
        ("purchase", "RM1", "SUP1", "PLANT1", 50.0, D(2027, 1, 11), D(2027, 1, 18)),
        ("transfer", "FG1", "PLANT1", "DC1", 10.0, D(2027, 1, 4), D(2027, 1, 11)),
        ("transfer", "FG1", "PLANT1", "DC1", 4.0, D(2027, 1, 18), D(2027, 1, 18)),
    ]


def test_derive_sums_duplicates_drops_noise_and_sorts():
    tr = pd.DataFrame({"origin": ["B", "A", "A", "A"], "destination": ["C", "C", "C", "C"],
                       "product": ["X"] * 4, "period": [1, 0, 0, 1],
                       "quantity": [1.0, 2.0, 3.0, 1e-9], "lead_time_days": [0, 7, 7, 0]})
    prod = pd.DataFrame({"plant": ["A"], "product": ["X"], "period": [2], "quantity": [0.1234567]})
    out = derive_planned_orders(WEEKS, production=prod, transfers=tr)
    assert rows(out) == [
        ("production", "X", "A", "A", 0.123457, D(2027, 1, 18), D(2027, 1, 18)),
        ("transfer", "X", "A", "C", 5.0, D(2027, 1, 4), D(2027, 1, 11)),
        ("transfer", "X", "B", "C", 1.0, D(2027, 1, 11), D(2027, 1, 11)),
    ]


def test_derive_accepts_dates_instead_of_periods():
    pur = pd.DataFrame({"supplier": ["S"], "destination": ["P"], "product": ["R"],
                        "release_date": ["2027-02-01"], "quantity": [3],
                        "lead_time_days": [3]})
    assert rows(derive_planned_orders(WEEKS, purchases=pur)) == [
        ("purchase", "R", "S", "P", 3.0, D(2027, 2, 1), D(2027, 2, 4))]


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"plant": ["A"], "product": ["X"], "quantity": [1]}), "period"),
    (pd.DataFrame({"plant": ["A"], "period": [0], "quantity": [1]}), "product"),
    (pd.DataFrame({"plant": ["A"], "product": ["X"], "period": [0], "quantity": [-1]}),
     "quantity -1"),
    (pd.DataFrame({"plant": ["A"], "product": ["X"], "period": ["soon"], "quantity": [1]}),
     "period 'soon'"),
])
def test_derive_names_what_is_wrong(frame, message):
    with pytest.raises(ValidationError, match=message):
        derive_planned_orders(WEEKS, production=frame)


def test_content_hash_ignores_row_order_and_sees_quantities(tiny):
    orders = planned_orders_from_plan(DATA / "tiny_plan", tiny)
    shuffled = derive_planned_orders(
        WEEKS, transfers=orders[orders.type == "transfer"].iloc[::-1].rename(
            columns={"from_site": "origin", "to_site": "destination"}).drop(columns="type"),
        production=orders[orders.type == "production"].rename(columns={"to_site": "plant"})
        .drop(columns=["type", "from_site"]),
        purchases=orders[orders.type == "purchase"].rename(
            columns={"from_site": "supplier", "to_site": "destination"}).drop(columns="type"))
    assert content_hash(shuffled) == content_hash(orders)
    changed = orders.copy()
    changed.loc[0, "quantity"] += 0.000001
    assert content_hash(changed) != content_hash(orders)


def test_missing_plan_folder_and_empty_folder(tmp_path, tiny):
    from chainlab.models import NotFoundError
    with pytest.raises(NotFoundError, match="does not exist"):
        planned_orders_from_plan(tmp_path / "nope", tiny)
    with pytest.raises(ValidationError, match="plan folder"):
        planned_orders_from_plan(tmp_path, tiny)


def test_real_solver_plan_publishes(tiny, tmp_path):
    """End to end with the planner: its Plan object and its folder give the same orders."""
    solver = pytest.importorskip("chainlab.solver")
    plan = solver.plan(tiny)
    from_object = planned_orders_from_plan(plan, tiny)
    folder = plan.to_folder(tmp_path / "plan")
    assert rows(planned_orders_from_plan(folder, tiny)) == rows(from_object)
    assert len(from_object) > 0
    shutil.rmtree(folder)
