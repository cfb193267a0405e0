"""What the PostgreSQL server itself refuses around recordings, whatever program a login uses:
one person alone cannot set or lift a hold, Datenschutz cannot open or export a clip, and only
the deletion function deletes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.domain.retention import HoldKind
from app.evidence.store import EvidenceStore
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from app.services.recording_holds import HoldService
from app.services.recording_report import ClipAccessReport
from tests.conftest import ADMIN
from tests.evidence_files import START, evidence_config, import_clip, make_clip, make_clips
from tests.pg_logins import PASSWORD, attempt, login

REASON = "Prüfung für OWi-Verfahren 2026/123"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), 1)


def test_the_server_refuses_one_person_holds_and_clips_for_data_protection(
    pg_target: DatabaseTarget, tmp_path: Path, clips: list[Path]
) -> None:
    async def setup() -> tuple[int, int]:
        db = Database(pg_target, workstation="test-ws")
        try:
            services = Services.create(db)
            await services.users.add(ADMIN, "m.mueller", "Mia", Role.FIELD_OFFICER, PASSWORD)
            for name, role in (
                ("dispo", Role.DISPATCHER),
                ("sl1", Role.SHIFT_LEAD),
                ("sl2", Role.SHIFT_LEAD),
                ("sb1", Role.CLERK),
                ("dsb", Role.DATA_PROTECTION),
            ):
                await services.users.add(ADMIN, name, name, role, PASSWORD)
            dispatcher = await services.users.authenticate("dispo", PASSWORD)
            store = EvidenceStore.open(evidence_config(tmp_path))
            rec = await import_clip(db, store, dispatcher, clips[0], START)
            return rec, 0
        finally:
            await db.dispose()

    rec, _ = asyncio.run(setup())
    propose = (
        "INSERT INTO recording_hold (recording_id, reason, file_number, note, created_by_id, "
        "created_at) VALUES (%(r)s, 'crime', 'StA 1 Js 2/26', 'Strafanzeige erstattet', 0, now()) "
        "RETURNING id"
    )
    with login(pg_target, "sl1") as conn:
        # The proposer is stamped by the server (the 0 sent is replaced by sl1's id).
        hold = conn.execute(propose, {"r": rec}).fetchone()[0]  # type: ignore[index]
        conn.commit()
        confirm = "SELECT kod_recording_hold_confirm(%(h)s)"
        # The same person: refused by the function, by the grants and by the table.
        done, why = attempt(conn, confirm, {"h": hold})
        assert not done and why.startswith("42501"), why
        done, why = attempt(
            conn,
            "UPDATE recording_hold SET confirmed_by_id = 1, confirmed_at = now() WHERE id = %(h)s",
            {"h": hold},
        )
        assert not done and why.startswith("42501"), why
        done, why = attempt(
            conn,
            propose.replace("created_at)", "created_at, confirmed_by_id)").replace(
                "now())", "now(), 1)"
            ),
            {"r": rec},
        )
        assert not done and why.startswith("42501"), why
        # Nobody deletes a recording or its key by hand.
        for sql in (
            "DELETE FROM recording_key",
            "DELETE FROM recording",
            "DELETE FROM recording_deletion",
        ):
            done, why = attempt(conn, sql)
            assert not done and why.startswith("42501"), (sql, why)
    with login(pg_target, "sb1") as conn:
        done, why = attempt(conn, confirm, {"h": hold})  # clerks propose, supervisors confirm
        assert not done and why.startswith("42501"), why
    with login(pg_target, "sl2") as conn:
        conn.execute(confirm, {"h": hold})
        conn.commit()
    # Lifting: proposed by sl2, refused to sl2 again, consented to by sl1.
    with login(pg_target, "sl2") as conn:
        conn.execute(
            "UPDATE recording_hold SET released_by_id = 0, release_requested_at = now(), "
            "release_note = 'Verfahren eingestellt' WHERE id = %(h)s",
            {"h": hold},
        )
        conn.commit()
        done, why = attempt(conn, "SELECT kod_recording_hold_release(%(h)s)", {"h": hold})
        assert not done and why.startswith("42501"), why
    with login(pg_target, "sl1") as conn:
        conn.execute("SELECT kod_recording_hold_release(%(h)s)", {"h": hold})
        conn.commit()
    # Datenschutz reads who accessed clips, but gets no key to watch or export one.
    with login(pg_target, "dsb") as conn:
        for sql in (
            "SELECT key_id FROM kod_recording_key(%(r)s, 'Datenschutzprüfung Zugriff')",
            "SELECT key_id FROM kod_recording_export_key(%(r)s, 'Datenschutzprüfung', 'DSB')",
            "SELECT wrapped_key FROM recording_key",
            "SELECT storage_key FROM recording",
        ):
            done, why = attempt(conn, sql, {"r": rec})
            assert not done and why.startswith("42501"), (sql, why)
    with login(pg_target, "sb1") as conn:
        conn.execute(
            "SELECT key_id FROM kod_recording_key(%(r)s, %(why)s)", {"r": rec, "why": REASON}
        )
        conn.commit()

    async def report() -> None:
        db = Database(pg_target, workstation="test-ws")
        try:
            services = Services.create(db)
            dsb = await services.users.authenticate("dsb", PASSWORD)
            lines = await ClipAccessReport(db).accesses(dsb, recording_id=rec)
            seen = [(x.username, x.action, x.reason) for x in lines]
            assert ("sb1", "recording.open", REASON) in seen
            assert [x.username for x in lines if x.action == "recording.hold.confirm"] == ["sl2"]
            assert [x.username for x in lines if x.action == "recording.hold.release"] == ["sl1"]
            [info] = await HoldService(db).holds(
                await services.users.authenticate("sb1", PASSWORD), rec
            )
            assert info.kind is HoldKind.CRIME
            assert (info.proposed_by, info.confirmed_by) == ("sl1", "sl2")
            assert (info.release_proposed_by, info.released_by) == ("sl2", "sl1")
        finally:
            await db.dispose()

    asyncio.run(report())


def test_any_login_runs_the_deletion_job_but_it_deletes_only_what_is_due(
    pg_target: DatabaseTarget, tmp_path: Path, clips: list[Path]
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    old_clip = make_clip(tmp_path / "old.mp4", seconds=1, tag="old")

    async def setup() -> tuple[int, int]:
        db = Database(pg_target, workstation="test-ws")
        try:
            services = Services.create(db)
            await services.users.add(ADMIN, "m.mueller", "Mia", Role.FIELD_OFFICER, PASSWORD)
            await services.users.add(ADMIN, "dispo", "Dora", Role.DISPATCHER, PASSWORD)
            await services.users.add(ADMIN, "dsb", "Dana", Role.DATA_PROTECTION, PASSWORD)
            dispatcher = await services.users.authenticate("dispo", PASSWORD)
            store = EvidenceStore.open(evidence_config(tmp_path))
            now = datetime.now(UTC)
            fresh = await import_clip(db, store, dispatcher, clips[0], now - timedelta(hours=1))
            due = await import_clip(db, store, dispatcher, old_clip, now - timedelta(days=20))
            return fresh, due
        finally:
            await db.dispose()

    fresh, due = asyncio.run(setup())
    with login(pg_target, "dsb") as conn:
        done, why = attempt(conn, "SELECT recording_id FROM kod_recording_verify_keys()")
        assert not done and why.startswith("42501"), why
        rows = conn.execute(
            "SELECT recording_id, protocol_id FROM kod_recording_expire(100)"
        ).fetchall()
        conn.commit()
        assert [r[0] for r in rows] == [due]
        # What is left of it: the protocol line, readable (without personal data) by Datenschutz.
        [(sha, reason)] = conn.execute(
            "SELECT sha256, reason FROM recording_deletion WHERE recording_id = %(r)s", {"r": due}
        ).fetchall()
        assert reason == "expired" and len(sha) == 64
    owner = Database(pg_target, workstation="test-ws")
    engine = owner.sync_engine()
    try:
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT recording_id FROM recording_key")).scalars().all()
            assert list(keys) == [fresh]
            assert (
                conn.execute(
                    text(
                        "SELECT count(*) FROM audit_log WHERE action = 'recording.delete' "
                        "AND username = 'dsb' AND reason = 'Fristablauf'"
                    )
                ).scalar()
                == 1
            )
    finally:
        engine.dispose()
        asyncio.run(owner.dispose())
