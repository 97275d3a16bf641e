"""Capable-to-promise against hand-computed cases: spare hours per bucket, components on hand
and inbound, production and transport lead times, hours that two promises cannot share; and
what publishing stores for it. On SQLite and PostgreSQL.

The network:

    PLANT (LINE: 40 h a week, 0.5 h per FG, 2 RM per FG) --2d--> EAST --1d--> C1

Today is Monday 2027-01-04; weekly buckets from then. The plan makes 40 FG in the week of
01-11 (20 h), buys 100 RM due 01-11 and moves 40 FG to EAST, due 01-13. On hand: 30 FG at EAST
and (by default) 1000 RM at PLANT. So ATP at EAST is 70 from 01-13, and CTP has 40 spare hours
in the first week and 20 in the second.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

from chainlab.ledger import ctp
from chainlab.ledger.ctp import PromisingData
from chainlab.ledger.promising import (
                             Fill,
                             LineRequest,
                             PromiseConflict,
                             PromiseRequest,
                             PromiseStatus,
)

DATA = Path(__file__).parents[1] / "data"
TODAY = dt.date(2027, 1, 4)
NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
SITES = pd.DataFrame({"id": ["SUP", "PLANT", "EAST", "C1"],
                      "kind": ["supplier", "plant", "dc", "customer"]})
PRODUCTS = pd.DataFrame({"id": ["FG", "RM"], "standard_cost": [10.0, 2.0]})
ORDERS = pd.DataFrame([
    ("production", "FG", "PLANT", "PLANT", 40.0, "2027-01-11", "2027-01-11"),
    ("purchase", "RM", "SUP", "PLANT", 100.0, "2027-01-04", "2027-01-11"),
    ("transfer", "FG", "PLANT", "EAST", 40.0, "2027-01-11", "2027-01-13")],
    columns=["type", "product", "from_site", "to_site", "quantity", "release_date",
             "due_date"])


def day(n: int) -> dt.date:
    return dt.date(2027, 1, n)


def data(lead_days: float = 0.0) -> PromisingData:
    weeks = [day(4) + dt.timedelta(days=7 * i) for i in range(5)]
    return PromisingData(
        pd.DataFrame([("PLANT", "EAST", "", "", 2.0, 0.2), ("EAST", "C1", "", "", 1.0, 1.0),
                      ("SUP", "PLANT", "RM", "", 0.0, 0.1)],
                     columns=ctp.LANE_COLUMNS),
        pd.DataFrame([("PLANT", "FG", "LINE", 0.5, lead_days, 3.0)],
                     columns=ctp.ROUTING_COLUMNS),
        pd.DataFrame([("", "FG", "RM", 2.0)], columns=ctp.BOM_COLUMNS),
        pd.DataFrame({"plant": "PLANT", "resource": "LINE", "period_start": weeks[:4],
                      "period_end": weeks[1:], "available_hours": 40.0}))


def make(led, rm: int = 1000, lead_days: float = 0.0):
    led.publish_orders(ORDERS, sites=SITES, products=PRODUCTS, promising=data(lead_days))
    led.post_move("receipt", "EAST", "FG", 30, day(1))
    led.post_move("receipt", "PLANT", "RM", rm, day(1))
    return led


@pytest.fixture
def plant(led):
    return make(led)


def ask(q, d, **kw):
    return PromiseRequest("C1", [LineRequest("FG", D(q), d)], **kw)


def parts(line):
    return [(p.quantity, p.date, p.ship_date, p.source, p.kind.value) for p in line.promised]


def holds(led):
    with led.engine.connect() as conn:
        return sorted(conn.exec_driver_sql(
            "SELECT kind, site, item, date, quantity FROM promise_reservations").all())


def test_ctp_makes_what_atp_lacks_with_spare_hours(plant):
    p = plant.promise(ask(110, day(14)), today=TODAY, now=NOW)
    assert p.status is PromiseStatus.CONFIRMED
    assert parts(p.lines[0]) == [(70, day(14), day(13), "EAST", "atp"),
                                 (40, day(14), day(13), "PLANT", "ctp")]
    assert p.lines[0].promised[1].route == "PLANT>EAST, EAST>C1"
    assert ("CTP: LINE at PLANT has 40 free hours in the week of 2027-01-04; makes 40 (20 h), "
            "ready 2027-01-11, then 2 days PLANT>EAST then 1 day EAST>C1") in p.lines[0].reason
    scale = D("0.000001") if plant.engine.dialect.name == "sqlite" else D(1)
    got = [(k, s, i, str(d), D(q) * scale) for k, s, i, d, q in holds(plant)]
    assert got == [("hours", "PLANT", "LINE", "2027-01-04", 20),
                   ("stock", "EAST", "FG", "2027-01-13", 70),
                   ("stock", "PLANT", "RM", "2027-01-04", 80)]


def test_two_promises_never_spend_the_same_hours(plant):
    plant.promise(ask(110, day(14)), today=TODAY, now=NOW)  # 20 of week 1's 40 h left
    a = plant.check(ask(50, day(14)), today=TODAY, now=NOW)
    assert a.fill is Fill.LATE and a.lines[0].date == day(21)
    assert "CTP: LINE at PLANT has 20 free hours until 2027-01-11 (enough for 40 at 0.5 h " \
           "each)" in a.lines[0].reason
    # on 01-21 the second week's 20 spare hours count too: 40 made then, 10 in week 1
    assert parts(a.lines[0]) == [(50, day(21), day(20), "PLANT", "ctp")]
    p = plant.promise(ask(40, day(14)), today=TODAY, now=NOW)
    assert parts(p.lines[0]) == [(40, day(14), day(13), "PLANT", "ctp")]
    with pytest.raises(PromiseConflict):
        plant.promise(ask(1, day(14)), today=TODAY, now=NOW)
    late = plant.check(ask(41, day(14)), today=TODAY, now=NOW).lines[0]
    assert late.date is None or late.date > day(21)  # week 2 has 40 units, week 3 more
    plant.cancel_promise(p.id)
    assert plant.check(ask(40, day(14)), today=TODAY, now=NOW).fill is Fill.COMPLETE


def test_components_limit_ctp(led):
    make(led, rm=10)
    a = led.check(ask(80, day(14)), today=TODAY, now=NOW)
    line = a.lines[0]
    assert line.alternatives[0].quantity == 75  # 70 ATP + 5 made of the 10 RM on hand
    assert "RM at PLANT: 10 for 5" in line.reason
    p = led.promise(ask(80, day(14), allow_partial=True), today=TODAY, now=NOW)
    # the last 5 are made in week 2 from the RM that arrives on 01-11
    assert "limited by RM at PLANT: 10 available" in p.lines[0].reason
    assert parts(p.lines[0]) == [(70, day(14), day(13), "EAST", "atp"),
                                 (5, day(14), day(13), "PLANT", "ctp"),
                                 (5, day(21), day(20), "PLANT", "ctp")]


def test_production_lead_time_delays_ctp(led):
    make(led, lead_days=2)
    a = led.check(ask(80, day(14)), today=TODAY, now=NOW)
    # week 1's output is ready 01-13 (end 01-11 + 2 days), at C1 three days later
    assert a.lines[0].date == day(16)
    assert "no bucket that ends in time" in a.lines[0].reason


def test_publish_stores_capacity_routings_bom_and_lanes(tiny_led, tiny):
    r = tiny_led.publish(DATA / "tiny_plan", network=tiny)
    with tiny_led.engine.connect() as conn:
        st = ctp.load_statics(conn, r.plan_version)
    b = st.buckets[("PLANT1", "LINE1")]
    assert [(x.start, x.available, x.used) for x in b] == [
        (day(4), 40, D("2.5")), (day(11), 40, D("19.5")), (day(18), 40, 7),
        (day(25), 40, 0)]
    assert [(x.resource, x.hours_per_unit) for x in st.routings["FG1"]] == [("LINE1", D("0.1"))]
    assert st.components("PLANT1", "FG1") == [("RM1", 2)]
    assert [(ln.origin, ln.lead_days) for ln in st.sources("C1", "FG1")] == [("DC1", 1)]
    # a plan published without its network keeps these, with its own hours used
    orders = tiny_led.orders().orders
    df = pd.DataFrame([{"type": o.type.value, "product": o.product, "from_site": o.from_site,
                        "to_site": o.to_site, "quantity": float(o.quantity) * 2,
                        "release_date": o.release_date, "due_date": o.due_date}
                       for o in orders])
    r2 = tiny_led.publish_orders(df)
    with tiny_led.engine.connect() as conn:
        st2 = ctp.load_statics(conn, r2.plan_version)
    assert [x.used for x in st2.buckets[("PLANT1", "LINE1")]] == [5, 39, 14, 0]
    assert st2.lanes_to.keys() == st.lanes_to.keys()


def test_capacity_from_the_plans_capacity_table(tiny_led, tiny, tmp_path):
    folder = tmp_path / "plan"
    shutil.copytree(DATA / "tiny_plan", folder)
    (folder / "capacity.csv").write_text(
        "kind,site,item,period,date,used,available\n"
        + "".join(f"resource,PLANT1,LINE1,{t},2027-01-{4 + 7 * t:02d},0,30\n" for t in range(4))
        + "supplier,SUP1,RM1,0,2027-01-04,0,1000\n")
    r = tiny_led.publish(folder, network=tiny)
    with tiny_led.engine.connect() as conn:
        st = ctp.load_statics(conn, r.plan_version)
    assert [x.available for x in st.buckets[("PLANT1", "LINE1")]] == [30] * 4
