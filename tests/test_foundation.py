"""Foundation: schema migrations, SQLite rules, audit chain, users and lockout, permissions."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from app.platform.audit import verify_connection
from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.errors import (
    AuthenticationError,
    DatabaseClosed,
    DatabaseUnavailable,
    PermissionDenied,
    SchemaMismatch,
)
from app.platform.netshare import filesystem_type, is_network_path, parse_mounts
from app.platform.permissions import MATRIX, Permission, Role, allowed, permissions_markdown
from app.platform.uow import Actor
from app.services import Services
from db.migrate import downgrade, head_revision, model_differences, upgrade
from tests.conftest import ADMIN, drop_pg_database, fresh_pg_database, tamper
from tests.ui.waiting import wait_until


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_migrate_fresh_database_to_head_and_back_to_base(engine_kind: str, tmp_path: Path) -> None:
    name = None
    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    else:
        name, raw = fresh_pg_database(None)
        url = raw.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"incident", "audit_log", "change_feed", "recording", "offence_case"} <= tables
            assert (
                conn.execute(text("select version_num from alembic_version")).scalar()
                == head_revision()
            )
            assert conn.execute(text("select count(*) from role")).scalar() == 6
        downgrade(engine, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
        if name:
            drop_pg_database(name)


@pytest.mark.asyncio
async def test_unmigrated_and_newer_schema_give_clear_messages(tmp_path: Path) -> None:
    empty = sqlite_target(tmp_path / "empty.sqlite")
    db = Database(empty)
    with pytest.raises(SchemaMismatch, match="kod-admin db upgrade"):
        await db.check()
    await db.dispose()
    newer = tmp_path / "newer.sqlite"
    engine = create_engine(f"sqlite:///{newer}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num='9999_future'"))
    engine.dispose()
    db = Database(sqlite_target(newer))
    with pytest.raises(SchemaMismatch, match="neueren Version"):
        await db.check()
    await db.dispose()


@pytest.mark.asyncio
async def test_sqlite_pragmas_wal_foreign_keys_busy_timeout(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "p.sqlite"
    path.write_bytes(sqlite_template.read_bytes())
    db = Database(sqlite_target(path))
    try:
        async with db.read() as s:
            assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await s.execute(text("PRAGMA busy_timeout"))).scalar() == 10000
    finally:
        await db.dispose()


def test_corrupt_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    content = b"this is not a database, but someone's important file" * 20
    bad.write_bytes(content)
    with pytest.raises(DatabaseUnavailable, match="keine SQLite-Datenbank"):
        Database(sqlite_target(bad))
    assert bad.read_bytes() == content


def test_network_share_is_refused() -> None:
    mounts = (
        "/dev/sda1 / ext4 rw 0 0\n"
        "//fileserver/kod /mnt/share cifs rw 0 0\n"
        "server:/export /srv/nfs nfs4 rw 0 0\n"
    )
    parsed = parse_mounts(mounts)
    assert filesystem_type(Path("/mnt/share/db/leitstelle.sqlite"), parsed) == "cifs"
    assert is_network_path(Path("/mnt/share/leitstelle.sqlite"), mounts)
    assert is_network_path(Path("/srv/nfs/x/leitstelle.sqlite"), mounts)
    assert not is_network_path(Path("/var/lib/kod/leitstelle.sqlite"), mounts)


@pytest.mark.asyncio
async def test_closing_waits_for_a_read_in_progress_and_then_refuses_new_ones(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A window's last read returns its connection before the pool goes (no connection is left
    to the garbage collector); anything started after the close is refused, not connected."""
    read_started = asyncio.Event()
    close_begun = asyncio.Event()

    async def last_read() -> int:
        async with db.read() as session:
            value = (await session.execute(text("SELECT 41"))).scalar_one()
            read_started.set()
            await close_begun.wait()  # still holding the connection when the close begins
            return int(value) + 1

    reading = asyncio.ensure_future(last_read())
    await read_started.wait()
    with caplog.at_level(logging.WARNING, "app.platform.database"):
        closing = asyncio.ensure_future(db.dispose())
        await wait_until(lambda: db.closed)
        close_begun.set()
        await closing
    assert reading.done() and reading.result() == 42
    assert "connections in use" not in caplog.text
    with pytest.raises(DatabaseClosed, match="Verbindung dieser Sitzung ist beendet"):
        async with db.read():
            pass
    with pytest.raises(DatabaseClosed):
        async with db.write_session():
            pass


@pytest.mark.asyncio
async def test_a_connection_kept_past_the_close_names_its_holder(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()

    async def stuck_read() -> None:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
            await release.wait()

    stuck = asyncio.ensure_future(stuck_read())
    stuck.set_name("stuck-read")
    await wait_until(lambda: db._holders)  # it holds its connection
    with caplog.at_level(logging.WARNING, "app.platform.database"):
        await db.dispose(settle_s=0.1)
    assert "1 connections in use by: stuck-read" in caplog.text
    release.set()
    await stuck  # it still ends and returns its connection


@pytest.mark.asyncio
async def test_audit_chain_detects_a_direct_edit(services: Services, db: Database) -> None:
    for k in range(3):
        await services.users.add(ADMIN, f"user{k}", f"User {k}", Role.CLERK, "geheim123")
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            ok = verify_connection(conn)
            # PostgreSQL also records each new account row itself (db.insert).
            assert ok.ok and ok.checked == (3 if db.target.is_sqlite else 6)
            second = conn.execute(
                text("select id from audit_log order by id limit 1 offset 1")
            ).scalar()
        with engine.begin() as conn:
            tamper(conn, "update audit_log set username='someone-else' where id=:i", {"i": second})
        with engine.connect() as conn:
            broken = verify_connection(conn)
        assert not broken.ok and broken.first_broken_id == second and broken.problem == "content"
        # Deleting a record breaks the link of its successor.
        with engine.begin() as conn:
            tamper(conn, "update audit_log set username='cli:test' where id=:i", {"i": second})
            assert verify_connection(conn).ok
            tamper(conn, "delete from audit_log where id=:i", {"i": second})
        with engine.connect() as conn:
            gap = verify_connection(conn)
        assert not gap.ok and gap.problem == "chain_link" and gap.first_broken_id == second + 1
        # Truncating the tail is caught with the anchored head hash.
        with engine.connect() as conn:
            assert not verify_connection(conn, expect_head=ok.head_hash).ok
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
@pytest.mark.asyncio
async def test_login_lockout_and_disable(services: Services) -> None:
    # SQLite only: on PostgreSQL the server authenticates (tests/test_pg_login.py).
    await services.users.add(ADMIN, "anna", "Anna A", Role.DISPATCHER, "richtig123")
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="falsch"):
            await services.users.authenticate("anna", "falsch")
    with pytest.raises(AuthenticationError, match="gesperrt"):
        await services.users.authenticate("anna", "falsch")
    # Locked: even the right password is refused until the lock expires.
    with pytest.raises(AuthenticationError, match="gesperrt"):
        await services.users.authenticate("anna", "richtig123")
    await services.users.set_active(ADMIN, "anna", True)  # administrator lifts the lock
    actor = await services.users.authenticate("anna", "richtig123")
    assert actor.role == Role.DISPATCHER
    await services.users.set_active(ADMIN, "anna", False)
    with pytest.raises(AuthenticationError, match="deaktiviert"):
        await services.users.authenticate("anna", "richtig123")
    with pytest.raises(AuthenticationError, match="falsch"):
        await services.users.authenticate("niemand", "egal12345")


@pytest.mark.asyncio
async def test_password_hashes_are_argon2(services: Services, db: Database) -> None:
    await services.users.add(ADMIN, "bernd", "Bernd B", Role.CLERK, "geheim123")
    async with db.read() as s:
        stored = (await s.execute(text("select password_hash from user_account"))).scalar()
    if db.target.is_sqlite:
        assert stored.startswith("$argon2id$") and "geheim123" not in stored
    else:
        # PostgreSQL keeps the password itself (a SCRAM verifier); the table holds nothing.
        assert stored is None


@pytest.mark.asyncio
async def test_only_administration_manages_users(services: Services) -> None:
    clerk = Actor(None, "x", Role.CLERK)
    with pytest.raises(PermissionDenied, match="Sachbearbeitung"):
        await services.users.add(clerk, "eve", "Eve", Role.ADMIN, "geheim123")


def test_permission_matrix_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert permissions_markdown() in readme
    # Data protection reads audit logs but no operational data.
    assert allowed(Role.DATA_PROTECTION, Permission.AUDIT_READ)
    assert not allowed(Role.DATA_PROTECTION, Permission.INCIDENT_READ)
    assert all(MATRIX[p] for p in Permission)


def test_timestamps_stored_in_utc(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from db.types import UTCDateTime

    t = UTCDateTime()
    berlin = datetime(2026, 7, 1, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    dialect = create_engine("sqlite://").dialect
    stored = t.process_bind_param(berlin, dialect)
    assert stored is not None and stored.hour == 12 and stored.tzinfo is None
    loaded = t.process_result_value(stored, dialect)
    assert loaded == berlin and loaded.utcoffset() == timedelta(0)
    with pytest.raises(ValueError):
        t.process_bind_param(datetime(2026, 7, 1, 14, 0), dialect)


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_migrations_build_exactly_the_models_schema(engine_kind: str, tmp_path: Path) -> None:
    name = None
    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'cmp.sqlite'}"
    else:
        name, raw = fresh_pg_database(None)
        url = raw.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = model_differences(conn)
        # The search index lives outside the ORM (FTS5 table / pg_trgm expression index).
        assert [d for d in diff if "incident_search" not in str(d)] == []
    finally:
        engine.dispose()
        if name:
            drop_pg_database(name)


def test_the_schema_check_reads_the_same_history_as_alembic() -> None:
    # The start reads the migration files itself (without loading Alembic); an upgrade goes
    # through Alembic. Both must see the same head and the same revisions.
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config, known_revisions

    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == script.get_current_head()
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}
