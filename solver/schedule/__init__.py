"""Detailed production scheduling with OR-Tools CP-SAT: which resource runs each operation,
in what order, from when to when, and the changeovers between them.

:func:`schedule` solves a :class:`Problem` (operations with alternative resources, release and
due times, precedences with lags, resource calendars, sequence-dependent setups) for an
:class:`Objective`; :mod:`~chainlab.solver.schedule.jobshop` reads the classic job-shop
benchmark format; :mod:`~chainlab.solver.schedule.from_plan` turns a plan's production orders of
one week into a problem.
"""

from chainlab.solver.schedule.dispatch import RULES, Placed, dispatch
from chainlab.solver.schedule.model import solve as schedule
from chainlab.solver.schedule.problem import (
    Mode,
    Objective,
    Operation,
    Precedence,
    Problem,
    Setup,
)
from chainlab.solver.schedule.result import Schedule, ScheduleOptions

__all__ = ["RULES", "Mode", "Objective", "Operation", "Placed", "Precedence", "Problem",
           "Schedule", "ScheduleOptions", "Setup", "dispatch", "schedule"]
