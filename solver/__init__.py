"""Optimization: production-distribution planning, network design (facility location), and later
routing and scheduling; solver backends (OR-Tools, PuLP) behind one small interface; typed results.
"""

from solver import backends
from solver.check import check_plan
from solver.design import DesignOptions, Horizon, Sourcing, design
from solver.design_result import Design
from solver.options import EndInventory, Method, SolveOptions, Timing, Unmet
from solver.planner import plan, solve_lp
from solver.result import Bottleneck, Diagnosis, Plan, Progress, Shortfall, Status

__all__ = ["Bottleneck", "Design", "DesignOptions", "Diagnosis", "EndInventory", "Horizon",
           "Method", "Plan", "Progress", "Shortfall", "SolveOptions", "Sourcing", "Status",
           "Timing", "Unmet", "backends", "check_plan", "design", "plan", "solve_lp"]
