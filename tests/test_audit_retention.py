"""Audit log retention: expired records go, the chain stays verifiable, tampering is seen."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.platform import audit
from app.platform.audit import verify_connection
from app.platform.config import DatabaseTarget, parse_database_url
from app.platform.database import Database
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.maintenance import retention_loop
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from app.services import Services
from app.services.audit_log import maintenance_actor
from tests.conftest import ADMIN, service_actions, tamper
from tests.test_cli import _url, run_admin


async def _write_old(db: Database, days_ago: int, n: int) -> None:
    """Audit records as if written ``days_ago`` days ago (through the real append)."""
    async with db.write_session() as s:
        for k in range(n):
            await audit.append(
                s,
                occurred_at=utcnow() - timedelta(days=days_ago, minutes=n - k),
                user_id=None,
                username="cli:alt",
                action="user.add",
                details={"n": k},
            )


def _verify(db: Database, expect_head: str | None = None) -> audit.VerifyResult:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            return verify_connection(conn, expect_head)
    finally:
        engine.dispose()


def _actions(db: Database) -> list[str]:
    return service_actions(db)


@pytest.mark.asyncio
async def test_prune_removes_expired_records_and_the_chain_still_verifies(
    services: Services, db: Database
) -> None:
    await _write_old(db, 800, 4)
    await _write_old(db, 100, 2)  # within the 730 days
    await services.users.add(ADMIN, "neu", "Neu", Role.CLERK, "geheim123")
    assert _verify(db).ok
    dry = await services.audit_log.expired(ADMIN)
    assert dry.removed == 4 and len(_actions(db)) == 7  # a dry run changes nothing

    result = await services.audit_log.prune_expired(ADMIN)
    assert result.removed == 4
    actions = _actions(db)
    assert actions == ["user.add", "user.add", "user.add", audit.PRUNE_ACTION]
    verified = _verify(db)
    # PostgreSQL also keeps its own record of the new account row (db.insert).
    assert verified.ok and verified.checked == (4 if db.target.is_sqlite else 5)
    # Nothing left to remove: no second prune record.
    assert (await services.audit_log.prune_expired(ADMIN)).removed == 0
    assert len(_actions(db)) == 4
    # A shorter retention removes the rest too; the chain starts at the newest prune record.
    await services.settings.set(ADMIN, "audit.retention_days", 30)
    assert (await services.audit_log.prune_expired(ADMIN)).removed == 2
    assert _verify(db).ok


@pytest.mark.asyncio
async def test_removing_old_records_without_a_prune_is_seen(
    services: Services, db: Database
) -> None:
    await _write_old(db, 5, 3)
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            first = conn.execute(text("select min(id) from audit_log")).scalar()
            tamper(conn, "delete from audit_log where id = :i", {"i": first})
    finally:
        engine.dispose()
    broken = _verify(db)
    assert not broken.ok and broken.problem == "start" and broken.first_broken_id == first + 1
    # The command line says so in German and exits 10.
    url = _url(db.target)
    out = run_admin("audit", "verify", database=url)
    assert out.returncode == 10 and "ohne Löschprotokoll" in out.stderr, out.stderr


@pytest.mark.asyncio
async def test_only_administration_prunes_and_retention_has_a_floor(
    services: Services, dispatcher: Actor
) -> None:
    with pytest.raises(PermissionDenied):
        await services.audit_log.prune_expired(dispatcher)
    with pytest.raises(ValidationError, match="mindestens 30"):
        await services.settings.set(ADMIN, "audit.retention_days", 7)


@pytest.mark.asyncio
async def test_workstation_retention_loop_prunes_and_survives_a_missing_database(
    services: Services, db: Database
) -> None:
    await _write_old(db, 800, 2)
    # SQLite: the workstation prunes as itself. PostgreSQL: only under an administration login.
    task = asyncio.create_task(retention_loop(services, interval_s=3600, logged_in=ADMIN))
    try:
        for _ in range(200):
            if audit.PRUNE_ACTION in _actions(db):
                break
            await asyncio.sleep(0.05)
        assert _actions(db) == [audit.PRUNE_ACTION]
    finally:
        task.cancel()
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            who = conn.execute(
                text("select username from audit_log where action not like 'db.%'")
            ).scalar()
    finally:
        engine.dispose()
    expected = maintenance_actor(db.workstation) if db.target.is_sqlite else ADMIN
    assert who == expected.username
    # No server at all: the loop logs, waits and goes on instead of failing.
    gone = Database(parse_database_url("postgresql://kod:kod@127.0.0.1:9/nowhere"))
    errors: list[BaseException] = []
    lost = asyncio.create_task(
        retention_loop(
            Services.create(gone), interval_s=3600, report=errors.append, logged_in=ADMIN
        )
    )
    await asyncio.sleep(3)
    assert not lost.done() and errors == []
    lost.cancel()
    await gone.dispose()


def test_cli_prune_dry_run_and_prune(db_target: DatabaseTarget) -> None:
    url = _url(db_target)
    assert run_admin("db", "upgrade", database=url).returncode == 0
    dry = run_admin("audit", "prune", "--dry-run", database=url)
    assert dry.returncode == 0 and "würden gelöscht" in dry.stdout, dry.stderr
    done = run_admin("audit", "prune", database=url)
    assert done.returncode == 0 and "gelöscht" in done.stdout, done.stderr
    assert run_admin("audit", "verify", database=url).returncode == 0
