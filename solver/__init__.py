"""Optimization: production-distribution planning, network design (facility location), and later
routing and scheduling; solver backends (OR-Tools, PuLP) behind one small interface; typed results.
"""

from chainlab.solver import backends
from chainlab.solver.check import check_plan
from chainlab.solver.design import cost_of_forcing, design, explain_design
from chainlab.solver.design_options import DesignOptions, Horizon, Sourcing
from chainlab.solver.design_result import Design, Forcing
from chainlab.solver.options import EndInventory, Method, SolveOptions, Timing, Unmet
from chainlab.solver.planner import plan
from chainlab.solver.result import (
    Bottleneck,
    Diagnosis,
    Phase,
    Plan,
    Progress,
    Shortfall,
    SolveInfo,
    Status,
)
from chainlab.solver.solve import relative_gap, solve_lp

__all__ = ["Bottleneck", "Design", "DesignOptions", "Diagnosis", "EndInventory", "Forcing",
           "Horizon", "Method", "Phase", "Plan", "Progress", "Shortfall", "SolveInfo",
           "SolveOptions", "Sourcing", "Status", "Timing", "Unmet", "backends", "check_plan",
           "cost_of_forcing", "design", "explain_design", "plan", "relative_gap", "solve_lp"]
