"""What every ``chainlab`` command shares: the consoles, the one JSON object of ``--json``,
loading a network, and turning chainlab errors into a message and exit status 1.

Command modules import from here (not from ``api.cli``, which imports them)."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from chainlab.models import ChainlabError, Network

out = Console()
err = Console(stderr=True)


def emit(obj: dict) -> None:
    """The one JSON object of a ``--json`` run."""
    sys.stdout.write(json.dumps(obj, default=str) + "\n")


def guarded(fn):
    """Turn chainlab errors (and unreadable files) into a message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except (ChainlabError, OSError) as e:
            issues = getattr(e, "issues", [])
            if as_json:
                emit({"error": str(e), "errors": [i.as_dict() for i in issues]})
            else:
                err.print(f"[bold red]error:[/] {e}", markup=True, highlight=False)
            raise typer.Exit(1)

    return wrapper


def load(path: Path) -> Network:
    """A network from a folder or an ``.xlsx`` workbook."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return Network.from_excel(path)
    return Network.from_folder(path)
