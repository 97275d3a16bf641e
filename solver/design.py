"""Network design (facility location): which candidate plants and DCs to open, which existing
ones to keep, which customers each serves, and at what total cost; and what each decision is
worth.

:func:`design` solves the design model (:mod:`solver.design_model`, over the sites and network
of :mod:`solver.design_network`, with :mod:`solver.design_options`) through the shared solve step
(:mod:`solver.solve`) and reads it into a :class:`~solver.design_result.Design`.
:func:`cost_of_forcing` and :func:`explain_design` re-solve a design with a decision reversed.
"""

from __future__ import annotations

from dataclasses import replace

from chainlab.models import Network
from chainlab.models.errors import NotFoundError
from chainlab.solver.design_model import DesignModel, build_design
from chainlab.solver.design_options import DesignOptions, Horizon, Sourcing
from chainlab.solver.design_result import Design, Forcing, make_design
from chainlab.solver.diagnose import diagnose
from chainlab.solver.result import Diagnosis, Phase
from chainlab.solver.solution import make_plan
from chainlab.solver.solve import ProgressFn, Run


def design(net: Network, options: DesignOptions | None = None, *, demand=None,
           progress: ProgressFn | None = None, **option_changes) -> Design:
    """The network design of ``net``: which sites to open, which customers each serves, the
    flows, and what it all costs over the calendar (see :mod:`solver.design_model`).

    ``options`` and/or keyword changes to them; names of :class:`SolveOptions` fields go to
    ``options.solve`` (``design(net, backend="ortools-scip", time_limit=60, max_open=3)``).
    ``demand`` as in :func:`solver.plan`. Returns a :class:`~solver.design_result.Design`
    whatever the solver found; raises :class:`~models.ValidationError` for bad input and
    :class:`~models.errors.SolverError` when a backend fails.
    """
    options = options or DesignOptions()
    if option_changes:
        options = options.replace(**option_changes)
    run = Run(options.solve, progress)
    dm = build_design(net, demand, options)
    run.report(Phase.BUILD)
    lp = dm.lp.arrays()
    raw = run.solve(lp, f"{lp.n_vars:,} variables ({int(lp.integer.sum()):,} integer), "
                        f"{lp.n_rows:,} constraints, {lp.nnz:,} nonzeros")
    diagnosis = run.diagnose(raw, lambda: diagnose_design(dm))
    plan = make_plan(dm.plan, lp, raw, run.info(lp, raw), options.solve, diagnosis)
    return run.done(make_design(dm, lp, raw, plan, net, demand))


def diagnose_design(dm: DesignModel) -> Diagnosis:
    """Why a design is infeasible: the planning diagnosis with every design site open says
    what no design can meet; if everything can be met that way, the design's own rules are
    the cause and the note says which ones are set."""
    o = dm.options
    d = diagnose(dm.data, o.solve)
    if d.shortfalls or d.violations:
        return replace(d, note=(d.note + "; " if d.note else "") +
                       "this holds with every candidate site open")
    rules = []
    if o.force_closed:
        rules.append(f"force_closed={list(o.force_closed)}")
    if o.force_open:
        rules.append(f"force_open={list(o.force_open)}")
    if o.max_open is not None:
        rules.append(f"max_open={o.max_open}")
    if o.min_open is not None:
        rules.append(f"min_open={o.min_open}")
    if o.sourcing is Sourcing.SINGLE:
        rules.append("single sourcing (a customer's demand may exceed what one site can "
                     "deliver)")
    if not o.close_existing and dm.sites["levelled"].any():
        rules.append("capacity levels")
    text = ("every demand can be met with every design site open, so the design's own limits "
            "make it infeasible" + (f": {', '.join(rules)}" if rules else ""))
    return Diagnosis(note=text)


def cost_of_forcing(d: Design, site: str, open: bool = True) -> Forcing:
    """Re-solve design ``d`` with ``site`` forced open (or closed) and compare:
    ``forcing.difference`` is what the forced design costs more than ``d`` (0 without a
    re-solve when ``d`` already has the site so)."""
    if site not in d.sites.index:
        raise NotFoundError(f"{site!r} is not a supplier, plant or DC of {d.network}; "
                            f"known: {', '.join(d.sites.index[:20])}")
    if d.has_solution and bool(d.sites.at[site, "open"]) == bool(open):
        return Forcing(site, bool(open), d, d)
    o = d.options
    fo = tuple(s for s in o.force_open if s != site)
    fc = tuple(s for s in o.force_closed if s != site)
    if open:
        fo += (site,)
    else:
        fc += (site,)
    forced = design(d.net, o.replace(force_open=fo, force_closed=fc), demand=d.demand)
    return Forcing(site, bool(open), d, forced)


def explain_design(d: Design, limit: int = 10) -> list[Forcing]:
    """The price of each decision of design ``d``: for every decided site that is not forced
    (at most ``limit``), the design with the opposite decision (one re-solve each)."""
    s = d.sites
    if not d.has_solution:
        return []
    which = s.index[s["decided"] & (s["forced"] == "")][:limit]
    return [cost_of_forcing(d, site, open=not bool(s.at[site, "open"])) for site in which]


__all__ = ["DesignOptions", "Horizon", "Sourcing", "cost_of_forcing", "design",
           "diagnose_design", "explain_design"]
