"""Shared fixtures: real SQLite files and a real PostgreSQL server, migrated by Alembic."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.platform.config import DatabaseTarget, parse_database_url, sqlite_target
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.stadtteile import forget_outlines
from db import pg_security
from db.migrate import upgrade

os.environ.setdefault("KOD_LANG", "de")
PG_URL = os.environ.get("KOD_TEST_PG_URL", "postgresql://kod:kod@127.0.0.1:5432/kod_test")
# Own name per test run: sessions sharing one server would drop each other's template.
TEMPLATE_DB = os.environ.get("KOD_TEST_PG_TEMPLATE", f"kod_test_template_{os.getpid()}")

#: Fixtures kept beside the helpers they serve (shared by several test modules).
pytest_plugins = ["tests.open311_platform"]


def _pg_admin_url(database: str = "postgres") -> str:
    return (
        make_url(PG_URL)
        .set(drivername="postgresql+psycopg", database=database)
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test session."""
    path = tmp_path_factory.mktemp("tmpl") / "template.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per test session (used as TEMPLATE)."""

    admin = create_engine(
        _pg_admin_url(make_url(PG_URL).database or "postgres"), isolation_level="AUTOCOMMIT"
    )
    _drop_leftovers(admin)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
    engine = create_engine(_pg_admin_url(TEMPLATE_DB))
    upgrade(engine)
    engine.dispose()
    admin.dispose()
    yield TEMPLATE_DB
    drop_pg_database(TEMPLATE_DB)


#: Key of the advisory lock that keeps test runs on one server apart.
_TEST_RUN_LOCK = 0x4B4F4454  # "KODT"


_server_lock_connection: list[Any] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """Wait (before any test and its timeout starts) until no other run uses the server.

    Person logins belong to the whole server and the tests use the same names (``dispo``,
    ``disponent``): two runs at once would change each other's logins. Without a reachable
    server there is nothing to wait for (the PostgreSQL tests then fail on their own).
    """
    import psycopg

    url = make_url(PG_URL)
    try:
        conn = psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.Error:
        return
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (_TEST_RUN_LOCK,)).fetchone()[0]:
        print("\n[tests] another test run uses this PostgreSQL server: waiting …", flush=True)
        conn.execute("SELECT pg_advisory_lock(%s)", (_TEST_RUN_LOCK,))
    _server_lock_connection.append(conn)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let the next run in."""
    for conn in _server_lock_connection:
        conn.close()
    _server_lock_connection.clear()


def _drop_leftovers(admin: Any) -> None:
    """Drop test databases of runs that died (their process id no longer exists)."""
    pattern = re.compile(r"^kod_(?:t|test_template)_(\d+)(?:_|$)")
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'kod\\_%'")
        ).scalars()
        for name in list(names):
            match = pattern.match(name)
            if match and not Path(f"/proc/{match.group(1)}").exists():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fresh_pg_database(template: str | None) -> tuple[str, str]:
    """Create an empty (or templated) database; returns (name, url)."""
    name = f"kod_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        _pg_admin_url(make_url(PG_URL).database or "postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        tmpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{tmpl}'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    if template:
        # A copy does not carry the database's own privileges: set them as the migration does.
        engine = create_engine(_pg_admin_url(name))
        with engine.begin() as conn:
            pg_security.secure_database(conn)
        engine.dispose()
    return name, url


def _person_logins(name: str) -> list[str]:
    """The person logins a test database created (logins belong to the whole server)."""
    engine = create_engine(_pg_admin_url(name))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT username FROM user_account")).scalars())
    except Exception:
        return []
    finally:
        engine.dispose()


def _used_elsewhere(logins: list[str], dropped: str) -> set[str]:
    """Which of ``logins`` another database on the server still has an account for (a demo
    database of the developer, say): those logins stay."""
    admin = create_engine(_pg_admin_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            others = conn.execute(
                text(
                    "SELECT datname FROM pg_database WHERE NOT datistemplate "
                    "AND datname NOT IN (:d, 'postgres') AND has_database_privilege(datname, 'CONNECT')"
                ),
                {"d": dropped},
            ).scalars()
            databases = list(others)
    finally:
        admin.dispose()
    used: set[str] = set()
    for database in databases:
        used |= set(_person_logins(database)) & set(logins)
    return used


def drop_pg_database(name: str) -> None:
    """Drop a test database (disconnecting anyone still on it) and the logins it created."""
    logins = _person_logins(name)
    if logins:
        logins = [login for login in logins if login not in _used_elsewhere(logins, name)]

    admin = create_engine(
        _pg_admin_url(make_url(PG_URL).database or "postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for login in logins:
            plain = conn.execute(
                text(
                    "SELECT NOT (rolsuper OR rolcreaterole OR rolcreatedb) FROM pg_roles "
                    "WHERE rolname = :n"
                ),
                {"n": login},
            ).scalar()
            if plain:
                conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseTarget]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kod.sqlite"
        shutil.copy(template, path)
        yield sqlite_target(path)
    else:
        template = request.getfixturevalue("pg_template")
        name, url = fresh_pg_database(template)
        try:
            yield parse_database_url(url)
        finally:
            drop_pg_database(name)


@pytest.fixture
def pg_target(pg_template: str) -> Iterator[DatabaseTarget]:
    """A migrated, empty PostgreSQL database (for tests of what the server enforces)."""
    name, url = fresh_pg_database(pg_template)
    try:
        yield parse_database_url(url)
    finally:
        drop_pg_database(name)


@pytest_asyncio.fixture
async def db(db_target: DatabaseTarget) -> AsyncIterator[Database]:
    """An open :class:`Database` on a fresh migrated database."""
    database = Database(db_target, workstation="test-ws")
    await database.check()
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture
async def services(db: Database) -> Services:
    """All services on a fresh database."""
    return Services.create(db)


ADMIN = Actor(None, "cli:test", Role.ADMIN, "Test-Admin")


@pytest.fixture(autouse=True)
def _fresh_outlines() -> Iterator[None]:
    """Each test opens its own database: no Stadtteil outlines read by an earlier test."""
    forget_outlines()
    yield
    forget_outlines()


@pytest_asyncio.fixture
async def dispatcher(services: Services) -> Actor:
    """A logged-in dispatcher account."""
    await services.users.add(ADMIN, "disponent1", "Dora Disponent", Role.DISPATCHER, "geheim123")
    return await services.users.authenticate("disponent1", "geheim123")


def service_actions(db: Database, entity: str | None = None) -> list[str]:
    """The audit actions the services wrote, in order.

    Leaves out the server's own record of every row change (``db.*``, PostgreSQL only).
    """
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            sql = "select action from audit_log where action not like 'db.%'"
            if entity is not None:
                sql += " and entity = :e"
            return list(conn.execute(text(sql + " order by id"), {"e": entity}).scalars())
    finally:
        engine.dispose()


def tamper(conn: Any, sql: str, params: dict[str, Any] | None = None) -> None:
    """Change the audit log behind the program's back, as a determined database owner would.

    On PostgreSQL the log refuses changes even from the owner; the owner can switch that guard
    off for the statement. The chain must show the change anyway.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    conn.execute(text(sql), params or {})
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
