"""The plan report stored with a published version (:mod:`ledger.report`): its numbers are the
plan's own tables and the network's (oracle: the CSV files of the plan folder and of
tests/data/tiny), it is stored only with a plan and its network, and bottlenecks rank as
``Plan.bottlenecks`` does (or by utilisation for a plan without duals). On SQLite and
PostgreSQL where a ledger is used."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from chainlab import solver
from chainlab.ledger import report
from chainlab.models import Network, NotFoundError

DATA = Path(__file__).parents[1] / "data"
ACME = Path(__file__).parents[2] / "scenarios" / "examples" / "acme"
ORDERS = pd.DataFrame([("transfer", "FG1", "PLANT1", "DC1", 5.0, "2027-01-04", "2027-01-11")],
                      columns=["type", "product", "from_site", "to_site", "quantity",
                               "release_date", "due_date"])


@pytest.fixture(scope="module")
def plan(tiny):
    """The tiny network's plan (an LP: every capacity has a shadow price)."""
    p = solver.plan(tiny)
    assert p.has_solution
    return p


@pytest.fixture(scope="module")
def plan_dir(plan, tmp_path_factory) -> Path:
    return plan.to_folder(tmp_path_factory.mktemp("plan") / "plan")


def csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv")


def reports(led) -> int:
    with led.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM plan_reports")).scalar()


def test_publish_stores_the_report_of_the_plan(led, tiny, plan_dir):
    pub = led.publish(plan_dir, network=tiny, name="week 1")
    rep = led.plan_report()
    assert rep == led.plan_report(pub.plan_version)
    json.dumps(rep, allow_nan=False)  # plain JSON: no NaN anywhere
    assert (rep["plan_version_id"], rep["name"], rep["network"], rep["currency"],
            rep["bucket"]) == (pub.plan_version, "week 1", "tiny", "USD", "week")
    assert rep["dates"] == ["2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25"]
    summary = json.loads((plan_dir / "summary.json").read_text())
    assert rep["status"] == "optimal"
    assert rep["objective"] == pytest.approx(summary["objective"], abs=0.01)
    assert rep["costs"] == pytest.approx(summary["costs"], abs=0.01)

    sites = csv(DATA / "tiny", "sites")
    assert [s["id"] for s in rep["sites"]] == list(sites["id"])
    assert rep["sites"][2] == {"id": "DC1", "kind": "dc", "name": "East DC", "lat": 40.71,
                               "lon": -74.01, "region": "East", "status": "existing"}

    production = csv(plan_dir, "production")
    made = rep["production"]["PLANT1"]
    assert sum(made["quantity"]) == pytest.approx(production["quantity"].sum())
    assert made["quantity"] == pytest.approx(
        production.groupby("period")["quantity"].sum().reindex(range(4), fill_value=0).tolist())
    cap = csv(plan_dir, "capacity")
    lines = cap[cap["kind"] == "resource"]
    assert sum(made["used_hours"]) == pytest.approx(lines["used"].sum())
    assert made["available_hours"] == [40.0] * 4  # resources.csv: LINE1, 40 h a week

    shipments = csv(plan_dir, "shipments")
    lanes = {(ln["origin"], ln["destination"], ln["mode"]): ln for ln in rep["lanes"]}
    assert len(lanes) == len(rep["lanes"]) == len(csv(DATA / "tiny", "lanes"))
    assert sum(ln["flow"] for ln in rep["lanes"]) == pytest.approx(shipments["quantity"].sum())
    rail = shipments[shipments["lane"] == "PLANT1>DC1@rail"]["quantity"].sum()
    assert lanes[("PLANT1", "DC1", "rail")] | {"flow": None} == {
        "origin": "PLANT1", "destination": "DC1", "mode": "rail", "cost_per_unit": 0.6,
        "lead_time_days": 8.0, "flow": None}
    assert lanes[("PLANT1", "DC1", "rail")]["flow"] == pytest.approx(rail)

    inventory = csv(plan_dir, "inventory")
    dc = inventory[inventory["site"] == "DC1"].groupby("period")["quantity"].sum()
    assert list(rep["inventory"]) == ["DC1"]
    assert rep["inventory"]["DC1"] == pytest.approx(dc.reindex(range(4)).tolist())

    tables = rep["site_tables"]
    assert set(tables) == set(sites["id"])
    assert tables["PLANT1"]["capacity"] == [{"item": "LINE1", "per_period": 40.0,
                                            "unit": "hours"}]
    assert tables["DC1"]["capacity"] == [{"item": "throughput", "per_period": 500.0,
                                         "unit": "units"}]
    assert tables["SUP1"]["capacity"] == [{"item": "RM1", "per_period": 1000.0,
                                          "unit": "units"}]
    assert tables["DC1"]["inventory"] == [{"product": "FG1", "on_hand": 100.0,
                                          "safety_stock": 20.0}]
    demand = csv(DATA / "tiny", "demand")
    for c in ("C1", "C2"):
        (d,) = tables[c]["demand"]
        assert d["product"] == "FG1" and len(d["per_period"]) == 4
        assert d["total"] == sum(d["per_period"]) == demand[demand.customer == c].quantity.sum()
    assert tables["C2"]["demand"][0]["per_period"] == [0.0, 80.0, 0.0, 90.0]
    assert tables["C1"]["capacity"] == tables["C1"]["inventory"] == []


def test_a_plan_and_its_folder_give_the_same_report(led, tiny, plan, plan_dir):
    assert report.plan_report(plan, tiny) == report.plan_report(plan_dir, tiny)
    led.publish(plan, network=tiny)
    assert led.plan_report() == report.plan_report(plan, tiny) | {"plan_version_id": 1}


def test_orders_only_versions_have_no_report(tiny_led, tiny):
    tiny_led.publish_orders(ORDERS)
    with pytest.raises(NotFoundError, match="plan version 1 was published without its plan "
                                            "and network; publish a plan folder with --network"):
        tiny_led.plan_report()
    # a plan folder without its network: orders, but nothing to draw the network from
    tiny_led.publish(DATA / "tiny_plan")
    with pytest.raises(NotFoundError, match="plan version 2 was published without"):
        tiny_led.plan_report(2)
    assert reports(tiny_led) == 0


def test_no_report_without_a_version(led, tiny, plan_dir):
    with pytest.raises(NotFoundError, match="no plan has been published"):
        led.plan_report()
    led.publish(plan_dir, network=tiny)
    with pytest.raises(NotFoundError, match="plan version 7 does not exist"):
        led.plan_report(7)


def test_republishing_the_current_plan_keeps_its_report(led, tiny, plan_dir):
    first = led.publish(plan_dir, network=tiny, name="first")
    before = led.plan_report()
    again = led.publish(plan_dir, network=tiny, name="second")
    assert (again.plan_version, again.created) == (first.plan_version, False)
    assert led.plan_report() == before and before["name"] == "first"
    assert reports(led) == 1
    # a new plan is a new version with its own report; the old one stays
    led.publish_orders(ORDERS)
    led.publish(plan_dir, network=tiny, name="third")
    assert [led.plan_report(v)["name"] for v in (1, 3)] == ["first", "third"]
    assert reports(led) == 2


def capacity_rows(n: int, utilisation, shadow_price) -> pd.DataFrame:
    """``n`` resource rows of PLANT1 with the given utilisation and shadow prices."""
    available = np.full(n, 100.0)
    return pd.DataFrame({"kind": "resource", "site": "PLANT1",
                         "item": [f"L{i:02d}" for i in range(n)], "period": np.arange(n) % 4,
                         "date": "2027-01-04", "used": available * utilisation,
                         "available": available, "utilisation": utilisation,
                         "shadow_price": shadow_price})


def test_bottlenecks_rank_by_shadow_price_as_the_plan_does(plan, tiny):
    n = 24
    price = np.where(np.arange(n) % 5 == 0, 0.0, (np.arange(n) * 7 % 11) + 0.25)
    lp = dataclasses.replace(plan, capacity=capacity_rows(n, np.full(n, 0.5), price))
    got = report.plan_report(lp, tiny)["bottlenecks"]
    want = lp.bottlenecks(15)
    assert len(got) == 15
    assert [(b["site"], b["item"], b["period"], b["shadow_price"]) for b in got] == [
        (b.site, b.item, b.period, b.value) for b in want]
    assert got[0]["date"] == ["2027-01-04", "2027-01-11", "2027-01-18",
                              "2027-01-25"][got[0]["period"]]
    assert report.plan_report(plan, tiny)["bottlenecks"] == [
        {"kind": b.kind, "site": b.site, "item": b.item, "period": b.period,
         "date": b.date, "used": b.used, "available": b.capacity,
         "utilisation": pytest.approx(b.used / b.capacity), "shadow_price": b.value}
        for b in plan.bottlenecks(15)]


def test_bottlenecks_of_a_plan_without_duals_are_the_full_capacities(plan, tiny):
    n = 25
    util = 0.97 + 0.002 * np.arange(n)  # 0.98 and more from row 5: 20 rows
    milp = dataclasses.replace(plan, capacity=capacity_rows(n, util, np.nan), is_mip=True)
    got = report.plan_report(milp, tiny)["bottlenecks"]
    assert [b["item"] for b in got] == [f"L{i:02d}" for i in range(24, 9, -1)]
    assert all(b["shadow_price"] is None for b in got)
    assert got[0] | {"used": 0} == {"kind": "resource", "site": "PLANT1", "item": "L24",
                                    "period": 0, "date": "2027-01-04", "used": 0,
                                    "available": 100.0, "utilisation": 1.018,
                                    "shadow_price": None}


def test_report_of_the_acme_example_is_small():
    """The example (73 sites, 171 lanes, 26 weeks) is a MILP: well under 1 MB of JSON."""
    net = Network.from_folder(ACME)
    plan = solver.plan(net, options=solver.SolveOptions(gap=0.05, time_limit=30))
    assert plan.has_solution
    rep = report.plan_report(plan, net)
    size = len(report.to_json(rep))
    assert size < 300_000, size
    assert len(rep["sites"]) == len(net.sites) and len(rep["dates"]) == 26
    assert set(rep["production"]) == {"PLANT1", "PLANT2", "PLANT3"}
    assert sum(sum(p["quantity"]) for p in rep["production"].values()) == pytest.approx(
        plan.production["quantity"].sum(), rel=1e-6)
    b = rep["bottlenecks"]
    assert 0 < len(b) <= 15
    if plan.capacity["shadow_price"].isna().all():  # no marginal values for this MILP
        assert all(x["shadow_price"] is None and x["utilisation"] >= 0.98 for x in b)
        assert [x["utilisation"] for x in b] == sorted((x["utilisation"] for x in b),
                                                       reverse=True)
    else:
        assert [x["shadow_price"] for x in b] == pytest.approx(
            [x.value for x in plan.bottlenecks(15)], abs=1e-4)
