"""The README tells the truth: its data section is the schema, its test command is CI's."""

import re
from pathlib import Path

from chainlab.models import schema

ROOT = Path(__file__).parents[1]


def test_data_section_is_generated_from_the_schema():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"<!-- schema:start -->\n(.*)<!-- schema:end -->", readme, re.S).group(1)
    assert section == schema.markdown(), "regenerate with: chainlab schema --markdown"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    test_cmd = next(b for b in blocks if "# run the tests" in b).strip().splitlines()[-1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci.splitlines()


def python_snippets() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", readme, re.DOTALL)


def test_python_snippets_run_as_written(monkeypatch):
    """The README's Python blocks, in order, in one namespace (a later block uses the names of
    an earlier one), from the repository root as a reader of the README would run them."""
    snippets = python_snippets()
    assert len(snippets) >= 2
    monkeypatch.chdir(ROOT)
    ns: dict = {"__name__": "readme"}
    for i, code in enumerate(snippets):
        exec(compile(code, f"README.md python block {i + 1}", "exec"), ns)
    # what the comments beside the snippets promise
    assert ns["p"].status.has_solution and ns["p"].objective > 0
    assert {"fill_rate", "otif", "total_cost"} <= set(ns["sim"].kpis.index)
    assert ns["d"].status.has_solution
