"""The ledger's commands: ``publish``, ``serve``, ``db upgrade``, ``keys create``, ``keys list``,
``keys revoke``.

They follow the rest of the command line: ``--json`` prints one JSON object, chainlab errors
exit 1 with a message, wrong usage exits 2. ``--database-url`` defaults to
``CHAINLAB_DATABASE_URL``, else a SQLite file (:func:`ledger.db.default_database_url`), whose
schema these commands create on first use; a PostgreSQL database needs ``chainlab db upgrade``
first.

Register them with :func:`register` (``register(app)`` in :mod:`chainlab.cli.app`), or one by
one: ``app.command("publish")(publish_command)``, a ``db`` group with ``upgrade``, a ``keys``
group with ``create``, ``list`` and ``revoke``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from chainlab.cli.kit import JsonOpt, emit, err, guarded, load, out
from chainlab.ledger.types import Role
from chainlab.models.errors import NotFoundError

UrlOpt = Annotated[str | None, typer.Option(
    "--database-url", envvar="CHAINLAB_DATABASE_URL", show_envvar=True,
    help="ledger database (default: a SQLite file in the user's data folder)")]


def _say(text: str) -> None:
    out.print(text, highlight=False)


def _open(url: str | None):
    """A Ledger on ``url``; a SQLite ledger gets its schema created or migrated."""
    from chainlab.ledger import Ledger, db
    engine = db.connect(url)
    return Ledger(engine, upgrade=engine.dialect.name == "sqlite")


def find_network(plan_dir: Path) -> Path | None:
    """The network a plan folder was made from: its ``network/`` subfolder, the folder itself
    when it holds ``network.yaml``, or the path its ``summary.json`` names as ``network``."""
    if (plan_dir / "network" / "network.yaml").exists():
        return plan_dir / "network"
    if (plan_dir / "network.yaml").exists():
        return plan_dir
    summary = plan_dir / "summary.json"
    if summary.exists():
        try:
            ref = json.loads(summary.read_text(encoding="utf-8")).get("network")
        except (ValueError, AttributeError):
            ref = None
        if isinstance(ref, dict):
            ref = ref.get("source") or ref.get("path")
        if isinstance(ref, str) and ref:
            p = Path(ref) if Path(ref).is_absolute() else plan_dir / ref
            if (p / "network.yaml").exists() or p.suffix.lower() in (".xlsx", ".xlsm"):
                return p
    return None


@guarded
def publish_command(
        plan_dir: Annotated[Path, typer.Argument(help="plan folder (`chainlab plan NET --out DIR`)")],
        network: Annotated[Path | None, typer.Option(
            "--network", help="the plan's network folder or workbook (default: found "
                                    "from the plan folder)")] = None,
        database_url: UrlOpt = None,
        name: Annotated[str, typer.Option("--name", help="a name for the plan version")] = "",
        as_json: JsonOpt = False):
    """Publish a plan to the ledger: a new current version with all its planned orders, in one
    transaction (the same plan again changes nothing). With its network (--network, or found
    beside the plan) the ledger's master data is synced from it first; without, the plan must
    use only sites and products the ledger already has. With its network, the network's
    on-hand stock is posted as opening stock where the ledger has no stock moves yet."""
    from chainlab.ledger import db

    if not plan_dir.is_dir():
        raise NotFoundError(f"plan folder {plan_dir} does not exist; write one with "
                            f"`chainlab plan NET --out {plan_dir}`")
    net_path = network or find_network(plan_dir)
    net = load(net_path) if net_path is not None else None  # else the ledger's master data
    led = _open(database_url)
    try:
        result = led.publish(plan_dir, network=net, name=name)
        where = db.redact(led.engine.url)
    finally:
        led.close()
    if as_json:
        emit(result.as_dict() | {"database": where})
        return
    verb = "published as" if result.created else "already current:"
    opening = (f"; the network's on-hand posted as {result.opening_moves} opening stock moves"
               if result.opening_moves else "")
    _say(f"plan {plan_dir} {verb} version [bold]{result.plan_version}[/] with "
         f"{result.orders} planned orders ({result.carried} firm/released carried over) "
         f"in {where}{opening}")


@guarded
def serve_command(
        host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8000,
        database_url: UrlOpt = None,
        workers: Annotated[int, typer.Option("--workers", min=1,
                                             help="server processes")] = 1,
        log_level: Annotated[str, typer.Option("--log-level")] = "info"):
    """Run the HTTP API with uvicorn (routes and roles: the README's tour for sales/CRM and
    ERP integrators; every route is described at /docs)."""
    import uvicorn

    from chainlab.api.main import create_app
    from chainlab.api.settings import Settings
    from chainlab.ledger import db

    settings = Settings(**({"database_url": database_url} if database_url else {}))
    app = create_app(settings)  # fails here, with a message, on a database without schema
    shown = f"[{host}]" if ":" in host else host
    where = db.redact(app.state.ledger.engine.url)
    err.print(f"chainlab on http://{shown}:{port}/ (the web page; sign in with a key from "
              f"`chainlab keys create --role planner` on the same ledger), API docs at /docs\n"
              f"ledger: {where}", highlight=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level=log_level)
        return
    app.state.ledger.engine.dispose()
    os.environ["CHAINLAB_DATABASE_URL"] = settings.database_url
    uvicorn.run("chainlab.api.main:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level)


@guarded
def db_upgrade_command(
        database_url: UrlOpt = None,
        revision: Annotated[str, typer.Option("--revision", help="target revision")] = "head",
        as_json: JsonOpt = False):
    """Create or migrate the ledger schema (SQLite or PostgreSQL)."""
    from chainlab.ledger import db

    engine = db.connect(database_url)
    try:
        before = db.current_revision(engine)
        after = db.upgrade(engine, revision)
        where = db.redact(engine.url)
    finally:
        engine.dispose()
    if as_json:
        emit({"database": where, "revision": after, "previous": before})
        return
    change = f"from {before} to {after}" if before != after else f"already at {after}"
    _say(f"ledger schema in {where}: {change}")


@guarded
def keys_create_command(
        role: Annotated[Role, typer.Option("--role", case_sensitive=False,
                                           help="what the key may do")],
        name: Annotated[str, typer.Option("--name", help="who or what uses the key")] = "",
        owner: Annotated[str | None, typer.Option(
            "--owner", help="the integrator or team the key acts for: keys of one owner share "
                            "their promises and scenario jobs (default: the key alone)")] = None,
        database_url: UrlOpt = None,
        as_json: JsonOpt = False):
    """Create an API key with a role; the key is shown once (only its hash is stored)."""
    from chainlab.ledger import db

    led = _open(database_url)
    try:
        key, info = led.create_key(role, name=name, owner=owner)
        where = db.redact(led.engine.url)
    finally:
        led.close()
    if as_json:
        emit({"key": key, "role": info.role.value, "prefix": info.prefix, "name": info.name,
              "owner": info.owner, "database": where})
        return
    _say(f"new {info.role.value} key of owner {info.owner} for the ledger in {where} (shown "
         f"once, store it now):\n{key}")


@guarded
def keys_list_command(
        active: Annotated[bool, typer.Option("--active", help="only keys not revoked")] = False,
        database_url: UrlOpt = None,
        as_json: JsonOpt = False):
    """List the API keys: prefix, role, name, owner, created, revoked (never the keys)."""
    from rich.table import Table

    from chainlab.ledger import db

    led = _open(database_url)
    try:
        found = led.api_keys(revoked=not active)
        where = db.redact(led.engine.url)
    finally:
        led.close()
    if as_json:
        emit({"database": where, "keys": [k.as_dict() for k in found]})
        return
    if not found:
        _say(f"no API keys in the ledger in {where}; create one with `chainlab keys create "
             f"--role ROLE`")
        return
    table = Table(title=f"API keys of the ledger in {where}", title_justify="left")
    for col in ("prefix", "role", "name", "owner", "created (UTC)", "revoked (UTC)"):
        table.add_column(col)
    for k in found:
        table.add_row(k.prefix, k.role.value, k.name, k.owner,
                      k.created_at.strftime("%Y-%m-%d %H:%M"),
                      k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "")
    out.print(table)


@guarded
def keys_revoke_command(
        prefix: Annotated[str, typer.Argument(
            metavar="PREFIX", help="the key's prefix (as `chainlab keys list` shows it), or "
                                   "the key")],
        database_url: UrlOpt = None,
        as_json: JsonOpt = False):
    """Revoke an API key: it is refused (401) from then on.

    A running server that checked the key in the last CHAINLAB_KEY_CACHE_SECONDS (5 by
    default) refuses it once that time is up; DELETE /v1/keys/PREFIX with an admin key
    revokes it on that server at once."""
    from chainlab.ledger import db

    led = _open(database_url)
    try:
        info = led.revoke_key(prefix)
        where = db.redact(led.engine.url)
    finally:
        led.close()
    if as_json:
        emit(info.as_dict() | {"database": where})
        return
    _say(f"{info.role.value} key {info.prefix} ({info.name or 'no name'}, owner {info.owner}) "
         f"revoked in {where}")


def register(app: typer.Typer) -> None:
    """Add ``publish``, ``serve``, ``db upgrade`` and ``keys create|list|revoke`` to a typer
    app."""
    app.command("publish")(publish_command)
    app.command("serve")(serve_command)
    db_app = typer.Typer(help="the ledger database", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade_command)
    app.add_typer(db_app, name="db")
    keys_app = typer.Typer(help="API keys", no_args_is_help=True)
    keys_app.command("create")(keys_create_command)
    keys_app.command("list")(keys_list_command)
    keys_app.command("revoke")(keys_revoke_command)
    app.add_typer(keys_app, name="keys")
