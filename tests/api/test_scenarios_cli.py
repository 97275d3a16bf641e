"""``chainlab scenario run|compare|reproduce`` (CONTRACTS §3) through a typer app that registers
the group the way cli/app.py does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.scenario import register

TINY = Path(__file__).parents[1] / "data" / "tiny"


@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    register(a)
    a.command("noop")(lambda: None)
    return a


def cli(app, *args):
    return CliRunner().invoke(app, ["scenario", *map(str, args)])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    out = []
    for name, over in (("baseline", ""), ("surge", "overrides:\n  - demand: {scale: 1.5}\n")):
        p = d / f"{name}.yaml"
        p.write_text(f"name: {name}\nbase: {TINY}\n{over}simulate: {{replications: 30, "
                     f"seed: 1}}\n")
        out.append(p)
    return out


@pytest.fixture(scope="module")
def ran(app, files, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    r = cli(app, "run", *files, "--out", out, "--workers", 1, "-n", 6, "--seed", 4, "--json")
    assert r.exit_code == 0, r.output
    return out, json.loads(r.stdout)


def test_run_json_has_the_contract_fields(ran):
    out, obj = ran
    assert [x["scenario"] for x in obj["runs"]] == ["baseline", "surge"]
    run = obj["runs"][1]
    assert Path(run["dir"]) == out / "surge"
    assert {"fill_rate", "otif", "avg_inventory", "total_cost", "backorders"} <= set(run["kpis"])
    assert set(run["kpis"]["total_cost"]) >= {"mean", "ci_low", "ci_high"}
    assert (run["seed"], run["replications"]) == (4, 6)
    assert obj["executor"] == {"kind": "inline", "workers": 1}


def test_compare_json_and_html(app, ran, tmp_path):
    out, _ = ran
    html = tmp_path / "report.html"
    r = cli(app, "compare", out, "--json", "--html", html)
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["baseline"] == "baseline" and obj["paired"] is True
    row = next(x for x in obj["rows"] if x["scenario"] == "surge" and x["kpi"] == "total_cost")
    assert {"scenario", "kpi", "value", "delta", "ci_low", "ci_high"} <= set(row)
    assert row["delta"] > 0
    assert html.read_text().startswith("<!doctype html>")


def test_compare_prints_tables(app, ran):
    out, _ = ran
    r = cli(app, "compare", out / "baseline", out / "surge", "--baseline", "surge")
    assert r.exit_code == 0, r.output
    assert "scenarios vs surge" in r.stdout and "plan orders" in r.stdout


def test_run_prints_a_table_and_progress_to_stderr(app, files, tmp_path):
    r = cli(app, "run", files[0], "--out", tmp_path, "--workers", 1, "-n", 2)
    assert r.exit_code == 0, r.output
    assert "scenario runs" in r.stdout and "baseline" in r.stdout
    assert "baseline: simulate: 2 replications" in r.stderr


def test_reproduce(app, ran, tmp_path):
    out, _ = ran
    r = cli(app, "reproduce", out / "surge", "--out", tmp_path, "--workers", 1, "--json")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["identical"] is True and obj["differences"] == []


def test_bad_input_exits_1_with_the_position(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: bad\nbase: {TINY}\noverrides:\n  - lane: {{origin: X, "
                   f"destination: Y}}\n")
    r = cli(app, "run", bad, "--out", tmp_path / "o", "--workers", 1, "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert "bad.yaml" in obj["error"] and "override 1" in obj["error"]
    r = cli(app, "compare", tmp_path / "nothing")
    assert r.exit_code == 1 and "not a folder" in r.stderr
    assert cli(app, "run").exit_code == 2


def test_a_failed_scenario_exits_1_and_keeps_the_others(app, files, tmp_path):
    bad = tmp_path / "cpsat.yaml"
    bad.write_text(f"name: cpsat\nbase: {TINY}\nsolve: {{backend: cpsat}}\n")
    r = cli(app, "run", files[0], bad, "--out", tmp_path / "o", "--workers", 1, "-n", 2,
            "--json")
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert [x["scenario"] for x in obj["runs"]] == ["baseline"]
    assert obj["errors"][0]["scenario"] == "cpsat"


def test_the_bundled_examples_are_valid(tmp_path):
    from chainlab.models import Network
    from chainlab.scenarios import EXAMPLES, overrides, spec

    net = Network.from_folder(EXAMPLES / "acme")
    files = sorted(EXAMPLES.glob("*.yaml"))
    names = {spec.load(f).name for f in files}
    assert {"baseline", "surge-east", "plant2-outage", "open-dc-mountain"} <= names
    assert len(files) >= 8
    for f in files:
        sc = spec.load(f)
        assert sc.crm is not None and sc.simulate.seed == 42
        overrides.apply(sc, net)
