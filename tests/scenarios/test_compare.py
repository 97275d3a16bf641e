"""Comparing runs: intervals of differences (hand-computed), plan differences (a hand-made
case), the comparison of real runs on the tiny network, and the HTML report."""

from __future__ import annotations

import json
import math
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainlab.scenarios.compare import MAIN_KPIS, compare, diff_orders, difference_interval
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.report import render, write_report
from chainlab.scenarios.run import run
from chainlab.scenarios.store import RunError

TINY = Path(__file__).parents[1] / "data" / "tiny"


# ---------------------------------------------------------------- intervals


def test_paired_interval_is_the_t_interval_of_the_differences():
    # d = 1, 1, 2, 2: mean 1.5, sd sqrt(1/3), t(0.975, 3) = 3.182446
    mean, lo, hi = difference_interval([1, 2, 3, 4], [0, 1, 1, 2])
    half = 3.182446305284263 * math.sqrt(1 / 3) / 2
    assert mean == 1.5
    assert (lo, hi) == pytest.approx((1.5 - half, 1.5 + half), abs=1e-9)


def test_paired_interval_drops_replications_with_a_missing_value():
    mean, lo, hi = difference_interval([1, np.nan, 3, 4, 5], [0, 1, 1, 2, np.nan])
    assert mean == pytest.approx(5 / 3) and lo < mean < hi  # differences 1, 2, 2


def test_the_same_difference_in_every_replication_is_exact():
    assert difference_interval([3, 4, 5], [1, 2, 3]) == (2.0, 2.0, 2.0)
    assert difference_interval([3, 4, 5], [3, 4, 5]) == (0.0, 0.0, 0.0)


def test_welch_interval_when_not_paired():
    # means 2 and 5; variances of the means 1/3 and 5/3; Welch df = 4.08 -> 4, t = 2.776445
    mean, lo, hi = difference_interval([1, 2, 3], [2, 4, 6, 8], paired=False)
    half = 2.7764451051977987 * math.sqrt(2.0)
    assert mean == -3.0
    assert (lo, hi) == pytest.approx((-3 - half, -3 + half), abs=1e-9)


def test_common_random_numbers_make_the_paired_interval_narrow():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 10, 50)
    x, y = 100 + noise + 1.0, 100 + noise + rng.normal(0, 0.1, 50)
    _, plo, phi = difference_interval(x, y)
    _, ulo, uhi = difference_interval(x, y, paired=False)
    assert plo > 0 and phi - plo < (uhi - ulo) / 20


# ---------------------------------------------------------------- plan differences


def orders(rows):
    return pd.DataFrame(rows, columns=["type", "product", "from_site", "to_site", "period",
                                       "date", "quantity"])


def test_plan_differences_by_hand():
    before = orders([("production", "FG", "P1", "P1", 1, "d1", 100.0),
                     ("production", "FG", "P1", "P1", 3, "d3", 50.0),
                     ("production", "FG", "P1", "P1", 6, "d6", 70.0),
                     ("purchase", "RM", "S1", "P1", 0, "d0", 10.0),
                     ("transfer", "FG", "P1", "DC1", 2, "d2", 30.0)])
    after = orders([("production", "FG", "P1", "P1", 1, "d1", 120.0),   # resized
                    ("production", "FG", "P1", "P1", 5, "d5", 50.0),    # 3 -> 5: moved
                    ("production", "FG", "P1", "P1", 12, "d12", 70.0),  # 6 -> 12: too far
                    ("transfer", "FG", "P1", "DC1", 2, "d2", 30.0),     # unchanged
                    ("transfer", "FG", "P1", "DC2", 4, "d4", 5.0)])     # added
    d = diff_orders(before, after, max_shift=4)
    got = sorted((r.change, r.type, r.to_site, _i(r.period_before), _i(r.period_after),
                  _f(r.quantity_before), _f(r.quantity_after)) for r in d.itertuples())
    assert got == sorted([
        ("resized", "production", "P1", 1, 1, 100.0, 120.0),
        ("moved", "production", "P1", 3, 5, 50.0, 50.0),
        ("removed", "production", "P1", 6, None, 70.0, None),
        ("added", "production", "P1", None, 12, None, 70.0),
        ("removed", "purchase", "P1", 0, None, 10.0, None),
        ("added", "transfer", "DC2", None, 4, None, 5.0),
    ])


def test_moves_pair_equal_quantities_first_then_the_nearest_periods():
    before = orders([("production", "FG", "P", "P", 2, "", 10.0),
                     ("production", "FG", "P", "P", 4, "", 20.0),
                     ("production", "FG", "P", "P", 8, "", 30.0)])
    after = orders([("production", "FG", "P", "P", 3, "", 20.0),
                    ("production", "FG", "P", "P", 5, "", 10.0),
                    ("production", "FG", "P", "P", 9, "", 31.0),
                    ("production", "FG", "P", "P", 11, "", 32.0)])
    d = diff_orders(before, after)
    moved = sorted((int(r.period_before), int(r.period_after)) for r in d.itertuples()
                   if r.change == "moved")
    # the 20 moved from 4 to 3, the 10 from 2 to 5; the 30 became the nearest 31
    assert moved == [(2, 5), (4, 3), (8, 9)]
    assert d.loc[d["change"] == "added", "period_after"].tolist() == [11]


def test_no_change_no_rows():
    o = orders([("production", "FG", "P", "P", 2, "", 10.0)])
    assert diff_orders(o, o).empty


def _i(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else int(v)


def _f(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# ---------------------------------------------------------------- comparing runs


def scenario(folder: Path, name: str, overrides: str = "", seed: int = 5, n: int = 8) -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(f"name: {name}\nbase: {TINY}\n"
                 + (f"overrides:\n{overrides}" if overrides else "")
                 + f"simulate: {{replications: {n}, seed: {seed}}}\n")
    return p


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    files = [scenario(d, "baseline"), scenario(d, "surge", "  - demand: {scale: 1.3}\n"),
             scenario(d, "dc-outage", "  - site_outage: {site: DC1, from: 2027-01-11, "
                                      "to: 2027-01-17}\n")]
    with open_pool(workers=1) as pool:
        run(files, d / "runs", pool=pool)
        run([scenario(d, "other-seed", seed=99)], d / "seed", pool=pool)
    return d


def test_compare_runs_has_the_contract_rows(out):
    c = compare([out / "runs"])
    assert c.baseline == "baseline" and c.paired and c.notes == ()
    assert c.scenarios == ["baseline", "dc-outage", "surge"]
    obj = json.loads(json.dumps(c.as_dict()))
    assert obj["baseline"] == "baseline"
    row = next(r for r in obj["rows"] if r["scenario"] == "surge" and r["kpi"] == "total_cost")
    assert {"scenario", "kpi", "value", "delta", "ci_low", "ci_high"} <= set(row)
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    base = [r for r in obj["rows"] if r["scenario"] == "baseline"]
    assert all(r["delta"] == 0 and r["ci_low"] == 0 and r["ci_high"] == 0 for r in base)
    # deltas are the differences of the means
    t = c.table(column="value")
    d = c.table(column="delta")
    assert d.at["total_cost", "surge"] == pytest.approx(
        t.at["total_cost", "surge"] - t.at["total_cost", "baseline"], rel=1e-9)


def test_costs_and_plan_changes(out):
    c = compare([out / "runs"])
    assert set(c.costs.columns) >= {"production_cost", "transport_cost", "holding_cost"}
    counts = c.change_counts()
    # DC1 closed in period 1: the plan moves 5 units of production and transfer between
    # periods 0 and 1, the total unchanged
    out_ = c.plan_changes[c.plan_changes["scenario"] == "dc-outage"]
    assert set(out_["change"]) == {"resized"} and counts.at["dc-outage", "units_net"] == 0
    surge = counts.loc["surge"]
    assert surge["resized"] > 0 and surge["units_net"] > 0
    assert obj_changes_are_json(c)
    inv = c.inventory
    assert set(inv["scenario"]) == set(c.scenarios) and len(inv) == 3 * 4


def obj_changes_are_json(c) -> bool:
    return json.loads(json.dumps(c.as_dict()))["plan_changes"]["surge"]["resized"] > 0


def test_period_fill_rate_is_a_main_kpi_next_to_fill_rate(out):
    c = compare([out / "runs"])
    assert MAIN_KPIS[:2] == ("fill_rate", "period_fill_rate")
    t = c.table()
    assert list(t.index[:2]) == ["fill_rate", "period_fill_rate"]
    # weekly buckets: within the week fills at least what the day fills
    assert (t.loc["period_fill_rate"] >= t.loc["fill_rate"] - 1e-12).all()
    r = c.rows.set_index(["scenario", "kpi"])
    assert r.at[("surge", "period_fill_rate"), "unit"] == "share"
    for kpi in ("period_fill_rate", "avg_days_late"):  # more is better, and less is better
        x = r.loc[("surge", kpi)]
        if x["significant"]:
            assert x["better"] == ((x["delta"] > 0) == (kpi == "period_fill_rate"))
    assert "period fill rate" in render(c)


def test_a_run_from_before_a_kpi_existed_is_compared_without_it(out, tmp_path):
    new_kpis = ["period_fill_rate", "avg_days_late"]
    for name in ("baseline", "surge"):
        shutil.copytree(out / "runs" / name, tmp_path / "old" / name)
        sim = tmp_path / "old" / name / "simulation"
        k = pd.read_csv(sim / "kpis.csv")
        k[~k["kpi"].isin(new_kpis)].to_csv(sim / "kpis.csv", index=False)
        reps = pd.read_csv(sim / "replications.csv")
        reps.drop(columns=new_kpis).to_csv(sim / "replications.csv", index=False)
    c = compare([tmp_path / "old" / "baseline", out / "runs" / "surge"])
    r = c.rows.set_index(["scenario", "kpi"])
    assert ("baseline", "period_fill_rate") not in r.index
    assert math.isnan(r.at[("surge", "period_fill_rate"), "delta"])
    assert "period fill rate" not in render(c).split("Differences from the baseline")[0]
    c = compare([out / "runs" / "baseline", tmp_path / "old" / "surge"])
    assert ("surge", "period_fill_rate") not in c.rows.set_index(["scenario", "kpi"]).index
    assert "period fill rate" in render(c)  # the baseline's value, "–" for the old run


def test_baseline_can_be_chosen_and_must_exist(out):
    c = compare([out / "runs"], baseline="surge")
    assert c.baseline == "surge"
    assert c.rows.set_index(["scenario", "kpi"]).at[("surge", "fill_rate"), "delta"] == 0
    with pytest.raises(RunError, match="not among the runs"):
        compare([out / "runs"], baseline="nope")


def test_different_seeds_are_compared_unpaired_with_a_note(out):
    c = compare([out / "runs" / "baseline", out / "seed" / "other-seed"])
    assert not c.paired and "Welch" in c.notes[0]


def test_the_same_scenario_twice_is_refused(out):
    with pytest.raises(RunError, match="same scenario name"):
        compare([out / "runs" / "baseline", out / "runs" / "baseline"])


# ---------------------------------------------------------------- report


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def test_report_is_one_self_contained_page(out, tmp_path):
    c = compare([out / "runs"])
    path = write_report(c, tmp_path / "r" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    p = _Tags()
    p.feed(text)
    # nothing is fetched: no scripts, stylesheets, images, frames or links to elsewhere
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(p.tags)
    assert not [a for a in p.attrs if a[0] in ("src", "href")]
    assert "http" not in text and "url(" not in text and "@import" not in text
    assert p.tags.count("svg") >= 5  # forest, costs, service vs cost, inventory, fill rate
    for s in c.scenarios:
        assert s in text
    for title in ("Key figures", "Differences from the baseline", "Cost by category",
                  "Service and cost", "Over time", "Plan changes"):
        assert title in text
    assert "paired on common random numbers" in text


def test_report_escapes_names(out):
    c = compare([out / "runs"])
    object.__setattr__(c, "notes", ("<script>alert(1)</script>",))
    assert "<script>" not in render(c)


def test_report_of_a_single_run(out):
    text = render(compare([out / "runs" / "baseline"]))
    assert "nothing to compare" in text or "Only one run" in text


def test_compare_and_simulate_write_workbooks(out, tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from chainlab.cli.app import app

    book = tmp_path / "compare.xlsx"
    r = CliRunner().invoke(app, ["scenario", "compare", str(out / "runs"), "--json",
                                 "--xlsx", str(book)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["xlsx"] == str(book)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:2] == ["kpis", "costs"]
    header = [c.value for c in wb["kpis"][1]]
    assert {"scenario", "kpi", "value", "delta", "ci_low", "ci_high"} <= set(header)
    n_rows = len(compare([out / "runs"]).rows)
    assert wb["kpis"].max_row == n_rows + 1
    sim = tmp_path / "sim.xlsx"
    r = CliRunner().invoke(app, ["simulate", str(TINY), "-n", "2", "--xlsx", str(sim)])
    assert r.exit_code == 0, r.output
    assert "workbook written to" in r.output
    assert openpyxl.load_workbook(sim).sheetnames[:2] == ["summary", "kpis"]
