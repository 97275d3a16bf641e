"""Scenario files with absurd values (issue 15): a NUL, a huge integer, a date at the end of
time, an overlong id or path are errors naming the field and the fix, from the library and from
``chainlab scenario run`` (exit 1, no traceback), never an exception from deep inside."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chainlab.cli.scenario import register
from chainlab.models import ValidationError
from chainlab.scenarios import spec

TINY = Path(__file__).parents[1] / "data" / "tiny"
HEAD = f"name: bad\nbase: {TINY}\n"
HUGE = "9" * 5000

CASES = [
    # (file text, what the message must say)
    (HEAD + "overrides:\n  - site_outage: {site: PLANT1, from: 0001-01-01, to: 9999-12-31}\n",
     ["overrides[1].site_outage.from", "0001-01-01 is outside the dates chainlab accepts",
      "1900-01-01 to 2199-12-31", "overrides[1].site_outage.to"]),
    (HEAD + "overrides:\n  - supply: {supplier: SUP1, scale: 0.5, to: 9999-12-31}\n",
     ["overrides[1].supply.to", "9999-12-31 is outside"]),
    (HEAD + "overrides:\n  - demand: {scale: 2, from: 1899-12-31}\n",
     ["overrides[1].demand.from", "1899-12-31"]),
    (HEAD + f"simulate: {{replications: {HUGE}}}\n",
     ["line 3", "an integer of 5000 digits"]),
    (HEAD + "simulate: {replications: 10000000000}\n",
     ["simulate.replications", "less than or equal to 1000000"]),
    (HEAD + "simulate: {replications: 2, seed: -1}\n", ["simulate.seed", "greater than or equal"]),
    (HEAD + "simulate: {replications: 2, seed: 18446744073709551616}\n", ["simulate.seed"]),
    (HEAD + "solve: {time_limit: .inf}\n", ["solve.time_limit", "finite"]),
    (HEAD + "solve: {time_limit: 1e300}\n", ["solve.time_limit"]),
    (HEAD + "solve: {gap: 5}\n", ["solve.gap"]),
    (HEAD + "overrides:\n  - demand: {scale: 1e300}\n",
     ["overrides[1].demand.scale", "less than or equal to 1000000"]),
    (HEAD + "overrides:\n  - demand: {scale: .nan}\n", ["overrides[1].demand.scale"]),
    (HEAD + "overrides:\n  - lane: {origin: PLANT1, destination: DC1, cost_per_unit: 1e300}\n",
     ["overrides[1].lane.cost_per_unit"]),
    (HEAD + "overrides:\n  - capacity: {plant: PLANT1, resource: LINE1, hours_per_period: "
            "1e300}\n", ["overrides[1].capacity.hours_per_period"]),
    (HEAD + "overrides:\n  - site_outage: {site: " + "P" * 5000 + "}\n",
     ["overrides[1].site_outage.site", "at most 200 characters", "(5000 characters)"]),
    (HEAD + 'overrides:\n  - site_outage: {site: "PL\\0"}\n',
     ["overrides[1].site_outage.site", "control character U+0000"]),
    ("name: bad\nbase: " + "a" * 500 + "\n", ["base", "not a usable path"]),
    ("name: bad\nbase: " + "a/" * 600 + "\n", ["base", "at most 1000 characters"]),
    ('name: bad\nbase: "net\\0"\n', ["base", "control character U+0000"]),
    ("name: bad\nbase: tiny\x00\n", ["line 2, column 11", "control character U+0000"]),
    (HEAD + "description: \"a\\x07b\"\n", ["description", "U+0007"]),
]


@pytest.mark.parametrize("text,says", CASES)
def test_a_bad_value_is_a_validation_error_naming_the_field(tmp_path, text, says):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        spec.load(p)
    msg = str(e.value)
    assert "bad.yaml" in msg, msg
    for s in says:
        assert s in msg, (s, msg)
    assert len(msg) < 1500  # the bad value is shown short


@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    register(a)
    a.command("noop")(lambda: None)
    return a


@pytest.mark.parametrize("text,says", [CASES[0], CASES[3], CASES[16], CASES[19]])
def test_the_cli_exits_1_with_the_message_and_no_traceback(app, tmp_path, text, says):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(app, ["scenario", "run", str(p), "--workers", "1",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit)  # a message, not an exception from inside
    assert "Traceback" not in r.output and says[0] in r.output.replace("\n", " ")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_values_in_range_still_load(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(HEAD + "overrides:\n  - site_outage: {site: PLANT1, from: 1900-01-01, "
                        "to: 2199-12-31}\nsimulate: {replications: 1000000, seed: "
                        "9223372036854775807}\nsolve: {time_limit: 3600, gap: 0.01}\n")
    sc = spec.load(p)
    assert sc.simulate.seed == 2**63 - 1 and sc.overrides[0].params.end.year == 2199
