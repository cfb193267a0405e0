"""Schema migrations (Alembic owns the schema) and the schema-version check."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SAWarning

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to a connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _history() -> dict[str, str | None]:
    """Revision id -> the revision it follows, read from the migration files.

    Read as text (their ``revision``/``down_revision`` assignments), not through Alembic:
    checking the schema version at every start then needs neither Alembic nor the migration
    modules loaded. ``tests/test_foundation.py`` checks that Alembic reads the same history.
    """
    history: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
                values[target.id] = value.value
        revision = values.get("revision")
        if isinstance(revision, str):
            down = values.get("down_revision")
            history[revision] = down if isinstance(down, str) else None
    return history


def head_revision() -> str:
    """The newest revision this program knows."""
    history = _history()
    heads = set(history) - {down for down in history.values() if down is not None}
    assert len(heads) == 1, f"migration history has heads {sorted(heads)}"
    return heads.pop()


def known_revisions() -> set[str]:
    """Every revision id in this program's migration history."""
    return set(_history())


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands relative to this program."""

    current: str | None
    head: str
    known: bool

    @property
    def up_to_date(self) -> bool:
        """True if the database is at this program's head revision."""
        return self.current == self.head

    @property
    def newer_than_program(self) -> bool:
        """True if a newer program version migrated the database already."""
        return self.current is not None and not self.known


def schema_state(connection: Connection) -> SchemaState:
    """Read the database's revision (sync connection)."""
    current: str | None = None
    if inspect(connection).has_table("alembic_version"):
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(
        current=current, head=head_revision(), known=current is None or current in known_revisions()
    )


#: Indexes on expressions, made by their migration only (0006: the queue's running-time sorts).
#: Autogenerate cannot compare expression indexes (SQLite does not even reflect them), so they
#: are left out of the comparison instead of being declared twice.
MIGRATION_ONLY_INDEXES = frozenset(
    {"ix_incident_closed_since_created", "ix_incident_closed_since_dispatch"}
)
#: Tables of the server's own mechanics on PostgreSQL, made by db.pg_security (not models):
#: the services' audit records until their commit.
SERVER_ONLY_TABLES = frozenset({"audit_pending"})


def for_dialect(dialect: str) -> Callable[..., bool]:
    """Alembic ``include_object`` hook: leaves out model objects made for another dialect
    (and :data:`MIGRATION_ONLY_INDEXES`, :data:`SERVER_ONLY_TABLES`).

    Some indexes exist once per dialect under one name (``Index.ddl_if``); autogenerate would
    otherwise compare the database with whichever of them it met last.
    """

    def include(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
        if type_ == "index" and name in MIGRATION_ONLY_INDEXES:
            return False
        if type_ == "table" and name in SERVER_ONLY_TABLES:
            return False
        ddl_if = getattr(obj, "_ddl_if", None)
        return reflected or ddl_if is None or ddl_if.dialect in (None, dialect)

    return include


def model_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models (sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from db.models import Base

    context = MigrationContext.configure(
        connection, opts={"include_object": for_dialect(connection.dialect.name)}
    )
    with warnings.catch_warnings():
        # SQLite does not reflect expression indexes (MIGRATION_ONLY_INDEXES): expected.
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        return list(compare_metadata(context, Base.metadata))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``.

    At head on PostgreSQL the server's rights are refreshed from the permission matrix every
    time (idempotent), so a changed matrix takes effect with the next ``kod-admin db upgrade``.
    """
    from alembic import command

    from db import pg_security

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
        if revision == "head":
            pg_security.install(conn)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
