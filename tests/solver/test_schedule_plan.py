"""Scheduling a plan's week (solver/schedule/from_plan.py) and `chainlab schedule`."""

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chainlab import solver
from chainlab.cli.schedule import schedule_command
from chainlab.models import Network, ValidationError
from chainlab.solver.schedule import Objective, ScheduleOptions, schedule
from chainlab.solver.schedule.check import check_schedule
from chainlab.solver.schedule.from_plan import dated_operations, read_setups, week_problem

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ACME = ROOT / "scenarios" / "examples" / "acme"


@pytest.fixture(scope="module")
def app():
    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    a.command("schedule")(schedule_command)
    a.command("noop")(lambda: None)  # two commands, as in chainlab.cli.app
    return a


def run(app, *args):
    return CliRunner().invoke(app, ["schedule", *map(str, args)])


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    """The committed plan of tests/data/tiny with its network, as `chainlab plan --out` lays
    it out."""
    d = tmp_path_factory.mktemp("tiny") / "plan"
    shutil.copytree(DATA / "tiny_plan", d)
    shutil.copytree(DATA / "tiny", d / "network")
    return d


@pytest.fixture(scope="module")
def acme_plan(tmp_path_factory) -> Path:
    if not (ACME / "network.yaml").exists():
        pytest.skip("the bundled example scenarios/examples/acme is not there")
    net = Network.from_folder(ACME)
    p = solver.plan(net, options=solver.SolveOptions(gap=0.05, time_limit=60))
    assert p.has_solution
    d = tmp_path_factory.mktemp("acme") / "plan"
    p.to_folder(d)
    net.to_folder(d / "network")
    return d


def test_tiny_week_by_hand(tiny_plan):
    """LINE1 has 40 h a week: one unit working 40/7 h = 343 min a day from midnight. Week 1
    makes 19.5 h = 1170 min of FG1: 343 on each of Mon, Tue, Wed and 141 on Thu, so it ends
    Thursday 02:21."""
    w = week_problem(tiny_plan, 1)
    assert w.units == {"PLANT1/LINE1": ["PLANT1/LINE1"]}
    assert w.problem.windows("PLANT1/LINE1")[0] == (343, 1440)
    s = schedule(w.problem, ScheduleOptions(objective=Objective.MAKESPAN, time_limit=10))
    assert s.status is solver.Status.OPTIMAL and s.value == 3 * 1440 + 141
    ops = dated_operations(s, w)
    assert ops[["order", "start", "end"]].to_dict("records") == [
        {"order": "PLANT1/LINE1/FG1/1", "start": "2027-01-11T00:00:00",
         "end": "2027-01-14T02:21:00"}]
    assert ops["tardiness_hours"].tolist() == [0.0]


def test_a_component_made_the_same_week_goes_first_with_its_lag(tiny_plan, tmp_path):
    """SUB (3 h) is a component of FG1 (2 h) at PLANT1, both on LINE1 in week 0 (343 min of
    work a day). Without a lag FG1 follows SUB at 180 and ends at 300. With 60 min it starts at
    240, works 103 min to 343, pauses over the night and ends at 1440 + 17."""
    plan = tmp_path / "plan"
    shutil.copytree(tiny_plan, plan)
    net = plan / "network"
    with open(net / "products.csv", "a") as f:
        f.write("SUB,1,Sub-assembly,ea,,0\n")
    with open(net / "bom.csv", "a") as f:
        f.write("FG1,SUB,1,PLANT1\n")
    with open(net / "production.csv", "a") as f:
        f.write("PLANT1,SUB,1,LINE1,0.1,,\n")
    (plan / "production.csv").write_text(
        "plant,product,period,date,quantity,resource,hours,cost,setup\n"
        "PLANT1,FG1,0,2027-01-04,20,LINE1,2,60,False\n"
        "PLANT1,SUB,0,2027-01-04,30,LINE1,3,30,False\n")
    for lag, end in ((0, 300), (60, 1440 + 17)):
        w = week_problem(plan, 0, lag_minutes=lag)
        assert [(p.before, p.after, p.min_lag) for p in w.problem.precedences] == [
            ("PLANT1/LINE1/SUB/0", "PLANT1/LINE1/FG1/0", lag)]
        s = schedule(w.problem, ScheduleOptions(objective=Objective.MAKESPAN, time_limit=10))
        assert s.status is solver.Status.OPTIMAL and s.value == end
        assert s.placed["PLANT1/LINE1/SUB/0"].end == 180


def test_the_example_first_week_is_scheduled_on_time(acme_plan, app, tmp_path):
    """Every production order of the plan's first week finishes within the week (the plan made
    it there), on one of its line's units, with exactly the plan's hours of work; the CLI's
    operations.csv is the library's schedule."""
    prod = pd.read_csv(acme_plan / "production.csv")
    week0 = prod[(prod["period"] == prod["period"].min()) & (prod["hours"] > 1e-9)]
    w = week_problem(acme_plan)
    assert len(w.orders) == len(week0)
    s = schedule(w.problem, ScheduleOptions(objective=Objective.TARDINESS, time_limit=30),
                 time_unit="minute")
    assert s.placed and check_schedule(w.problem, s.placed) == []
    assert s.kpis["tardy_operations"] == 0 and s.value == 0
    ops = s.operations
    for o in w.orders.to_dict("records"):
        mine = ops[ops["job"] == o["order"]]
        assert len(mine) == o["lots"]
        assert set(mine["resource"]) <= set(w.units[f"{o['plant']}/{o['resource']}"])
        work = sum(next(m.duration for m in w.problem.by_id[r["operation"]].modes)
                   for r in mine.to_dict("records"))
        assert work == o["lots"] * math.ceil(o["hours"] * 60 / o["lots"] - 1e-9)
    r = run(app, acme_plan, "--out", tmp_path / "s", "--json", "--time-limit", 30)
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["status"] == "optimal" and obj["kpis"]["tardy_operations"] == 0
    assert obj["period"] == int(week0["period"].iloc[0]) and obj["orders"] == len(week0)
    cli_ops = pd.read_csv(tmp_path / "s" / "operations.csv")
    assert len(cli_ops) == len(ops) and (cli_ops["tardiness_hours"] == 0).all()
    assert set(cli_ops["order"]) == set(w.orders["order"])
    assert (pd.to_datetime(cli_ops["end"]) <= pd.to_datetime(cli_ops["due"])).all()
    assert {"operations", "kpis"} <= set(obj["files"])


def test_setups_csv_rows_apply_to_every_unit_of_the_line_in_minutes(tiny_plan, tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(tiny_plan, plan)
    (plan / "setups.csv").write_text("from_product,to_product,hours,cost\nFG1,FG1,1,5\n")
    w = week_problem(plan, 0, setups=plan / "setups.csv")
    assert {s.resource for s in w.problem.setups} == {"PLANT1/LINE1"}
    assert w.problem.setup("PLANT1/LINE1", "FG1", "FG1") == (60, 5.0)


def test_bad_setups_name_file_row_and_column(tmp_path):
    f = tmp_path / "setups.csv"
    f.write_text("from_product,to_product,hours,cost\nA,B,2,\nB,A,-1,3\n")
    with pytest.raises(ValidationError, match=r"setups.csv.*row 3.*hours"):
        read_setups(f)
    f.write_text("from,to,hours\nA,B,2\n")
    with pytest.raises(ValidationError, match="missing column.*from_product"):
        read_setups(f)


def test_cli_errors_exit_1_without_traceback(app, tiny_plan, tmp_path):
    def said(*args):
        r = run(app, *args)
        assert r.exit_code == 1 and "Traceback" not in r.output
        return " ".join(r.output.split())

    assert "does not exist" in said(tmp_path / "nope")
    assert "outside the plan's periods" in said(tiny_plan, "--week", 20)
    assert "one of makespan" in said(tiny_plan, "--objective", "fastest")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_plan, broken)
    (broken / "production.csv").write_text(
        "plant,product,period,date,quantity,resource,hours\n"
        "PLANT1,FG1,0,2027-01-04,25,LINE1,2.5\nPLANT1,FG1,one,2027-01-11,5,LINE1,0.5\n")
    said_broken = said(broken)
    assert "production.csv" in said_broken and "row 3" in said_broken and "period" in said_broken
    bad = tmp_path / "setups.csv"
    bad.write_text("from_product,to_product,hours\nFG1,FG1,x\n")
    r = run(app, tiny_plan, "--setups", bad, "--json")
    assert r.exit_code == 1 and "row 2" in json.loads(r.stdout)["error"]


def test_cli_writes_operations_kpis_and_gantt(app, tiny_plan, tmp_path):
    r = run(app, tiny_plan, "--week", 1, "--objective", "makespan", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    ops = pd.read_csv(tmp_path / "o" / "operations.csv")
    assert list(ops.columns) == ["resource", "line", "order", "operation", "product", "start",
                                 "end", "setup_hours", "setup_cost", "previous", "due",
                                 "tardiness_hours"]
    k = json.loads((tmp_path / "o" / "kpis.json").read_text())
    assert k["kpis"]["makespan_hours"] == pytest.approx((3 * 1440 + 141) / 60)
    assert (tmp_path / "o" / "gantt.png").stat().st_size > 1000


def test_benchmark_family_prints_one_contract_line_per_instance():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "instances.py"), "jobshop",
                        str(DATA / "jobshop" / "ft06"), "--time-limit", "30"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)
    assert {k: row[k] for k in ("family", "instance", "status", "objective", "bound")} == {
        "family": "jobshop", "instance": "ft06", "status": "optimal", "objective": 55,
        "bound": 55}
    assert row["seconds"] >= 0 and row["backend"] == "cp-sat"
