"""``plan()``: network + demand -> :class:`Plan`.

The steps: prepare the sets (:mod:`solver.data`), build the model as arrays
(:mod:`solver.model`), solve it with a backend (:mod:`solver.solve`: here, or in a worker process
that is killed at the limit), for a MILP solve the LP left with its integer decisions fixed for
the marginal values, read the solution into tables (:mod:`solver.solution`), and, when the model
is infeasible, diagnose it with an elastic re-solve (:mod:`solver.diagnose`).
"""

from __future__ import annotations

from chainlab.models import Network
from chainlab.solver.data import prepare
from chainlab.solver.diagnose import diagnose
from chainlab.solver.model import build
from chainlab.solver.options import SolveOptions
from chainlab.solver.result import Phase, Plan
from chainlab.solver.solution import make_plan
from chainlab.solver.solve import ProgressFn, Run


def plan(net: Network, demand=None, options: SolveOptions | None = None, *,
         progress: ProgressFn | None = None, **option_changes) -> Plan:
    """A production-distribution plan for ``net`` over its calendar.

    ``demand``: None (the network's ``demand.csv``), a DataFrame with customer, product,
    period (or date) and quantity, or a CRM demand model (``models.demand.DemandModel``,
    whose ``expected_demand()`` is planned). ``options``
    and/or keyword changes to them (``plan(net, backend="ortools-highs", time_limit=30)``).
    ``progress`` is called with a :class:`Progress` at each phase and whenever the solver
    reports a new incumbent or bound.

    Returns a :class:`Plan` whatever the solver found (optimal, feasible at a limit,
    infeasible with a diagnosis, time limit); raises :class:`~models.ValidationError` for bad
    input and :class:`~models.errors.SolverError` when a backend fails.
    """
    options = options or SolveOptions()
    if option_changes:
        options = options.replace(**option_changes)
    run = Run(options, progress)
    data = prepare(net, demand, options)
    run.report(Phase.BUILD)
    model = build(data, options)
    lp = model.lp.arrays()
    raw = run.solve(lp, f"{lp.n_vars:,} variables, {lp.n_rows:,} constraints, "
                        f"{lp.nnz:,} nonzeros" + (", MILP" if lp.is_mip else ""),
                    pricing=model.pricing_lp if options.duals else None)
    diagnosis = run.diagnose(raw, lambda: diagnose(data, options))
    return run.done(make_plan(model, lp, raw, run.info(lp, raw), options, diagnosis))


__all__ = ["plan"]
