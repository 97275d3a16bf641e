"""`chainlab plan` (cli/plan.py) and `benchmarks/instances.py`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from plan_testing import DATA
from typer.testing import CliRunner

from chainlab.cli.plan import plan_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app():
    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    a.command("plan")(plan_command)
    a.command("noop")(lambda: None)  # two commands, as in chainlab.cli.app: `plan` is a subcommand
    return a


def run(app, *args):
    return CliRunner().invoke(app, ["plan", *map(str, args)])


def test_json_is_one_object_with_the_contract_keys(app, tmp_path):
    r = run(app, DATA / "tiny", "--json", "--out", tmp_path / "p")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["status"] == "optimal" and obj["objective"] == pytest.approx(2858)
    for k in ("bound", "gap", "build_seconds", "solve_seconds", "costs", "backend"):
        assert k in obj
    assert (tmp_path / "p" / "shipments.csv").exists()


def test_table_output(app):
    r = run(app, DATA / "tiny", "--backend", "ortools-highs", "--time-limit", "30")
    assert r.exit_code == 0, r.output
    assert "plan tiny: optimal" in r.stdout and "ortools-highs" in r.stdout


def test_bad_input_exits_1_with_a_message(app, tmp_path):
    r = run(app, tmp_path / "missing", "--json")
    assert r.exit_code == 1
    assert "error" in json.loads(r.stdout)
    r = run(app, DATA / "tiny", "--backend", "gurobi")
    assert r.exit_code == 1 and "unknown backend 'gurobi'" in r.output


def test_infeasible_exits_1_with_the_diagnosis(app, tmp_path):
    import plan_nets as nets

    nets.line().to_folder(tmp_path / "net")
    r = run(app, tmp_path / "net", "--unmet", "none", "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert obj["status"] == "infeasible"
    assert "C cannot get 5 of FG" in obj["diagnosis"]["text"]


def test_crm_demand(app):
    if not (DATA / "crm_tiny").exists():
        pytest.skip("no CRM test data")
    r = run(app, DATA / "tiny", "--crm", DATA / "crm_tiny", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["status"] == "optimal"


def test_benchmark_instances_script():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "instances.py"), "lotsizing",
                        str(DATA / "lot_sizing" / "ph1in01st1de1mh0ms0.json"),
                        str(DATA / "lot_sizing" / "missing.json")],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0]["status"] == "optimal" and lines[0]["rel_error"] < 1e-6
    assert set(lines[0]) >= {"family", "instance", "status", "objective", "bound", "seconds",
                             "backend"}
    assert lines[1]["status"] == "error" and r.returncode == 1


def test_live_line_shows_the_gap_and_how_to_stop_early():
    """A long MILP solve shows its gap in % (the incumbent and bound alone left planners
    guessing) and, without a time limit, how to stop at the best plan found."""
    from rich.console import Console

    from chainlab.cli.plan import _Status
    from chainlab.solver import Phase, Progress

    def line(status) -> str:
        console = Console(width=200, record=True)
        console.print(status)
        return console.export_text()

    s = _Status("highs")
    s.update(Progress(Phase.SOLVE, 1.0, incumbent=105.0, bound=100.0))
    assert "gap 4.76%" in line(s) and "--time-limit or --gap" in line(s)
    s = _Status("highs", time_limit=60)
    s.update(Progress(Phase.SOLVE, 1.0, incumbent=105.0, bound=100.0))
    assert "gap 4.76%" in line(s) and "--time-limit" not in line(s)
    s = _Status("highs")
    s.update(Progress(Phase.SOLVE, 1.0, incumbent=105.0))
    assert "gap" not in line(s)
