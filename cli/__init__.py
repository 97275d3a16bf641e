"""The ``chainlab`` command line (typer + rich): :mod:`chainlab.cli.app` holds the app and its
entry point ``main``, :mod:`chainlab.cli.kit` what every command shares, and one module per
command group holds its commands. Run it as ``chainlab`` or ``python -m chainlab.cli``.
"""
