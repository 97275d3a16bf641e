"""Published instances with proven optima, reproduced to 1e-6 on every backend that can."""

import pytest
from plan_testing import AVAILABLE, DATA, solve

from chainlab.solver import Status, backends
from chainlab.solver.backends import Capability
from chainlab.solver.instances import read_lotsizing, read_transportation

INSTANCES = [
    ("transportation", DATA / "transportation" / "dantzig_trnsport.json", read_transportation),
    ("lotsizing", DATA / "lot_sizing" / "ph1in01st1de1mh0ms0.json", read_lotsizing),
    ("lotsizing", DATA / "lot_sizing" / "ph1in02st2de1mh0ms0.json", read_lotsizing),
]


def _mip_backends():
    return [b for b in AVAILABLE if Capability.MIP in backends.backend_class(b).capabilities
            and Capability.INTEGER_ONLY not in backends.backend_class(b).capabilities]


@pytest.mark.parametrize("backend", _mip_backends())
@pytest.mark.parametrize("family, path, reader", INSTANCES, ids=lambda v: getattr(v, "stem", v))
def test_known_optimum(family, path, reader, backend):
    inst = reader(path)
    p = solve(inst.network, backend=backend, gap=0.0, **inst.options)
    assert p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(inst.known_value, rel=1e-6)


def test_dantzig_value():
    inst = read_transportation(DATA / "transportation" / "dantzig_trnsport.json")
    assert inst.known_value == 153.675
    p = solve(inst.network, **inst.options)
    assert p.objective == pytest.approx(153.675, rel=1e-9)
    # all 900 cases shipped, within each plant's supply (New York costs the same from both,
    # so the split between them is not unique)
    by_origin = p.shipments.groupby("origin")["quantity"].sum()
    assert by_origin.sum() == pytest.approx(900)
    assert by_origin["seattle"] <= 350 + 1e-9 and by_origin["san-diego"] <= 600 + 1e-9
