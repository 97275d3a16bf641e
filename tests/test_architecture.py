"""The shape of the code: no import cycle between files (function-level imports included), the
packages depend on each other one way only, no private name is imported across modules, and no
module grows past one topic's size.

The import graph is read from the source (``ast``), not by importing, so a cycle hidden in a
function body counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("models", "solver", "simulation", "scenarios", "ledger", "api", "cli")
#: data and migration scripts: not modules of the library (the example generator is a script
#: that writes the bundled data; migrations are Alembic's, one file per schema version)
SKIP = ("examples", "migrations")
MAX_LINES = 700

#: which package may import which (DESIGN.md: models <- solver, simulation, ledger <- scenarios
#: <- api, cli); a package may always import itself
ALLOWED = {
    "models": set(),
    "solver": {"models"},
    "simulation": {"models", "solver"},
    "ledger": {"models", "solver"},
    "scenarios": {"models", "solver", "simulation", "ledger"},
    "api": {"models", "solver", "simulation", "ledger", "scenarios"},
    "cli": {"models", "solver", "simulation", "ledger", "scenarios", "api"},
}


def modules() -> dict[str, Path]:
    """Every module of the library by its dotted name under ``chainlab``."""
    out = {}
    for pkg in PACKAGES:
        folder = ROOT / pkg
        for f in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            rel = f.relative_to(ROOT)
            if any(part in SKIP for part in rel.parts):
                continue
            name = ".".join(rel.with_suffix("").parts)
            out[name.removesuffix(".__init__")] = f
    return out


MODULES = modules()


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import statement in the file,
    resolved to dotted names without the ``chainlab.`` prefix."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out.append((base, [a.name for a in node.names], node.lineno))
    return [(m.removeprefix("chainlab."), names, line) for m, names, line in out
            if m == "chainlab" or m.startswith("chainlab.") or m.split(".")[0] in PACKAGES]


def owner(target: str) -> str | None:
    """The project module that ``target`` (a module or a name inside one) resolves to."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        for target, names, line in imports(name, path):
            candidates = [f"{target}.{n}" for n in names] or [target]
            for t in {owner(c) for c in candidates} | {owner(target)}:
                # a package's __init__ importing its own modules is how it exports names
                if t and t != name and not t.startswith(name + ".") \
                        and not name.startswith(t + "."):
                    g.add_edge(name, t, line=line)
    return g


def test_the_walk_sees_every_package():
    assert {m.split(".")[0] for m in MODULES} >= {"models", "solver", "simulation", "ledger",
                                                   "scenarios", "api"}
    assert len(MODULES) > 80


def test_no_import_cycle_between_files():
    g = graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    detail = []
    for comp in cycles:
        loop = nx.find_cycle(g.subgraph(comp))
        detail.append(" -> ".join(f"{a} (line {g.edges[a, b]['line']})" for a, b in loop)
                      + f" -> {loop[0][0]}")
    assert not cycles, "import cycles:\n" + "\n".join(detail)


def test_packages_depend_one_way():
    wrong = sorted(
        f"{a} imports {b} (line {d['line']})" for a, b, d in graph().edges(data=True)
        if b.split(".")[0] != a.split(".")[0]
        and b.split(".")[0] not in ALLOWED[a.split(".")[0]])
    assert not wrong, "imports against the layering of DESIGN.md:\n" + "\n".join(wrong)


def test_no_private_name_imported_across_modules():
    found = []
    for name, path in MODULES.items():
        for target, names, line in imports(name, path):
            for n in names:
                if n.startswith("_") and not n.startswith("__") and owner(target) != name:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {n} from {target}")
    assert not found, "private names used outside their module:\n" + "\n".join(found)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = sum(1 for _ in MODULES[name].open(encoding="utf-8"))
    assert lines <= MAX_LINES, f"{name}: {lines} lines; split it along its topics"


def test_a_cycle_is_found(tmp_path, monkeypatch):
    """The checker itself: two modules importing each other inside functions form a cycle."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from chainlab.models.b import g\n")
    b.write_text("from chainlab.models import a\n")
    monkeypatch.setitem(MODULES, "models.a", a)
    monkeypatch.setitem(MODULES, "models.b", b)
    comps = [c for c in nx.strongly_connected_components(graph()) if len(c) > 1]
    assert {"models.a", "models.b"} in [set(c) for c in comps]
