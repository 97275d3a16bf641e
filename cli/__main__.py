"""``python -m chainlab.cli``: the ``chainlab`` command line."""

from chainlab.cli.app import main

main()
