"""Same model, same optimum: every available backend against the default, to 1e-6 relative."""

import sys

import numpy as np
import plan_nets as nets
import pytest
from plan_testing import AVAILABLE, solve

from chainlab.models.errors import BackendUnavailable
from chainlab.solver import Status, backends, plan
from chainlab.solver.backends import Capability
from chainlab.solver.synthetic import generate

CASES = {
    "tiny": lambda tiny: (tiny, {}),
    "tiny-integer": lambda tiny: (tiny, {"integer_quantities": True}),
    "setups": lambda tiny: (nets.setups(min_lot=35), {}),
    "two-lanes": lambda tiny: (nets.two_lanes(40, min_shipment=10), {}),
    "xs-lp": lambda tiny: (generate("XS", seed=1), {}),
    "xs-mip": lambda tiny: (generate("XS", seed=2, mip=True), {"gap": 0.0}),
}


def _lp_only(name):
    return Capability.MIP not in backends.backend_class(name).capabilities


def _integer_only(name):
    return Capability.INTEGER_ONLY in backends.backend_class(name).capabilities


@pytest.fixture(scope="module")
def reference(tiny):
    """The default backend's optimum of each case."""
    out = {}
    for key, make in CASES.items():
        net, kw = make(tiny)
        out[key] = solve(net, **kw).objective
    return out


def _case(key, tiny):
    return CASES[key](tiny)


@pytest.mark.parametrize("backend", [b for b in AVAILABLE if b != backends.DEFAULT])
@pytest.mark.parametrize("case", list(CASES))
def test_same_optimum(case, backend, tiny, reference):
    net, kw = _case(case, tiny)

    needs_mip = case in ("tiny-integer", "setups", "two-lanes", "xs-mip")
    if needs_mip and _lp_only(backend):
        with pytest.raises(BackendUnavailable, match="solves LPs only"):
            plan(net, backend=backend, **kw)
        return
    if _integer_only(backend) and case != "tiny-integer":
        with pytest.raises(BackendUnavailable, match="every variable integer"):
            plan(net, backend=backend, **kw)
        return
    # a first-order method (PDLP) is feasible and optimal to about 1e-8 relative, not exactly
    approximate = Capability.APPROXIMATE in backends.backend_class(backend).capabilities
    p = solve(net, backend=backend, tol=1e-4 if approximate else 1e-6, **kw)
    assert p.status is Status.OPTIMAL
    assert p.objective == pytest.approx(reference[case], rel=1e-6)


def test_duals_agree_where_unique():
    """Binding capacities with a unique dual: every backend that gives duals says the same."""
    n = nets.through_dc()
    ref = None
    for b in AVAILABLE:
        if Capability.DUALS not in backends.backend_class(b).capabilities or b.startswith("pulp"):
            continue
        p = solve(n, backend=b, unmet="lost")
        v = p.capacity["shadow_price"].to_numpy()
        ref = v if ref is None else ref
        assert np.allclose(v, ref, rtol=1e-5, atol=1e-6), b
    assert ref is not None and ref.max() == pytest.approx(49.0)


def test_registry():
    assert backends.DEFAULT in backends.names()
    assert "highs" in AVAILABLE and "ortools-highs" in AVAILABLE
    assert backends.backend_class("ortools").name == "ortools-highs"
    assert backends.backend_class("CBC").name == "cbc"
    assert backends.backend_class("pulp").name == "pulp-cbc"
    with pytest.raises(BackendUnavailable, match="unknown backend 'gurobi'; known: highs"):
        backends.get("gurobi")
    for name in backends.names():
        cls = backends.backend_class(name)
        assert cls.name == name and isinstance(cls.capabilities, Capability)
    # looking a backend up never imports pulp into this process
    assert "pulp" not in sys.modules
