"""The command line's conventions: --version, shell completion, -n is always the number of
replications, design checks its options as plan does (usage errors, exit 2), help texts cite
only what is in the repository, and the scenario bar counts plans as well as replications."""

from __future__ import annotations

import io
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from chainlab.cli.app import app
from chainlab.cli.kit import ScenarioProgress
from chainlab.scenarios.run import Event, Phase

TINY = Path(__file__).parents[1] / "data" / "tiny"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.output.strip() == f"chainlab {version('chainlab')}"


def test_shell_completion_is_offered():
    assert "--install-completion" in run("--help").output


def commands() -> list[list[str]]:
    top = [c.name or c.callback.__name__ for c in app.registered_commands]
    groups = [[g.name, c.name] for g in app.registered_groups
              for c in g.typer_instance.registered_commands]
    return [[c] for c in top] + groups


def test_minus_n_means_replications_wherever_it_is_taken():
    for cmd in commands():
        help_text = run(*cmd, "--help").output
        for line in help_text.splitlines():
            if re.search(r"(^|\s)-n\b", line):
                assert "--replications" in line, (cmd, line)


def test_help_texts_cite_nothing_outside_the_repository():
    for cmd in [[]] + commands():
        text = run(*cmd, "--help").output
        assert "CONTRACTS" not in text and "DESIGN.md" not in text, cmd


@pytest.mark.parametrize("args", [["--time-limit", "-5"], ["--gap", "5"], ["--unmet", "bogus"],
                                  ["--min-open", "-3"], ["--max-distance-km", "-1"]])
def test_design_checks_its_options_like_plan(args):
    r = run("design", TINY, *args)
    assert r.exit_code == 2, r.output
    assert "Invalid value" in r.output and "Traceback" not in r.output


def test_an_option_error_has_no_empty_place():
    r = run("design", TINY, "--min-open", "3", "--max-open", "1")
    assert r.exit_code == 1
    assert r.output.startswith("error: min_open(=3) must be <= max_open(=1)"), r.output


def test_the_scenario_bar_counts_plans_and_replications():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with ScenarioProgress(console) as progress:
        overall = progress._bar.tasks[progress._all]
        for name in ("a", "b"):
            progress(Event(name, Phase.PREPARE, 1, 1))
            progress(Event(name, Phase.PLAN))
        assert (overall.total, overall.completed) == (2, 0)
        progress(Event("a", Phase.SIMULATE, 0, 4))
        assert (overall.total, overall.completed) == (6, 1)
        progress(Event("a", Phase.SIMULATE, 4, 4))
        progress(Event("a", Phase.DONE, 4, 4))
        progress(Event("b", Phase.FAILED))
        assert (overall.total, overall.completed) == (6, 6)


def test_simulate_shows_a_bar_of_replications_on_a_terminal(monkeypatch):
    from chainlab.cli import simulate as cli_simulate

    buf = io.StringIO()
    monkeypatch.setattr(cli_simulate, "err", Console(file=buf, force_terminal=True, width=100))
    r = run("simulate", TINY, "-n", "16")
    assert r.exit_code == 0, r.output
    assert "replications" in buf.getvalue() and "16/16" in buf.getvalue()
    with cli_simulate.replication_bar(5, quiet=True) as progress:
        assert progress is None


def test_a_plan_that_meets_little_of_the_demand_says_so_and_writes_a_workbook(tmp_path):
    import json
    import shutil

    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    (net / "production.csv").unlink()
    book = tmp_path / "plan.xlsx"
    r = run("plan", net, "--json", "--xlsx", book)
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["xlsx"] == str(book) and book.exists()
    assert len(obj["warnings"]) == 1 and "of the demand" in obj["warnings"][0]
    r = run("plan", TINY, "--json")
    assert json.loads(r.stdout)["warnings"] == []
