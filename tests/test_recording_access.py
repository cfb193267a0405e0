"""Opening a recording: a permitted role, a stated reason, an audit record; on PostgreSQL the
server alone releases the wrapped key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.evidence.sidecar import RecordingDetails
from app.evidence.store import EvidenceStore
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.errors import NotFound, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.services import Services
from app.services.recording_access import RecordingAccessService
from app.services.recording_import import RecordingImportService
from tests.conftest import ADMIN
from tests.evidence_files import START, copy_clip, evidence_config, make_clip, officer_scene
from tests.pg_logins import PASSWORD, attempt, login

REASON = "Prüfung für OWi-Verfahren 2026/123"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


async def _imported(
    db: Database, services: Services, root: Path, clip: Path
) -> tuple[EvidenceStore, int]:
    await services.users.add(ADMIN, "m.mueller", "Mia Müller", Role.FIELD_OFFICER, PASSWORD)
    await services.users.add(ADMIN, "dispo", "Dora Disponent", Role.DISPATCHER, PASSWORD)
    dispatcher = await services.users.authenticate("dispo", PASSWORD)
    store = EvidenceStore.open(evidence_config(root))
    video = copy_clip(clip, root / "inbox", "clip.mp4")
    details = RecordingDetails(
        officer="m.mueller", device="BC-1", started_at=START, reason="Bedrohung", announced=True
    )
    done = await RecordingImportService(db, store).import_file(dispatcher, video, details)
    return store, done.id


def _audit(db: Database, action: str) -> list[tuple[str, str | None, int | None]]:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT username, reason, entity_id FROM audit_log WHERE action = :a "
                    "ORDER BY id"
                ),
                {"a": action},
            ).all()
            return [(str(r[0]), r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_opening_needs_a_reason_and_a_role_and_is_audited(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    store, recording_id = await _imported(db, services, tmp_path, clip)
    access = RecordingAccessService(db, store)
    await services.users.add(ADMIN, "sb1", "Sven Sachbearbeiter", Role.CLERK, PASSWORD)
    await services.users.add(ADMIN, "dsb", "Dana Datenschutz", Role.DATA_PROTECTION, PASSWORD)
    clerk = await services.users.authenticate("sb1", PASSWORD)
    dsb = await services.users.authenticate("dsb", PASSWORD)
    with pytest.raises(ValidationError, match="Grund"):
        await access.open(clerk, recording_id, "  kurz ")
    with pytest.raises(PermissionDenied):
        await access.open(dsb, recording_id, REASON)
    with pytest.raises(NotFound):
        await access.open(clerk, recording_id + 100, REASON)
    opened = await access.open(clerk, recording_id, REASON)
    try:
        data = clip.read_bytes()
        assert opened.reader.read(1000, 4000) == data[1000:5000]
        assert opened.verify()
    finally:
        opened.close()
    assert _audit(db, "recording.open") == [("sb1", REASON, recording_id)]


def test_the_server_releases_keys_only_through_the_audited_function(
    pg_target: DatabaseTarget, tmp_path: Path, clip: Path
) -> None:
    import asyncio

    async def setup() -> int:
        db = Database(pg_target, workstation="test-ws")
        try:
            services = Services.create(db)
            _store, recording_id = await _imported(db, services, tmp_path, clip)
            await services.users.add(ADMIN, "sb1", "Sven", Role.CLERK, PASSWORD)
            await services.users.add(ADMIN, "dsb", "Dana", Role.DATA_PROTECTION, PASSWORD)
            return recording_id
        finally:
            await db.dispose()

    recording_id = asyncio.run(setup())
    release = "SELECT key_id FROM kod_recording_key(%(r)s, %(why)s)"
    for name in ("sb1", "dsb", "dispo", "m.mueller"):
        with login(pg_target, name) as conn:
            done, why = attempt(conn, "SELECT wrapped_key FROM recording_key")
            assert not done and why.startswith("42501"), (name, why)
            done, why = attempt(conn, release, {"r": recording_id, "why": "zu kurz"})
            assert not done, (name, why)
            done, why = attempt(conn, release, {"r": recording_id, "why": REASON})
            assert done == (name in ("sb1", "dispo")), (name, why)
    with login(pg_target, "sb1") as conn:
        conn.execute(release, {"r": recording_id, "why": REASON})
        conn.commit()
    owner = Database(pg_target, workstation="test-ws")
    try:
        assert _audit(owner, "recording.open") == [("sb1", REASON, recording_id)]
    finally:
        asyncio.run(owner.dispose())


@pytest.mark.asyncio
async def test_a_person_confirms_or_corrects_the_proposed_incident(
    db: Database, services: Services, tmp_path: Path, clip: Path
) -> None:
    from app.platform.errors import ConflictError
    from app.services.recording_links import RecordingLinkService

    scene, dispatcher = await officer_scene(db, services, tmp_path)
    video = copy_clip(clip, scene.inbox, "clip.mp4")
    details = RecordingDetails(
        officer="m.mueller", device="BC-1", started_at=START, reason="Bedrohung", announced=True
    )
    done = await scene.importer.import_file(dispatcher, video, details)
    assert done.proposed_incident_id == scene.incident_id
    links = RecordingLinkService(db)
    version = await links.confirm_incident(dispatcher, done.id, scene.incident_id, 1)
    with pytest.raises(ConflictError):
        await links.confirm_incident(dispatcher, done.id, None, 1)
    with pytest.raises(NotFound):
        await links.confirm_incident(dispatcher, done.id, scene.incident_id + 99, version)
    [rec] = scene.recordings()
    assert rec.incident_id == scene.incident_id and rec.version == version
    await services.users.add(ADMIN, "sb1", "Sven", Role.CLERK, PASSWORD)
    clerk = await services.users.authenticate("sb1", PASSWORD)
    with pytest.raises(PermissionDenied):
        await links.confirm_incident(clerk, done.id, None, version)
    assert _audit(db, "recording.link")[0][0] == "disponent1"
