"""Incident service on SQLite and PostgreSQL: create, edit, conflicts, units, closing."""

from __future__ import annotations

import pytest

from app.domain.codes import JOURNAL_NOTE, JOURNAL_NOTE_AFTER_CLOSE, JOURNAL_NOTE_KINDS
from app.domain.dto import IncidentDraft, IncidentQuery
from app.platform.errors import ConflictError, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.incidents import UnitUnavailable
from tests.conftest import ADMIN

WIESDORF = (51.0325, 6.9870)


async def _unit(services: Services, call_sign: str, pos: tuple[float, float]) -> int:
    lead = Actor(None, "cli:lead", Role.SHIFT_LEAD)
    return (await services.units.create(lead, call_sign, home=pos)).id


@pytest.mark.asyncio
async def test_create_sets_number_default_priority_stadtteil_and_journal(
    services: Services, dispatcher: Actor
) -> None:
    inc = await services.incidents.create(
        dispatcher,
        IncidentDraft(
            category="noise",
            address="Hauptstraße 1",
            lat=WIESDORF[0],
            lon=WIESDORF[1],
            caller_name="Erika Muster",
            description="Laute Musik",
        ),
    )
    assert inc.number.startswith("E-") and inc.number.endswith("000001")
    assert inc.priority == 2
    assert inc.status == "new"
    assert inc.stadtteil == "Wiesdorf"
    assert inc.journal[0].kind == "created" and "Lärm" in inc.journal[0].text
    second = await services.incidents.create(
        dispatcher, IncidentDraft(category="assault_staff", address="Markt 2")
    )
    assert second.number.endswith("000002") and second.priority == 1


@pytest.mark.asyncio
async def test_stale_update_is_refused_and_nothing_overwritten(
    services: Services, dispatcher: Actor
) -> None:
    inc = await services.incidents.create(dispatcher, IncidentDraft("noise", address="A-Str. 1"))
    first = await services.incidents.update(dispatcher, inc.id, inc.version, {"priority": 1})
    with pytest.raises(ConflictError) as err:
        await services.incidents.update(dispatcher, inc.id, inc.version, {"description": "alt"})
    assert err.value.current.priority == 1
    assert "überschrieben" in str(err.value)
    now = await services.incidents.get(dispatcher, inc.id)
    assert now.description == "" and now.version == first.version
    assert any("Priorität" in line.text for line in now.journal)


@pytest.mark.asyncio
async def test_assign_arrive_release_close_reopen(services: Services, dispatcher: Actor) -> None:
    near = await _unit(services, "KOD 11", (51.033, 6.988))
    far = await _unit(services, "KOD 31", (51.06, 7.05))
    inc = await services.incidents.create(
        dispatcher, IncidentDraft("dog", address="Rathenauplatz", lat=WIESDORF[0], lon=WIESDORF[1])
    )
    proposals = await services.units.proposals(dispatcher, inc.id)
    assert [p.unit.id for p in proposals[:2]] == [near, far]
    inc = await services.incidents.assign_unit(dispatcher, inc.id, near)
    assert inc.status == "dispatched" and inc.dispatched_at is not None
    # Alarmed: the unit keeps its status until it confirms (3) or arrives (4).
    assert (await services.units.get(dispatcher, near)).status == "2"
    # The committed unit is now proposed after the free one and is not available.
    proposals = await services.units.proposals(dispatcher, inc.id)
    assert proposals[0].unit.id == far and not proposals[1].available
    inc = await services.incidents.unit_arrived(dispatcher, inc.id, near)
    assert inc.status == "on_scene" and (await services.units.get(dispatcher, near)).status == "4"
    inc = await services.incidents.release_unit(dispatcher, inc.id, near, "2")
    assert (await services.units.get(dispatcher, near)).status == "2"
    inc = await services.incidents.close(dispatcher, inc.id, inc.version, "resolved", "ok")
    assert inc.status == "closed" and inc.closed_at is not None
    inc = await services.incidents.reopen(dispatcher, inc.id, inc.version, "Anrufer meldet erneut")
    assert inc.status == "new" and inc.closed_at is None
    kinds = [j.kind for j in inc.journal]
    assert kinds.count("unit") == 3 and "closed" in kinds and kinds[-1] == "reopened"
    history = await services.units.history(dispatcher, near)
    assert [h.status for h in history][:2] == ["2", "4"]


@pytest.mark.asyncio
async def test_unavailable_unit_warns_or_is_refused(services: Services, dispatcher: Actor) -> None:
    unit = await _unit(services, "KOD 12", WIESDORF)
    await services.units.set_status(dispatcher, unit, "6")
    inc = await services.incidents.create(dispatcher, IncidentDraft("noise", address="X 1"))
    with pytest.raises(UnitUnavailable) as err:
        await services.incidents.assign_unit(dispatcher, inc.id, unit)
    assert err.value.needs_confirmation
    forced = await services.incidents.assign_unit(
        dispatcher, inc.id, unit, confirm_unavailable=True
    )
    assert forced.active_assignments[0].unit_id == unit
    await services.settings.set(ADMIN, "dispatch.assign_unavailable", "refuse")
    other = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Y 2"))
    with pytest.raises(UnitUnavailable) as err2:
        await services.incidents.assign_unit(dispatcher, other.id, unit, confirm_unavailable=True)
    assert not err2.value.needs_confirmation


@pytest.mark.asyncio
async def test_queue_orders_open_first_and_filters(services: Services, dispatcher: Actor) -> None:
    low = await services.incidents.create(dispatcher, IncidentDraft("waste", address="Weg 1"))
    urgent = await services.incidents.create(
        dispatcher, IncidentDraft("assault_staff", address="Platz 3")
    )
    done = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Gasse 2"))
    await services.incidents.close(dispatcher, done.id, done.version, "nothing_found")
    rows = await services.incidents.page(dispatcher, IncidentQuery(), 0, 10)
    assert [r.id for r in rows] == [urgent.id, low.id, done.id]
    q = IncidentQuery(text="gasse")
    assert [r.id for r in await services.incidents.page(dispatcher, q, 0, 10)] == [done.id]
    assert await services.incidents.count(dispatcher, IncidentQuery(open_only=True)) == 2


@pytest.mark.asyncio
async def test_bad_input_and_permissions(services: Services, dispatcher: Actor) -> None:
    with pytest.raises(ValidationError, match="Kategorie"):
        await services.incidents.create(dispatcher, IncidentDraft("nonsense", address="A"))
    with pytest.raises(ValidationError):
        await services.incidents.create(dispatcher, IncidentDraft("noise"))
    dp = await services.users.add(ADMIN, "dsb", "Daten Schutz", Role.DATA_PROTECTION, "geheim123")
    dsb = Actor(dp.id, dp.username, dp.role)
    with pytest.raises(PermissionDenied):
        await services.incidents.create(dsb, IncidentDraft("noise", address="A 1"))
    with pytest.raises(PermissionDenied):
        await services.incidents.page(dsb, IncidentQuery(), 0, 10)


@pytest.mark.asyncio
async def test_text_search_lists_open_then_closed_newest_first_across_pages(
    services: Services, dispatcher: Actor
) -> None:
    made = [
        await services.incidents.create(
            dispatcher, IncidentDraft("noise", address=f"Kioskweg {n}", description="Kiosk")
        )
        for n in range(7)
    ]
    other = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Hof 1"))
    # Closed in an order unlike their numbers: the newest number must still come first.
    for inc in (made[4], made[0], made[5], made[2], made[1]):
        await services.incidents.close(dispatcher, inc.id, inc.version, "nothing_found")
    open_ids = [made[3].id, made[6].id]  # same priority: oldest first
    closed_ids = [made[5].id, made[4].id, made[2].id, made[1].id, made[0].id]
    for text in ("kiosk", "Ki"):  # trigram index and the short-text fallback
        q = IncidentQuery(text=text)
        pages = [await services.incidents.page(dispatcher, q, offset, 3) for offset in (0, 3, 6)]
        assert [r.id for page in pages for r in page] == open_ids + closed_ids, text
        assert await services.incidents.count(dispatcher, q) == 7
        assert await services.incidents.count(dispatcher, q, limit=4) == 5
        assert await services.incidents.matches(dispatcher, q, [made[0].id, other.id]) == {
            made[0].id
        }
    # Filters combine with the text; without text closed ones stay by closing time.
    q = IncidentQuery(text="kiosk", categories=frozenset({"waste"}))
    assert await services.incidents.page(dispatcher, q, 0, 10) == []
    assert await services.incidents.count(dispatcher, q) == 0
    rows = await services.incidents.page(
        dispatcher, IncidentQuery(statuses=frozenset({"closed"})), 0, 10
    )
    assert [r.id for r in rows] == [made[1].id, made[2].id, made[5].id, made[0].id, made[4].id]


@pytest.mark.asyncio
async def test_note_on_a_closed_incident_is_journaled_as_written_after_closing(
    services: Services, dispatcher: Actor
) -> None:
    inc = await services.incidents.create(dispatcher, IncidentDraft("noise", address="Am Ring 1"))
    inc = await services.incidents.add_note(dispatcher, inc.id, "Vor dem Abschluss")
    inc = await services.incidents.close(dispatcher, inc.id, inc.version, "resolved", "")
    after = await services.incidents.add_note(dispatcher, inc.id, "Nachtrag: Zeuge meldet sich")
    assert after.status == "closed" and after.version == inc.version
    notes = [(j.kind, j.text) for j in after.journal if j.kind in JOURNAL_NOTE_KINDS]
    assert notes == [
        (JOURNAL_NOTE, "Vor dem Abschluss"),
        (JOURNAL_NOTE_AFTER_CLOSE, "Nachtrag: Zeuge meldet sich"),
    ]
    # Reopened, a note is an ordinary note again.
    inc = await services.incidents.reopen(dispatcher, inc.id, after.version, "Erneuter Anruf")
    inc = await services.incidents.add_note(dispatcher, inc.id, "Wieder offen")
    assert inc.journal[-1].kind == JOURNAL_NOTE
