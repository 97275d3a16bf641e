"""Vehicle routing on OR-Tools' routing library: CVRP and VRPTW with capacities, time windows,
service times, route duration limits, fixed and per-distance costs, heterogeneous fleets and
several depots; readers for CVRPLIB and Solomon instances; a feasibility checker that shares no
code with the solver; routing a plan's deliveries from a DC.
"""

from chainlab.solver.routing.problem import Metric, RoutingProblem, VehicleType
from chainlab.solver.routing.readers import read_cvrplib_solution, read_instance
from chainlab.solver.routing.result import Route, RoutingResult
from chainlab.solver.routing.solve import RoutingOptions, route

__all__ = ["Metric", "Route", "RoutingOptions", "RoutingProblem", "RoutingResult",
           "VehicleType", "read_cvrplib_solution", "read_instance", "route"]
