"""chainlab: an open supply-chain optimization and simulation engine.

The public API in one place; each name is imported from its package on first use, so
``import chainlab`` stays cheap and ``chainlab.models`` never loads the solvers::

    import chainlab
    net = chainlab.Network.from_folder("scenarios/examples/acme")
    p = chainlab.plan(net, options=chainlab.SolveOptions(gap=0.005))
    sim = chainlab.simulate(net, plan=p, options=chainlab.SimOptions(replications=20, seed=42))

The packages (``chainlab.models``, ``chainlab.solver``, ``chainlab.simulation``,
``chainlab.scenarios``, ``chainlab.ledger``, ``chainlab.api``, ``chainlab.cli``) hold the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: public name -> the package that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["Network", "Calendar", "validate", "check", "Report", "Issue", "Severity",
                     "ChainlabError", "ValidationError", "NotFoundError", "SolverError",
                     "BackendUnavailable"], "chainlab.models"),
    **dict.fromkeys(["plan", "design", "solve_lp", "check_plan", "Plan", "Design", "Status",
                     "SolveOptions", "DesignOptions", "Diagnosis", "Bottleneck", "Timing"],
                    "chainlab.solver"),
    **dict.fromkeys(["simulate", "SimOptions", "SimResult", "Engine", "DemandModel"],
                    "chainlab.simulation"),
    **dict.fromkeys(["Ledger"], "chainlab.ledger"),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    """Import a public name from its package the first time it is asked for (PEP 562)."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'chainlab' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from chainlab.ledger import Ledger
    from chainlab.models import (
        BackendUnavailable,
        Calendar,
        ChainlabError,
        Issue,
        Network,
        NotFoundError,
        Report,
        Severity,
        SolverError,
        ValidationError,
        check,
        validate,
    )
    from chainlab.simulation import DemandModel, Engine, SimOptions, SimResult, simulate
    from chainlab.solver import (
        Bottleneck,
        Design,
        DesignOptions,
        Diagnosis,
        Plan,
        SolveOptions,
        Status,
        Timing,
        check_plan,
        design,
        plan,
        solve_lp,
    )
