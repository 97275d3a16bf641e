"""The same seeds give the same numbers, bit for bit, in this process, on a local process pool
and on a Dask cluster: a real ``LocalCluster`` (scheduler and two worker processes talking TCP
on the loopback interface)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainlab.scenarios.executor import Kind, PoolError, open_pool
from chainlab.scenarios.run import RunOptions, run
from chainlab.scenarios.store import open_run

distributed = pytest.importorskip("distributed")

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("dask")
    specs = {
        "baseline": "",
        "surge": "overrides:\n  - demand: {scale: 1.3}\n",
        "outage": "overrides:\n  - site_outage: {site: PLANT1, from: 2027-01-11, "
                  "to: 2027-01-24}\n",
        "crm-surge": f"crm: {DATA / 'crm_tiny'}\noverrides:\n  - demand: {{scale: 1.5}}\n",
    }
    out = []
    for name, body in specs.items():
        p = d / f"{name}.yaml"
        p.write_text(f"name: {name}\nbase: {DATA / 'tiny'}\n{body}"
                     f"simulate: {{replications: 20, seed: 3}}\n")
        out.append(p)
    return out


@pytest.fixture(scope="module")
def inline(files, tmp_path_factory):
    with open_pool(workers=1) as pool:
        return run(files, tmp_path_factory.mktemp("inline"), pool=pool)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      protocol="tcp", dashboard_address=None) as c:
        yield c


def same(a, b):
    assert [r.scenario for r in a] == [r.scenario for r in b]
    for x, y in zip(a, b):
        assert x.manifest["plan"]["objective"] == y.manifest["plan"]["objective"]
        assert x.manifest["kpis"] == y.manifest["kpis"], x.scenario
        rx = open_run(x.path).replications
        ry = open_run(y.path).replications
        pd.testing.assert_frame_equal(rx, ry, check_exact=True)
        pd.testing.assert_frame_equal(x.sim.series, y.sim.series, check_exact=True)


def test_dask_cluster_gives_the_numbers_of_this_process(files, inline, cluster, tmp_path):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    with open_pool(cluster.scheduler_address) as pool:
        assert pool.kind is Kind.DASK and pool.workers == 2
        assert len(set(pool.worker_versions.values())) == 1
        runs = run(files, tmp_path, pool=pool)
    same(inline, runs)
    m = runs[0].manifest
    assert m["executor"]["kind"] == "dask" and m["executor"]["address"].startswith("tcp://")
    # the work was done by the cluster's worker processes, not by this one
    assert len(m["executor"]["worker_versions"]) == 2


def test_local_pool_gives_the_numbers_of_this_process(files, inline, tmp_path):
    with open_pool(workers=2) as pool:
        assert pool.kind is Kind.LOCAL
        runs = run(files, tmp_path, pool=pool)
    same(inline, runs)
    assert runs[0].manifest["executor"] == {"kind": "local", "workers": 2}


def test_no_scheduler_is_a_clear_error():
    with pytest.raises(PoolError, match="no Dask scheduler answers at tcp://127.0.0.1:9"):
        open_pool("tcp://127.0.0.1:9", timeout=1)


def test_run_options_are_the_same_on_every_pool(files, cluster, tmp_path):
    """A seed given for the whole run reaches the cluster's workers."""
    with open_pool(cluster.scheduler_address) as pool:
        a = run(files[:1], tmp_path / "a", pool=pool, options=RunOptions(replications=9,
                                                                         seed=42))[0]
    with open_pool(workers=1) as pool:
        b = run(files[:1], tmp_path / "b", pool=pool, options=RunOptions(replications=9,
                                                                         seed=42))[0]
    assert a.manifest["kpis"] == b.manifest["kpis"] and a.manifest["seed"] == 42


def test_simulate_on_any_executor_gives_the_same_result(cluster):
    """simulation.simulate(executor=...) directly: a thread pool, the Dask cluster."""
    from concurrent.futures import ThreadPoolExecutor

    from chainlab.models import Network
    from chainlab.simulation import simulate

    net = Network.from_folder(DATA / "tiny")
    ref = simulate(net, replications=20, seed=8, workers=1)
    done = []
    with ThreadPoolExecutor(3) as ex:
        threads = simulate(net, replications=20, seed=8, executor=ex, progress=done.append)
    with open_pool(cluster.scheduler_address) as pool:
        dask = simulate(net, replications=20, seed=8, executor=pool.executor)
    for other in (threads, dask):
        pd.testing.assert_frame_equal(ref.replications, other.replications, check_exact=True)
        pd.testing.assert_frame_equal(ref.series, other.series, check_exact=True)
        pd.testing.assert_frame_equal(ref.kpis, other.kpis, check_exact=True)
        assert other.workers == 0
    assert sorted(done) == done and done[-1] == 20 and len(done) == 3  # blocks of 8, 8, 4
