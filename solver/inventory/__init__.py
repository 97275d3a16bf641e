"""Inventory optimization: safety stock from service targets.

- :mod:`~solver.inventory.demand`: demand over an interval (normal, Poisson, negative binomial)
  and its loss function;
- :mod:`~solver.inventory.single`: single-echelon base-stock, (s, S) and (r, Q) from a cycle
  service level (alpha) or a fill rate (beta);
- :mod:`~solver.inventory.gsm`: the guaranteed-service model on trees (Graves & Willems);
- :mod:`~solver.inventory.ssm`: the stochastic-service model, exact for serial systems
  (Clark & Scarf, Chen & Zheng), a stated heuristic for distribution trees;
- :mod:`~solver.inventory.network`: a chainlab network's stock points as these problems, and a new
  ``inventory.csv`` from the answer.

It sits in ``solver/`` because it decides (it optimizes policy parameters); the simulation then
plays the policies it writes, like any hand-set ones.
"""

from chainlab.solver.inventory.demand import Family, NegBinomial, Normal, Poisson
from chainlab.solver.inventory.single import (
    Item,
    Measure,
    Policy,
    PolicyKind,
    base_stock,
    reorder_point,
)

__all__ = ["Family", "Item", "Measure", "NegBinomial", "Normal", "Poisson", "Policy",
           "PolicyKind", "base_stock", "reorder_point"]
