"""Unit management (units, call signs, crews) as the shift lead and administration do it.

People log in as themselves (on PostgreSQL with their own server login, so the server's rights
apply to every read and write); the scene is prepared through the services as an admin would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from app.domain.dto import IncidentDraft
from app.platform.changefeed import last_change_id
from app.platform.database import Database
from app.platform.errors import ConflictError, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.login import Session, log_in
from app.services.unit_admin import normalise_call_sign
from tests.conftest import ADMIN, service_actions
from tests.pg_logins import attempt, login

NAMES = {
    Role.SHIFT_LEAD: "lead",
    Role.ADMIN: "verwaltung",
    Role.DISPATCHER: "dispo",
    Role.CLERK: "clerk",
}
Login = Callable[[Role], Any]


@pytest_asyncio.fixture
async def person(services: Services) -> AsyncIterator[Login]:
    """Log a person of a role in as themselves; returns their session."""
    sessions: list[Session] = []

    async def make(role: Role) -> Session:
        name = NAMES[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws-lead")
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.close()


async def _officers(services: Services, *names: str) -> dict[str, int]:
    ids = {}
    for name in names:
        info = await services.users.add(ADMIN, name, name.title(), Role.FIELD_OFFICER, None)
        ids[name] = info.id
    return ids


def test_call_signs_are_stored_with_single_spaces() -> None:
    assert normalise_call_sign("  KOD   35 ") == "KOD 35"


@pytest.mark.asyncio
@pytest.mark.parametrize("role", [Role.SHIFT_LEAD, Role.ADMIN])
async def test_a_unit_is_created_renamed_taken_out_of_service_and_back(
    services: Services, db: Database, person: Login, role: Role
) -> None:
    me = await person(role)
    admin, actor = me.services.unit_admin, me.actor
    before_feed = await last_change_id(db)
    unit = await admin.create(actor, "  KOD   35 ", "Fußstreife")
    assert (unit.call_sign, unit.kind, unit.active, unit.status) == (
        "KOD 35",
        "Fußstreife",
        True,
        "2",
    )
    assert await last_change_id(db) > before_feed
    # The status board (dispatchers) sees the new unit.
    lead = Actor(None, "cli:x", Role.SHIFT_LEAD, "X")
    board = await services.units.board(lead)
    assert "KOD 35" in [u.call_sign for u in board]

    renamed = await admin.rename(actor, unit.id, "KOD 36", "Streife", unit.version)
    assert (renamed.call_sign, renamed.kind) == ("KOD 36", "Streife")
    assert renamed.version == unit.version + 1

    off = await admin.set_active(actor, unit.id, False, renamed.version)
    assert not off.active
    assert "KOD 36" not in [u.call_sign for u in await services.units.board(lead)]
    # Out of service, it is still listed for its management (never deleted), and comes back.
    listed = {u.call_sign: u for u in await admin.units(actor)}
    assert not listed["KOD 36"].active
    back = await admin.set_active(actor, unit.id, True, off.version)
    assert back.active
    assert "KOD 36" in [u.call_sign for u in await services.units.board(lead)]
    actions = service_actions(db, "unit")
    for action in ("unit.create", "unit.rename", "unit.deactivate", "unit.activate"):
        assert action in actions


@pytest.mark.asyncio
async def test_a_call_sign_is_unique_whatever_the_case_and_spacing(
    services: Services, person: Login
) -> None:
    me = await person(Role.SHIFT_LEAD)
    admin, actor = me.services.unit_admin, me.actor
    first = await admin.create(actor, "KOD 40")
    second = await admin.create(actor, "KOD 41")
    await admin.set_active(actor, first.id, False, first.version)
    for taken in ("KOD 40", "kod 40", "KOD40", " kod  40"):
        with pytest.raises(ValidationError) as created:
            await admin.create(actor, taken)
        assert "KOD 40" in str(created.value) and "vergeben" in str(created.value)
        with pytest.raises(ValidationError) as renamed:
            await admin.rename(actor, second.id, taken, "Streife", second.version)
        assert renamed.value.field == "call_sign"
    with pytest.raises(ValidationError) as empty:
        await admin.create(actor, "   ")
    assert "Funkrufnamen" in str(empty.value)
    with pytest.raises(ValidationError):
        await admin.create(actor, "K" * 33)
    # Renaming a unit to its own name in another spelling is no clash.
    same = await admin.rename(actor, second.id, "kod 41", "Streife", second.version)
    assert same.call_sign == "kod 41"


@pytest.mark.asyncio
async def test_a_stale_form_does_not_overwrite_a_newer_change(
    services: Services, person: Login
) -> None:
    me = await person(Role.SHIFT_LEAD)
    admin, actor = me.services.unit_admin, me.actor
    unit = await admin.create(actor, "KOD 50")
    await admin.rename(actor, unit.id, "KOD 51", "Streife", unit.version)
    with pytest.raises(ConflictError):
        await admin.rename(actor, unit.id, "KOD 52", "Streife", unit.version)
    assert (await admin.unit(actor, unit.id)).call_sign == "KOD 51"


@pytest.mark.asyncio
async def test_a_unit_in_use_cannot_be_taken_out_of_service(
    services: Services, person: Login, dispatcher: Actor
) -> None:
    me = await person(Role.SHIFT_LEAD)
    admin, actor = me.services.unit_admin, me.actor
    busy = await admin.create(actor, "KOD 60")
    alarm = await admin.create(actor, "KOD 61")
    incident = await services.incidents.create(dispatcher, IncidentDraft("noise", address="A 1"))
    await services.incidents.assign_unit(dispatcher, incident.id, busy.id)
    await services.units.raise_emergency(dispatcher, alarm.id)
    busy_now = await admin.unit(actor, busy.id)
    with pytest.raises(ValidationError) as on_incident:
        await admin.set_active(actor, busy.id, False, busy_now.version)
    assert "offenen Einsatz" in str(on_incident.value)
    alarm_now = await admin.unit(actor, alarm.id)
    with pytest.raises(ValidationError) as in_emergency:
        await admin.set_active(actor, alarm.id, False, alarm_now.version)
    assert "Notruf" in str(in_emergency.value)
    assert (await admin.unit(actor, busy.id)).active


@pytest.mark.asyncio
async def test_a_crew_is_set_a_person_moves_and_leaving_service_releases_the_crew(
    services: Services, db: Database, person: Login
) -> None:
    me = await person(Role.SHIFT_LEAD)
    admin, actor = me.services.unit_admin, me.actor
    people = await _officers(services, "anna.m", "ben.k", "cem.y")
    a = await admin.create(actor, "KOD 70")
    b = await admin.create(actor, "KOD 71")
    a = await admin.set_crew(actor, a.id, [people["anna.m"], people["ben.k"]], a.version)
    assert [m.username for m in a.crew] == ["anna.m", "ben.k"]  # a Doppelstreife
    lead = Actor(None, "cli:x", Role.SHIFT_LEAD, "X")
    board = {u.call_sign: u for u in await services.units.board(lead)}
    assert set(board["KOD 70"].members) == {"Anna.M", "Ben.K"}

    # Ben moves to KOD 71: he leaves KOD 70 at once.
    b = await admin.set_crew(actor, b.id, [people["ben.k"], people["cem.y"]], b.version)
    after = {u.call_sign: u for u in await admin.units(actor)}
    assert [m.username for m in after["KOD 70"].crew] == ["anna.m"]
    assert {m.username for m in after["KOD 71"].crew} == {"ben.k", "cem.y"}
    staff = {s.username: s for s in await admin.staff(actor)}
    assert staff["ben.k"].unit_call_sign == "KOD 71"
    # A form still showing KOD 70 with Ben is stale now (its crew changed).
    with pytest.raises(ConflictError):
        await admin.set_crew(actor, a.id, [], a.version)

    off = await admin.set_active(actor, b.id, False, after["KOD 71"].version)
    assert off.crew == ()
    staff = {s.username: s for s in await admin.staff(actor)}
    assert staff["cem.y"].unit_id is None
    with pytest.raises(ValidationError) as out_of_service:
        await admin.set_crew(actor, b.id, [people["cem.y"]], off.version)
    assert "außer Dienst" in str(out_of_service.value)
    # Only field staff serve on units.
    fresh = after["KOD 70"]
    with pytest.raises(ValidationError):
        await admin.set_crew(actor, fresh.id, [me.actor.user_id or 0], fresh.version)
    assert "unit.crew" in service_actions(db, "unit")


@pytest.mark.asyncio
@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.CLERK])
async def test_other_roles_may_not_manage_units(
    services: Services, db: Database, person: Login, role: Role
) -> None:
    lead = await person(Role.SHIFT_LEAD)
    unit = await lead.services.unit_admin.create(lead.actor, "KOD 80")
    other = await person(role)
    for attempt_ in (
        other.services.unit_admin.create(other.actor, "KOD 81"),
        other.services.unit_admin.rename(other.actor, unit.id, "KOD 82", "Streife", 1),
        other.services.unit_admin.set_active(other.actor, unit.id, False, 1),
        other.services.unit_admin.set_crew(other.actor, unit.id, [], 1),
        other.services.unit_admin.units(other.actor),
    ):
        with pytest.raises(PermissionDenied):
            await attempt_
    assert "permission.denied" in service_actions(db)
    assert (await lead.services.unit_admin.unit(lead.actor, unit.id)).call_sign == "KOD 80"


@pytest.mark.asyncio
async def test_the_server_refuses_unit_management_to_other_logins(
    pg_target: Any,
) -> None:
    db = Database(pg_target, workstation="rights")
    try:
        services = Services.create(db)
        for role, name in NAMES.items():
            await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        field = await _officers(services, "dora.f")
        lead = await log_in(pg_target, "lead", "geheim123")
        unit = await lead.services.unit_admin.create(lead.actor, "KOD 90")
        await lead.close()
    finally:
        await db.dispose()
    probes = (
        ("UPDATE unit SET call_sign = 'KOD 99' WHERE id = %(u)s", {"u": unit.id}),
        ("UPDATE unit SET active = false WHERE id = %(u)s", {"u": unit.id}),
        (
            "INSERT INTO unit_member (unit_id, user_id, since) VALUES (%(u)s, %(p)s, now())",
            {"u": unit.id, "p": field["dora.f"]},
        ),
    )
    for name, may in (("lead", True), ("verwaltung", True), ("dispo", False), ("clerk", False)):
        with login(pg_target, name) as conn:
            for sql, params in probes:
                done, why = attempt(conn, sql, params)
                assert done is may, f"{name}: {sql} {why}"
