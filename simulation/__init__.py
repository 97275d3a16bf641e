"""SimPy discrete-event simulation of the network executing a plan or inventory policies under
random demand, lead times and disruptions; Monte Carlo replications; KPIs.
"""

from simulation.demand import DemandModel, DemandSource, ScenarioDemand, TableDemand
from simulation.options import (
                                Engine,
                                LaneDelay,
                                Replenishment,
                                SimOptions,
                                SiteOutage,
                                SupplyCut,
                                Unmet,
)
from simulation.plan import PlanReleases
from simulation.result import SimResult
from simulation.run import simulate

__all__ = ["DemandModel", "DemandSource", "Engine", "LaneDelay", "PlanReleases", "Replenishment",
           "ScenarioDemand", "SimOptions", "SimResult", "SiteOutage", "SupplyCut", "TableDemand",
           "Unmet", "simulate"]
