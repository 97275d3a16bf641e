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
