"""Running scenarios end to end on the tiny network: run folders and manifests, directional
checks (a demand surge, outages), reproducibility from the manifest, interrupted and failed
runs. Everything runs in this process (a pool of one); tests/scenarios/test_dask.py checks that
a local pool and a Dask cluster give the same numbers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainlab.models import ValidationError
from chainlab.scenarios import store
from chainlab.scenarios.compare import compare
from chainlab.scenarios.executor import open_pool
from chainlab.scenarios.run import (
    Event,
    Phase,
    RunOptions,
    ScenariosFailed,
    reproduce,
    run,
    same_numbers,
)

DATA = Path(__file__).parents[1] / "data"
TINY = DATA / "tiny"
CRM = DATA / "crm_tiny"
N = 12

OUTAGE = "  - site_outage: {site: PLANT1, from: 2027-01-11, to: 2027-01-24}\n"
DC_OUTAGE = "  - site_outage: {site: DC1, from: 2027-01-11, to: 2027-01-17}\n"


def write(folder: Path, name: str, overrides: str = "", base: Path = TINY, extra: str = "",
          seed: int = 7) -> Path:
    p = folder / f"{name}.yaml"
    p.write_text(f"name: {name}\nbase: {base}\n" + (f"overrides:\n{overrides}" if overrides
                                                    else "")
                 + f"simulate: {{replications: {N}, seed: {seed}}}\n" + extra)
    return p


@pytest.fixture(scope="module")
def pool():
    with open_pool(workers=1) as p:
        yield p


@pytest.fixture(scope="module")
def runs(tmp_path_factory, pool):
    """baseline, a 40% demand surge, a plant outage and a DC outage, run once for the module."""
    d = tmp_path_factory.mktemp("scenarios")
    files = [write(d, "baseline"), write(d, "surge", "  - demand: {scale: 1.4}\n"),
             write(d, "plant-outage", OUTAGE), write(d, "dc-outage", DC_OUTAGE)]
    events: list[Event] = []
    out = d / "runs"
    result = run(files, out, pool=pool, progress=events.append)
    return {"runs": {r.scenario: r for r in result}, "events": events, "out": out,
            "files": files}


def window_fill_rate(r, periods) -> float:
    s = r.sim.service.loc[list(periods)]
    return float(s["filled"].sum() / s["demand"].sum())


def test_each_run_has_its_folder_and_manifest(runs):
    out = runs["out"]
    assert sorted(p.name for p in out.iterdir()) == ["baseline", "dc-outage", "plant-outage",
                                                     "surge"]
    r = runs["runs"]["surge"]
    m = json.loads((out / "surge" / "manifest.json").read_text())
    assert m == json.loads(json.dumps(r.manifest, default=str))
    assert m["status"] == "complete" and m["format"] == store.FORMAT
    assert m["seed"] == 7 and m["replications"] == N
    assert m["inputs"]["base"]["files"]["demand.csv"] == store.file_sha256(TINY / "demand.csv")
    assert len(m["inputs"]["sha256"]) == 64 and len(m["network_sha256"]) == 64
    assert m["versions"]["chainlab"] and m["versions"]["solver"]["backend"] == "highs"
    assert m["versions"]["solver"]["version"]  # highspy's version
    assert {"load", "overrides", "plan", "simulation", "store", "total"} <= set(m["timings"])
    assert m["solve"]["gap"] == 0.005 and m["solve"]["time_limit"] == 300
    assert m["plan"]["status"] == "optimal" and m["kpis"]["fill_rate"]["mean"] > 0
    for f in ("scenario.yaml", "plan/production.csv", "plan/summary.json",
              "simulation/kpis.csv", "simulation/replications.csv", "simulation/series.csv"):
        assert (out / "surge" / f).exists(), f
    stored = store.open_run(out / "surge")
    assert len(stored.replications) == N
    assert stored.scenario().overrides[0].params.scale == 1.4


def test_events_go_through_the_phases_in_order(runs):
    phases = [e.phase for e in runs["events"] if e.scenario == "surge"]
    order = [Phase.QUEUED, Phase.PREPARE, Phase.PLAN, Phase.SIMULATE, Phase.STORE, Phase.DONE]
    assert [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]] == order
    sims = [e for e in runs["events"] if e.scenario == "surge" and e.phase is Phase.SIMULATE]
    assert sims[0].done == 0 and sims[-1].done == N and all(e.total == N for e in sims)


def test_a_demand_surge_raises_cost_and_does_not_raise_fill_rate(runs):
    c = compare([runs["runs"][s].path for s in ("baseline", "surge")])
    assert c.paired
    rows = c.rows.set_index(["scenario", "kpi"])
    cost = rows.loc[("surge", "total_cost")]
    assert cost["delta"] > 0 and cost["ci_low"] > 0  # significantly more expensive
    fill = rows.loc[("surge", "fill_rate")]
    assert fill["delta"] <= 0 and not (fill["significant"] and fill["delta"] > 0)
    # the plan makes what demand (390 units, 546 with the surge) needs beyond DC1's 100 units
    # on hand, at 3 per unit
    pc = c.plan_costs
    assert pc.at["baseline", "production"] == pytest.approx(3 * (390 - 100))
    assert pc.at["surge", "production"] == pytest.approx(3 * (1.4 * 390 - 100))


def test_a_dc_outage_lowers_service_in_its_window(runs):
    base, out = runs["runs"]["baseline"], runs["runs"]["dc-outage"]
    # 2027-01-11..17 is period 1: DC1 sells nothing then
    assert window_fill_rate(out, [1]) == 0.0 < window_fill_rate(base, [1])
    assert window_fill_rate(out, [0]) == window_fill_rate(base, [0])  # before it: the same


def test_a_plant_outage_lowers_service_in_its_window(runs):
    """PLANT1 down in periods 1-2. The planner knows it but cannot build ahead (its steel
    arrives 7 days after ordering and the 50 kg on hand make 25 units), so demand of periods
    1-2 waits until period 3, and the simulation shows it."""
    base, out = runs["runs"]["baseline"], runs["runs"]["plant-outage"]
    assert window_fill_rate(out, [0]) == window_fill_rate(base, [0])
    assert window_fill_rate(out, [1, 2, 3]) < window_fill_rate(base, [1, 2, 3])
    c = compare([base.path, out.path]).rows.set_index(["scenario", "kpi"])
    fill = c.loc[("plant-outage", "fill_rate")]
    assert fill["ci_high"] < 0  # significantly lower over the whole horizon too


def test_reproducible_from_the_manifest(runs, tmp_path, pool):
    old = store.open_run(runs["out"] / "plant-outage")
    new = reproduce(old.path, tmp_path, pool=pool)
    assert new.path == tmp_path / "plant-outage"
    assert same_numbers(old, store.open_run(new.path)) == []
    assert new.manifest["inputs"]["sha256"] == old.manifest["inputs"]["sha256"]
    assert new.manifest["network_sha256"] == old.manifest["network_sha256"]
    a = pd.read_csv(old.path / "simulation" / "replications.csv")
    b = pd.read_csv(new.path / "simulation" / "replications.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_reproduce_refuses_changed_inputs(tmp_path, pool):
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    f = write(tmp_path, "baseline", base=net)
    r = run([f], tmp_path / "runs", pool=pool, options=RunOptions(replications=2))[0]
    d = net / "demand.csv"
    d.write_text(d.read_text().replace("C1,FG1,2027-01-04,100", "C1,FG1,2027-01-04,101"))
    with pytest.raises(store.RunError, match="base/demand.csv"):
        reproduce(r.path, tmp_path / "again", pool=pool)


def test_run_options_override_the_files(tmp_path, pool):
    f = write(tmp_path, "baseline")
    r = run([f], tmp_path, pool=pool, options=RunOptions(replications=3, seed=11, gap=0.01))[0]
    assert (r.manifest["seed"], r.manifest["replications"]) == (11, 3)
    assert r.manifest["solve"]["gap"] == 0.01
    assert store.open_run(r.path).scenario().simulate.seed == 11


def test_a_second_run_gets_its_own_folder(tmp_path, pool):
    f = write(tmp_path, "baseline")
    a = run([f], tmp_path / "o", pool=pool, options=RunOptions(replications=2))[0]
    b = run([f], tmp_path / "o", pool=pool, options=RunOptions(replications=2))[0]
    assert (a.path.name, b.path.name) == ("baseline", "baseline-2")
    assert [r.path.name for r in store.find_runs([tmp_path / "o"])] == ["baseline-2"]


def test_a_bad_override_stops_everything_before_any_work(tmp_path, pool):
    good = write(tmp_path, "baseline")
    bad = write(tmp_path, "bad", "  - demand: {scale: 2}\n  - site_outage: {site: PLANT9}\n")
    with pytest.raises(ValidationError) as e:
        run([good, bad], tmp_path / "runs", pool=pool)
    assert "bad.yaml" in str(e.value) and "override 2" in str(e.value) and "PLANT9" in str(
        e.value)
    assert not (tmp_path / "runs").exists()


def test_duplicate_names_are_refused(tmp_path, pool):
    a = write(tmp_path, "baseline")
    (tmp_path / "b").mkdir()
    b = write(tmp_path / "b", "baseline")
    with pytest.raises(ValidationError, match="also the name of"):
        run([a, b], tmp_path / "runs", pool=pool)


def test_a_failing_scenario_leaves_the_others_stored(tmp_path, pool):
    good = write(tmp_path, "baseline")
    bad = write(tmp_path, "cpsat", extra="solve: {backend: cpsat}\n")
    with pytest.raises(ScenariosFailed) as e:
        run([good, bad], tmp_path / "runs", pool=pool, options=RunOptions(replications=2))
    assert [r.scenario for r in e.value.completed] == ["baseline"]
    assert "cpsat" in e.value.failures and "integer" in str(e.value.failures["cpsat"])
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["baseline"]


def test_a_failure_while_storing_leaves_no_folder(tmp_path, pool, monkeypatch):
    from chainlab.simulation.result import SimResult

    def broken(self, path, plot=True):
        Path(path).mkdir(parents=True)
        (Path(path) / "kpis.csv").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(SimResult, "to_folder", broken)
    with pytest.raises(ScenariosFailed, match="disk full"):
        run([write(tmp_path, "baseline")], tmp_path / "runs", pool=pool,
            options=RunOptions(replications=2))
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_killed_run_leaves_nothing_that_looks_complete(tmp_path):
    """The process dies (SIGKILL) just before the run folder is renamed into place."""
    f = write(tmp_path, "baseline")
    out = tmp_path / "runs"
    code = textwrap.dedent(f"""
        import os, signal
        from chainlab.scenarios import store
        from chainlab.scenarios.executor import open_pool
        from chainlab.scenarios.run import RunOptions, run

        def die(self, manifest):
            (self.path / "manifest.json").write_text("{{}}")  # even a half-written manifest
            os.kill(os.getpid(), signal.SIGKILL)

        store.RunWriter.commit = die
        if __name__ == "__main__":
            with open_pool(workers=1) as pool:
                run([{str(f)!r}], {str(out)!r}, pool=pool, options=RunOptions(replications=2))
        """)
    script = tmp_path / "killed.py"
    script.write_text(code)
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       cwd=Path(__file__).parents[2], timeout=300)
    assert p.returncode == -9, p.stderr
    left = list(out.iterdir())
    assert len(left) == 1 and left[0].name.startswith(".baseline.partial-")
    with pytest.raises(store.RunError, match="holds no complete run"):
        store.find_runs([out])
    with pytest.raises(store.RunError, match="not a complete run|interrupted"):
        store.open_run(left[0])


def test_crm_demand_and_a_demand_override_scale_the_crm_scenarios(tmp_path, pool):
    crm = f"crm: {CRM}\n"
    base = write(tmp_path, "baseline", extra=crm)
    surge = write(tmp_path, "surge", "  - demand: {scale: 2, customer: C1}\n", extra=crm)
    a, b = run([base, surge], tmp_path / "runs", pool=pool, options=RunOptions(replications=4))
    assert a.manifest["demand"] == "crm" and "crm" in a.manifest["inputs"]
    da = a.sim.replications["demand"].to_numpy()
    db = b.sim.replications["demand"].to_numpy()
    assert np.all(db >= da) and np.any(db > da)
    # C1's demand doubled and C2's is the same, replication by replication (common numbers)
    sa = a.sim.sites
    sb = b.sim.sites
    assert sb["demand"].sum() > sa["demand"].sum()


def test_run_writer_removes_its_folder_when_left_without_commit(tmp_path):
    with pytest.raises(RuntimeError), store.RunWriter(tmp_path, "x/y z") as w:
        assert w.path.parent == tmp_path and w.name == "x-y-z"
        (w.path / "a").write_text("1")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_open_run_explains_what_is_wrong(tmp_path):
    with pytest.raises(store.RunError, match="not a folder"):
        store.open_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(store.RunError, match="no manifest.json"):
        store.open_run(tmp_path / "empty")
    os.makedirs(tmp_path / "half")
    (tmp_path / "half" / "manifest.json").write_text('{"status": "running", "format": 1}')
    with pytest.raises(store.RunError, match="not a complete run"):
        store.open_run(tmp_path / "half")


def test_an_unknown_solver_backend_is_refused_before_any_work(tmp_path, pool):
    f = write(tmp_path, "baseline", extra="solve: {backend: nope}\n")
    with pytest.raises(ValidationError, match="solve.backend: unknown backend 'nope'"):
        run([f], tmp_path / "runs", pool=pool)
    assert not (tmp_path / "runs").exists()


def test_a_supply_cut_of_one_product(tmp_path, pool):
    f = write(tmp_path, "cut", "  - supply: {supplier: SUP1, product: RM1, scale: 0.5, "
                               "from: 2027-01-04, to: 2027-01-17}\n")
    r = run([f], tmp_path / "runs", pool=pool, options=RunOptions(replications=2))[0]
    assert r.manifest["plan"]["status"] == "optimal"
