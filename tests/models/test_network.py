"""Network round trips (folder, Excel), the graph view, copies and the calendar."""

import datetime as dt
import string
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainlab.models import Calendar, Network, check

TINY = Path(__file__).parents[1] / "data" / "tiny"

ids = st.text(string.ascii_uppercase + string.digits + "_-", min_size=1, max_size=6)
money = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def networks(draw):
    """A random network that is valid by construction (every customer reachable)."""
    names = draw(st.lists(ids, min_size=6, max_size=14, unique=True))
    sup, plant, dc, *custs = names
    prods = draw(st.lists(ids.map(lambda s: "P" + s), min_size=2, max_size=5, unique=True))
    fg, comp = prods[0], prods[1]
    text = st.text(string.ascii_letters + " éü,\"'", max_size=12)
    sites = pd.DataFrame({
        "id": [sup, plant, dc, *custs],
        "kind": ["supplier", "plant", "dc"] + ["customer"] * len(custs),
        "name": [draw(text) for _ in names],
        "lat": [draw(maybe(st.floats(-90, 90))) for _ in names],
        "lon": [draw(maybe(st.floats(-180, 180))) for _ in names],
        "region": [draw(st.sampled_from(["", "East", "West"])) for _ in names],
        "status": ["existing"] * len(names),
        "fixed_cost": [draw(money) for _ in names],
        "capacity": [draw(maybe(money)) for _ in names],
    })
    products = pd.DataFrame({"id": prods, "standard_cost": [draw(money) for _ in prods],
                             "holding_cost": [draw(money) for _ in prods],
                             "price": [draw(maybe(money)) for _ in prods]})
    lanes = pd.DataFrame({
        "origin": [sup, plant] + [dc] * len(custs),
        "destination": [plant, dc, *custs],
        "cost_per_unit": [draw(money) for _ in range(2 + len(custs))],
        "lead_time_days": [draw(st.floats(0, 30)) for _ in range(2 + len(custs))],
        "mode": [draw(st.sampled_from(["", "truck", "rail"])) for _ in range(2 + len(custs))],
    })
    bom = pd.DataFrame({"product": [fg], "component": [comp],
                        "quantity": [draw(st.floats(0.001, 10))]})
    production = pd.DataFrame({"plant": [plant], "product": [fg], "unit_cost": [draw(money)]})
    supply = pd.DataFrame({"supplier": [sup], "product": [comp], "unit_cost": [draw(money)],
                           "capacity_per_period": [draw(maybe(money))]})
    start = draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1)))
    periods = draw(st.integers(1, 30))
    n = draw(st.integers(1, 20))
    demand = pd.DataFrame({
        "customer": [draw(st.sampled_from(custs)) for _ in range(n)],
        "product": [fg] * n,
        "date": [start + dt.timedelta(days=draw(st.integers(0, periods * 7 - 1))) for _ in range(n)],
        "quantity": [draw(money) for _ in range(n)],
        "sd": [draw(maybe(money)) for _ in range(n)],
    })
    cal = Calendar("week", start, periods)
    # a name as the readers give it back: without surrounding blanks (Excel cells are trimmed)
    return Network.from_tables(draw(text.map(str.strip).filter(bool)), cal, sites=sites, products=products,
                               lanes=lanes, bom=bom, production=production, supply=supply,
                               demand=demand)


def assert_same(a: Network, b: Network, exact=True):
    assert a.name == b.name and a.calendar == b.calendar and a.currency == b.currency
    ta, tb = a.tables(), b.tables()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name].reset_index(drop=True),
                                      tb[name].reset_index(drop=True), check_dtype=False,
                                      check_exact=exact, rtol=1e-14, obj=name)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_folder_round_trip_keeps_every_value(net, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "net"
    net.to_folder(path)
    assert check(path).valid
    assert_same(net, Network.from_folder(path))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_excel_round_trip_keeps_every_value(net, tmp_path_factory):
    path = tmp_path_factory.mktemp("xl") / "net.xlsx"
    net.to_excel(path)
    assert check(path).valid
    # Excel keeps 15 significant digits of a number cell; everything else is exact
    assert_same(net, Network.from_excel(path), exact=False)


def test_tables_are_keyed_by_ids():
    net = Network.from_folder(TINY)
    assert net.sites.loc["DC1", "kind"] == "dc"
    assert net.lanes.loc["PLANT1>DC1@rail", "cost_per_unit"] == 0.6
    assert net.production.loc[("PLANT1", "FG1"), "hours_per_unit"] == 0.1
    assert net.resources.loc[("PLANT1", "LINE1"), "hours_per_period"] == 40
    assert net.bom.loc[("FG1", "RM1", ""), "quantity"] == 2
    assert net.supply.loc[("SUP1", "RM1"), "capacity_per_period"] == 1000
    assert np.isnan(net.sites.loc["C1", "capacity"])  # blank = unlimited
    assert list(net.demand["distribution"]) == ["normal", "normal", "fixed", "normal"]


def test_demand_by_period_sums_means_and_variances():
    net = Network.from_folder(TINY)
    d = net.demand_by_period()
    assert d.loc[("C1", "FG1", 1), "quantity"] == 120
    assert d.loc[("C2", "FG1", 3), "sd"] == 10
    assert d["quantity"].sum() == 390


def test_graph_view():
    net = Network.from_folder(TINY)
    g = net.graph()
    assert isinstance(g, nx.DiGraph)
    assert g.nodes["PLANT1"]["kind"] == "plant"
    assert set(g.successors("DC1")) == {"C1", "C2"}
    # two lanes PLANT1->DC1: the edge carries the cheaper one and lists both
    assert g.edges["PLANT1", "DC1"]["mode"] == "rail"
    assert g.edges["PLANT1", "DC1"]["lanes"] == ["PLANT1>DC1@rail", "PLANT1>DC1@truck"]
    mg = net.graph(multigraph=True)
    assert mg.number_of_edges("PLANT1", "DC1") == 2
    assert mg.edges["PLANT1", "DC1", "PLANT1>DC1@truck"]["lead_time_days"] == 3
    assert nx.has_path(g, "SUP1", "C2")


def test_copy_is_independent():
    net = Network.from_folder(TINY)
    c = net.copy()
    c.lanes.loc["DC1>C1@truck", "cost_per_unit"] = 99
    c.sites.loc["DC1", "capacity"] = 1
    assert net.lanes.loc["DC1>C1@truck", "cost_per_unit"] == 0.5
    assert net.sites.loc["DC1", "capacity"] == 500


def test_calendar_buckets_and_lead_times():
    cal = Calendar("week", dt.date(2027, 1, 4), 26)
    assert list(cal.period_of(["2027-01-04", "2027-01-10", "2027-01-11", "2027-01-03"])) == [0, 0, 1, -1]
    assert list(cal.to_buckets([0, 2, 3, 4, 7, 10, 11])) == [0, 0, 0, 1, 1, 1, 2]
    assert cal.period_start(2) == dt.date(2027, 1, 18)
    assert cal.end == dt.date(2027, 7, 5)
    day = Calendar("day", dt.date(2027, 1, 1), 10)
    assert list(day.to_buckets([0, 1.4, 1.5, 3])) == [0, 1, 2, 3]


def test_summary_and_repr():
    net = Network.from_folder(TINY)
    s = net.summary()
    assert (s["plants"], s["dcs"], s["customers"], s["lanes"], s["total_demand"]) == (1, 1, 2, 5, 390)
    assert repr(net).startswith("<Network 'tiny': 1 suppliers, 1 plants, 1 DCs, 2 customers")


def test_to_folder_leaves_nothing_half_written(tmp_path, monkeypatch):
    net = Network.from_folder(TINY)
    target = tmp_path / "out"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        net.to_folder(target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_capacity_factors_average_the_days_of_each_bucket(tmp_path):
    import shutil

    net_dir = tmp_path / "net"
    shutil.copytree(TINY, net_dir)
    (net_dir / "capacity_changes.csv").write_text(
        "site,start,end,scale,resource,product\n"
        "PLANT1,2027-01-06,2027-01-08,0,,\n"          # 3 of 7 days down in week 0
        "PLANT1,2027-01-11,2027-01-24,0.5,LINE1,\n"   # weeks 1 and 2 at half
        "PLANT1,2027-01-20,2027-01-20,0.5,LINE1,\n"   # one day of week 2 at a quarter
        "SUP1,2027-01-25,2027-03-01,0.2,,RM1\n")      # runs past the horizon
    f = Network.from_folder(net_dir).capacity_factors()
    assert f.loc[("PLANT1", "", "")].tolist() == pytest.approx([4 / 7, 1, 1, 1])
    assert f.loc[("PLANT1", "LINE1", "")].tolist() == pytest.approx([1, 0.5, (6 * 0.5 + 0.25) / 7, 1])
    assert f.loc[("SUP1", "", "RM1")].tolist() == pytest.approx([1, 1, 1, 0.2])
