"""Network design on a network solved by hand: which DC opens, the price of each decision,
the options (closing existing sites, limits, forcing, levels, lane limits, single sourcing, the
aggregate horizon), the result's tables, and the ``chainlab design`` command.

The hand network: supplier S (free, unlimited) ships at 1 per unit to DCs A (existing, fixed
100 per period, capacity 100), B (candidate, fixed 50, opening 30, capacity 80) and C
(candidate, fixed 200, unlimited); customers X (60 per period) and Y (50). DC -> customer
costs per unit: A>X 1, A>Y 5, B>X 4, B>Y 1, C>X 3, C>Y 3. All demand must be met.

- A + B: fixed 100 + 50 + 30, flows X from A 60*2 + Y from B 50*2 = 220: total 400 (optimal);
- A + C: 100 + 200 + X from A 120 + Y from C 50*4 = 620;  A + B + C: 600;
- without A: B + C = 280 + X from C 240 + Y from B 100 = 620; C alone 640; B alone, A alone
  cannot meet 110.
"""

import dataclasses
import datetime as dt
import json
from functools import lru_cache

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainlab.models import Calendar, Network, ValidationError
from chainlab.models.geo import lane_km
from chainlab.solver import Status, cost_of_forcing, explain_design, plan
from chainlab.solver.check import check_plan
from chainlab.solver.design import DesignOptions, design
from chainlab.solver.design_result import Forcing

START = dt.date(2027, 1, 4)


def hand_net(periods: int = 1, lead_b_y: float = 0.0, coords: bool = False) -> Network:
    return _hand_net(periods, lead_b_y, coords).copy()


@lru_cache
def _hand_net(periods: int, lead_b_y: float, coords: bool) -> Network:
    sites = pd.DataFrame([
        {"id": "S", "kind": "supplier"},
        {"id": "A", "kind": "dc", "fixed_cost": 100.0, "capacity": 100.0},
        {"id": "B", "kind": "dc", "status": "candidate", "fixed_cost": 50.0,
         "open_cost": 30.0, "capacity": 80.0},
        {"id": "C", "kind": "dc", "status": "candidate", "fixed_cost": 200.0},
        {"id": "X", "kind": "customer"},
        {"id": "Y", "kind": "customer"},
    ])
    if coords:  # everything at the equator, 1 degree (111 km) apart; Y 10 degrees from B
        sites["lat"] = 0.0
        sites["lon"] = [0.0, 0.0, 0.0, 5.0, 1.0, 10.0]
    lanes = pd.DataFrame([
        ("S", "A", 1.0, 0.0), ("S", "B", 1.0, 0.0), ("S", "C", 1.0, 0.0),
        ("A", "X", 1.0, 0.0), ("A", "Y", 5.0, 0.0), ("B", "X", 4.0, 0.0),
        ("B", "Y", 1.0, lead_b_y), ("C", "X", 3.0, 0.0), ("C", "Y", 3.0, 0.0),
    ], columns=["origin", "destination", "cost_per_unit", "lead_time_days"])
    cal = Calendar("week", START, periods)
    demand = pd.DataFrame([{"customer": c, "product": "P", "date": cal.period_start(t),
                            "quantity": q} for t in range(periods)
                           for c, q in (("X", 60.0), ("Y", 50.0))])
    return Network.from_tables(
        "hand", cal, sites=sites, products=pd.DataFrame([{"id": "P", "standard_cost": 1.0}]),
        supply=pd.DataFrame([{"supplier": "S", "product": "P", "unit_cost": 0.0}]),
        lanes=lanes, demand=demand)


def solve(net=None, **kw):
    return design(net or hand_net(), unmet="none", **kw)


def test_opens_the_cheaper_candidate():
    d = solve()
    assert d.status is Status.OPTIMAL
    assert d.objective == pytest.approx(400.0, rel=1e-9)
    assert d.bound == pytest.approx(400.0, rel=1e-4)
    assert d.open_sites == ["A", "B"] and d.closed_sites == ["C"] and d.opened == ["B"]
    assert d.costs["site_fixed"] == pytest.approx(150.0)
    assert d.costs["site_open"] == pytest.approx(30.0)
    assert d.costs["transport"] == pytest.approx(220.0)
    a = d.assignments.set_index(["customer", "site"])
    assert a["quantity"].to_dict() == {("X", "A"): 60.0, ("Y", "B"): 50.0}
    assert (a["share"] == 1.0).all()
    s = d.sites
    assert s.loc["B", "throughput"] == pytest.approx(50.0)
    assert s.loc["B", "peak_utilisation"] == pytest.approx(50 / 80)
    assert s.loc["B", "customers"] == 1 and s.loc["C", "customers"] == 0
    assert s.loc["B", "fixed_cost"] == 50.0 and s.loc["B", "open_cost"] == 30.0
    assert s.loc["C", "fixed_cost"] == 0.0 and not s.loc["C", "open"]
    assert bool(s.loc["A", "open"]) and not s.loc["A", "decided"]
    u = d.utilisation.set_index("site")
    assert u.loc["A", "utilisation"] == pytest.approx(0.6)
    assert "B" in repr(d) and "optimal" in repr(d)


def test_without_decisions_the_design_is_the_plan(tiny):
    d = design(tiny)
    assert d.objective == pytest.approx(plan(tiny).objective, rel=1e-9)
    assert d.open_sites == ["PLANT1", "DC1"] and d.closed_sites == [] and d.opened == []


def test_cost_of_forcing_prices_each_decision():
    d = solve()
    closed_b = cost_of_forcing(d, "B", open=False)
    assert closed_b.forced.open_sites == ["A", "C"]
    assert closed_b.difference == pytest.approx(220.0)
    assert closed_b.deltas == pytest.approx({"transport": 100.0, "site_fixed": 150.0,
                                             "site_open": -30.0})
    assert str(closed_b).startswith("opening B saves 220.00 USD against keeping it closed")
    open_c = cost_of_forcing(d, "C", open=True)
    assert open_c.difference == pytest.approx(200.0)
    assert "keeping C closed saves 200.00 USD" in str(open_c)
    same = cost_of_forcing(d, "B", open=True)
    assert same.forced is d and same.difference == 0.0
    assert [f.site for f in explain_design(d)] == ["B", "C"]
    with pytest.raises(LookupError, match="'Q' is not a supplier, plant or DC"):
        cost_of_forcing(d, "Q")


def test_the_design_plans_as_built():
    # the planner, given the network with the design's decisions applied, makes the design's
    # plan: the same flows, and the objective less the one-off opening cost
    d = solve()
    built = d.as_built()
    assert built.sites.loc[["A", "B", "C"], "status"].tolist() == ["existing", "existing",
                                                                   "candidate"]
    p = plan(built, unmet="none")
    assert p.objective == pytest.approx(d.objective - d.costs["site_open"])
    assert check_plan(p, built) == []
    cols = ["lane", "period", "quantity"]
    pd.testing.assert_frame_equal(p.shipments[cols].sort_values(cols).reset_index(drop=True),
                                  d.flows[cols].sort_values(cols).reset_index(drop=True))


def test_an_unproven_difference_says_so():
    d = solve()
    f = cost_of_forcing(d, "B", open=False)
    # pretend the forced design stopped at a limit with a weak bound
    loose = Forcing("B", False, d, dataclasses.replace(f.forced, status=Status.FEASIBLE,
                                                        bound=350.0))
    assert not loose.proven
    assert loose.difference_range == pytest.approx((-50.0, 220.0), abs=1e-3)
    assert str(loose).endswith("(not certain: given both designs' bounds the saving is "
                               "between -50.00 and 220.00 USD)")
    assert loose.as_dict()["proven"] is False and not loose.certain
    # a bound above the base objective settles the decision, not the amount
    settled = Forcing("B", False, d, dataclasses.replace(f.forced, status=Status.FEASIBLE,
                                                          bound=450.0))
    assert settled.certain and not settled.proven
    assert "(the decision is certain, the amount is not: given both designs' bounds the " \
           "saving is between 50.00 and 220.00 USD)" in str(settled)
    assert f.certain and f.proven and "(" not in str(f)


def test_existing_sites_may_close_within_limits():
    d = solve(close_existing=True, max_open=1)
    assert d.objective == pytest.approx(640.0)
    assert d.open_sites == ["C"] and d.closed_sites == ["A", "B"]
    assert "site_fixed" in d.costs and d.costs["site_fixed"] == pytest.approx(200.0)
    d = solve(close_existing=True, min_open=3)
    assert d.objective == pytest.approx(600.0)


def test_forcing_an_existing_site_closed():
    d = solve(force_closed=["A"])
    assert d.objective == pytest.approx(620.0)
    assert d.open_sites == ["B", "C"] and d.closed_sites == ["A"]
    assert d.sites.loc["A", "forced"] == "closed"


def test_infeasible_design_says_why():
    d = solve(force_closed=["B", "C"])
    assert d.status is Status.INFEASIBLE and d.objective is None
    assert "force_closed=['B', 'C']" in d.diagnosis.note
    assert d.open_sites == [] and d.summary()["status"] == "infeasible"


def test_bad_options_are_named():
    with pytest.raises(ValidationError, match="force_open names 'Q', which is not a site"):
        solve(force_open=["Q"])
    with pytest.raises(ValidationError, match="'X', a customer"):
        solve(force_closed=["X"])
    with pytest.raises(ValidationError, match="forced both open and closed"):
        solve(force_open=["B"], force_closed=["B"])
    with pytest.raises(ValidationError, match="2 sites are forced open, more than max_open=1"):
        solve(force_open=["B", "C"], max_open=1)
    with pytest.raises(ValueError, match="min_open"):
        DesignOptions(min_open=3, max_open=1)
    with pytest.raises(TypeError, match="unknown design option"):
        DesignOptions().replace(colour="red")


def test_options_route_solver_fields():
    o = DesignOptions().replace(backend="ortools-highs", time_limit=5, max_open=2,
                                sourcing="single")
    assert o.solve.backend == "ortools-highs" and o.solve.time_limit == 5
    assert o.max_open == 2 and o.sourcing.value == "single"
    assert DesignOptions().solve.gap == 1e-4


def test_capacity_levels_choose_a_size():
    levels = pd.DataFrame({"site": ["B", "B"], "level": ["small", "large"],
                           "capacity": [40.0, 80.0], "fixed_cost": [20.0, 50.0],
                           "open_cost": [10.0, 30.0]})
    d = solve(levels=levels)
    # B small serves 40 of Y, A the other 10: 120 + 80 + 60 + fixed 100 + 20 + 10 = 390
    assert d.objective == pytest.approx(390.0)
    assert d.sites.loc["B", "level"] == "small" and d.sites.loc["B", "capacity"] == 40.0
    assert d.sites.loc["B", "fixed_cost"] == 20.0 and d.sites.loc["B", "open_cost"] == 10.0
    built = d.as_built()
    assert built.sites.loc["B", ["capacity", "fixed_cost", "open_cost"]].tolist() == [40, 20, 10]
    assert plan(built, unmet="none").objective == pytest.approx(380.0)
    with pytest.raises(ValidationError, match="levels apply to DCs"):
        solve(levels=levels.assign(site="X"))


@pytest.mark.parametrize("limit", [{"max_lead_time_days": 2.0}, {"max_distance_km": 1000.0}])
def test_lane_limits_keep_far_sites_from_customers(limit):
    # B may no longer serve Y (lead time 3 days; or 1112 km away, as A is): A + B would cost
    # 630 (or cannot serve Y at all), so A + C (620) wins
    d = solve(hand_net(lead_b_y=3.0, coords=True), **limit)
    assert d.objective == pytest.approx(620.0)
    assert d.open_sites == ["A", "C"]


def test_lane_km_is_great_circle():
    km = lane_km(hand_net(coords=True))
    assert km["A>X"] == pytest.approx(111.195, rel=1e-4)
    assert km["B>Y"] == pytest.approx(1111.95, rel=1e-4)


def test_single_source_serves_each_customer_from_one_site():
    # A capped at 50: multi-source splits X (50 from A at 2, 10 from B at 5), Y from B:
    # 250 + 180 = 430. Single source: X from C (240), Y from B (100), A idle: 340 + 380 = 720
    net = hand_net()
    net.sites.loc["A", "capacity"] = 50.0
    multi = solve(net)
    single = solve(net, sourcing="single")
    assert multi.objective == pytest.approx(430.0)
    assert multi.assignments.groupby("customer")["site"].nunique().to_dict() == {"X": 2, "Y": 1}
    assert single.objective == pytest.approx(720.0)
    a = single.assignments.set_index("customer")["site"].to_dict()
    assert a == {"X": "C", "Y": "B"}
    assert single.open_sites == ["A", "B", "C"]


def test_aggregate_horizon_matches_periods_when_nothing_moves_between_periods():
    net = hand_net(periods=2)
    periods = solve(net)
    agg = solve(net, horizon="aggregate")
    # 2 x (100 + 50) + 30 + 2 x 220 = 770 either way
    assert periods.objective == pytest.approx(770.0)
    assert agg.objective == pytest.approx(770.0)
    assert agg.calendar.periods == 1 and agg.open_sites == periods.open_sites
    assert agg.sites.loc["B", "fixed_cost"] == pytest.approx(100.0)


def test_summary_and_folder(tmp_path):
    d = solve()
    s = d.summary()
    for key in ("status", "objective", "bound", "open_sites", "closed_sites", "costs"):
        assert key in s
    assert s["decisions"][0]["site"] == "B" and s["decisions"][0]["open"] is True
    json.dumps(s)
    out = d.to_folder(tmp_path / "design")
    names = {p.name for p in out.iterdir()}
    assert {"sites.csv", "assignments.csv", "utilisation.csv", "costs.csv", "summary.json",
            "plan", "network"} <= names
    assert (out / "plan" / "shipments.csv").exists()
    built = Network.from_folder(out / "network")
    assert built.sites.loc["B", "status"] == "existing"
    assert json.loads((out / "summary.json").read_text())["objective"] == pytest.approx(400.0)


# ---------------------------------------------------------------- the command


def cli():
    from chainlab.cli.app import app

    return app


def test_design_command_json(tmp_path):
    net = hand_net().to_folder(tmp_path / "hand")
    r = CliRunner().invoke(cli(), ["design", str(net), "--unmet", "none", "--json",
                                   "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["status"] == "optimal" and obj["objective"] == pytest.approx(400.0)
    assert obj["bound"] == pytest.approx(400.0, rel=1e-4)
    assert obj["open_sites"] == ["A", "B"] and obj["closed_sites"] == ["C"]
    assert [e["site"] for e in obj["explanations"]] == ["B", "C"]
    assert obj["explanations"][0]["difference"] == pytest.approx(220.0)
    assert (tmp_path / "out" / "sites.csv").exists()


def test_design_command_human_and_errors(tmp_path):
    net = hand_net().to_folder(tmp_path / "hand")
    r = CliRunner().invoke(cli(), ["design", str(net), "--unmet", "none"])
    assert r.exit_code == 0, r.output
    assert "opening B saves 220.00 USD" in r.stdout
    bad = CliRunner().invoke(cli(), ["design", str(net), "--force-open", "Q", "--json"])
    assert bad.exit_code == 1 and "not a site" in json.loads(bad.stdout)["error"]
    bad = CliRunner().invoke(cli(), ["design", str(net), "--min-open", "3", "--max-open", "1"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    inf = CliRunner().invoke(cli(), ["design", str(net), "--unmet", "none", "--force-closed",
                                     "B", "--force-closed", "C", "--json"])
    assert inf.exit_code == 1 and json.loads(inf.stdout)["status"] == "infeasible"


def test_design_workbook(tmp_path):
    import openpyxl

    net = hand_net().to_folder(tmp_path / "hand")
    book = tmp_path / "design.xlsx"
    r = CliRunner().invoke(cli(), ["design", str(net), "--unmet", "none", "--json",
                                   "--xlsx", str(book)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["xlsx"] == str(book)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:5] == ["summary", "sites", "assignments", "utilisation", "costs"]
    assert "plan production" in wb.sheetnames
    sites = {r[0].value for r in wb["sites"].iter_rows(min_row=2)}
    assert {"A", "B", "C"} <= sites
