"""Importing bodycam recordings on SQLite and PostgreSQL, with real clips, libvlc and files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.evidence.errors import (
    ImportCancelled,
    RejectedFile,
    SourceChanged,
    StorageError,
    TamperedError,
)
from app.evidence.quarantine import REASON_SUFFIX
from app.evidence.sidecar import RecordingDetails
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.recording_import import RecordingImportService
from db.models import RecordingKey
from tests.conftest import ADMIN, service_actions
from tests.evidence_files import (
    SIDECAR,
    START,
    copy_clip,
    make_clip,
    officer_scene,
    write_sidecar,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


@pytest.mark.asyncio
async def test_a_clip_is_imported_encrypted_verified_and_linked(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    video = copy_clip(clip, scene.inbox, "BC017_0815.mp4")
    write_sidecar(video, **SIDECAR)
    steps: list[tuple[int, int]] = []
    done = await scene.importer.import_file(
        dispatcher, video, progress=lambda d, t: steps.append((d, t))
    )
    size = clip.stat().st_size
    # One bar over both passes (sealing, then reading back), ending full.
    assert steps[-1] == (2 * size, 2 * size) and (size, 2 * size) in steps
    # The original and its sidecar left the import folder; only ciphertext is stored.
    assert list(scene.inbox.iterdir()) == []
    [blob] = scene.stored_files()
    assert b"ftyp" not in blob.read_bytes() and blob.stat().st_size > size
    [rec] = scene.recordings()
    assert rec.id == done.id and rec.sha256 == done.sha256 and rec.size_bytes == size
    assert (rec.officer_id, rec.unit_id, rec.device_id) == (
        scene.officer_id,
        scene.unit_id,
        "BC-017",
    )
    assert rec.started_at == START and rec.ended_at == START + timedelta(seconds=2)
    assert (rec.width, rec.height, rec.video_codec, rec.audio_codec) == (160, 120, "h264", "mp4a")
    assert (
        rec.frame_rate == 25.0 and rec.duration_ms is not None and abs(rec.duration_ms - 2000) < 100
    )
    assert (rec.lat, rec.lon, rec.location) == (51.0331, 6.9876, "Hauptstraße 12, Wiesdorf")
    assert rec.reason == SIDECAR["reason"] and rec.announced and not rec.inside_home
    assert rec.original_name == "BC017_0815.mp4"
    # Recorded 6 December (Berlin): deleted when 20 December ends, local time.
    assert rec.delete_after == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)
    # The incident is only proposed: a person confirms it later.
    assert rec.proposed_incident_id == scene.incident_id and rec.incident_id is None
    assert done.proposed_incident_number == "E-2026-0815"
    assert rec.imported_by_id == dispatcher.user_id
    assert service_actions(db, "recording") == ["recording.import"]
    # The stored copy opens with the wrapped key kept in the database and equals the original.
    engine = db.sync_engine()
    try:
        with Session(engine) as s:
            key = s.get_one(RecordingKey, rec.id)
    finally:
        engine.dispose()
    assert key.wrapped_key and key.key_id == scene.store.master.key_id
    reader = scene.store.reader(rec.storage_key, key.wrapped_key, key.key_id)
    try:
        original = clip.read_bytes()
        for offset, length in [(0, 64), (size // 3, 5000), (size - 10, 100)]:
            assert reader.read(offset, length) == original[offset : offset + length]
    finally:
        reader.close()


@pytest.mark.asyncio
async def test_bad_files_and_duplicates_go_to_quarantine_with_a_german_reason(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    given = RecordingDetails(
        officer="m.mueller", device="BC-017", started_at=START, reason="Bedrohung", announced=True
    )
    first = copy_clip(clip, scene.inbox, "erste.mp4")
    await scene.importer.import_file(dispatcher, first, given)
    data = clip.read_bytes()
    bad = {
        "leer.mp4": (b"", "empty", "ist leer"),
        "halb.mp4": (data[: len(data) // 2], "truncated", "unvollständig"),
        "notiz.mp4": (b"Schichtnotiz, kein Video\n", "not_video", "kein Video"),
        "nochmal.mp4": (data, "duplicate", "bereits importiert"),
    }
    for name, (content, reason, words) in bad.items():
        path = scene.inbox / name
        path.write_bytes(content)
        with pytest.raises(RejectedFile) as caught:
            await scene.importer.import_file(dispatcher, path, given)
        assert caught.value.reason == reason
        message = str(caught.value)
        assert words in message and name in message and "Quarantäneordner" in message
        moved = scene.config.quarantine_dir / name
        assert moved.read_bytes() == content, "nothing may be lost"
        assert words in moved.with_name(name + REASON_SUFFIX).read_text(encoding="utf-8")
        assert not path.exists()
    # Only the first clip is stored: nothing of the refused files stayed in the store.
    assert len(scene.stored_files()) == 1 and len(scene.recordings()) == 1
    actions = service_actions(db)
    assert actions.count("recording.quarantine") == 4 and actions.count("recording.import") == 1


@pytest.mark.asyncio
async def test_missing_details_or_a_cancel_leave_the_file_where_it_was(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    video = copy_clip(clip, scene.inbox, "ohne_angaben.mp4")
    with pytest.raises(ValidationError, match="Anlass der Aufnahme") as caught:
        await scene.importer.import_file(
            dispatcher,
            video,
            RecordingDetails(officer="m.mueller", device="BC-1", started_at=START),
        )
    assert "bleibt im Importordner" in str(caught.value)
    broken = write_sidecar(video, **SIDECAR)
    broken.write_text('{"officer": "m.mueller", ', encoding="utf-8")
    with pytest.raises(ValidationError, match="kein gültiges JSON"):
        await scene.importer.import_file(dispatcher, video)
    write_sidecar(video, **{**SIDECAR, "inside_home": True})
    with pytest.raises(ValidationError, match="Wohnung"):
        await scene.importer.import_file(dispatcher, video)
    write_sidecar(video, **SIDECAR)
    with pytest.raises(ImportCancelled, match="abgebrochen"):
        await scene.importer.import_file(dispatcher, video, cancelled=lambda: True)
    assert video.exists() and video.read_bytes() == clip.read_bytes()
    assert scene.stored_files() == [] and scene.recordings() == []
    assert not scene.config.quarantine_dir.exists()


@pytest.mark.asyncio
async def test_a_role_without_the_import_right_is_refused_before_anything_happens(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, _dispatcher = await officer_scene(db, services, tmp_path)
    await services.users.add(ADMIN, "sb1", "Sven Sachbearbeiter", Role.CLERK, "geheim123")
    clerk = await services.users.authenticate("sb1", "geheim123")
    video = copy_clip(clip, scene.inbox, "clip.mp4")
    write_sidecar(video, **SIDECAR)
    with pytest.raises(PermissionDenied):
        await scene.importer.import_file(clerk, video)
    assert video.exists() and scene.stored_files() == []
    assert "permission.denied" in service_actions(db)


@pytest.mark.asyncio
async def test_the_postgresql_server_refuses_a_clerk_login_whatever_the_program_thinks(
    pg_target: DatabaseTarget, tmp_path: Path, clip: Path
) -> None:
    owner = Database(pg_target, workstation="test-ws")
    try:
        services = Services.create(owner)
        scene, _dispatcher = await officer_scene(owner, services, tmp_path)
        clerk = await services.users.add(
            ADMIN, "sb1", "Sven Sachbearbeiter", Role.CLERK, "geheim123"
        )
    finally:
        await owner.dispose()
    clerk_db = Database(pg_target.with_login("sb1", "geheim123"), workstation="test-ws")
    try:
        # The program is tricked into thinking the clerk is a dispatcher: the server decides.
        forged = Actor(clerk.id, "sb1", Role.DISPATCHER, "Sven")
        importer = RecordingImportService(clerk_db, scene.store)
        video = copy_clip(clip, scene.inbox, "clip.mp4")
        # With the unit named, every read passes (a clerk may read recordings and incidents):
        # the server refuses the recording itself, after the file was sealed and verified.
        write_sidecar(video, **SIDECAR, unit="KOD 12")
        with pytest.raises(PermissionDenied) as caught:
            await importer.import_file(forged, video)
        assert "Datenbankserver" in str(caught.value) and "recording" in str(caught.value)
    finally:
        await clerk_db.dispose()
    assert video.exists() and scene.stored_files() == [] and scene.recordings() == []
    engine = owner.sync_engine()
    try:
        with engine.connect() as conn:
            grants = conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.role_table_grants "
                    "WHERE table_name = 'recording_key' AND privilege_type = 'SELECT' "
                    "AND grantee LIKE 'kod\\_%'"
                )
            ).scalar()
    finally:
        engine.dispose()
    assert grants == 0, "no login may read the wrapped data keys"


@pytest.mark.asyncio
async def test_a_file_still_growing_or_a_bad_read_back_keeps_the_original(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    video = copy_clip(clip, scene.inbox, "wird_kopiert.mp4")
    write_sidecar(video, **SIDECAR)
    size = clip.stat().st_size

    def still_copying(done: int, total: int) -> None:
        if done == size:  # the docking station appends while the import reads
            with video.open("ab") as fh:
                fh.write(b"\0" * 100)

    with pytest.raises(SourceChanged, match="noch kopiert"):
        await scene.importer.import_file(dispatcher, video, progress=still_copying)
    assert video.stat().st_size == size + 100 and scene.stored_files() == []

    video.write_bytes(clip.read_bytes())

    def disk_fault(done: int, total: int) -> None:
        if done == size:  # the sealed copy is complete but not yet in place: damage it
            [part] = scene.stored_files()
            data = bytearray(part.read_bytes())
            data[len(data) // 2] ^= 0xFF
            part.write_bytes(bytes(data))

    with pytest.raises(TamperedError, match="bleibt im Importordner"):
        await scene.importer.import_file(dispatcher, video, progress=disk_fault)
    assert video.read_bytes() == clip.read_bytes() and video.with_suffix(".json").exists()
    assert scene.stored_files() == [] and scene.recordings() == []
    assert service_actions(db, "recording") == []


@pytest.mark.asyncio
async def test_a_refused_file_stays_put_if_the_quarantine_cannot_take_it(
    db: Database, services: Services, tmp_path: Path
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    scene.config.quarantine_dir.write_text("kein Ordner", encoding="utf-8")
    empty = scene.inbox / "leer.mp4"
    empty.write_bytes(b"")
    with pytest.raises(StorageError, match="bleibt, wo sie ist") as caught:
        await scene.importer.import_file(dispatcher, empty)
    assert "ist leer" in str(caught.value)
    assert empty.exists()
