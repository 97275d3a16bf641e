"""``chainlab simulate`` (CONTRACTS §3), through a typer app that registers the command the way
cli/app.py does."""

import json

import pandas as pd
import pytest
import typer
from sim_networks import single_stage
from typer.testing import CliRunner

from chainlab.cli.simulate import simulate_command


@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    a.command("simulate")(simulate_command)
    a.command("noop")(lambda: None)  # two commands, so "simulate" is a subcommand
    return a


def run(app, *args):
    return CliRunner().invoke(app, ["simulate", *map(str, args)])


def test_json_has_the_contract_fields(app, tiny_path):
    r = run(app, tiny_path, "--replications", 3, "--seed", 4, "--workers", 1, "--json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["replications"] == 3 and obj["seed"] == 4
    for k in ("fill_rate", "otif", "avg_inventory", "total_cost", "backorders",
              "period_fill_rate"):
        v = obj["kpis"][k]
        assert v["ci_low"] <= v["mean"] <= v["ci_high"]
    # tiny has weekly buckets: within the week fills at least what the day fills
    assert obj["kpis"]["period_fill_rate"]["mean"] >= obj["kpis"]["fill_rate"]["mean"]
    again = json.loads(run(app, tiny_path, "-n", 3, "--seed", 4, "--json").stdout)
    assert again["kpis"] == obj["kpis"]


def test_out_writes_tables_and_a_picture(app, tiny_path, tmp_path):
    out = tmp_path / "sim"
    r = run(app, tiny_path, "-n", 2, "--workers", 1, "--out", out)
    assert r.exit_code == 0, r.output
    assert "fill rate" in r.stdout and "period fill rate" in r.stdout
    assert "avg days late" in r.stdout
    for f in ("kpis.csv", "replications.csv", "sites.csv", "series.csv", "service.csv",
              "balance.csv", "summary.json", "simulation.png"):
        assert (out / f).stat().st_size > 0, f
    assert (out / "simulation.png").read_bytes()[:4] == b"\x89PNG"
    kpis = pd.read_csv(out / "kpis.csv", index_col="kpi")
    assert {"mean", "ci_low", "ci_high"} <= set(kpis.columns)
    series = pd.read_csv(out / "series.csv")
    assert {"site", "product", "period", "inventory", "backlog"} <= set(series.columns)


def test_plan_folder(app, tiny_path, tmp_path):
    pd.DataFrame({"lane": ["PLANT1>DC1@truck"], "product": ["FG1"], "period": [0],
                  "quantity": [50.0]}).to_csv(tmp_path / "shipments.csv", index=False)
    r = run(app, tiny_path, "--plan", tmp_path, "-n", 2, "--workers", 1, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["replenishment"] == "plan"


def test_bad_input_exits_1_with_the_message(app, tmp_path):
    net = single_stage(days=7, policy={"policy": "s_S", "reorder_point": 100,
                                       "order_up_to": 50}, on_hand=10)
    net.to_folder(tmp_path / "bad")
    r = run(app, tmp_path / "bad", "-n", 1, "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert "DC/P" in obj["error"] and "reorder_point" in obj["error"]
    assert obj["errors"][0]["column"] == "reorder_point"
    r = run(app, tmp_path / "bad", "-n", 1)
    assert r.exit_code == 1 and "Traceback" not in r.output
