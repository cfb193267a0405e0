"""The Schichtbericht's contents for the shift lead, and how shifts are cut; on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, time
from typing import Any

import pytest
import pytest_asyncio

from app.domain.dto import IncidentDraft
from app.domain.dto_work import TaskDraft
from app.domain.shifts import (
    parse_starts,
    previous_shift,
    shift_at,
    shift_ending_now,
    shifts_of_day,
)
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN
from app.services import Services
from app.services.login import Session, log_in
from tests.conftest import ADMIN, service_actions

STARTS = (time(6), time(14), time(22))
Login = Callable[[Role], Any]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_half_past_eleven_at_night_belongs_to_the_night_shift_that_ends_at_six() -> None:
    shift = shift_at(berlin(2026, 12, 6, 23, 30), STARTS)
    assert (shift.start, shift.end) == (berlin(2026, 12, 6, 22), berlin(2026, 12, 7, 6))
    assert shift.label() == "06.12.2026 22:00–06:00"
    early = shift_at(berlin(2026, 12, 7, 5, 59), STARTS)
    assert early == shift
    assert shift_at(berlin(2026, 12, 7, 6, 0), STARTS).start == berlin(2026, 12, 7, 6)
    assert previous_shift(shift, STARTS).start == berlin(2026, 12, 6, 14)


def test_the_night_shift_into_the_end_of_summer_time_lasts_nine_hours() -> None:
    shift = shift_at(berlin(2026, 10, 25, 1, 0), STARTS)
    assert (shift.end - shift.start).total_seconds() == 9 * 3600


def test_shift_starts_are_checked_in_german() -> None:
    assert parse_starts(["22:00", "06:00", "14:00"]) == STARTS
    for bad in ([], ["6:00"], ["06:00", "06:00"], ["25:00"]):
        with pytest.raises(ValidationError, match="Schicht"):
            parse_starts(bad)


@pytest_asyncio.fixture
async def person(services: Services) -> AsyncIterator[Login]:
    """Logs a person of a role in (one per role and test), logged out afterwards."""
    sessions: list[Session] = []
    names = {
        Role.SHIFT_LEAD: "lead",
        Role.DISPATCHER: "dispo",
        Role.CLERK: "clerk",
        Role.FIELD_OFFICER: "field",
        Role.DATA_PROTECTION: "privacy",
        Role.ADMIN: "admin2",
    }

    async def make(role: Role) -> Session:
        name = names[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws")
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()


@pytest.mark.asyncio
async def test_the_shift_report_counts_what_happened_and_anchors_the_audit_chain(
    services: Services, person: Login
) -> None:
    lead, dispo = await person(Role.SHIFT_LEAD), await person(Role.DISPATCHER)
    anna = await services.users.add(ADMIN, "anna.m", "Anna Meier", Role.FIELD_OFFICER, None)
    unit = await lead.services.unit_admin.create(lead.actor, "KOD 11")
    await lead.services.unit_admin.set_crew(lead.actor, unit.id, [anna.id], unit.version)
    made = []
    for category, priority, street in (
        ("noise", 2, "Hauptstraße 1"),
        ("noise", 2, "Hauptstraße 2"),
        ("assault_staff", 1, "Kölner Straße 9"),
        ("parking", 3, "Rathenaustraße 4"),
    ):
        made.append(
            await dispo.services.incidents.create(
                dispo.actor, IncidentDraft(category, priority=priority, address=street)
            )
        )
    await dispo.services.incidents.assign_unit(dispo.actor, made[2].id, unit.id)
    await dispo.services.units.raise_emergency(dispo.actor, unit.id)
    await dispo.services.tasks.create(dispo.actor, TaskDraft("Spielplatz kontrollieren"))

    reports = lead.services.shift_reports
    shift = await reports.current_shift(lead.actor)
    report = await reports.build(lead.actor, shift)
    assert report.incidents == 4
    assert report.by_category[0] == ("Lärm", 2)
    assert [i.number for i in report.assaults] == [made[2].number]
    assert [i.number for i in report.notable] == [made[2].number]
    assert [(e.call_sign, e.acknowledged_at) for e in report.emergencies] == [("KOD 11", None)]
    assert [(u.call_sign, u.crew, u.incidents) for u in report.units] == [
        ("KOD 11", ("Anna Meier",), 1)
    ]
    assert {i.number for i in report.open_incidents} == {m.number for m in made}
    assert [t[1] for t in report.open_tasks] == ["Spielplatz kontrollieren"]
    assert report.audit_head and report.audit_head == await services.audit_log.head()
    assert report.made_by == "Lead"
    with pytest.raises(PermissionDenied):
        await dispo.services.shift_reports.build(dispo.actor, shift)


@pytest.mark.asyncio
async def test_the_incident_report_has_the_journal_unit_times_and_linked_cases(
    services: Services, person: Login
) -> None:
    lead, dispo = await person(Role.SHIFT_LEAD), await person(Role.DISPATCHER)
    unit = await lead.services.unit_admin.create(lead.actor, "KOD 12")
    incident = await dispo.services.incidents.create(
        dispo.actor, IncidentDraft("noise", priority=2, address="Hauptstraße 1")
    )
    incidents = dispo.services.incidents
    await incidents.assign_unit(dispo.actor, incident.id, unit.id)
    await incidents.confirm_unit(dispo.actor, incident.id, unit.id)
    await incidents.unit_arrived(dispo.actor, incident.id, unit.id)
    await incidents.add_note(dispo.actor, incident.id, "Musik leiser gestellt.")
    report = await lead.services.incident_reports.build(lead.actor, incident.id)
    assert report.incident.number == incident.number
    assert [(s.call_sign, s.status) for s in report.status_steps][-2:] == [
        ("KOD 12", "3"),
        ("KOD 12", "4"),
    ]
    assert any("Musik leiser" in line.text for line in report.incident.journal)
    assert report.offence_cases == ()  # the shift lead may see cases: none linked
    assert report.recordings == 0
    assert "incident.report" in service_actions(services.db, "incident")
    with pytest.raises(PermissionDenied):  # it names people: the shift lead's to print
        await dispo.services.incident_reports.build(dispo.actor, incident.id)


def test_the_shift_ending_now_is_the_nearer_change_of_shift() -> None:
    assert shift_ending_now(berlin(2026, 12, 6, 13, 30), STARTS).start == berlin(2026, 12, 6, 6)
    # Twenty minutes into the late shift, the report is about the early shift just ended.
    assert shift_ending_now(berlin(2026, 12, 6, 14, 20), STARTS).start == berlin(2026, 12, 6, 6)
    assert shift_ending_now(berlin(2026, 12, 7, 3, 0), STARTS).start == berlin(2026, 12, 6, 22)
    day = shifts_of_day(berlin(2026, 12, 6, 0, 0).date(), STARTS)
    assert [s.label() for s in day] == [
        "06.12.2026 06:00–14:00",
        "06.12.2026 14:00–22:00",
        "06.12.2026 22:00–06:00",
    ]
