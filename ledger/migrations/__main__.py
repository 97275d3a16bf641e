"""Write a new schema revision from the ORM classes (developers):

    python -m ledger.migrations "what changes"

It brings a scratch SQLite database to the newest revision, autogenerates the difference to
``ledger.tables`` into ``ledger/migrations/versions``, and prints the new file. Read and edit it
before committing: check PostgreSQL types, triggers and data moves by hand.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from chainlab.ledger import db


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as d:
        engine = db.connect(f"sqlite:///{Path(d) / 'scratch.db'}")
        try:
            db.upgrade(engine)
            cfg = db.alembic_config()
            with db.writing(engine) as conn:
                cfg.attributes["connection"] = conn
                script = command.revision(cfg, message=argv[0], autogenerate=True)
        finally:
            engine.dispose()
    print(script.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
