"""Unit service on SQLite and PostgreSQL: board rows, status history, emergencies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.dto import IncidentDraft
from app.platform.errors import NotFound, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from db.models import AuditRecord
from db.models import Emergency as EmergencyRow

WIESDORF = (51.0325, 6.9870)
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)


async def _unit(services: Services, call_sign: str) -> int:
    return (await services.units.create(LEAD, call_sign, home=WIESDORF)).id


@pytest.mark.asyncio
async def test_rows_return_only_the_asked_active_units(
    services: Services, dispatcher: Actor
) -> None:
    a = await _unit(services, "KOD 11")
    b = await _unit(services, "KOD 12")
    rows = await services.units.rows(dispatcher, [b, 9999])
    assert [r.id for r in rows] == [b]
    assert await services.units.rows(dispatcher, []) == []
    assert {r.id for r in await services.units.rows(dispatcher, [a, b])} == {a, b}
    clerk = Actor(None, "cli:clerk", Role.CLERK)
    with pytest.raises(PermissionDenied):
        await services.units.rows(clerk, [a])


@pytest.mark.asyncio
async def test_history_names_user_and_incident_number(
    services: Services, dispatcher: Actor
) -> None:
    unit = await _unit(services, "KOD 21")
    inc = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Markt 1"))
    await services.incidents.assign_unit(dispatcher, inc.id, unit)
    await services.units.set_status(dispatcher, unit, "3")  # the unit confirms the alarm
    await services.units.set_status(dispatcher, unit, "5", note="Rückfrage")
    history = await services.units.history(dispatcher, unit)
    assert [h.status for h in history] == ["5", "3"]
    assert history[0].previous_status == "3" and history[0].username == dispatcher.username
    assert history[0].incident_number == inc.number and history[0].note == "Rückfrage"
    with pytest.raises(ValidationError):
        await services.units.set_status(dispatcher, unit, "9")


@pytest.mark.asyncio
async def test_a_reported_status_answers_the_unit_as_the_board_shows_it(
    services: Services, dispatcher: Actor
) -> None:
    """A field device's status change answers without reading the board row back: what it
    answers is what the board then shows (with an incident, released from it, unchanged)."""
    unit = await _unit(services, "KOD 41")
    inc = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Markt 1"))
    await services.incidents.assign_unit(dispatcher, inc.id, unit)
    numbers = []
    for status in ("3", "4", "4", "5", "1", "2", "2", "6"):
        echo = await services.units.report_status(dispatcher, unit, status)
        board = await services.units.get(dispatcher, unit)
        assert (echo.call_sign, echo.status, echo.status_changed_at) == (
            board.call_sign,
            board.status,
            board.status_changed_at,
        )
        assert (echo.lat, echo.lon, echo.position_at) == (board.lat, board.lon, board.position_at)
        assert echo.incident_number == board.incident_number
        numbers.append(echo.incident_number)
    assert numbers == [inc.number] * 4 + [None] * 4
    with pytest.raises(ValidationError):
        await services.units.report_status(dispatcher, unit, "9")


@pytest.mark.asyncio
async def test_emergency_carries_incident_and_acknowledgment_is_stored(
    services: Services, dispatcher: Actor
) -> None:
    unit = await _unit(services, "KOD 31")
    inc = await services.incidents.create(
        dispatcher, IncidentDraft("dog", address="Hauptstraße 5", lat=WIESDORF[0], lon=WIESDORF[1])
    )
    await services.incidents.assign_unit(dispatcher, inc.id, unit)
    raised = await services.units.raise_emergency(dispatcher, unit)
    assert raised.id is not None and raised.incident_number == inc.number
    assert raised.incident_address == "Hauptstraße 5" and raised.lat == pytest.approx(WIESDORF[0])
    # Pressing the key again while it is open does not raise a second alarm.
    again = await services.units.raise_emergency(dispatcher, unit)
    assert again.id == raised.id
    (open_one,) = await services.units.open_emergencies(dispatcher)
    assert open_one.id == raised.id and open_one.call_sign == "KOD 31"
    assert (await services.units.get(dispatcher, unit)).status == "N"
    assert (await services.units.history(dispatcher, unit))[0].incident_number == inc.number

    field_officer = Actor(None, "cli:field", Role.FIELD_OFFICER)
    with pytest.raises(PermissionDenied):
        await services.units.acknowledge_emergency(field_officer, unit)
    done = await services.units.acknowledge_emergency(dispatcher, unit)
    assert done.acknowledged_at is not None and done.acknowledged_by == dispatcher.username
    assert await services.units.open_emergencies(dispatcher) == []
    stored = await services.units.emergency(dispatcher, raised.id)
    assert stored.acknowledged_by == dispatcher.username
    assert stored.acknowledged_at == done.acknowledged_at
    # A second acknowledgment (another workstation was quicker) finds nothing open.
    with pytest.raises(NotFound):
        await services.units.acknowledge_emergency(dispatcher, unit)
    with pytest.raises(NotFound):
        await services.units.emergency(dispatcher, raised.id + 100)
    async with services.db.read() as s:
        actions = (
            await s.scalars(
                select(AuditRecord.action)
                .where(~AuditRecord.action.like("db.%"))
                .order_by(AuditRecord.id)
            )
        ).all()
        row = await s.get(EmergencyRow, raised.id)
    assert "emergency.raise" in actions and actions[-1] == "emergency.ack"
    assert row is not None and row.acknowledged_workstation == "test-ws"
