"""SimPy discrete-event simulation of the network executing a plan or inventory policies under
random demand, lead times and disruptions; Monte Carlo replications; KPIs.
"""

from chainlab.simulation.demand import DemandModel, DemandSource, ScenarioDemand, TableDemand
from chainlab.simulation.options import (
                                Engine,
                                LaneDelay,
                                Replenishment,
                                SimOptions,
                                SiteOutage,
                                SupplyCut,
                                Unmet,
)
from chainlab.simulation.plan import PlanReleases
from chainlab.simulation.result import SimResult
from chainlab.simulation.run import simulate

__all__ = ["DemandModel", "DemandSource", "Engine", "LaneDelay", "PlanReleases", "Replenishment",
           "ScenarioDemand", "SimOptions", "SimResult", "SiteOutage", "SupplyCut", "TableDemand",
           "Unmet", "simulate"]
