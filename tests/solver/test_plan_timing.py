"""Plan timing (``SolveOptions.timing``): NOMINAL rounds lead times half up and lets what comes
in during a period leave in it; ROBUST rounds them up and lets what is received or made in a
period leave only from the next. Oracles: plans worked out by hand (``plan_nets.three_day_chain``),
the plan checker (every plan here goes through it), and the plan executed day by day."""

import json

import numpy as np
import plan_nets as nets
import pytest
import typer
from plan_testing import DATA, solve
from typer.testing import CliRunner

from chainlab.models import Calendar
from chainlab.solver import SolveOptions, Status, Timing
from chainlab.solver.data import prepare
from chainlab.solver.model import build

# the chain S -> K -> D -> C with its 3-day supply and K -> D lead times, hand-solved.
# nominal: 3 days are 0 weeks, so RM is bought, FG made, moved and delivered all in week 5:
# purchase 10 + production 10 + transport K -> D 10 = 30, nothing held.
NOMINAL = 30.0
# robust: 3 days are 1 week, and each receipt waits a week before it moves on. RM ordered in
# week 0 ships in 1 and is at K in 1 (held: 10 x 0.1), FG made in 2 (held: 10 x 0.5), moved
# in 3, at D in 4 (held: 10 x 0.5), delivered in 5.
EXTRA_HOLDING = 10 * 0.1 + 10 * 0.5 + 10 * 0.5


def flows(p):
    cols = ["lane", "period", "arrival", "quantity"]
    return {r.lane: tuple(r)[1:] for r in p.shipments[cols].itertuples(index=False)}


def test_lead_times_round_half_up_nominally_and_up_robustly():
    week = Calendar("week", nets.START, 4)
    days = [0, 2, 3, 3.5, 4, 7, 8, 14, 14.000000001, 17, np.nan]
    assert Timing.NOMINAL.to_buckets(week, days).tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0]
    assert Timing.ROBUST.to_buckets(week, days).tolist() == [0, 1, 1, 1, 1, 1, 2, 2, 2, 3, 0]
    day = Calendar("day", nets.START, 4)
    assert Timing.ROBUST.to_buckets(day, [0, 1, 3, 17]).tolist() == [0, 1, 3, 17]
    assert (Timing.NOMINAL.lag, Timing.ROBUST.lag) == (0, 1)


def test_nominal_plan_moves_everything_in_the_week_it_is_needed():
    p = solve(nets.three_day_chain())
    assert p.options.timing is Timing.NOMINAL
    assert p.objective == pytest.approx(NOMINAL, rel=1e-9) and p.costs["holding"] == 0
    # the 3-day lane arrives in the week it leaves, and FG made in week 5 leaves in week 5
    assert flows(p) == {"S>K/RM": (5, 5, 10.0), "K>D/FG": (5, 5, 10.0), "D>C": (5, 5, 10.0)}
    assert p.production[["period", "quantity"]].values.tolist() == [[5, 10.0]]
    assert p.purchases[["period", "ship_period"]].values.tolist() == [[5, 5]]


def test_robust_plan_waits_a_week_at_every_receipt_and_pays_the_holding():
    p = solve(nets.three_day_chain(), timing="robust")
    assert p.status is Status.OPTIMAL and p.summary()["timing"] == "robust"
    # the 3-day lane arrives the week after it leaves; FG made in week 2 leaves in week 3
    assert flows(p) == {"S>K/RM": (1, 1, 10.0), "K>D/FG": (3, 4, 10.0), "D>C": (5, 5, 10.0)}
    assert p.production[["period", "quantity"]].values.tolist() == [[2, 10.0]]
    # the supplier's 3 days are a week too: ordered in week 0, shipped in 1
    assert p.purchases[["period", "ship_period"]].values.tolist() == [[0, 1]]
    held = p.inventory.query("quantity > 0")[["site", "product", "period", "quantity"]]
    assert held.values.tolist() == [["D", "FG", 4, 10.0], ["K", "FG", 2, 10.0],
                                    ["K", "RM", 1, 10.0]]
    assert p.costs["holding"] == pytest.approx(EXTRA_HOLDING, rel=1e-9)
    assert p.objective == pytest.approx(NOMINAL + EXTRA_HOLDING, rel=1e-9)


def test_the_handling_rows_exist_only_for_robust_timing():
    n = nets.three_day_chain()
    assert "handling" not in build(prepare(n), SolveOptions()).lp.rows
    robust = SolveOptions(timing="robust")
    rows = build(prepare(n, options=robust), robust).lp.rows["handling"]
    # one per period at each stock point something leaves: RM and FG at K, FG at D
    assert sorted(set(map(tuple, rows.keys[["site", "product"]].values))) == [
        ("D", "FG"), ("K", "FG"), ("K", "RM")]


def test_robust_diagnosis_counts_the_lag_in_the_earliest_arrival():
    # wanted in week 4, and nothing can be at C before week 5 (see above); nominally in time
    assert solve(nets.three_day_chain(4), unmet="none").status is Status.OPTIMAL
    p = solve(nets.three_day_chain(4), unmet="none", timing="robust")
    assert p.status is Status.INFEASIBLE
    (s,) = p.diagnosis.shortfalls
    assert (s.customer, s.period, s.quantity) == ("C", 4, pytest.approx(10))
    assert "nothing can reach C before 2027-02-08 (period 5)" in s.reason


@pytest.mark.parametrize("kw", [{"timing": "fast"}, {"timing": "ROBUST"}])
def test_a_bad_timing_is_refused(kw):
    with pytest.raises(ValueError, match=r"timing='?\w+'? must be one of nominal, robust"):
        SolveOptions(**kw)


def test_robust_setup_plan_by_hand():
    # a MILP: K makes FG with a setup of 100 and ships it to C at once, C wants 10 a week for
    # 3 weeks (nominal: one lot of 30 in week 0, held 20 + 10 = 130). Robust: what is made in
    # week 0 leaves from week 1, so week 0's 10 wait a week (0.5 x 50 each); still one lot of
    # 30, held 30 + 10: 100 + 250 + 40
    assert solve(nets.setups()).objective == pytest.approx(130, rel=1e-9)
    p = solve(nets.setups(), timing="robust")
    assert p.is_mip and p.objective == pytest.approx(100 + 250 + 40, rel=1e-9)
    assert p.production[["period", "quantity"]].values.tolist() == [[0, 30.0]]
    assert p.shipments[["period", "quantity"]].values.tolist() == [[1, 20.0], [2, 10.0]]


def test_robust_plan_is_filled_on_the_day_when_executed():
    # executed with the demand it was planned for and exact transit days: the nominal plan's
    # FG reaches D on day 3 of week 5 (bought, made and moved that week), so the demand of the
    # week's first 3 days waits: 4 of 7 days filled. The robust plan has it at D a week early.
    simulation = pytest.importorskip("chainlab.simulation")
    n = nets.three_day_chain()
    fill = {}
    for timing in ("nominal", "robust"):
        p = solve(n, timing=timing)
        sim = simulation.simulate(n, plan=p, options=simulation.SimOptions(replications=1,
                                                                            workers=1))
        fill[timing] = sim.kpi("fill_rate")
    assert fill["nominal"] == pytest.approx(4 / 7, rel=1e-9)
    assert fill["robust"] == pytest.approx(1.0, rel=1e-9)


# ---------------------------------------------------------------- the ways in


@pytest.fixture(scope="module")
def app():
    from chainlab.cli.plan import plan_command

    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    a.command("plan")(plan_command)
    a.command("noop")(lambda: None)
    return a


def test_cli_timing_flag(app):
    r = CliRunner().invoke(app, ["plan", str(DATA / "tiny"), "--timing", "robust", "--json"])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["timing"] == "robust"
    assert obj["objective"] == pytest.approx(solve(_tiny(), timing="robust").objective)
    r = CliRunner().invoke(app, ["plan", str(DATA / "tiny"), "--timing", "fast"])
    assert r.exit_code == 2 and "fast" in r.output


def _tiny():
    from chainlab.models import Network

    return Network.from_folder(DATA / "tiny")


def _scenario(folder, solve_line: str):
    p = folder / "robust.yaml"
    p.write_text(f"name: robust\nbase: {DATA / 'tiny'}\nsimulate: {{replications: 2, seed: 1}}\n"
                 f"solve: {solve_line}\n")
    return p


def test_scenario_solve_timing_reaches_the_plan(tmp_path):
    from chainlab.scenarios.executor import open_pool
    from chainlab.scenarios.run import run

    f = _scenario(tmp_path, "{timing: robust, gap: 0.0001}")
    with open_pool(workers=1) as pool:
        (r,) = run([f], tmp_path / "runs", pool=pool)
    assert r.manifest["solve"]["timing"] == "robust"
    assert r.plan.options.timing is Timing.ROBUST
    assert r.plan.objective == pytest.approx(solve(_tiny(), timing="robust").objective)
    assert "timing: robust" in (r.path / "scenario.yaml").read_text()


def test_scenario_timing_defaults_to_nominal_and_refuses_a_bad_value(tmp_path):
    from chainlab.models import ValidationError
    from chainlab.scenarios.run import RunOptions
    from chainlab.scenarios.spec import load

    sc = load(_scenario(tmp_path, "{gap: 0.01}"))
    assert sc.solve.timing is None and RunOptions().effective(sc).solve.timing == "nominal"
    with pytest.raises(ValidationError, match="solve.timing: Input should be 'nominal' or "
                                              "'robust'"):
        load(_scenario(tmp_path, "{timing: fast}"))
