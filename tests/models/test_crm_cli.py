"""``chainlab demand`` (chainlab.cli.demand) on the bundled example and on bad input.

The command is mounted on a small typer app here, as cli/app.py mounts it.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.demand import demand_command
from chainlab.models import Network
from chainlab.scenarios import EXAMPLES

DATA = Path(__file__).parents[1] / "data"
ACME = EXAMPLES / "acme"

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("demand")(demand_command)


@app.command("version")
def _version():  # a second command, so that "demand" is a subcommand as in chainlab
    pass


def run(*args):
    return CliRunner().invoke(app, ["demand", *map(str, args)])


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    if not (ACME / "crm" / "orders.csv").exists():
        pytest.skip("the bundled example has no CRM folder")
    out = tmp_path_factory.mktemp("demand")
    res = run(ACME, "--crm", ACME / "crm", "--out", out, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out


def test_example_meets_the_targets(acme):
    """Backtest on the last 13 weeks of the example's history: WAPE under seasonal naive (per
    customer x product x week and per product x week), P10-P90 coverage 70-90 %."""
    result, _ = acme
    bt = result["backtest"]
    assert bt["buckets"] == 13 and bt["origin"] == "2026-10-05"
    assert bt["wape"] < bt["wape_seasonal_naive"]
    assert bt["levels"]["product"]["wape"] < bt["levels"]["product"]["wape_seasonal_naive"]
    assert 0.70 <= bt["coverage_p10_p90"] <= 0.90
    assert 0.70 <= bt["levels"]["product"]["coverage_p10_p90"] <= 0.90


def test_example_json_object(acme):
    result, _out = acme
    assert result["periods"] == 26 and result["bucket"] == "week"
    stages = result["stage_win_rates"]
    assert list(stages) == ["Prospecting", "Qualification", "Proposal", "Negotiation"]
    crm_prob = {s["stage"]: s["crm_probability"] for s in result["stages"]}
    assert all(stages[s] < crm_prob[s] for s in stages)  # the CRM is optimistic
    c = result["components"]
    assert result["total_expected"] == pytest.approx(sum(c.values()), rel=1e-6)
    assert min(c.values()) > 0
    assert sum(p["expected"] for p in result["by_period"]) == pytest.approx(
        result["total_expected"], rel=1e-4)
    assert result["forecast"]["library"] == "statsmodels"
    assert result["seconds"]["total"] > 0


def test_example_files(acme, tmp_path):
    result, out = acme
    assert set(result["files"]) == {"demand.csv", "quantiles.csv", "quantiles_product.csv",
                                    "backtest.csv", "fan_chart.png", "summary.json"}
    assert (out / "fan_chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "summary.json").read_text())["total_expected"] == \
        result["total_expected"]
    q = pd.read_csv(out / "quantiles_product.csv")
    assert list(q.columns) == ["product", "date", "mean", "p10", "p50", "p90"]
    assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
    # demand.csv drops into the network folder and loads as the network's demand
    net_dir = Path(shutil.copytree(ACME, tmp_path / "acme", ignore=shutil.ignore_patterns("crm")))
    shutil.copy(out / "demand.csv", net_dir / "demand.csv")
    net = Network.from_folder(net_dir)
    assert net.demand["quantity"].sum() == pytest.approx(result["total_expected"], rel=1e-4)
    assert set(net.demand["distribution"]) <= {"gamma", "fixed"}


def test_small_history_and_table_output(tmp_path):
    res = run(DATA / "tiny", "--crm", DATA / "crm_tiny")
    assert res.exit_code == 0, res.output
    assert "stage win rates" in res.stdout and "expected demand over 4 weeks" in res.stdout
    assert "written to" not in res.stdout
    res = run(DATA / "tiny", "--crm", DATA / "crm_tiny", "--out", tmp_path / "d")
    assert res.exit_code == 0, res.output
    assert f"written to {tmp_path / 'd'}: " in " ".join(res.stdout.split())
    assert "demand.csv" in res.stdout


def test_bad_crm_exits_1_naming_file_row_column(tmp_path):
    crm = Path(shutil.copytree(DATA / "crm_tiny", tmp_path / "crm"))
    text = (crm / "orders.csv").read_text().replace("SO-3,C1,FG1", "SO-3,C7,FG1")
    (crm / "orders.csv").write_text(text)
    res = run(DATA / "tiny", "--crm", crm, "--json")
    assert res.exit_code == 1
    body = json.loads(res.stdout)
    assert body["errors"] == [{"file": "orders.csv", "row": 4, "column": "customer",
                               "message": "customer 'C7' is not a site of the network; add "
                                          "it to sites.csv with kind customer, or fix the id"}]
    res = run(DATA / "tiny", "--crm", crm)
    assert res.exit_code == 1 and "orders.csv row 4, column 'customer'" in res.output
    assert "Traceback" not in res.output


def test_usage_errors_exit_2():
    assert run(DATA / "tiny").exit_code == 2  # --crm is required
