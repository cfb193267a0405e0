"""The reads of the deletion and hold pane, and an offence case taking a recording as evidence,
on both engines with people logged in as themselves (no Qt)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.offences.cases import CaseDraft, PersonDraft
from app.domain.offences.limitation import Culpability
from app.domain.retention import HoldKind
from app.platform.database import Database
from app.platform.errors import PermissionDenied
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import log_in
from app.services.recording_desk import HoldState
from app.services.recording_links import RecordingLinkService
from app.services.recording_report import accesses_csv
from resources.paths import resource_path
from tests.conftest import ADMIN
from tests.evidence_files import import_clip, make_clips, officer_scene

PASSWORD = "geheim123"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), 2)


@pytest.mark.asyncio
async def test_lists_name_officer_and_incident_and_a_case_proposes_an_owi_hold_with_its_number(
    db: Database, services: Services, tmp_path: Path, clips: list[Path]
) -> None:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    await services.catalogue.import_csv(
        ADMIN, resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    )
    for name, role in (
        ("sb1", Role.CLERK),
        ("dispo2", Role.DISPATCHER),
        ("dsb", Role.DATA_PROTECTION),
    ):
        await services.users.add(ADMIN, name, name, role, PASSWORD)
    when = utcnow() - timedelta(days=13)
    first = await import_clip(db, scene.store, dispatcher, clips[0], when)
    second = await import_clip(db, scene.store, dispatcher, clips[1], when + timedelta(minutes=1))
    await RecordingLinkService(db).confirm_incident(dispatcher, first, scene.incident_id, 1)
    clerk = await log_in(db.target, "sb1", PASSWORD, workstation="ws-sb1")
    dispo = await log_in(db.target, "dispo2", PASSWORD, workstation="ws-dispo")
    try:
        desk = clerk.services.recording_admin.desk
        rows = await desk.upcoming(clerk.actor, 3)
        assert [r.recording.id for r in rows] == [first, second]
        assert rows[0].recording.officer == "Mia Müller (m.mueller)"
        assert rows[0].recording.incident_number == "E-2026-0815"
        assert rows[1].recording.incident_number is None

        entry = (await services.catalogue.search(ADMIN, "141312"))[0].id
        draft = CaseDraft(
            catalogue_entry_id=entry,
            act_description="Beleidigung der Einsatzkraft",
            committed_at=when - timedelta(minutes=2),
            place="Hauptstraße 12, Wiesdorf",
            culpability=Culpability.INTENT,
            concerned=PersonDraft("Muster", "Max", date(1980, 5, 17), "Wiesdorfer Platz 1"),
        )
        case = await clerk.services.offences.capture(clerk.actor, draft)
        offered = await desk.for_case(clerk.actor, case.id)
        assert [r.id for r in offered] == [first, second]

        # A dispatcher records cases but may not hold recordings: nothing is written.
        own = await dispo.services.offences.capture(dispo.actor, draft)
        with pytest.raises(PermissionDenied):
            await dispo.services.offences.link_recording(dispo.actor, own.id, first)
        assert await dispo.services.offences.evidence(dispo.actor, own.id) == []

        item = await clerk.services.offences.link_recording(clerk.actor, case.id, first)
        assert item.kind == "recording" and item.recording_id == first
        holds = await desk.open_holds(clerk.actor)
        assert [(h.recording.id, h.kind, h.file_number, h.state) for h in holds] == [
            (first, HoldKind.OFFENCE, case.number, HoldState.PROPOSED)
        ]
        assert holds[0].proposed_by == "sb1" and holds[0].waiting_for() == clerk.actor.user_id
        # Held: no longer among the deletions coming up.
        assert [r.recording.id for r in await desk.upcoming(clerk.actor, 3)] == [second]
    finally:
        await clerk.close()
        await dispo.close()

    dsb = await log_in(db.target, "dsb", PASSWORD, workstation="ws-dsb")
    try:
        report = dsb.services.recording_admin.report
        accesses = await report.accesses(dsb.actor)
        text = accesses_csv(accesses)
        assert "recording.hold.propose" in text and "sb1" in text
        with pytest.raises(PermissionDenied):
            await dsb.services.recording_admin.desk.upcoming(dsb.actor, 3)
    finally:
        await dsb.close()
