"""Detailed scheduling (CP-SAT): published job-shop optima, cases solved by hand, invariants.

Every schedule is also checked by :func:`check_schedule`, which shares no code with the model.
"""

import os
import random
import signal
import threading
from pathlib import Path

import pandas as pd
import pytest

from chainlab.models import ValidationError
from chainlab.solver import Status
from chainlab.solver.schedule import (
    RULES,
    Mode,
    Objective,
    Operation,
    Precedence,
    Problem,
    ScheduleOptions,
    Setup,
    dispatch,
    schedule,
)
from chainlab.solver.schedule.check import check_schedule
from chainlab.solver.schedule.jobshop import known_optimum, read_jobshop, solve_jobshop

JOBSHOP = Path(__file__).resolve().parents[1] / "data" / "jobshop"


def op(oid, *modes, **kw):
    return Operation(oid, tuple(Mode(r, d) for r, d in modes), **kw)


def solved(problem, **kw):
    kw.setdefault("time_limit", 30)
    s = schedule(problem, ScheduleOptions(**kw))
    assert s.status is Status.OPTIMAL, s
    assert check_schedule(problem, s.placed, hard_due_dates=kw.get("hard_due_dates", False)) == []
    return s


def sequence(s, resource):
    ops = s.operations
    return list(ops.loc[ops["resource"] == resource, "operation"])


# ------------------------------------------------------------------ published optima


@pytest.mark.parametrize("name", ["ft06", "la01", "la02", "la03", "la04", "la05"])
def test_jobshop_instances_are_proven_optimal_at_their_published_makespan(name):
    row = solve_jobshop("jobshop", JOBSHOP / name, time_limit=60)
    assert row["status"] == "optimal", row
    assert row["objective"] == row["bound"] == known_optimum(JOBSHOP / name)
    assert row["rel_error"] == 0.0


def test_jobshop_schedule_is_feasible_and_its_makespan_is_its_objective():
    problem = read_jobshop(JOBSHOP / "ft06")
    assert len(problem.operations) == 36 and len(problem.resources) == 6
    s = solved(problem)
    assert s.makespan == s.value == 55
    assert s.kpis["makespan"] == 55


def test_jobshop_reader_names_the_line_of_bad_input(tmp_path):
    f = tmp_path / "bad"
    f.write_text("# c\n2 2\n0 3 1 2\n0 x 1 4\n")
    with pytest.raises(ValidationError, match=r"bad line 4: job 1 .*not a whole number"):
        read_jobshop(f)
    f.write_text("2 2\n0 3 1 2\n")
    with pytest.raises(ValidationError, match="2 jobs announced, 1 job lines"):
        read_jobshop(f)
    f.write_text("1 2\n0 3 5 2\n")
    with pytest.raises(ValidationError, match=r"machine 5 is not in 0..1"):
        read_jobshop(f)
    row = solve_jobshop("jobshop", f)
    assert row["status"] == "error" and "machine 5" in row["error"]


# ------------------------------------------------------------------ setups (by hand)

#: one machine, products A, B, C (10 each). Changeover times and costs (first one free):
#:   time  A->B 1, B->A 5, A->C 4, C->A 2, B->C 2, C->B 6
#:   cost  A->B 50, B->A 0, A->C 40, C->A 10, B->C 50, C->B 0
#: setup time of each order: ABC 1+2=3, ACB 4+6=10, BAC 5+4=9, BCA 2+2=4, CAB 2+1=3, CBA 6+5=11
#: setup cost:               ABC 100,  ACB 40,     BAC 40,    BCA 60,    CAB 60,    CBA 0
SETUPS = (Setup("A", "B", 1, 50), Setup("B", "A", 5, 0), Setup("A", "C", 4, 40),
          Setup("C", "A", 2, 10), Setup("B", "C", 2, 50), Setup("C", "B", 6, 0))


def setup_problem(**kw):
    ops = [op(p, ("M", 10), product=p, **kw) for p in "ABC"]
    return Problem(tuple(ops), setups=SETUPS)


def test_setup_time_optimum_is_the_hand_enumerated_three():
    s = solved(setup_problem(), objective=Objective.SETUP)
    assert s.value == 3 and s.kpis["setup_time"] == 3
    assert sequence(s, "M") in (["A", "B", "C"], ["C", "A", "B"])


def test_makespan_with_setups_is_work_plus_least_setup():
    s = solved(setup_problem(), objective=Objective.MAKESPAN)
    assert s.value == 33


def test_setup_cost_optimum_is_the_sequence_cba():
    s = solved(setup_problem(), objective=Objective.MIX,
               weights={"makespan": 0, "tardiness": 0, "setup_time": 0, "setup_cost": 1})
    assert s.value == 0
    assert sequence(s, "M") == ["C", "B", "A"]
    ops = s.operations.set_index("operation")
    assert ops.loc["B", "setup_time"] == 6 and ops.loc["A", "setup_time"] == 5
    assert ops.loc["B", "previous"] == "C" and pd.isna(ops.loc["C", "previous"])


def test_setup_of_the_same_product_is_free_and_resource_rows_win():
    ops = (op("a1", ("M", 3), product="A"), op("a2", ("M", 3), product="A"),
           op("b", ("M", 3), product="B"))
    setups = (Setup("A", "B", 10), Setup("B", "A", 10), Setup("A", "B", 1, resource="M"),
              Setup("B", "A", 1, resource="M"))
    s = solved(Problem(ops, setups=setups), objective=Objective.MAKESPAN)
    assert s.value == 10  # A A B with the machine's own changeover of 1


# ------------------------------------------------------------------ calendars (by hand)

#: machine down for maintenance [10, 20); A takes 8, B takes 6.
#: not preemptible: either leaves too little room before 10 for the other: 26 (A, then B at 20)
#: preemptible: A [0, 8), B works 8-10 and 20-24: 24


def test_non_preemptive_operations_never_span_a_maintenance_window():
    p = Problem((op("A", ("M", 8)), op("B", ("M", 6))), unavailable={"M": [(10, 20)]})
    s = solved(p)
    assert s.value == 26
    for o in s.placed.values():
        assert o.end <= 10 or o.start >= 20


def test_preemptible_operations_pause_over_the_window():
    p = Problem((op("A", ("M", 8), preemptible=True), op("B", ("M", 6), preemptible=True)),
                unavailable={"M": [(10, 20)]})
    s = solved(p)
    assert s.value == 24
    spans = [o for o in s.placed.values() if o.start < 10 < 20 < o.end]
    assert len(spans) == 1 and spans[0].end - spans[0].start == 6 + 10
    assert s.kpis["utilisation"]["M"] == pytest.approx(14 / (24 - 10))


def test_a_preemptible_operation_never_starts_or_ends_inside_a_window():
    # 5 units of work released at 12, inside the window [10, 20): it starts at 20
    p = Problem((op("A", ("M", 5), release=12, preemptible=True),),
                unavailable={"M": [(10, 20), (22, 23)]})
    s = solved(p)
    assert (s.placed["A"].start, s.placed["A"].end) == (20, 26)


def test_windows_are_merged_and_checked():
    p = Problem((op("A", ("M", 1)),), unavailable={"M": [(5, 8), (0, 2), (7, 9)]})
    assert p.windows("M") == ((0, 2), (5, 9))
    with pytest.raises(ValidationError, match=r"window \[4, 4\) must end after it starts"):
        Problem((op("A", ("M", 1)),), unavailable={"M": [(4, 4)]})


# ------------------------------------------------------------------ lags and alternatives


def test_minimum_lag_across_resources():
    # A on M1 (5), B on M2 (3) at least 4 after A ends: B [9, 12)
    p = Problem((op("A", ("M1", 5)), op("B", ("M2", 3))), (Precedence("A", "B", 4),))
    s = solved(p)
    assert s.value == 12 and s.placed["B"].start == 9


def test_negative_lag_lets_the_next_step_overlap():
    # B may start 2 before A ends: B [3, 6)
    p = Problem((op("A", ("M1", 5)), op("B", ("M2", 3))), (Precedence("A", "B", -2),))
    s = solved(p)
    assert s.value == 6 and s.placed["B"].start == 3


def test_alternative_resources_choose_the_faster_machine():
    # X: 10 on M1 or 4 on M2; Y: 6 on M1 only; Z: 5 on either.
    # Y on M1; X and Z on M2 end at 9; Z on M1 would end at 11: optimum 9
    p = Problem((op("X", ("M1", 10), ("M2", 4)), op("Y", ("M1", 6)),
                 op("Z", ("M1", 5), ("M2", 5))))
    s = solved(p)
    assert s.value == 9
    assert {o: s.placed[o].resource for o in "XYZ"} == {"X": "M2", "Y": "M1", "Z": "M2"}


def test_alternatives_with_setups_use_the_circuit_self_loop():
    # two machines, changeover A->B / B->A of 20 on each: one product per machine, no setup
    ops = (op("a1", ("M1", 5), ("M2", 5), product="A"),
           op("a2", ("M1", 5), ("M2", 5), product="A"),
           op("b1", ("M1", 5), ("M2", 5), product="B"))
    p = Problem(ops, setups=(Setup("A", "B", 20), Setup("B", "A", 20)))
    s = solved(p, objective=Objective.MIX, weights={"makespan": 1, "setup_time": 1})
    assert s.value == 10 and s.kpis["setup_time"] == 0
    assert s.placed["a1"].resource == s.placed["a2"].resource != s.placed["b1"].resource


# ------------------------------------------------------------------ tardiness (by hand)

#: one machine; (p, d, w): J1 (3, 3, 1), J2 (2, 6, 2), J3 (4, 5, 3). Weighted tardiness of the
#: six orders: 123 12, 132 12, 213 14, 231 9, 312 10, 321 6: optimum 6 (J3, J2, J1).
#: With J1's due date hard, J1 goes first: 123 or 132, 12.


def tardy_problem(hard=False):
    return Problem((op("J1", ("M", 3), due=3, weight=1, hard_due=hard),
                    op("J2", ("M", 2), due=6, weight=2), op("J3", ("M", 4), due=5, weight=3)))


def test_weighted_tardiness_optimum_by_hand():
    s = solved(tardy_problem(), objective=Objective.TARDINESS)
    assert s.value == 6 and sequence(s, "M") == ["J3", "J2", "J1"]
    assert s.kpis["tardy_operations"] == 1 and s.kpis["weighted_tardiness"] == 6


def test_hard_due_date_is_kept():
    s = solved(tardy_problem(hard=True), objective=Objective.TARDINESS)
    assert s.value == 12 and s.placed["J1"].end <= 3


def test_impossible_hard_due_dates_are_infeasible():
    p = Problem((op("A", ("M", 5), due=4, hard_due=True),))
    s = schedule(p, ScheduleOptions(time_limit=10))
    assert s.status is Status.INFEASIBLE and not s.placed
    s = schedule(tardy_problem(), ScheduleOptions(time_limit=10, hard_due_dates=True))
    assert s.status is Status.INFEASIBLE  # all three due dates cannot hold together


# ------------------------------------------------------------------ invariants


def random_problem(seed, n=12, machines=3):
    rng = random.Random(seed)
    ms = [f"M{i}" for i in range(machines)]
    ops, precs = [], []
    for i in range(n):
        k = rng.randint(1, 2)
        modes = tuple(Mode(m, rng.randint(1, 9)) for m in rng.sample(ms, k))
        ops.append(Operation(f"o{i}", modes, product=rng.choice("PQR"),
                             release=rng.randint(0, 10), due=rng.randint(10, 40),
                             weight=rng.randint(1, 3), preemptible=rng.random() < 0.5))
        if i and rng.random() < 0.4:
            precs.append(Precedence(f"o{rng.randrange(i)}", f"o{i}", rng.randint(-2, 4)))
    setups = tuple(Setup(a, b, rng.randint(0, 4), rng.randint(0, 9))
                   for a in "PQR" for b in "PQR" if a != b)
    windows = {m: [(a, a + rng.randint(1, 5)) for a in rng.sample(range(5, 60), 3)]
               for m in ms}
    return Problem(tuple(ops), tuple(precs), setups, windows, name=f"random{seed}")


@pytest.mark.parametrize("seed", range(6))
def test_every_rule_and_the_solver_give_feasible_schedules_and_the_solver_is_no_worse(seed):
    p = random_problem(seed)
    for rule in RULES:
        assert check_schedule(p, dispatch(p, rule)) == [], rule
    for obj in Objective:
        s = schedule(p, ScheduleOptions(objective=obj, time_limit=20, seed=seed))
        assert s.status in (Status.OPTIMAL, Status.FEASIBLE), (obj, s)
        assert check_schedule(p, s.placed) == []
        assert s.value <= s.dispatch_value + 1e-9
        assert s.bound <= s.value + 1e-6


def test_bad_problems_are_refused_with_the_operation_named():
    with pytest.raises(ValidationError, match="'x' appears twice"):
        Problem((op("x", ("M", 1)), op("x", ("M", 1))))
    with pytest.raises(ValidationError, match=r"'x' on M: duration 0"):
        Problem((op("x", ("M", 0)),))
    with pytest.raises(ValidationError, match="cycle through operation"):
        Problem((op("a", ("M", 1)), op("b", ("M", 1))),
                (Precedence("a", "b"), Precedence("b", "a")))
    with pytest.raises(ValidationError, match="no operation 'c'"):
        Problem((op("a", ("M", 1)),), (Precedence("a", "c"),))


# ------------------------------------------------------------------ stopping early


def test_time_limit_returns_the_incumbent_with_its_bound():
    p = read_jobshop(JOBSHOP / "ft10")
    s = schedule(p, ScheduleOptions(time_limit=1.0))
    assert s.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert check_schedule(p, s.placed) == []
    assert s.bound <= 930 <= s.value <= s.dispatch_value
    assert s.seconds < 15


def test_ctrl_c_stops_the_search_and_keeps_the_incumbent():
    p = read_jobshop(JOBSHOP / "ft10")
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        s = schedule(p, ScheduleOptions())  # no time limit: only Ctrl+C stops it
    finally:
        timer.cancel()
    assert s.interrupted
    assert s.status in (Status.FEASIBLE, Status.OPTIMAL) and s.placed
    assert check_schedule(p, s.placed) == []
    assert s.bound <= s.value
