"""The field API end to end on a real SQLite file and a real PostgreSQL server: a device's
status reaches the unit board, positions, a Meldung with photos, an OWi capture with evidence,
the inbox and its acknowledgement, token rotation and revocation, every call audited."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import text

from app.domain.dto_work import TaskDraft
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN, service_actions
from tests.field_setup import api_client, jpeg, officer_with_device

pytestmark = pytest.mark.asyncio
LEAD = Actor(None, "cli:test", Role.SHIFT_LEAD, "Schichtleitung")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


async def test_status_from_device_reaches_the_unit_board(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    async with api_client(db_target) as client:
        answer = await client.post("/v1/status", json={"status": "3"}, headers=_auth(setup.token))
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "3"
        answer = await client.post("/v1/status", json={"status": "5"}, headers=_auth(setup.token))
        assert answer.json()["status"] == "5"
    board = {u.call_sign: u for u in await services.units.board(LEAD)}
    assert board["KOD 11"].status == "5"
    assert board["KOD 11"].device_seen_at is not None
    history = await services.units.history(LEAD, setup.unit_id)
    assert [h.status for h in history][:2] == ["5", "3"]
    assert "field.call" in service_actions(services.db)
    assert "unit.status" in service_actions(services.db)


async def test_notruf_and_positions(services: Services, db_target: DatabaseTarget) -> None:
    setup = await officer_with_device(services)
    async with api_client(db_target) as client:
        fixes = {"positions": [{"lat": 51.03, "lon": 6.98}, {"lat": 51.031, "lon": 6.982}]}
        answer = await client.post("/v1/positions", json=fixes, headers=_auth(setup.token))
        assert answer.json() == {"stored": 2}
        answer = await client.post("/v1/status", json={"status": "N"}, headers=_auth(setup.token))
        assert answer.status_code == 200, answer.text
    open_ones = await services.units.open_emergencies(LEAD)
    assert [e.call_sign for e in open_ones] == ["KOD 11"]
    unit = await services.units.get(LEAD, setup.unit_id)
    assert (unit.lat, unit.lon) == (51.031, 6.982)


async def test_meldung_with_photo_is_stored_re_encoded(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    async with api_client(db_target) as client:
        answer = await client.post(
            "/v1/reports",
            data={
                "subject": "Wilder Müll am Rhein",
                "text": "Sperrmüll",
                "lat": "51.03",
                "lon": "6.98",
            },
            files=[("photos", ("bild.jpg", jpeg(), "image/jpeg"))],
            headers=_auth(setup.token),
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["source"] == "field"
        assert answer.json()["photos"] == 1
    report = await services.reports.get(LEAD, answer.json()["id"])
    assert report.source == "field"
    (data,) = _rows(services.db, "select data from field_photo")[0]
    image = Image.open(io.BytesIO(bytes(data)))  # type: ignore[arg-type]
    exif = image.getexif()
    assert 0x010F not in exif  # the camera's make is gone
    assert exif[0x0132] == "2026:12:06 10:15:00"  # the time stays
    assert exif.get_ifd(0x8825)[1] == "N"  # and the position


async def test_offence_capture_with_evidence_photo(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    await services.catalogue.import_seed_if_empty(ADMIN)
    entry = (await services.catalogue.search(ADMIN, "Hund"))[0]
    async with api_client(db_target) as client:
        found = await client.get("/v1/catalogue", params={"q": "Hund"}, headers=_auth(setup.token))
        assert entry.id in [e["id"] for e in found.json()]
        answer = await client.post(
            "/v1/offences",
            data={
                "catalogue_entry_id": str(entry.id),
                "act_description": "Hund ohne Leine im Park",
                "committed_at": "2026-12-06T10:00:00+01:00",
                "place": "Stadtpark Wiesdorf",
                "last_name": "Muster",
                "first_name": "Max",
                "birth_date": "1980-01-01",
                "address": "Hauptstraße 1, 51373 Leverkusen",
            },
            files=[("photos", ("beweis.jpg", jpeg(), "image/jpeg"))],
            headers=_auth(setup.token),
        )
        assert answer.status_code == 201, answer.text
    rows = _rows(services.db, "select kind, storage_key from offence_evidence")
    assert rows and rows[0][0] == "photo"
    officer = _rows(
        services.db,
        "select u.username from offence_case c join user_account u on u.id = c.officer_id",
    )
    assert officer == [("streife1",)]


async def test_inbox_and_acknowledgement(services: Services, db_target: DatabaseTarget) -> None:
    setup = await officer_with_device(services)
    task = await services.tasks.create(
        LEAD, TaskDraft(title="Kiosk prüfen", assigned_unit_id=setup.unit_id)
    )
    async with api_client(db_target) as client:
        inbox = (await client.get("/v1/inbox", headers=_auth(setup.token))).json()
        assert [(i["kind"], i["id"]) for i in inbox["items"]] == [("task", task.id)]
        answer = await client.post(f"/v1/inbox/task/{task.id}/ack", headers=_auth(setup.token))
        assert answer.status_code == 200, answer.text
        again = await client.post(f"/v1/inbox/task/{task.id}/ack", headers=_auth(setup.token))
        assert again.json()["acknowledged_at"] == answer.json()["acknowledged_at"]


async def test_rotated_and_revoked_tokens(services: Services, db_target: DatabaseTarget) -> None:
    setup = await officer_with_device(services)
    async with api_client(db_target) as client:
        rotated = await client.post("/v1/device/token", headers=_auth(setup.token))
        new = rotated.json()["token"]
        assert (await client.get("/v1/device", headers=_auth(new))).status_code == 200
        # Once the new token was used, the old one is refused.
        old = await client.get("/v1/device", headers=_auth(setup.token))
        assert old.status_code == 401
        await services.field_devices.revoke(ADMIN, setup.device_id)
        refused = await client.post("/v1/status", json={"status": "2"}, headers=_auth(new))
        assert refused.status_code == 401
        assert "widerrufen" in refused.json()["error"]["message"]
    assert (await services.units.get(LEAD, setup.unit_id)).status == "2"  # never changed
    assert "field.refused" in service_actions(services.db)
    # The calls made before the revocation are audited although their records are written
    # after it (then in the API's name, naming the officer).
    calls = [
        json.loads(str(details))
        for (details,) in _rows(
            services.db, "SELECT details FROM audit_log WHERE action = 'field.call'"
        )
    ]
    assert {c["path"] for c in calls} >= {"/v1/device/token", "/v1/device"}


async def test_officer_no_longer_on_the_crew_is_refused(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)
    unit = await services.unit_admin.unit(ADMIN, setup.unit_id)
    await services.unit_admin.set_crew(ADMIN, setup.unit_id, [], unit.version)
    async with api_client(db_target) as client:
        answer = await client.post("/v1/status", json={"status": "6"}, headers=_auth(setup.token))
    assert answer.status_code == 401
    assert "Besatzung" in answer.json()["error"]["message"]
