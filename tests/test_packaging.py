"""The install puts one import name on the path, ``chainlab``: the folders are its subpackages,
so a user's own ``models`` or ``api`` package lives beside it untouched.

The wheel test builds the wheel, installs it (without dependencies) into a fresh virtual
environment, and imports it beside a dummy top-level ``models`` package; the third-party
dependencies come from the environment running the tests through a ``.pth`` line (which adds
that site-packages folder to the path but does not run its own ``.pth`` files, so this
checkout's editable install is not seen there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FOLDERS = ("models", "solver", "simulation", "scenarios", "ledger", "api", "cli")


def listed_packages() -> set[str]:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(conf["tool"]["setuptools"]["packages"])


def package_folders() -> set[str]:
    found = {"chainlab"}
    for top in FOLDERS:
        for init in (ROOT / top).rglob("__init__.py") if (ROOT / top).is_dir() else []:
            found.add(".".join(("chainlab",) + init.parent.relative_to(ROOT).parts))
    return found


def test_every_package_folder_is_installed():
    assert listed_packages() == package_folders(), \
        "pyproject.toml [tool.setuptools] packages must list every folder with an __init__.py"


def test_entry_point_is_in_the_namespace():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    target = conf["project"]["scripts"]["chainlab"]
    assert target.startswith("chainlab.")
    module, _, fn = target.partition(":")
    mod = __import__(module, fromlist=[fn])
    assert callable(getattr(mod, fn))


def test_public_api():
    import chainlab

    for name in chainlab.__all__:
        assert getattr(chainlab, name) is not None, name
    assert chainlab.Network.__module__.startswith("chainlab.models")
    assert chainlab.plan.__module__.startswith("chainlab.solver")
    assert chainlab.simulate.__module__.startswith("chainlab.simulation")
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        chainlab.nonsense  # noqa: B018


def test_import_chainlab_models_loads_no_solver():
    """``chainlab.models`` stays light: importing it pulls in neither the solver libraries
    nor the web stack."""
    code = ("import sys, chainlab.models; "
            "print([m for m in ('ortools', 'highspy', 'pulp', 'simpy', 'fastapi', 'sqlalchemy') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy: setuptools leaves a build/ folder in the tree it builds
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
        ".hypothesis", "artifacts", ".venv"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                        str(src)], capture_output=True, text=True)
    if r.returncode and "Could not find a version" in r.stderr:
        pytest.skip("building the wheel needs setuptools from the package index")
    assert r.returncode == 0, r.stderr
    return next(out.glob("chainlab-*.whl"))


def test_wheel_holds_only_the_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"chainlab"}
    for needed in ("chainlab/__init__.py", "chainlab/models/schema.py",
                   "chainlab/ledger/migrations/env.py", "chainlab/api/web/static/app.js",
                   "chainlab/scenarios/examples/acme/network.yaml"):
        assert needed in names, needed
    assert not any(n.startswith("chainlab/tests/") for n in names)


def test_wheel_installs_beside_a_users_models_package(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(site) / "deps.pth").write_text(ours + "\n", encoding="utf-8")
    user = tmp_path / "user"
    (user / "models").mkdir(parents=True)
    (user / "models" / "__init__.py").write_text("WHO = 'the user'\n")
    (user / "api").mkdir()
    (user / "api" / "__init__.py").write_text("WHO = 'the user too'\n")
    code = """
import json, models, api, chainlab, chainlab.models, chainlab.api.main, chainlab.scenarios
from chainlab import Network, plan, simulate
print(json.dumps({"models": models.WHO, "api": api.WHO, "chainlab": chainlab.__file__,
                  "chainlab.models": chainlab.models.__file__,
                  "examples": str(chainlab.scenarios.EXAMPLES),
                  "network": Network.__module__}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([str(py), "-c", code], cwd=user, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["models"] == "the user" and got["api"] == "the user too"
    assert got["chainlab"].startswith(site) and got["chainlab.models"].startswith(site)
    assert (Path(got["examples"]) / "acme" / "sites.csv").is_file()
    assert got["network"] == "chainlab.models.network"
