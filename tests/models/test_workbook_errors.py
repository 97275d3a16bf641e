"""A network read from a workbook names the sheet in every error, reference errors included
(they blamed ``demand.csv``), and the terminal shows ``book.xlsx[bom]`` and values like
``[bom]`` as text (rich took them for markup and printed nothing)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from chainlab.cli.app import app
from chainlab.models import Network, ValidationError

TINY = Path(__file__).parents[1] / "data" / "tiny"


@pytest.fixture
def book(tmp_path) -> Path:
    path = Network.from_folder(TINY).to_excel(tmp_path / "net.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["demand"]["A2"] = "NOPE"
    wb["bom"]["B2"] = "[bom]"
    wb.save(path)
    return path


def test_reference_errors_name_the_sheet(book):
    with pytest.raises(ValidationError) as e:
        Network.from_excel(book)
    where = sorted(i.file for i in e.value.issues)
    assert where == ["net.xlsx[bom]", "net.xlsx[demand]"]
    assert "demand.csv" not in str(e.value)


def test_the_terminal_shows_sheet_names_and_bracketed_values(book):
    for cmd in (["validate", book], ["plan", book]):
        r = CliRunner().invoke(app, [str(a) for a in cmd], env={"COLUMNS": "200"})
        assert r.exit_code == 1
        text = r.output
        assert "net.xlsx[demand]" in text and "net.xlsx[bom]" in text, text
        assert "'[bom]' is not a product" in text, text
        assert "Traceback" not in text
