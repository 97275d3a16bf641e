"""The Plan object: tables keyed by network IDs, summary, folder output, repr, inputs."""

import json

import numpy as np
import pandas as pd
import plan_nets as nets
import pytest
from plan_testing import solve

from chainlab.models import ValidationError
from chainlab.solver import Plan, SolveOptions, Status, plan
from chainlab.solver.lp import LinearProgram


def test_tables_are_keyed_by_network_ids(tiny):
    p = solve(tiny)
    assert isinstance(p, Plan) and p.status is Status.OPTIMAL and p.has_solution
    assert list(p.production.columns[:4]) == ["plant", "product", "period", "date"]
    assert list(p.shipments.columns[:4]) == ["lane", "product", "period", "date"]
    assert set(p.shipments["lane"]) <= set(tiny.lanes.index)
    assert set(p.inventory["site"]) <= set(tiny.sites.index)
    assert list(p.backlog.columns[:4]) == ["customer", "product", "period", "date"]
    assert set(p.capacity["kind"]) == {"resource", "supplier", "throughput"}
    assert p.costs["holding"] == pytest.approx(
        (p.inventory["quantity"] * p.inventory["product"].map(tiny.products["holding_cost"])).sum())


def test_summary_has_the_cli_contract_keys(tiny):
    s = solve(tiny).summary()
    for k in ("status", "objective", "bound", "gap", "build_seconds", "solve_seconds", "costs",
              "backend"):
        assert k in s
    assert s["status"] == "optimal" and s["backend"] == "highs"
    json.dumps(s)


def test_to_folder_writes_every_table(tiny, tmp_path):
    p = solve(tiny)
    out = p.to_folder(tmp_path / "plan")
    names = sorted(f.name for f in out.iterdir())
    assert names == ["backlog.csv", "capacity.csv", "costs.csv", "inventory.csv",
                     "production.csv", "purchases.csv", "shipments.csv", "summary.json"]
    back = pd.read_csv(out / "production.csv")
    assert back["quantity"].sum() == pytest.approx(p.production["quantity"].sum())
    assert json.loads((out / "summary.json").read_text())["objective"] == pytest.approx(2858)
    # nothing is left beside it
    assert [f.name for f in tmp_path.iterdir()] == ["plan"]


def test_infeasible_plan_folder_has_the_diagnosis(tmp_path):
    p = solve(nets.line(), unmet="none")
    out = p.to_folder(tmp_path / "x")
    assert "cannot get 5 of FG" in (out / "diagnosis.txt").read_text()
    assert p.production.empty and p.costs == {}


def test_repr_reads_like_a_summary(tiny):
    text = repr(solve(tiny))
    assert text.startswith("<Plan 'tiny' optimal, objective 2,858.00 USD (highs")
    assert "costs: production 870.00" in text


def test_bottleneck_text_and_order():
    p = solve(nets.line(demand=[(0, 15), (1, 15)], hours=10, T=2))
    # 30 wanted, 20 made: an hour in period 1 saves a unit owed at the end (5 backlog + 50
    # lost) less its production cost 1: 54; in period 0, also a period of backlog: 59
    b = p.bottlenecks()
    assert [(x.period, round(x.value, 6)) for x in b] == [(0, 59.0), (1, 54.0)]
    assert str(b[0]).startswith("LINE at K, week of 2027-01-04 (period 0): one more hour saves")


def test_demand_table_overrides_the_networks(tiny):
    d = pd.DataFrame({"customer": ["C1"], "product": ["FG1"], "period": [2], "quantity": [50.0]})
    p = solve(tiny, d)
    assert p.backlog["demand"].sum() == pytest.approx(50)
    by_date = pd.DataFrame({"customer": ["C1"], "product": ["FG1"],
                            "date": ["2027-01-19"], "quantity": [50.0]})
    assert plan(tiny, by_date).objective == pytest.approx(p.objective)


def test_bad_demand_names_the_problem(tiny):
    d = pd.DataFrame({"customer": ["NOPE"], "product": ["FG1"], "period": [0], "quantity": [1.0]})
    with pytest.raises(ValidationError, match="customer 'NOPE' is not a customer"):
        plan(tiny, d)
    d = pd.DataFrame({"customer": ["C1"], "product": ["FG1"], "period": [0], "quantity": [-1.0]})
    with pytest.raises(ValidationError, match=r"quantity\(=-1.0\).*must be >= 0"):
        plan(tiny, d)


def test_options_object_and_keywords(tiny):
    o = SolveOptions(unmet="lost", time_limit=30)
    p = plan(tiny, options=o, backend="highs")
    assert p.options.unmet.value == "lost" and p.options.time_limit == 30


def test_progress_reports_phases(tiny):
    seen = []
    plan(tiny, progress=lambda e: seen.append(e.phase))
    assert seen[0] == "prepare" and seen[-1] == "done" and "solve" in seen


def test_linear_program_sums_duplicates_and_orders_columns():
    lp = LinearProgram()
    x = lp.add_variables("x", pd.DataFrame({"i": [0, 1, 2]}))
    r = lp.add_rows("r", pd.DataFrame({"k": [0, 1]}), -np.inf, [4.0, 5.0])
    lp.add_terms([r.start, r.start, r.start + 1, r.start], [x.start + 2, x.start, x.start + 1,
                                                           x.start + 2], [1.0, 2.0, 3.0, 0.5])
    lp.add_cost("a", x.pos(), [1.0, 0.0, 2.0])
    lp.add_constant("b", 7.0)
    a = lp.arrays(names=True)
    assert a.a_start.tolist() == [0, 2, 3]
    assert a.a_index.tolist() == [0, 2, 1] and a.a_value.tolist() == [2.0, 1.5, 3.0]
    assert a.cost.tolist() == [1.0, 0.0, 2.0] and a.offset == 7.0
    assert a.var_names == ("x[0]", "x[1]", "x[2]") and a.row_names == ("r[0]", "r[1]")
    assert a.activity(np.array([1.0, 1.0, 1.0])).tolist() == [3.5, 3.0]
    assert lp.costs_by_category(np.ones(3)) == {"a": 3.0, "b": 7.0}
