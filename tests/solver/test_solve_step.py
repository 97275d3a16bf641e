"""The solve step that planning and design share: one SolveInfo, the phases of a run in order,
and the model's named index arrays (computed from the data, not by the order of the families)."""

import dataclasses

import numpy as np
import pytest

from chainlab.models.errors import BackendUnavailable
from chainlab.solver import Phase, Progress, SolveInfo, SolveOptions, Status, design, plan
from chainlab.solver.data import prepare
from chainlab.solver.index import plan_index
from chainlab.solver.lp import LinearProgram
from chainlab.solver.model import PlanModel, build
from chainlab.solver.solve import Run


def test_plan_and_design_carry_one_solve_info(tiny):
    p = plan(tiny)
    d = design(tiny)
    for r in (p, d):
        info = r.info
        assert type(info) is SolveInfo
        assert [f.name for f in dataclasses.fields(info)] == [
            f.name for f in dataclasses.fields(SolveInfo)]
        assert (info.status, info.objective, info.bound, info.gap, info.backend) == (
            r.status, r.objective, r.bound, r.gap, r.backend)
        assert info.size == r.size and info.size["variables"] > 0
    assert d.info.objective == pytest.approx(p.info.objective, rel=1e-9)
    assert d.network == p.network and d.costs is d.plan.costs
    changed = dataclasses.replace(p, status=Status.FEASIBLE, bound=1.0)
    assert changed.info.status is Status.FEASIBLE and changed.info.bound == 1.0


def test_a_run_reports_its_phases_in_order(tiny):
    seen = []
    plan(tiny, progress=seen.append)
    phases = [e.phase for e in seen]
    assert all(isinstance(ph, Phase) for ph in phases)
    order = [Phase.PREPARE, Phase.BUILD, Phase.SOLVE, Phase.READ, Phase.DONE]
    assert [ph for i, ph in enumerate(phases) if i == 0 or ph != phases[i - 1]] == order
    assert seen[-1].incumbent == pytest.approx(plan(tiny).objective)
    assert Progress("solve", 0.0).phase is Phase.SOLVE and f"{Phase.DUALS:<6}" == "duals "


def test_an_unavailable_backend_is_refused_before_any_work():
    seen = []
    with pytest.raises(BackendUnavailable, match="unknown backend 'no-such-backend'"):
        Run(SolveOptions(backend="no-such-backend"), seen.append)
    assert seen == []


def test_index_arrays_come_from_the_data_not_the_call_order(tiny):
    data = prepare(tiny, None, SolveOptions())
    ix = plan_index(data)
    # complete before any family runs
    fresh = PlanModel(LinearProgram(), data, SolveOptions())
    assert not fresh.lp.variables and np.array_equal(fresh.ix.ship_arc, ix.ship_arc)
    m = build(data, SolveOptions())
    for name in ("make_row", "make_t", "ship_arc", "ship_t", "ship_arrive", "origin_node",
                 "dest_node", "arc_pair", "made_node", "comp_node"):
        assert np.array_equal(getattr(m.ix, name), getattr(ix, name)), name
    assert len(ix.ship_arc) == len(m.lp.variables["ship"])
    assert np.array_equal(ix.ship_arrive - ix.ship_t, data.arcs["lead"].to_numpy()[ix.ship_arc])
