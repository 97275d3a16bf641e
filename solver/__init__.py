"""Optimization: production-distribution planning, network design (facility location), and later
routing and scheduling; solver backends (OR-Tools, PuLP) behind one small interface; typed results.
"""

from chainlab.solver import backends
from chainlab.solver.check import check_plan
from chainlab.solver.design import DesignOptions, Horizon, Sourcing, design
from chainlab.solver.design_result import Design
from chainlab.solver.options import EndInventory, Method, SolveOptions, Timing, Unmet
from chainlab.solver.planner import plan, solve_lp
from chainlab.solver.result import Bottleneck, Diagnosis, Plan, Progress, Shortfall, Status

__all__ = ["Bottleneck", "Design", "DesignOptions", "Diagnosis", "EndInventory", "Horizon",
           "Method", "Plan", "Progress", "Shortfall", "SolveOptions", "Sourcing", "Status",
           "Timing", "Unmet", "backends", "check_plan", "design", "plan", "solve_lp"]
