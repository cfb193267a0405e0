"""The workstation's recording services: lists with deletion dates, bookmarks, encrypted
snapshots, batches of files, the integrity check at opening, and a store that is not set up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.retention import deletion_due
from app.evidence.config import EvidenceConfig
from app.evidence.errors import TamperedError
from app.evidence.sealed import HEADER
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import ConfigError, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.services import Services
from app.services.recording_access import RecordingAccessService
from app.services.recording_batch import ImportBatch, Outcome, expand
from app.services.recordings import RecordingServices
from db.models import RecordingHold, RecordingSnapshot
from tests.conftest import ADMIN, service_actions
from tests.evidence_files import (
    GIVEN,
    SIDECAR,
    START,
    copy_clip,
    imported_scene,
    make_clip,
    officer_scene,
    write_sidecar,
)
from tests.pg_logins import PASSWORD, attempt, login

REASON = "Prüfung für OWi-Verfahren 2026/123"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


@pytest.mark.asyncio
async def test_lists_per_incident_and_officer_show_the_deletion_date_or_the_hold(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    video = copy_clip(clip, scene.inbox, "BC017_0815.mp4")
    write_sidecar(video, **SIDECAR)
    done = await scene.importer.import_file(dispatcher, video)
    lists = services.recordings.lists
    [row] = await lists.for_incident(dispatcher, scene.incident_id)
    assert row.id == done.id and row.officer_name == "Mia Müller"
    assert row.unit_call_sign == "KOD 12" and row.device_id == "BC-017"
    # Only proposed so far: listed with the incident, the link not yet confirmed.
    assert row.incident_number is None and row.proposed_incident_number == "E-2026-0815"
    # Deleted at the end of day 14 (Berlin time): 20.12.2026 24:00 for a clip of 06.12.2026.
    assert row.deletion_at == deletion_due(START, 14) and not row.held
    assert row.frame_ms == 40.0
    assert [r.id for r in await lists.for_officer(dispatcher, scene.officer_id)] == [done.id]
    assert await lists.for_officer(dispatcher, scene.officer_id + 99) == []
    assert [r.id for r in await lists.recent(dispatcher)] == [done.id]
    [officer] = await lists.officers(dispatcher)
    assert (officer.id, officer.name, officer.recordings) == (scene.officer_id, "Mia Müller", 1)
    await services.recordings.links.confirm_incident(dispatcher, done.id, scene.incident_id, 1)
    assert (await lists.get(dispatcher, done.id)).incident_number == "E-2026-0815"
    # A hold (set by the retention service) keeps it: no deletion date any more.
    engine = db.sync_engine()
    try:
        with Session(engine) as s, s.begin():
            s.add(
                RecordingHold(
                    recording_id=done.id,
                    reason="offence",
                    file_number="OWi 2026/123",
                    created_by_id=dispatcher.user_id,
                    created_at=START,
                )
            )
    finally:
        engine.dispose()
    held = await lists.get(dispatcher, done.id)
    assert held.held and held.deletion_at is None
    await services.users.add(ADMIN, "dsb", "Dana", Role.DATA_PROTECTION, "geheim123")
    dsb = await services.users.authenticate("dsb", "geheim123")
    with pytest.raises(PermissionDenied):
        await lists.recent(dsb)


@pytest.mark.asyncio
async def test_bookmarks_and_snapshots_are_kept_audited_and_encrypted(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
    marks = services.recordings.marks
    with pytest.raises(ValidationError, match="Notiz"):
        await marks.add_bookmark(dispatcher, recording_id, 500, "   ")
    second = await marks.add_bookmark(dispatcher, recording_id, 1500, "Flasche wird geworfen")
    first = await marks.add_bookmark(dispatcher, recording_id, 400, "Ansprache")
    assert [b.id for b in await marks.bookmarks(dispatcher, recording_id)] == [first.id, second.id]
    await marks.edit_bookmark(dispatcher, first.id, "Ansprache durch KOD 12")
    await marks.remove_bookmark(dispatcher, second.id)
    [kept] = await marks.bookmarks(dispatcher, recording_id)
    assert (kept.position_ms, kept.note) == (400, "Ansprache durch KOD 12")
    png = b"\x89PNG\r\n\x1a\n" + b"picture-bytes" * 100
    shot = await marks.snapshot(dispatcher, recording_id, 1200, png, (160, 120))
    assert (shot.position_ms, shot.width, shot.height) == (1200, 160, 120)
    # Sealed in the store: no PNG in clear there, and it decrypts to exactly the picture.
    engine = db.sync_engine()
    try:
        with Session(engine) as s:
            row = s.scalars(select(RecordingSnapshot)).one()
    finally:
        engine.dispose()
    blob = scene.config.store_dir.joinpath(*row.storage_key.split("/"))
    assert b"PNG" not in blob.read_bytes()
    reader = scene.store.reader(row.storage_key, row.wrapped_key, row.key_id)
    try:
        assert reader.read(0, len(png)) == png
    finally:
        reader.close()
    actions = service_actions(db, "recording")
    for action in (
        "recording.bookmark",
        "recording.bookmark_edit",
        "recording.bookmark_remove",
        "recording.snapshot",
    ):
        assert action in actions


@pytest.mark.asyncio
async def test_a_batch_imports_good_files_and_quarantines_bad_ones_with_german_messages(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    folder = scene.inbox / "Export"
    good = copy_clip(clip, folder, "gut.mp4")
    write_sidecar(good, **SIDECAR)
    data = clip.read_bytes()
    (folder / "halb.mp4").write_bytes(data[: len(data) // 2])
    (folder / "notiz.txt").write_text("Schichtnotiz, kein Video\n", encoding="utf-8")
    (folder / ".versteckt.mp4").write_bytes(data)
    files = expand([folder])
    assert [p.name for p in files] == ["gut.mp4", "halb.mp4", "notiz.txt"]
    batch = ImportBatch(scene.importer, dispatcher, files)
    heard: list[str] = []
    outcomes = await batch.run(lambda o: heard.append(o.path.name))
    assert heard == ["gut.mp4", "halb.mp4", "notiz.txt"] and batch.progress == 1.0
    assert [o.outcome for o in outcomes] == [
        Outcome.IMPORTED,
        Outcome.QUARANTINED,
        Outcome.QUARANTINED,
    ]
    assert "Aufnahme Nr." in outcomes[0].message and "E-2026-0815" in outcomes[0].message
    assert "unvollständig" in outcomes[1].message and "Quarantäneordner" in outcomes[1].message
    assert "kein Video" in outcomes[2].message
    # Cancelled before it started: the file stays where it is, nothing stored.
    again = copy_clip(clip, folder, "später.mp4")
    later = ImportBatch(scene.importer, dispatcher, [again], lambda _p: GIVEN)
    later.cancel()
    [cancelled] = await later.run()
    assert cancelled.outcome is Outcome.CANCELLED and "abgebrochen" in cancelled.message
    assert again.exists() and len(scene.recordings()) == 1


@pytest.mark.asyncio
async def test_a_changed_byte_fails_the_check_at_opening_and_is_audited(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
    access = RecordingAccessService(db, scene.store)
    opened = await access.open(dispatcher, recording_id, REASON)
    try:
        await access.check(dispatcher, opened)  # unchanged: passes
    finally:
        opened.close()
    [blob] = scene.stored_files()
    data = bytearray(blob.read_bytes())
    data[HEADER.size + 100] ^= 0x01
    blob.write_bytes(bytes(data))
    opened = await access.open(dispatcher, recording_id, REASON)
    try:
        with pytest.raises(TamperedError, match="Integritätsprüfung"):
            await access.check(dispatcher, opened)
    finally:
        opened.close()
    assert service_actions(db, "recording")[-1] == "recording.tampered"


@pytest.mark.asyncio
async def test_without_a_master_key_lists_work_and_opening_says_what_is_missing(
    db: Database, services: Services, tmp_path: Path
) -> None:
    config = EvidenceConfig(
        key_file=tmp_path / "fehlt" / "master.key",
        store_dir=tmp_path / "store",
        quarantine_dir=tmp_path / "quarantine",
    )
    recordings = RecordingServices(db, lambda: config)
    await services.users.add(ADMIN, "dispo", "Dora", Role.DISPATCHER, "geheim123")
    dispatcher = await services.users.authenticate("dispo", "geheim123")
    assert await recordings.lists.recent(dispatcher) == []
    for make in (recordings.importer, recordings.access):
        with pytest.raises(ConfigError) as caught:
            make()
        message = str(caught.value)
        assert "nicht genutzt werden" in message and "KOD_RECORDING_KEY_FILE" in message


def test_on_the_server_viewers_mark_clips_but_never_read_a_snapshot_key(
    pg_target: DatabaseTarget, tmp_path: Path, clip: Path
) -> None:
    import asyncio

    async def setup() -> tuple[int, int]:
        db = Database(pg_target, workstation="test-ws")
        try:
            services = Services.create(db)
            _scene, dispatcher, recording_id = await imported_scene(db, services, tmp_path, clip)
            shot = await services.recordings.marks.snapshot(
                dispatcher, recording_id, 100, b"\x89PNG-demo", (160, 120)
            )
            await services.users.add(ADMIN, "sb1", "Sven", Role.CLERK, PASSWORD)
            await services.users.add(ADMIN, "dsb", "Dana", Role.DATA_PROTECTION, PASSWORD)
            return recording_id, shot.id
        finally:
            await db.dispose()

    recording_id, _shot_id = asyncio.run(setup())
    mark = (
        "INSERT INTO recording_bookmark (recording_id, position_ms, note) "
        "VALUES (%(r)s, 5, 'x') RETURNING created_by_id"
    )
    with login(pg_target, "sb1") as conn:
        # Allowed, and the server names the author itself.
        done, why = attempt(conn, mark, {"r": recording_id})
        assert done, why
        done, why = attempt(conn, "SELECT created_by_id, note FROM recording_bookmark")
        assert why == "no rows", why
        done, why = attempt(conn, "SELECT sha256, position_ms FROM recording_snapshot")
        assert done, why
        done, why = attempt(conn, "SELECT wrapped_key FROM recording_snapshot")
        assert not done and why.startswith("42501"), why
    with login(pg_target, "dsb") as conn:
        done, why = attempt(conn, "SELECT note FROM recording_bookmark")
        assert not done and why.startswith("42501"), why
        done, why = attempt(conn, mark, {"r": recording_id})
        assert not done and why.startswith("42501"), why
