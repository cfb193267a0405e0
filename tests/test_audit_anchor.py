"""The audit anchor: a head hash kept outside the database (shift report, another machine).

``audit verify --expect-head H`` must pass on a running system (records written after H are
fine) and fail once the log was rewritten from H on, or cut back, even if every hash was
recomputed so that the chain itself looks intact.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from app.platform.audit import GENESIS, record_hash
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN, tamper
from tests.test_cli import _url, run_admin


def _add_users(target: DatabaseTarget, names: list[str]) -> None:
    async def add() -> None:
        db = Database(target, workstation="anchor-test")
        try:
            services = Services.create(db)
            for name in names:
                await services.users.add(ADMIN, name, name.title(), Role.CLERK, "geheim123")
        finally:
            await db.dispose()

    asyncio.run(add())


def _aware(value: datetime | str) -> datetime:
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rewrite_from(target: DatabaseTarget, first_id: int) -> None:
    """Change the record ``first_id`` and recompute every hash from it on (a careful forger)."""
    engine = create_engine(target.sync_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT * FROM audit_log ORDER BY id")).mappings().all()
            prev = GENESIS
            for row in rows:
                if row["id"] < first_id:
                    prev = row["hash"]
                    continue
                username = "jemand-anders" if row["id"] == first_id else row["username"]
                new_hash = record_hash(
                    prev,
                    _aware(row["occurred_at"]),
                    row["user_id"],
                    username,
                    row["action"],
                    row["entity"],
                    row["entity_id"],
                    row["reason"],
                    row["recipient"],
                    row["details"],
                    row["workstation"],
                )
                tamper(
                    conn,
                    "UPDATE audit_log SET username = :u, prev_hash = :p, hash = :h WHERE id = :i",
                    {"u": username, "p": prev, "h": new_hash, "i": row["id"]},
                )
                prev = new_hash
    finally:
        engine.dispose()


def test_the_anchor_passes_after_further_writes_and_fails_after_a_rewrite(
    db_target: DatabaseTarget,
) -> None:
    url = _url(db_target)
    _add_users(db_target, ["anker1", "anker2"])
    head = run_admin("audit", "head", database=url)
    assert head.returncode == 0, head.stderr
    anchor = head.stdout.strip()
    _add_users(db_target, ["danach1", "danach2"])
    later = run_admin("audit", "verify", "--expect-head", anchor, database=url)
    assert later.returncode == 0 and "intakt" in later.stdout, later.stderr
    # A forger rewrites the anchored record and recomputes every hash after it.
    engine = create_engine(db_target.sync_url)
    with engine.connect() as conn:
        anchor_id = conn.execute(
            text("SELECT id FROM audit_log WHERE hash = :h"), {"h": anchor}
        ).scalar()
    engine.dispose()
    _rewrite_from(db_target, anchor_id)
    assert run_admin("audit", "verify", database=url).returncode == 0  # the chain alone looks fine
    caught = run_admin("audit", "verify", "--expect-head", anchor, database=url)
    assert caught.returncode == 10 and "Anker" in caught.stderr


def test_the_anchor_fails_after_the_log_was_emptied(db_target: DatabaseTarget) -> None:
    url = _url(db_target)
    _add_users(db_target, ["leer1"])
    anchor = run_admin("audit", "head", database=url).stdout.strip()
    engine = create_engine(db_target.sync_url)
    try:
        with engine.begin() as conn:
            if db_target.is_sqlite:
                conn.execute(text("DELETE FROM audit_log"))
            else:
                tamper(conn, "TRUNCATE audit_log")
    finally:
        engine.dispose()
    caught = run_admin("audit", "verify", "--expect-head", anchor, database=url)
    assert caught.returncode == 10 and "Anker" in caught.stderr


@pytest.mark.parametrize("db_target", ["postgresql"], indirect=True)
def test_even_the_owner_cannot_truncate_or_edit_the_log_without_switching_the_guard_off(
    db_target: DatabaseTarget,
) -> None:
    import sqlalchemy.exc

    _add_users(db_target, ["wache1"])
    engine = create_engine(db_target.sync_url)
    try:
        for sql in (
            "TRUNCATE audit_log",
            "UPDATE audit_log SET username = 'x'",
            "DELETE FROM audit_log",
        ):
            with (
                pytest.raises(sqlalchemy.exc.ProgrammingError, match="append-only"),
                engine.begin() as conn,
            ):
                conn.execute(text(sql))
    finally:
        engine.dispose()
