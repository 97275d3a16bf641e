"""GSM and SSM against stockpyl (the peer) on the textbook instances of
tests/data/inventory/stockpyl_instances.json, and small cases solvable by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chainlab.models import ValidationError
from chainlab.solver.inventory import formats, gsm, ssm

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory" / "stockpyl_instances.json"
INSTANCES = json.loads(DATA.read_text(encoding="utf-8"))
GSM = dict(formats.stockpyl_instances(INSTANCES, "GSM"))
SSM = dict(formats.stockpyl_instances(INSTANCES, "SSM"))


def test_the_file_has_the_textbook_instances():
    assert {"example_6_3", "problem_6_7", "problem_6_8", "problem_6_9", "example_6_5",
            "figure_6_12", "figure_6_14"} <= set(GSM)
    assert {"example_6_1", "problem_6_1", "problem_6_2a", "problem_6_2b", "problem_6_16",
            "shang_song_1"} <= set(SSM)


@pytest.mark.parametrize("name", sorted(GSM))
def test_gsm_equals_stockpyl(name):
    inst = pytest.importorskip("stockpyl.instances")
    gsm_tree = pytest.importorskip("stockpyl.gsm_tree")
    net = inst.load_instance(name)
    for k in net.nodes:  # blanks are 0 (as chainlab reads them)
        k.processing_time = k.processing_time or 0
        k.local_holding_cost = k.local_holding_cost or 0
        if not k.successor_indices() and k.demand_source.mean is None:
            k.demand_source.mean, k.demand_source.standard_deviation = 0, 0
    tree = gsm_tree.preprocess_tree(net)
    want_cst, want_cost = gsm_tree.optimize_committed_service_times(tree)
    sol = gsm.optimize(formats.gsm_problem(GSM[name]))
    assert sol.cost == pytest.approx(want_cost, rel=1e-9, abs=1e-9)
    assert sol.cst == {str(k): int(v) for k, v in want_cst.items()}


def test_gsm_serial_by_hand():
    # Example 6.3: T = (1, 0, 1) upstream to downstream, h = (2, 4, 7), sigma = 1, k = 1,
    # external inbound 1 at the source, outbound at most 1 at the end. Enumerating the
    # service times gives cost 2 sqrt(2) (stock only at the source, tau = 2) ...
    sol = gsm.optimize(formats.gsm_problem(GSM["example_6_3"]))
    costs = []
    for s3 in range(3):
        for s2 in range(3):
            t3, t2, t1 = 1 + 1 - s3, s3 + 0 - s2, s2 + 1 - 1
            if min(t3, t2, t1) >= 0:
                costs.append(2 * math.sqrt(t3) + 4 * math.sqrt(t2) + 7 * math.sqrt(t1))
    assert sol.cost == pytest.approx(min(costs))
    st = sol.stages["3"]
    assert st.base_stock == pytest.approx(st.net_demand_mean * st.net_lead_time
                                          + st.safety_stock)


def test_gsm_assembly_units_scale_demand():
    # two components, 2 units of A per unit of the product: A's net demand is twice as large
    p = gsm.Problem((gsm.Stage("A", 2, 1.0), gsm.Stage("B", 3, 1.0),
                     gsm.Stage("P", 1, 3.0, demand_mean=10, demand_sd=4, external_outbound=0)),
                    (("A", "P", 2.0), ("B", "P", 1.0)), demand_bound=1.645)
    sol = gsm.optimize(p)
    assert sol.stages["A"].net_demand_mean == 20 and sol.stages["A"].net_demand_sd == 8
    assert sol.stages["P"].cst == 0
    assert sol.cost == pytest.approx(sum(s.cost for s in sol.stages.values()))


def test_gsm_refuses_a_non_tree():
    p = gsm.Problem((gsm.Stage("A", 1, 1), gsm.Stage("B", 1, 1), gsm.Stage("C", 1, 1)),
                    (("A", "B", 1), ("B", "C", 1), ("A", "C", 1)))
    with pytest.raises(ValidationError, match="tree"):
        gsm.optimize(p)
    with pytest.raises(ValidationError, match="not a stage"):
        gsm.optimize(gsm.Problem((gsm.Stage("A", 1, 1),), (("A", "Z", 1),)))


# stockpyl 1.0.2's SSM does not run under NumPy 2 (np.array(..., copy=False)), so its published
# optima are the oracle: Example 6.1 as in stockpyl's ssm_serial docstring (grid of 1,000
# points), Problem 6.1 as in its tests (a coarser grid, hence the looser tolerance).
SERIAL_OPTIMA = {
    "example_6_1": ({"3": 22.700237234889784, "2": 12.012332294949644,
                     "1": 6.5144388073261155}, 47.668653127136345, 0.01),
    "problem_6_1": ({"1": 124.2440692221066, "2": 228.7925107043527}, 167.7772194726791, 0.05),
}


@pytest.mark.parametrize("name", sorted(SERIAL_OPTIMA))
def test_ssm_serial_equals_stockpyl(name):
    want_S, want_cost, tol = SERIAL_OPTIMA[name]
    sol = ssm.optimize_serial(formats.ssm_problem(SSM[name]))
    for k, v in want_S.items():
        assert sol.echelon[k] == pytest.approx(v, rel=tol)
    assert sol.cost == pytest.approx(want_cost, rel=tol / 5)


@pytest.mark.parametrize("name", sorted(SSM))
def test_ssm_every_textbook_instance_solves_and_is_ordered(name):
    problem = formats.ssm_problem(SSM[name])
    sol = ssm.optimize_serial(problem)
    if min(problem.echelon_costs) < 0:
        pytest.skip("local holding costs fall upstream (the periodic-review adjustment)")
    levels = list(sol.echelon.values())    # downstream first: echelon levels grow upstream
    assert all(b >= a - 1e-9 for a, b in zip(levels, levels[1:]))
    assert sol.cost > 0


def test_ssm_single_stage_is_the_newsvendor():
    # one stage, L = 4, N(50, 8): Chen-Zheng reduces to S* = F^-1(p / (p + h)) over L periods
    s = ssm.Serial(("R",), (4.0,), (0.18,), 0.7, 50, 8)
    sol = ssm.optimize_serial(s)
    want = 200 + 8 * 2 * NormalDistInv(0.7 / 0.88)
    assert sol.echelon["R"] == pytest.approx(want, abs=0.2)


def NormalDistInv(q):
    from statistics import NormalDist
    return NormalDist().inv_cdf(q)


def test_distribution_heuristic_pools_safety_stock():
    a = ssm.Serial(("R1", "W"), (1.0, 2.0), (2.0, 1.0), 20.0, 10, 3, name="R1")
    b = ssm.Serial(("R2", "W"), (1.0, 2.0), (2.0, 1.0), 20.0, 10, 3, name="R2")
    levels = ssm.distribution_heuristic([a, b])
    one = ssm.optimize_serial(a).local
    assert levels["R1"] == pytest.approx(one["R1"])
    ss_w = one["W"] - 20
    assert levels["W"] == pytest.approx(40 + math.sqrt(2) * ss_w)


def test_benchmark_family_lines(tmp_path):
    from chainlab.solver.inventory.instances import solve

    rows = solve("gsm", DATA)
    assert {r["instance"] for r in rows} == set(GSM)
    assert all(r["status"] == "optimal" and r["objective"] == r["bound"] for r in rows)
    own = tmp_path / "chain.json"
    own.write_text(json.dumps({
        "name": "chain", "service_level": 0.95,
        "nodes": [{"id": "W", "processing_time": 3, "holding_cost": 1},
                  {"id": "R", "processing_time": 1, "holding_cost": 2, "demand_mean": 10,
                   "demand_sd": 3, "external_outbound_cst": 0}],
        "edges": [["W", "R"]]}))
    row = solve("gsm", own)
    assert row["status"] == "optimal" and [s["id"] for s in row["stages"]] == ["W", "R"]
    # k = z_0.95; W quotes 0 to R (tau_W = 3, tau_R = 1) or 3 (tau_R = 4): 3 + 2 < 2 * 2
    z = 1.6448536269514722
    assert row["objective"] == pytest.approx(z * 3 * min(math.sqrt(3) + 2, 2 * 2), rel=1e-9)
    ssm_file = tmp_path / "serial.json"
    ssm_file.write_text(json.dumps({
        "name": "serial", "stockout_cost": 37.12,
        "nodes": [{"id": "3", "lead_time": 2, "holding_cost": 2},
                  {"id": "2", "lead_time": 1, "holding_cost": 4},
                  {"id": "1", "lead_time": 1, "holding_cost": 7, "demand_mean": 5,
                   "demand_sd": 1}],
        "edges": [["3", "2"], ["2", "1"]]}))
    row = solve("ssm", ssm_file)
    assert row["objective"] == pytest.approx(47.668653127136345, rel=0.002)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert solve("gsm", bad)["status"] == "error"
