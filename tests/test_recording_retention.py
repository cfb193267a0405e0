"""Deletion of bodycam recordings at the end of day 14, holds by two people, the protocol.

The clock is simulated on SQLite (the service takes ``now``); on PostgreSQL the server decides
by its own clock, so there the recordings are dated back from today instead.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.domain.retention import HoldKind, deletion_due
from app.evidence.store import EvidenceStore
from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN
from app.platform.uow import Actor
from app.services import Services
from app.services.recording_holds import HoldService
from app.services.recording_marks import RecordingMarkService
from app.services.recording_retention import RetentionService
from app.services.recording_verify import VerifyService
from db.models import (
    Recording,
    RecordingDeletion,
    RecordingDeletionSnapshot,
    RecordingHold,
    RecordingKey,
    RecordingSnapshot,
)
from tests.conftest import ADMIN
from tests.evidence_files import evidence_config, files_under, import_clip, make_clips
from tests.pg_logins import PASSWORD
from tests.ui.waiting import wait_until

#: Recorded Sunday 6 December 2026, 10:15 in Leverkusen.
RECORDED = datetime(2026, 12, 6, 9, 15, tzinfo=UTC)
REASON = "Anzeige wegen Körperverletzung, Prüfung durch die StA"


def berlin_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BERLIN)


@pytest_asyncio.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    database = Database(sqlite_target(path), workstation="test-ws")
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), 4)


class People:
    def __init__(self, dispatcher: Actor, clerk: Actor, lead: Actor, lead2: Actor) -> None:
        self.dispatcher, self.clerk, self.lead, self.lead2 = dispatcher, clerk, lead, lead2


async def _people(services: Services) -> People:
    await services.users.add(ADMIN, "m.mueller", "Mia Müller", Role.FIELD_OFFICER, PASSWORD)
    made = []
    for name, role in (
        ("dispo", Role.DISPATCHER),
        ("sb1", Role.CLERK),
        ("sl1", Role.SHIFT_LEAD),
        ("sl2", Role.SHIFT_LEAD),
    ):
        await services.users.add(ADMIN, name, name.upper(), role, PASSWORD)
        made.append(await services.users.authenticate(name, PASSWORD))
    return People(*made)


def _rows(db: Database, model: type) -> list:  # type: ignore[type-arg]
    engine = db.sync_engine()
    try:
        with Session(engine) as s:
            return list(s.scalars(select(model)))
    finally:
        engine.dispose()


def test_the_deletion_date_is_the_end_of_day_14_local_time() -> None:
    # 6 December, 10:15 → deleted when 20 December ends (Berlin), i.e. 23:00 UTC in winter.
    assert deletion_due(RECORDED, 14) == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)
    # Just before midnight local time is still the same day.
    late = datetime(2026, 12, 6, 22, 59, tzinfo=UTC)
    assert deletion_due(late, 14) == berlin_midnight(date(2026, 12, 21))
    # Across the change to summer time the local midnight still counts.
    march = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
    assert deletion_due(march, 14) == datetime(2027, 4, 3, 22, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_day_13_kept_day_14_deleted_held_kept_on_a_simulated_clock(
    tmp_path: Path, clips: list[Path], sqlite_db: Database
) -> None:
    db = sqlite_db
    services = Services.create(db)
    people = await _people(services)
    store = EvidenceStore.open(evidence_config(tmp_path))
    plain = await import_clip(db, store, people.dispatcher, clips[0], RECORDED)
    held = await import_clip(db, store, people.dispatcher, clips[1], RECORDED)
    proposed = await import_clip(db, store, people.dispatcher, clips[2], RECORDED)
    holds = HoldService(db)
    hold = await holds.propose_hold(held, HoldKind.CRIME, "StA 123 Js 456/26", REASON, people.clerk)
    await holds.confirm_hold(people.lead, hold)
    await holds.propose_hold(proposed, "danger", None, "Gefahr weiterer Übergriffe", people.clerk)
    job = RetentionService(db, store.blobs)
    stored = {r.id: r.storage_key for r in _rows(db, Recording)}

    end_of_day_13 = berlin_midnight(date(2026, 12, 20))
    late_on_day_14 = berlin_midnight(date(2026, 12, 21)) - timedelta(seconds=1)
    end_of_day_14 = berlin_midnight(date(2026, 12, 21))
    assert (await job.run(ADMIN, now=end_of_day_13)).deleted == ()
    assert (await job.run(ADMIN, now=late_on_day_14)).deleted == ()
    upcoming = await job.upcoming(people.clerk, 1, now=end_of_day_13)
    assert [u.recording_id for u in upcoming] == [plain]  # the held ones are not listed
    assert upcoming[0].due_at == end_of_day_14

    result = await job.run(ADMIN, now=end_of_day_14)
    assert [d.recording_id for d in result.deleted] == [plain]
    assert result.files_removed == 1
    # Irreversible: the key is destroyed, the file removed, the row with its personal data gone.
    assert {r.id for r in _rows(db, Recording)} == {held, proposed}
    assert plain not in {k.recording_id for k in _rows(db, RecordingKey)}
    assert not store.blobs.exists(stored[plain])
    assert len(files_under(tmp_path / "store")) == 2
    # The protocol says what, when and why, and nothing about anyone.
    [entry] = _rows(db, RecordingDeletion)
    assert (entry.recording_id, entry.reason, entry.due_at) == (plain, "expired", end_of_day_14)
    assert entry.file_removed_at is not None
    assert _no_personal_data(entry)

    # Lifting the hold takes two people as well; then the next run deletes it.
    await holds.propose_release(people.lead, hold, "Verfahren eingestellt, Akte geschlossen")
    with pytest.raises(PermissionDenied, match="zwei"):
        await holds.confirm_release(people.lead, hold)
    with pytest.raises(PermissionDenied):
        await holds.confirm_release(people.clerk, hold)
    assert (await job.run(ADMIN, now=end_of_day_14)).deleted == ()
    await holds.confirm_release(people.lead2, hold)
    assert [d.recording_id for d in (await job.run(ADMIN, now=end_of_day_14)).deleted] == [held]
    actions = _actions(db)
    assert actions.count("recording.delete") == 2
    assert "recording.hold.confirm" in actions and "recording.hold.release" in actions


def _no_personal_data(entry: RecordingDeletion) -> bool:
    columns = [c.name for c in RecordingDeletion.__table__.columns]
    values = " ".join(str(getattr(entry, c)) for c in columns)
    return not any(
        word in values for word in ("m.mueller", "Müller", "Hauptstraße", "Bedrohung", "BC-1")
    )


def _actions(db: Database) -> list[str]:
    return [row[0] for row in _audit_rows(db)]


@pytest.mark.asyncio
async def test_retention_and_holds_on_both_databases(
    db: Database, services: Services, tmp_path: Path, clips: list[Path]
) -> None:
    """Dated back from today (the server's clock rules on PostgreSQL)."""
    people = await _people(services)
    store = EvidenceStore.open(evidence_config(tmp_path))
    today = datetime.now(BERLIN).date()

    def recorded(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(10), tzinfo=BERLIN)

    day_14_over = await import_clip(db, store, people.dispatcher, clips[0], recorded(15))
    day_14_running = await import_clip(db, store, people.dispatcher, clips[1], recorded(14))
    held = await import_clip(db, store, people.dispatcher, clips[2], recorded(20))
    holds = HoldService(db)
    with pytest.raises(ValidationError, match="Aktenzeichen"):
        await holds.propose_hold(held, HoldKind.OFFENCE, " ", REASON, people.clerk)
    with pytest.raises(PermissionDenied):
        await holds.propose_hold(
            held, HoldKind.OFFENCE, "OWi-2026-000001", REASON, people.dispatcher
        )
    hold = await holds.propose_hold(held, HoldKind.OFFENCE, "OWi-2026-000001", REASON, people.lead)
    # One person alone cannot set a hold: the proposer's own confirmation is refused.
    with pytest.raises(PermissionDenied, match="zwei"):
        await holds.confirm_hold(people.lead, hold)
    with pytest.raises(PermissionDenied):
        await holds.confirm_hold(people.clerk, hold)  # clerks propose, supervisors confirm
    await holds.confirm_hold(people.lead2, hold)
    [info] = await holds.holds(people.clerk, held)
    assert info.in_force and (info.proposed_by, info.confirmed_by) == ("sl1", "sl2")

    result = await RetentionService(db, store.blobs).run(ADMIN)
    assert [d.recording_id for d in result.deleted] == [day_14_over]
    assert {r.id for r in _rows(db, Recording)} == {day_14_running, held}
    assert day_14_over not in {k.recording_id for k in _rows(db, RecordingKey)}
    [entry] = _rows(db, RecordingDeletion)
    assert entry.reason == "expired" and entry.file_removed_at is not None
    assert _no_personal_data(entry)
    assert len(files_under(tmp_path / "store")) == 2
    [record] = [r for r in _audit_rows(db) if r[0] == "recording.delete"]
    assert record[1] == day_14_over and record[2] == "Fristablauf"
    assert set(json.loads(record[3])) == {"protocol", "sha256"}


def _audit_rows(db: Database) -> list[tuple[str, int | None, str | None, str]]:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT action, entity_id, reason, details FROM audit_log ORDER BY id")
            ).all()
            return [(str(r[0]), r[1], r[2], str(r[3])) for r in rows]
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_the_holds_table_refuses_one_person_even_written_directly(
    db: Database, services: Services, tmp_path: Path, clips: list[Path]
) -> None:
    people = await _people(services)
    store = EvidenceStore.open(evidence_config(tmp_path))
    rec = await import_clip(db, store, people.dispatcher, clips[3], RECORDED)
    hold = await HoldService(db).propose_hold(rec, "review_request", None, REASON, people.lead)
    engine = db.sync_engine()
    try:
        with pytest.raises(Exception, match="set_by_two_people"), engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE recording_hold SET confirmed_by_id = created_by_id, "
                    "confirmed_at = CURRENT_TIMESTAMP WHERE id = :h"
                ),
                {"h": hold},
            )
    finally:
        engine.dispose()
    assert _rows(db, RecordingHold)[0].confirmed_at is None


@pytest.mark.asyncio
async def test_the_workstation_hook_deletes_what_is_due(
    tmp_path: Path, clips: list[Path], sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from app.platform.maintenance import retention_loop

    services = Services.create(sqlite_db)
    people = await _people(services)
    config = evidence_config(tmp_path)
    monkeypatch.setenv("KOD_RECORDING_STORE", str(config.store_dir))
    store = EvidenceStore.open(config)
    old = datetime.now(UTC) - timedelta(days=30)
    rec = await import_clip(sqlite_db, store, people.dispatcher, clips[0], old)
    task = asyncio.create_task(retention_loop(services, interval_s=3600))
    try:
        # The row goes in the transaction, the file right after it.
        await wait_until(
            lambda: not _rows(sqlite_db, Recording) and not files_under(config.store_dir),
            timeout=10,
        )
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert _rows(sqlite_db, Recording) == []
    assert [e.recording_id for e in _rows(sqlite_db, RecordingDeletion)] == [rec]
    assert files_under(config.store_dir) == []


@pytest.mark.asyncio
async def test_data_protection_reads_who_accessed_clips_but_opens_none(
    db: Database, services: Services, tmp_path: Path, clips: list[Path]
) -> None:
    from app.services.recording_access import RecordingAccessService
    from app.services.recording_report import ClipAccessReport

    people = await _people(services)
    await services.users.add(ADMIN, "dsb", "Dana", Role.DATA_PROTECTION, PASSWORD)
    dsb = await services.users.authenticate("dsb", PASSWORD)
    store = EvidenceStore.open(evidence_config(tmp_path))
    rec = await import_clip(db, store, people.dispatcher, clips[0], RECORDED)
    access = RecordingAccessService(db, store)
    (await access.open(people.clerk, rec, "Sichtung für das Verfahren")).close()
    with pytest.raises(PermissionDenied):
        await access.open(dsb, rec, "Nur mal reinschauen bitte")
    report = ClipAccessReport(db)
    lines = await report.accesses(dsb, recording_id=rec)
    assert [
        (x.username, x.action_label, x.reason) for x in lines if x.action == "recording.open"
    ] == [("sb1", "Bodycam-Aufnahme geöffnet", "Sichtung für das Verfahren")]
    assert lines[0].action == "recording.import"
    with pytest.raises(PermissionDenied):
        await report.accesses(people.clerk)
    assert await report.deletions(dsb) == []


async def _snapshots(db: Database, store: EvidenceStore, actor: Actor, rec: int, n: int) -> None:
    marks = RecordingMarkService(db, lambda: store)
    for i in range(n):
        png = b"\x89PNG\r\n\x1a\n" + f"Standbild {rec}/{i}".encode() * 50
        await marks.snapshot(actor, rec, 400 * (i + 1), png, (160, 120), "Flasche in der Hand")


def _snapshot_keys(db: Database, rec: int) -> set[str]:
    return {s.storage_key for s in _rows(db, RecordingSnapshot) if s.recording_id == rec}


def _stored(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in files_under(root)}


@pytest.mark.asyncio
async def test_a_deleted_recordings_snapshots_go_with_it_on_a_simulated_clock(
    tmp_path: Path, clips: list[Path], sqlite_db: Database
) -> None:
    db = sqlite_db
    people = await _people(Services.create(db))
    store = EvidenceStore.open(evidence_config(tmp_path))
    plain = await import_clip(db, store, people.dispatcher, clips[0], RECORDED)
    held = await import_clip(db, store, people.dispatcher, clips[1], RECORDED)
    await _snapshots(db, store, people.dispatcher, plain, 2)
    await _snapshots(db, store, people.dispatcher, held, 1)
    holds = HoldService(db)
    hold = await holds.propose_hold(held, HoldKind.CRIME, "StA 123 Js 456/26", REASON, people.clerk)
    await holds.confirm_hold(people.lead, hold)
    gone, kept = _snapshot_keys(db, plain), _snapshot_keys(db, held)
    root = tmp_path / "store"
    assert len(gone) == 2 and gone | kept <= _stored(root)
    verify = VerifyService(db, store)
    before = await verify.verify_all(ADMIN)
    assert before.ok and before.strays == () and len(before.snapshot_checks) == 3
    job = RetentionService(db, store.blobs)

    # Day 13 over: nothing is due, every snapshot stays.
    assert (await job.run(ADMIN, now=berlin_midnight(date(2026, 12, 20)))).deleted == ()
    assert gone | kept <= _stored(root)
    # Day 14 over: the recording goes, and its snapshots with it (keys and files).
    result = await job.run(ADMIN, now=berlin_midnight(date(2026, 12, 21)))
    assert [d.recording_id for d in result.deleted] == [plain]
    assert (result.files_removed, result.snapshots_removed) == (1, 2)
    assert not gone & _stored(root)
    assert kept <= _stored(root)  # the held recording keeps its snapshot
    assert _snapshot_keys(db, plain) == set() and _snapshot_keys(db, held) == kept
    assert _rows(db, RecordingDeletionSnapshot) == []
    [entry] = _rows(db, RecordingDeletion)
    assert (entry.snapshot_files, entry.snapshot_files_removed) == (2, 2)
    assert _no_personal_data(entry)
    after = await verify.verify_all(ADMIN)
    assert after.ok and after.strays == ()
    assert [c.recording_id for c in after.checks] == [held]
    assert [c.storage_key for c in after.snapshot_checks] == sorted(kept)


@pytest.mark.asyncio
async def test_snapshots_go_with_their_recording_on_both_databases(
    db: Database, services: Services, tmp_path: Path, clips: list[Path]
) -> None:
    """Dated back from today (the server's clock rules on PostgreSQL)."""
    people = await _people(services)
    store = EvidenceStore.open(evidence_config(tmp_path))
    today = datetime.now(BERLIN).date()
    due = await import_clip(
        db,
        store,
        people.dispatcher,
        clips[0],
        datetime.combine(today - timedelta(days=15), time(10), tzinfo=BERLIN),
    )
    running = await import_clip(
        db,
        store,
        people.dispatcher,
        clips[1],
        datetime.combine(today - timedelta(days=14), time(10), tzinfo=BERLIN),
    )
    await _snapshots(db, store, people.dispatcher, due, 3)
    await _snapshots(db, store, people.dispatcher, running, 1)
    gone, kept = _snapshot_keys(db, due), _snapshot_keys(db, running)
    root = tmp_path / "store"

    result = await RetentionService(db, store.blobs).run(ADMIN)
    assert [d.recording_id for d in result.deleted] == [due]
    assert (result.files_removed, result.snapshots_removed) == (1, 3)
    assert not gone & _stored(root) and kept <= _stored(root)
    assert _snapshot_keys(db, due) == set() and _snapshot_keys(db, running) == kept
    assert _rows(db, RecordingDeletionSnapshot) == []
    [entry] = _rows(db, RecordingDeletion)
    assert (entry.snapshot_files, entry.snapshot_files_removed) == (3, 3)
    assert _no_personal_data(entry)
    report = await VerifyService(db, store).verify_all(ADMIN)
    assert report.ok and report.strays == () and len(report.snapshot_checks) == 1
