"""``kod-admin db …``: migrate the schema up or down and show its version."""

from __future__ import annotations

from typing import Any

from app.platform.config import DatabaseTarget
from app.platform.database import ensure_schema_current
from app.platform.i18n import tr
from app.tools.cli_output import direct_engine, say


def add_parser(sub: Any) -> None:
    """Add the ``db`` command to ``kod-admin``'s subparsers."""
    dbp = sub.add_parser("db", help=tr("cli", "Schema migrations"))
    dbs = dbp.add_subparsers(dest="db_command", required=True)
    dbs.add_parser("upgrade", help=tr("cli", "Migrate the database to the newest schema"))
    down = dbs.add_parser(
        "downgrade", help=tr("cli", "Migrate down (default: to an empty database)")
    )
    down.add_argument("revision", nargs="?", default="base")
    dbs.add_parser("status", help=tr("cli", "Show the schema version"))


def run_migration(target: DatabaseTarget, revision: str, up: bool) -> None:
    """Migrate ``target`` up or down to ``revision`` and say from which version to which."""
    from db.migrate import downgrade, schema_state, upgrade

    with direct_engine(target) as engine:
        with engine.connect() as conn:
            state = schema_state(conn)
        if state.newer_than_program:
            ensure_schema_current(state, target.display)
        if up:
            upgrade(engine, revision)
        else:
            downgrade(engine, revision)
        with engine.connect() as conn:
            after = schema_state(conn)
    say(
        tr(
            "cli",
            "Schema of %1: %2 → %3",
            target.display,
            state.current or "–",
            after.current or "–",
        )
    )


def status(target: DatabaseTarget) -> int:
    """``kod-admin db status``: 0 if the schema is the program's, else 1."""
    from db.migrate import schema_state

    with direct_engine(target) as engine, engine.connect() as conn:
        state = schema_state(conn)
    say(tr("cli", "Database: %1", target.display))
    say(tr("cli", "Schema: %1 (program: %2)", state.current or "–", state.head))
    return 0 if state.up_to_date else 1
