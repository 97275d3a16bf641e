"""OR-Library facility location read into chainlab networks and designed to the published
optima (tests/data/orlib, copied from the shared benchmark folder): the readers, the known
values to 1e-6 relative, the same optimum on every MIP backend, and an independent check of
each design against the file's own numbers."""

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from chainlab.models import ValidationError
from chainlab.solver import Status, backends
from chainlab.solver.backends.base import Capability
from chainlab.solver.design import design
from chainlab.solver.orlib import catalogue, parse, read, solve

DATA = Path(__file__).parents[1] / "data" / "orlib"
KNOWN = {(k.family, k.path.name): k for k in catalogue(DATA)}

#: a few 16 x 50 instances: capacitated, uncapacitated, single source (cap63's optimum
#: differs from its single-source version p3's); cap41 is solved on every backend below
CASES = [("cflp", "cap63.txt"), ("uflp", "cap72.txt"), ("sscflp", "p3")]


@lru_cache
def instance(family: str, file: str):
    return read(family, DATA / file)


def mip_backends() -> list[str]:
    out = []
    for name in backends.available():
        caps = backends.backend_class(name).capabilities
        if Capability.MIP in caps and Capability.INTEGER_ONLY not in caps:
            out.append(name)
    return out


def check_against_file(d, family: str, path: Path) -> float:
    """The design's cost recomputed from the file's numbers: fixed costs of the open
    facilities plus, per customer, its share from each facility times that facility's cost
    of serving all of it; every demand met, every capacity respected, single source kept."""
    f = parse(path)
    fac = {f"F{i + 1:02d}": i for i in range(f.m)}
    cus = {f"C{j + 1:04d}": j for j in range(f.n)}
    is_open = d.sites.loc[list(fac), "open"].to_numpy()
    total = float(f.fixed_cost[is_open].sum())
    served = np.zeros(f.n)
    load = np.zeros(f.m)
    for r in d.assignments.itertuples(index=False):
        i, j = fac[r.site], cus[r.customer]
        assert is_open[i], f"{r.customer} is served by closed {r.site}"
        total += f.cost[i, j] * r.quantity / f.demand[j]
        served[j] += r.quantity
        load[i] += r.quantity
    np.testing.assert_allclose(served, f.demand, rtol=1e-9, atol=1e-6)
    if family != "uflp":
        assert (load <= f.capacity * (1 + 1e-9) + 1e-6).all()
    if family == "sscflp":
        assert d.assignments.groupby("customer")["site"].nunique().max() == 1
    return total


@pytest.mark.parametrize("family,file", CASES)
def test_known_optimum(family, file):
    known = KNOWN[(family, file)]
    inst = instance(family, file)
    d = design(inst.network, **inst.options)
    assert d.status is Status.OPTIMAL
    assert d.objective == pytest.approx(known.value, rel=1e-6)
    assert d.bound == pytest.approx(known.value, rel=1e-6)
    assert check_against_file(d, family, DATA / file) == pytest.approx(d.objective, rel=1e-9)


@pytest.mark.parametrize("backend", mip_backends())
def test_every_mip_backend_finds_the_same_optimum(backend):
    known = KNOWN[("cflp", "cap41.txt")]
    inst = instance("cflp", "cap41.txt")
    d = design(inst.network, **inst.options, backend=backend)
    assert d.status is Status.OPTIMAL and d.backend == backend
    assert d.objective == pytest.approx(known.value, rel=1e-6)
    assert check_against_file(d, "cflp", DATA / "cap41.txt") == pytest.approx(d.objective,
                                                                              rel=1e-9)


def test_both_layouts_read_the_same_instance():
    a, b = parse(DATA / "cap61.txt"), parse(DATA / "p1")
    np.testing.assert_array_equal(a.capacity, b.capacity)
    np.testing.assert_array_equal(a.fixed_cost, b.fixed_cost)
    np.testing.assert_array_equal(a.demand, b.demand)
    np.testing.assert_allclose(a.cost, b.cost, rtol=1e-12)
    assert (a.m, a.n) == (16, 50)


def test_network_of_an_instance():
    inst = instance("cflp", "cap41.txt")
    net = inst.network
    s = net.sites
    assert (s["kind"] == "dc").sum() == 16 and (s["kind"] == "customer").sum() == 50
    assert (s.loc[s["kind"] == "dc", "status"] == "candidate").all()
    assert s.loc["F01", "capacity"] == 5000 and s.loc["F01", "fixed_cost"] == 7500
    # cost per unit = cost of serving all of C0001 (146 units) from F01 / 146
    assert net.lanes.loc["F01>C0001", "cost_per_unit"] == pytest.approx(6739.725 / 146)
    assert inst.options == {"unmet": "none", "gap": 1e-8}
    assert np.isnan(instance("uflp", "cap72.txt").network.sites.loc["F01", "capacity"])
    assert instance("sscflp", "p3").options["sourcing"] == "single"


def test_capacity_placeholder_and_bad_files(tmp_path):
    with pytest.raises(ValidationError, match="placeholder 'capacity'; give capacity="):
        read("cflp", DATA / "capc.txt.gz")
    bad = tmp_path / "cap99.txt"
    bad.write_text("2 2\n10 5\n10 5\n3 1 2\n")
    with pytest.raises(ValidationError, match="cap99.txt: 9 numbers for m=2, n=2"):
        read("cflp", bad)
    bad.write_text("2 1\n10 5\n10 x\n3 1 2\n")
    with pytest.raises(ValidationError, match="fixed cost 'x' is not a number"):
        read("cflp", bad)
    with pytest.raises(ValueError, match="family 'vrp'"):
        read("vrp", bad)


def test_solve_gives_the_json_line_of_contracts_s4(tmp_path):
    line = solve("uflp", DATA / "cap71.txt", backend="highs")
    assert {"family", "instance", "status", "objective", "bound", "seconds", "backend"} <= set(line)
    assert line["status"] == "optimal" and line["instance"] == "cap71"
    assert line["objective"] == pytest.approx(932615.75, rel=1e-6)
    assert line["known_value"] == 932615.75 and line["rel_error"] < 1e-6
    err = solve("cflp", tmp_path / "missing.txt")
    assert err["status"] == "error" and "missing.txt" in err["error"]
