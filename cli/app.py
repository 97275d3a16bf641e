"""The ``chainlab`` command line (typer + rich).

Every command that computes something takes ``--json`` and then prints exactly one JSON object on
stdout; progress and messages go to stderr. Exit status: 0 done, 1 bad input or a problem with no
answer (the message says which), 2 wrong usage. Bad input never shows a traceback.

This module only assembles the app: each command group lives in its own module, which imports
:mod:`chainlab.cli.kit` and the engine packages (never this module) and adds its commands with
``register(app)``. The order of registration is the order of ``chainlab --help``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from chainlab.cli import (
    demand,
    demo,
    design,
    inventory,
    ledger,
    network,
    plan,
    route,
    scenario,
    schedule,
    simulate,
)

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                  help="chainlab: supply-chain optimization and simulation engine.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"chainlab {version('chainlab')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="print chainlab's version and exit")] = False) -> None:
    """chainlab: supply-chain optimization and simulation engine."""


for group in (network, demo, plan, design, schedule, route, demand, simulate, inventory, ledger,
              scenario):
    group.register(app)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
