"""One unit status, the same everywhere: alarm and confirmation, status moves from the board,
Notruf in the incident, and undoing the last status change (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.domain.dto import IncidentDraft
from app.platform.errors import ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from db.migrate import downgrade, upgrade
from tests.conftest import ADMIN, drop_pg_database, fresh_pg_database, service_actions

WIESDORF = (51.0325, 6.9870)
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)


async def _unit(services: Services, call_sign: str) -> int:
    return (await services.units.create(LEAD, call_sign, home=WIESDORF)).id


async def _incident(services: Services, actor: Actor, address: str = "Markt 1") -> int:
    return (await services.incidents.create(actor, IncidentDraft("noise", address=address))).id


@pytest.mark.asyncio
async def test_assigning_alarms_the_unit_and_its_confirmation_is_status_3(
    services: Services, dispatcher: Actor
) -> None:
    unit = await _unit(services, "KOD 11")
    inc = await _incident(services, dispatcher)
    detail = await services.incidents.assign_unit(dispatcher, inc, unit)
    (a,) = detail.active_assignments
    # Alarmed, not yet "Einsatz übernommen": the unit keeps its status until it confirms.
    assert a.status == "2" and a.confirmed_at is None
    assert a.confirm_due_at == a.assigned_at + timedelta(seconds=120)
    info = await services.units.get(dispatcher, unit)
    assert info.status == "2" and info.incident_id == inc
    assert info.alarmed_at == a.assigned_at and info.confirm_due_at == a.confirm_due_at
    assert [h.status for h in await services.units.history(dispatcher, unit)] == []

    detail = await services.incidents.confirm_unit(dispatcher, inc, unit)
    (a,) = detail.active_assignments
    assert a.status == "3" and a.confirmed_at is not None and a.confirm_due_at is None
    info = await services.units.get(dispatcher, unit)
    assert info.status == "3" and info.alarmed_at is None
    assert "KOD 11" in detail.journal[-1].text
    assert "incident.confirm" in service_actions(services.db, "incident")


@pytest.mark.asyncio
async def test_the_confirmation_time_is_a_setting(services: Services, dispatcher: Actor) -> None:
    await services.settings.set(ADMIN, "dispatch.confirm_timeout_s", 300)
    unit = await _unit(services, "KOD 12")
    inc = await _incident(services, dispatcher)
    (a,) = (await services.incidents.assign_unit(dispatcher, inc, unit)).active_assignments
    assert a.confirm_due_at == a.assigned_at + timedelta(seconds=300)
    # A status 3 from the board is the same confirmation.
    await services.units.set_status(dispatcher, unit, "3")
    (a,) = (await services.incidents.get(dispatcher, inc)).active_assignments
    assert a.confirmed_at is not None and a.status == "3"


@pytest.mark.asyncio
async def test_a_status_set_on_the_board_is_the_status_of_the_incident(
    services: Services, dispatcher: Actor
) -> None:
    unit = await _unit(services, "KOD 13")
    inc = await _incident(services, dispatcher)
    await services.incidents.assign_unit(dispatcher, inc, unit)
    await services.units.set_status(dispatcher, unit, "4")
    detail = await services.incidents.get(dispatcher, inc)
    (a,) = detail.active_assignments
    assert a.status == "4" and a.on_scene_at is not None and a.confirmed_at is not None
    assert detail.status == "on_scene" and detail.on_scene_at is not None
    # 2 on the board means the unit is back at the station: it is no longer on the incident.
    await services.units.set_status(dispatcher, unit, "2")
    detail = await services.incidents.get(dispatcher, inc)
    assert detail.active_assignments == ()
    assert detail.assignments[0].released_at is not None
    info = await services.units.get(dispatcher, unit)
    assert info.status == "2" and info.incident_id is None
    assert "KOD 13" in detail.journal[-1].text and "2" in detail.journal[-1].text
    # And the other way round: "on scene" in the incident is status 4 on the board.
    await services.incidents.assign_unit(dispatcher, inc, unit)
    await services.incidents.unit_arrived(dispatcher, inc, unit)
    assert (await services.units.get(dispatcher, unit)).status == "4"


@pytest.mark.asyncio
async def test_a_notruf_is_in_the_incident_journal_and_marks_its_queue_row(
    services: Services, dispatcher: Actor
) -> None:
    unit = await _unit(services, "KOD 14")
    inc = await _incident(services, dispatcher)
    quiet = await _incident(services, dispatcher, "Weg 2")
    await services.incidents.assign_unit(dispatcher, inc, unit)
    await services.units.raise_emergency(dispatcher, unit)
    detail = await services.incidents.get(dispatcher, inc)
    assert "KOD 14" in detail.journal[-1].text and "NOTRUF" in detail.journal[-1].text.upper()
    (a,) = detail.active_assignments
    assert a.status == "N"
    rows = {r.id: r for r in await services.incidents.rows(dispatcher, [inc, quiet])}
    assert rows[inc].emergency and not rows[quiet].emergency
    await services.units.acknowledge_emergency(dispatcher, unit)
    await services.units.set_status(dispatcher, unit, "4")
    assert not (await services.incidents.rows(dispatcher, [inc]))[0].emergency


@pytest.mark.asyncio
async def test_the_last_status_change_can_be_undone(services: Services, dispatcher: Actor) -> None:
    unit = await _unit(services, "KOD 15")
    inc = await _incident(services, dispatcher)
    await services.incidents.assign_unit(dispatcher, inc, unit)
    await services.units.set_status(dispatcher, unit, "4")
    await services.units.set_status(dispatcher, unit, "2")  # took it off the incident
    info = await services.units.undo_status(dispatcher, unit, expected="2")
    assert info.status == "4" and info.incident_id == inc
    detail = await services.incidents.get(dispatcher, inc)
    (a,) = detail.active_assignments
    assert a.status == "4"
    assert "KOD 15" in detail.journal[-1].text
    assert "unit.status_undo" in service_actions(services.db, "unit")
    # Only the change the user saw can be undone: the status moved on meanwhile.
    with pytest.raises(ValidationError):
        await services.units.undo_status(dispatcher, unit, expected="2")
    # Undoing a confirmation alarms the unit again (it keeps the incident).
    other = await _unit(services, "KOD 16")
    await services.incidents.assign_unit(dispatcher, inc, other)
    await services.units.set_status(dispatcher, other, "3")
    info = await services.units.undo_status(dispatcher, other, expected="3")
    assert info.status == "2" and info.incident_id == inc and info.alarmed_at is not None


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgresql"])
def test_assignments_made_before_the_migration_count_as_confirmed(
    engine_kind: str, tmp_path: Path
) -> None:
    # Before, assigning set status 3 at once: those assignments were confirmed when made.
    name = None
    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    else:
        name, raw = fresh_pg_database(None)
        url = raw.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO unit (id, call_sign, kind, status, status_changed_at, active, "
                    "version) VALUES (1, 'KOD 1', 'Streife', '3', :t, true, 1)"
                ),
                {"t": datetime(2026, 12, 1, 8, 0, tzinfo=UTC)},
            )
            conn.execute(
                text(
                    "INSERT INTO incident (id, number, category, priority, status, address, "
                    "description, created_at, updated_at, version) VALUES (1, 'E-1', 'noise', 2, "
                    "'dispatched', 'Markt 1', '', :t, :t, 1)"
                ),
                {"t": datetime(2026, 12, 1, 8, 0, tzinfo=UTC)},
            )
            conn.execute(
                text(
                    "INSERT INTO incident_unit (incident_id, unit_id, assigned_at) "
                    "VALUES (1, 1, :t)"
                ),
                {"t": datetime(2026, 12, 1, 8, 1, tzinfo=UTC)},
            )
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT assigned_at, confirmed_at FROM incident_unit")).one()
        assert row[1] is not None and row[0] == row[1]
        downgrade(engine, "0005")
        upgrade(engine)
    finally:
        engine.dispose()
        if name:
            drop_pg_database(name)
