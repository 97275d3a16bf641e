"""Inventory optimization of a network: the new inventory.csv, the report, the CLI, the
``optimize_inventory`` override, and the closing check through the simulation."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.inventory import optimize_command
from chainlab.models import Network, ValidationError
from chainlab.scenarios import overrides, spec
from chainlab.scenarios.inventory import (
    effective_lead_days,
    optimize_calibrated,
    optimize_inventory,
)
from chainlab.scenarios.inventory_check import compare_policies
from chainlab.simulation import SimOptions

ACME = Path(__file__).resolve().parents[2] / "scenarios" / "examples" / "acme"


@pytest.fixture(scope="module")
def acme():
    return Network.from_folder(ACME)


@pytest.fixture(scope="module")
def single(acme):
    return optimize_inventory(acme, 0.95, "beta", "single")


def test_single_keeps_the_table_and_each_policy_kind(acme, single):
    inv, before = single.inventory, acme.inventory
    assert list(inv.columns) == list(before.columns)
    assert (inv["on_hand"] == before["on_hand"]).all()        # starting stock unchanged
    rep = single.report
    assert len(rep) and rep.index.isin(inv.index).all()
    for key, r in rep.iterrows():
        new, old = inv.loc[key], before.loc[key]
        want = "base_stock" if old["policy"] == "plan" else old["policy"]
        assert new["policy"] == want
        if want == "r_Q":
            assert new["order_quantity"] == old["order_quantity"]
            assert new["reorder_point"] == math.ceil(r["level"])
        elif want == "s_S":
            assert new["order_up_to"] - new["reorder_point"] == pytest.approx(
                old["order_up_to"] - old["reorder_point"])
        else:
            assert new["order_up_to"] == math.ceil(r["level"])
        assert r["beta"] >= 0.95 - 1e-9 and new["safety_stock"] >= 0
        assert r["why"]
    # the other rows (plant raw materials) are left as they were
    untouched = inv.index.difference(rep.index)
    assert inv.loc[untouched].equals(before.loc[untouched])
    # the new table reads back as a network
    Network.from_tables(acme.name, acme.calendar, **{
        n: t for n, t in single.network.tables().items()})


def test_alpha_needs_more_than_beta_at_95(acme, single):
    alpha = optimize_inventory(acme, 0.95, "alpha", "single")
    assert alpha.facts["safety_stock_units"] > single.facts["safety_stock_units"]


@pytest.mark.parametrize("method", ["gsm", "ssm"])
def test_multi_echelon_methods(acme, method):
    r = optimize_inventory(acme, 0.95, "beta", method)
    assert r.facts["method"] == method and r.facts["stock_points"] > 0
    assert (r.report["level"] >= 0).all()
    if method == "gsm":   # the network is not a tree: the arcs left out are listed
        assert r.facts["dropped_arcs"]


def test_little_law_lead_time(acme):
    # DC_CENTRAL/FG01 is a base stock S = 307 reviewed weekly: E[IP] = S - lam (R - 1) / 2;
    # with 100 on hand and 10 backordered on average, L = (E[IP] - 90) / lam
    sites = acme.inventory[["on_hand"]].rename(columns={"on_hand": "avg_inventory"}).copy()
    sites["avg_inventory"] = 100.0
    sites["backorders"] = 10.0
    lead = effective_lead_days(acme, sites)
    lam = optimize_inventory(acme, 0.95).report.loc[("DC_CENTRAL", "FG01"), "demand_mean"] / 7
    L, sd = lead[("DC_CENTRAL", "FG01")]
    assert L == pytest.approx((307 - lam * 3 - 90) / lam)
    assert sd == pytest.approx(0.5 * L)


def test_bad_target_is_refused(acme):
    with pytest.raises(ValidationError, match="between 0 and 1"):
        optimize_inventory(acme, 1.2)


# ---------------------------------------------------------------- CLI

@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    a.command("optimize")(optimize_command)
    a.command("noop")(lambda: None)
    return a


def test_cli_json_and_files(app, tmp_path):
    out = tmp_path / "opt"
    r = CliRunner().invoke(app, ["optimize", str(ACME), "--service", "0.9", "--json",
                                 "--calibrate", "0", "--out", str(out)])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["service"] == 0.9 and obj["measure"] == "beta" and obj["method"] == "single"
    assert obj["stock"] and {"site", "product", "policy", "level", "safety_stock",
                             "why"} <= set(obj["stock"][0])
    assert {p.name for p in out.iterdir()} == {"inventory.csv", "report.csv", "summary.json"}
    net = tmp_path / "net"
    shutil.copytree(ACME, net)
    shutil.copy(out / "inventory.csv", net / "inventory.csv")
    again = Network.from_folder(net)
    assert len(again.inventory) == len(pd.read_csv(ACME / "inventory.csv"))


@pytest.mark.parametrize("args,code", [
    (["--measure", "gamma"], 2), (["--method", "magic"], 2), (["--service", "1.5"], 2)])
def test_cli_bad_options(app, args, code):
    r = CliRunner().invoke(app, ["optimize", str(ACME), *args, "--calibrate", "0", "--json"])
    assert r.exit_code == code


def test_cli_bad_network_exits_1_without_traceback(app, tmp_path):
    r = CliRunner().invoke(app, ["optimize", str(tmp_path / "none"), "--json"])
    assert r.exit_code == 1
    assert "error" in json.loads(r.stdout) and "Traceback" not in r.output


# ---------------------------------------------------------------- scenario override

def _scenario(tmp_path, body):
    p = tmp_path / "s.yaml"
    p.write_text(f"name: opt\nbase: {ACME}\n" + body)
    return spec.load(p)


def test_override_replaces_the_policies(tmp_path, acme, single):
    sc = _scenario(tmp_path, "overrides:\n  - optimize_inventory: {service: 0.95}\n")
    out = overrides.apply(sc, acme)
    assert out.inventory.equals(single.inventory)
    assert acme.inventory.loc[("DC_CENTRAL", "FG08"), "policy"] == "plan"  # base untouched
    assert spec.dump(sc)["overrides"] == [{"optimize_inventory": {
        "service": 0.95, "measure": "beta", "method": "single", "calibrate": 0}}]


@pytest.mark.parametrize("body,fragment", [
    ("{service: 2}", "service"), ("{measure: gamma}", "measure"), ("{colour: red}", "colour")])
def test_override_errors_name_the_position(tmp_path, body, fragment):
    with pytest.raises(ValidationError) as e:
        _scenario(tmp_path, f"overrides:\n  - optimize_inventory: {body}\n")
    assert "override 1 (optimize_inventory)" in str(e.value) and fragment in str(e.value)


# ---------------------------------------------------------------- the closing check

def test_optimized_for_95_fill_reaches_it_at_every_dc_for_less(acme):
    """A small version of benchmarks/inventory_bench.py --closing-check: optimized for a 95%
    fill rate (two calibration rounds of 3 replications), simulated on 3 common-random-number
    replications against the hand-set policies."""
    opt = optimize_calibrated(acme, 0.95, "beta", "single", rounds=2,
                              options=SimOptions(replications=3, seed=100, warmup_days=28))
    c = compare_policies(acme, opt.network, replications=3, seed=0)
    assert c.meets(0.95).all(), c.sites
    k = c.kpis
    assert k.at["fill_rate", "b"] >= k.at["fill_rate", "a"]
    assert k.at["total_cost", "ci_high"] < 0       # paired: cheaper in total


class _TwoScenarioModel:
    """A demand model whose joint scenarios alternate 100 and 300 units a week of FG01 for
    CUST01: forecast 200, forecast error of variance 100^2 n / (n - 1)."""

    def sample(self, n, seed):
        rows = [{"scenario": s, "customer": "CUST01", "product": "FG01", "period": t,
                 "quantity": 100.0 if s % 2 else 300.0} for s in range(n) for t in range(26)]
        return pd.DataFrame(rows)


def test_demand_model_forecast_and_error_drive_the_sizing(acme):
    r = optimize_inventory(acme, 0.95, "beta", "single", demand=_TwoScenarioModel(),
                           scenarios=10)
    row = r.report.loc[("DC_EAST", "FG01")]
    assert row["demand_mean"] == pytest.approx(200.0)
    assert row["demand_sd"] == pytest.approx(math.sqrt(100.0 ** 2 * 10 / 9))
    assert len(r.report) == 1          # only the stock point that serves the model's demand
