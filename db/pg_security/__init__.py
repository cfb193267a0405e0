"""PostgreSQL as the enforcement point: group roles, grants, row-level security, audit triggers.

:func:`install` (idempotent) is run by migration 0005 and again after every ``upgrade`` to
head, as the schema owner: it creates the group roles of :data:`groups.GROUPS` if they are
missing, the functions of ``functions.sql``, revokes every privilege of ``PUBLIC`` and the group
roles on the application's objects and grants exactly what the permission matrix says
(:mod:`db.pg_security.grants`, rows limited by :mod:`db.pg_security.scopes`, row triggers in
:mod:`db.pg_security.triggers`). Person logins are members of one group role each
(``kod-admin user add``); they get no privilege of their own.

What the owner needs (README, server set-up): ``CREATEROLE`` (group roles and person logins)
and membership in ``pg_signal_backend`` (ending a disabled person's open sessions).
"""

from __future__ import annotations

import logging
from importlib.resources import files

from sqlalchemy import Connection, text

from db.pg_security.grants import STATISTICS_VIEWS, all_tables, grant_statements
from db.pg_security.groups import (
    DIRECTORY_GROUP,
    GATEWAY_GROUP,
    all_groups,
    matrix_functions,
    quote_ident,
)
from db.pg_security.scopes import ROW_SCOPES, policy_statements
from db.pg_security.triggers import trigger_statements

log = logging.getLogger(__name__)


class SecuritySetupError(RuntimeError):
    """The owner lacks a right that the set-up needs (message names it)."""


def _run(conn: Connection, sql: str) -> None:
    """Run SQL without parameters (so ``%`` in function bodies stays as it is)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


#: The SQL files of the application's functions, in the order they are run.
SQL_FILES = ("functions.sql", "recordings.sql", "statistics.sql", "field.sql")


def _functions_sql() -> str:
    folder = files("db.pg_security")
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in SQL_FILES)


def _existing_tables(conn: Connection) -> set[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')"
        )
    ).scalars()
    return set(rows)


def _existing_columns(conn: Connection) -> dict[str, set[str]]:
    rows = conn.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
    ).all()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(str(table), set()).add(str(column))
    return found


def _ensure_groups(conn: Connection) -> None:
    missing = [
        g
        for g in (*all_groups(), DIRECTORY_GROUP)
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :g"), {"g": g}).first() is None
    ]
    if not missing:
        return
    can_create = conn.execute(
        text("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not can_create:
        raise SecuritySetupError(
            "the group roles "
            + ", ".join(missing)
            + " are missing and the owner may not create roles: "
            + "ALTER ROLE <owner> CREATEROLE (as the postgres superuser)"
        )
    for group in missing:
        # Another database on the same server may create it at the same moment.
        _run(
            conn,
            "DO $$ BEGIN CREATE ROLE "
            + quote_ident(group)
            # The gateway may take an officer's login (SET ROLE) but never holds its rights
            # on its own.
            + (" NOLOGIN NOINHERIT" if group == GATEWAY_GROUP else " NOLOGIN")
            + "; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        )


def _owns(conn: Connection, what: str) -> bool:
    sql = {
        "schema": "SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace "
        "WHERE nspname = 'public'",
        "database": "SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database "
        "WHERE datname = current_database()",
    }[what]
    return bool(conn.execute(text(sql)).scalar())


def _revoke_all(conn: Connection, tables: set[str]) -> None:
    targets = ", ".join(["PUBLIC", *(quote_ident(g) for g in all_groups())])
    ours = (set(all_tables()) | set(STATISTICS_VIEWS)) & tables
    for table in sorted(ours):
        _run(conn, f"REVOKE ALL ON public.{quote_ident(table)} FROM {targets}")
    _run(conn, f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {targets}")
    functions = _kod_functions(conn)
    for signature in functions:
        _run(conn, f"REVOKE ALL ON FUNCTION {signature} FROM {targets}")


def _kod_functions(conn: Connection) -> list[str]:
    """Signatures of the application's functions (``kod_…``) in schema public."""
    return list(
        conn.execute(
            text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND p.proname LIKE 'kod\\_%'"
            )
        ).scalars()
    )


def _drop_policies(conn: Connection) -> None:
    policies = conn.execute(
        text(
            "SELECT policyname, tablename FROM pg_policies "
            "WHERE schemaname = 'public' AND policyname LIKE 'kod\\_%'"
        )
    ).all()
    for name, table in policies:
        _run(conn, f"DROP POLICY {quote_ident(name)} ON public.{quote_ident(table)}")


def _only_existing(statements: list[str], tables: set[str]) -> list[str]:
    """Leave out statements on tables (and statistics views over them) a later migration
    creates (the final install adds them)."""
    missing = (set(all_tables()) | set(STATISTICS_VIEWS)) - tables
    return [s for s in statements if not any(f'public."{t}"' in s for t in missing)]


def secure_database(conn: Connection) -> None:
    """Only the group roles may connect; nobody may create temporary objects.

    Database privileges belong to the database itself (``CREATE DATABASE … TEMPLATE`` does not
    copy them), so this needs the database's owner; otherwise it is left to the set-up.
    """
    if not _owns(conn, "database"):
        log.warning("the owner does not own the database: CONNECT/TEMPORARY left as they are")
        return
    groups = ", ".join(quote_ident(g) for g in all_groups())
    database = quote_ident(str(conn.execute(text("SELECT current_database()")).scalar()))
    _run(conn, f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC")
    _run(conn, f"GRANT CONNECT ON DATABASE {database} TO {groups}")


def install(conn: Connection) -> None:
    """Create or refresh everything the server needs to enforce the matrix (as the owner)."""
    if conn.dialect.name != "postgresql":
        return
    _ensure_groups(conn)
    tables = _existing_tables(conn)
    groups = ", ".join(quote_ident(g) for g in all_groups())
    if _owns(conn, "schema"):
        _run(conn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    else:
        log.warning("the owner does not own schema public: cannot revoke CREATE from PUBLIC")
    _run(conn, f"GRANT USAGE ON SCHEMA public TO {groups}")
    secure_database(conn)
    for statement in matrix_functions():
        _run(conn, statement)
    _run(conn, _functions_sql())
    tables = _existing_tables(conn)
    _revoke_all(conn, tables)
    for statement in _only_existing(grant_statements(_existing_columns(conn)), tables):
        _run(conn, statement)
    _drop_policies(conn)
    for statement in _only_existing(policy_statements(), tables):
        _run(conn, statement)
    for statement in _only_existing(trigger_statements(), tables):
        _run(conn, statement)


def uninstall(conn: Connection) -> None:
    """Remove policies, triggers, functions and grants again (downgrade below 0005)."""
    if conn.dialect.name != "postgresql":
        return
    tables = _existing_tables(conn)
    _drop_policies(conn)
    for table in sorted(ROW_SCOPES):
        if table in tables:
            _run(conn, f"ALTER TABLE public.{quote_ident(table)} DISABLE ROW LEVEL SECURITY")
    for table in sorted(tables):
        for trigger in (
            "kod_audit_row",
            "kod_stamp",
            "kod_audit_guard",
            "kod_audit_guard_truncate",
            "kod_feed_lock",
            "kod_feed_pending",
            "kod_feed_order",
            "kod_storage_key_free",
            "kod_hold_release_guard",
        ):
            _run(conn, f"DROP TRIGGER IF EXISTS {trigger} ON public.{quote_ident(table)}")
    _revoke_all(conn, tables)
    for view in STATISTICS_VIEWS:
        _run(conn, f"DROP VIEW IF EXISTS public.{quote_ident(view)}")
    functions = _kod_functions(conn)
    for signature in functions:
        _run(conn, f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    if "change_feed" in tables:
        serial = conn.execute(
            text("SELECT pg_get_serial_sequence('public.change_feed', 'id')")
        ).scalar_one()
        _run(
            conn,
            f"ALTER TABLE public.change_feed ALTER COLUMN id SET DEFAULT nextval('{serial}')",
        )
    _run(conn, "DROP TABLE IF EXISTS public.audit_pending")
    _run(conn, "DROP SEQUENCE IF EXISTS public.kod_pending_id")
