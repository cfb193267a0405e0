"""Helpers for tests that act as real PostgreSQL logins with raw SQL (not through the services)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from app.platform.config import DatabaseTarget

PASSWORD = "geheim123"


def conninfo(target: DatabaseTarget, login: str, password: str = PASSWORD) -> dict[str, Any]:
    """Connection arguments for ``login`` on the server and database of ``target``."""
    url = make_url(target.sync_url.render_as_string(hide_password=False))
    return {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "dbname": url.database,
        "user": login,
        "password": password,
        "connect_timeout": 5,
    }


@contextmanager
def login(
    target: DatabaseTarget, name: str, password: str = PASSWORD
) -> Iterator[psycopg.Connection[Any]]:
    """A raw psycopg connection as the login ``name`` (autocommit off)."""
    conn = psycopg.connect(**conninfo(target, name, password))
    try:
        yield conn
    finally:
        conn.close()


def attempt(
    conn: psycopg.Connection[Any], sql: str, params: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """Run ``sql`` in a transaction that is rolled back.

    Returns (done, why): done if the server executed it and it had an effect (rows returned or
    changed); why names the server's refusal (SQLSTATE and message) or "no rows".
    """
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute(sql, params or {})  # type: ignore[arg-type]
            if cur.description is not None:
                rows = cur.fetchall()
                return (bool(rows) and rows[0][0] is not None, "" if rows else "no rows")
            return (cur.rowcount > 0, "" if cur.rowcount > 0 else "no rows")
    except psycopg.Error as exc:
        return (False, f"{exc.sqlstate}: {str(exc).splitlines()[0]}")
