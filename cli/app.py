"""The ``chainlab`` command line (typer + rich).

Every command that computes something takes ``--json`` and then prints exactly one JSON object on
stdout; progress and messages go to stderr. Exit status: 0 done, 1 bad input or a problem with no
answer (the message says which), 2 wrong usage. Bad input never shows a traceback.

This module only assembles the app: each command group lives in its own module, which imports
:mod:`chainlab.cli.kit` and the engine packages (never this module) and adds its commands with
``register(app)``. The order of registration is the order of ``chainlab --help``.
"""

from __future__ import annotations

import typer

from chainlab.cli import (
    demand,
    demo,
    design,
    inventory,
    ledger,
    network,
    plan,
    scenario,
    simulate,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="chainlab: supply-chain optimization and simulation engine.")

for group in (network, demo, plan, design, demand, simulate, inventory, ledger, scenario):
    group.register(app)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
