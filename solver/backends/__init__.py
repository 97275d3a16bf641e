"""Solver backends by name: ``get("highs")``, ``names()``, ``available()``.

Each backend lives in its own module, imported only when it is asked for, so that merely
importing chainlab never loads a solver library (``pulp`` in particular must never be imported
in a process that solves with OR-Tools' HiGHS; see :mod:`solver.backends.pulp_backend`).
"""

from __future__ import annotations

import importlib

from chainlab.models.errors import BackendUnavailable
from chainlab.solver.backends.base import Backend, Capability, RawResult, Stopper

#: name -> "module:class"
REGISTRY: dict[str, str] = {
    "highs": "chainlab.solver.backends.highs:HighsBackend",
    "ortools-highs": "chainlab.solver.backends.ortools:OrtoolsHighs",
    "ortools-scip": "chainlab.solver.backends.ortools:OrtoolsScip",
    "ortools-glop": "chainlab.solver.backends.ortools:OrtoolsGlop",
    "ortools-pdlp": "chainlab.solver.backends.ortools:OrtoolsPdlp",
    "ortools-cpsat": "chainlab.solver.backends.ortools:OrtoolsCpsat",
    "cbc": "chainlab.solver.backends.cbc:CbcBackend",
    "pulp-cbc": "chainlab.solver.backends.pulp_backend:PulpCbc",
    "pulp-highs": "chainlab.solver.backends.pulp_backend:PulpHighs",
}

#: other names users type
ALIASES = {"ortools": "ortools-highs", "scip": "ortools-scip", "glop": "ortools-glop",
           "pdlp": "ortools-pdlp", "cpsat": "ortools-cpsat", "cp-sat": "ortools-cpsat",
           "pulp": "pulp-cbc", "clp": "cbc", "highspy": "highs"}

#: the default: fastest build + solve on benchmarks/plan_bench.py (see the README)
DEFAULT = "highs"


def names() -> list[str]:
    """Every registered backend name."""
    return list(REGISTRY)


def backend_class(name: str | None) -> type[Backend]:
    """The class registered under ``name`` (or an alias; None = :data:`DEFAULT`). A name of
    the form ``package.module:Class`` loads a backend from outside chainlab (a plug-in)."""
    key = name or DEFAULT
    if ":" in key:
        module, cls = key.split(":", 1)
    else:
        key = ALIASES.get(key.lower(), key.lower())
        if key not in REGISTRY:
            raise BackendUnavailable(f"unknown backend {name!r}; known: {', '.join(REGISTRY)}")
        module, cls = REGISTRY[key].split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise BackendUnavailable(f"backend {key!r} cannot be loaded: {e}") from None


def get(name: str | None = None) -> Backend:
    """An instance of backend ``name``; raises :class:`BackendUnavailable` when it is not
    registered or its library is missing."""
    cls = backend_class(name)
    if not cls.is_available():
        raise BackendUnavailable(f"backend {cls.name!r} needs {cls.library}, which is not "
                                 f"installed here; available: {', '.join(available())}")
    return cls()


def available() -> list[str]:
    """Names of the backends whose libraries are installed."""
    out = []
    for n in REGISTRY:
        try:
            if backend_class(n).is_available():
                out.append(n)
        except BackendUnavailable:
            pass
    return out


__all__ = [
    "ALIASES",
    "DEFAULT",
    "REGISTRY",
    "Backend",
    "Capability",
    "RawResult",
    "Stopper",
    "available",
    "backend_class",
    "get",
    "names",
]
