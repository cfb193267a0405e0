"""Aufträge and Meldungen on SQLite and PostgreSQL: CRUD, conflicts, follow-ups, conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.domain.dto_work import ReportDraft, ReportQuery, TaskDraft, TaskQuery
from app.platform.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import EARLIEST_DATE, utcnow
from app.platform.uow import Actor
from app.services import Services
from db.models import AuditRecord, ChangeFeedEntry
from tests.conftest import ADMIN

WIESDORF = (51.0325, 6.9870)
PRIVACY = Actor(None, "cli:dsb", Role.DATA_PROTECTION, "Datenschutz")
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD, "Schichtleitung")


async def _audit_actions(services: Services, entity: str) -> list[str]:
    async with services.db.read() as s:
        return list(
            (
                await s.scalars(
                    select(AuditRecord.action)
                    .where(AuditRecord.entity == entity, ~AuditRecord.action.like("db.%"))
                    .order_by(AuditRecord.id)
                )
            ).all()
        )


async def _feed(services: Services, entity: str) -> list[tuple[int, str]]:
    async with services.db.read() as s:
        rows = await s.execute(
            select(ChangeFeedEntry.entity_id, ChangeFeedEntry.op)
            .where(ChangeFeedEntry.entity == entity)
            .order_by(ChangeFeedEntry.id)
        )
        return [(i, op) for i, op in rows]


# --- tasks ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_task_create_number_stadtteil_assign_done(
    services: Services, dispatcher: Actor
) -> None:
    unit = await services.units.create(LEAD, "KOD 21", home=WIESDORF)
    due = utcnow() + timedelta(days=2)
    task = await services.tasks.create(
        dispatcher,
        TaskDraft(
            title="  Streife Fußgängerzone Wiesdorf ",
            address="Hauptstraße 1",
            lat=WIESDORF[0],
            lon=WIESDORF[1],
            due_at=due,
            assigned_unit_id=unit.id,
        ),
    )
    year = datetime.now(UTC).year
    assert task.number in (f"A-{year}-000001", f"A-{year + 1}-000001")
    assert task.title == "Streife Fußgängerzone Wiesdorf"
    assert task.stadtteil == "Wiesdorf" and task.status == "open"
    assert task.assigned_unit == "KOD 21" and task.assignee == "KOD 21"
    assert task.created_by == "Dora Disponent"
    assert task.due_at == due
    second = await services.tasks.create(dispatcher, TaskDraft(title="Kiosk prüfen"))
    assert second.number.endswith("000002")

    # An officer instead of the unit.
    await services.users.add(ADMIN, "aussen1", "Anna Außen", Role.FIELD_OFFICER, "geheim123")
    people = await services.tasks.assignees(dispatcher)
    officer = next(a for a in people if a.kind == "user")
    assert [a.label for a in people] == ["KOD 21", "Anna Außen"]
    task = await services.tasks.assign(dispatcher, task.id, task.version, None, officer.id)
    assert task.assigned_unit is None and task.assigned_user == "Anna Außen"

    done = await services.tasks.mark_done(dispatcher, task.id, task.version)
    assert done.status == "done" and done.done_at is not None and not done.is_open
    with pytest.raises(ValidationError):
        await services.tasks.mark_done(dispatcher, task.id)
    reopened = await services.tasks.reopen(dispatcher, task.id, done.version)
    assert reopened.is_open and reopened.done_at is None
    with pytest.raises(ValidationError) as err:
        await services.tasks.cancel(dispatcher, second.id, reason="   ")
    assert err.value.field == "reason" and str(err.value)
    cancelled = await services.tasks.cancel(dispatcher, second.id, reason="doppelt")
    assert cancelled.status == "cancelled"
    async with services.db.read() as s:
        reason = await s.scalar(
            select(AuditRecord.reason).where(AuditRecord.action == "task.cancelled")
        )
    assert reason == "doppelt"

    assert await _audit_actions(services, "task") == [
        "task.create",
        "task.create",
        "task.assign",
        "task.done",
        "task.reopen",
        "task.cancelled",
    ]
    assert [op for _i, op in await _feed(services, "task")] == [
        "insert",
        "insert",
        "assign",
        "done",
        "reopen",
        "cancelled",
    ]


@pytest.mark.asyncio
async def test_task_list_filters_and_order(services: Services, dispatcher: Actor) -> None:
    now = utcnow()
    unit = await services.units.create(LEAD, "KOD 22")
    late = await services.tasks.create(
        dispatcher, TaskDraft(title="Später", due_at=now + timedelta(days=5))
    )
    soon = await services.tasks.create(
        dispatcher,
        TaskDraft(title="Bald", due_at=now + timedelta(hours=2), assigned_unit_id=unit.id),
    )
    undated = await services.tasks.create(dispatcher, TaskDraft(title="Ohne Termin"))
    closed = await services.tasks.create(
        dispatcher, TaskDraft(title="Erledigt", due_at=now - timedelta(days=1))
    )
    await services.tasks.mark_done(dispatcher, closed.id)

    rows = await services.tasks.page(dispatcher, TaskQuery())
    assert [r.id for r in rows] == [soon.id, late.id, undated.id, closed.id]
    open_rows = await services.tasks.page(dispatcher, TaskQuery(open_only=True))
    assert [r.id for r in open_rows] == [soon.id, late.id, undated.id]
    assert await services.tasks.count(dispatcher, TaskQuery(open_only=True)) == 3
    due_soon = TaskQuery(open_only=True, due_before=now + timedelta(days=1))
    assert [r.id for r in await services.tasks.page(dispatcher, due_soon)] == [soon.id]
    by_unit = TaskQuery(assigned_unit_id=unit.id)
    assert [r.id for r in await services.tasks.page(dispatcher, by_unit)] == [soon.id]
    assert [r.id for r in await services.tasks.page(dispatcher, TaskQuery(text="termin"))] == [
        undated.id
    ]
    assert [
        r.id for r in await services.tasks.page(dispatcher, TaskQuery(statuses=frozenset({"done"})))
    ] == [closed.id]
    assert await services.tasks.matches(dispatcher, TaskQuery(open_only=True), [closed.id]) == set()
    assert [r.id for r in await services.tasks.page(dispatcher, TaskQuery(), 1, 2)] == [
        late.id,
        undated.id,
    ]


@pytest.mark.asyncio
async def test_task_update_conflict_overwrites_nothing(
    services: Services, dispatcher: Actor
) -> None:
    task = await services.tasks.create(dispatcher, TaskDraft(title="Kiosk Opladen prüfen"))
    first = await services.tasks.update(
        dispatcher, task.id, task.version, {"description": "Jugendschutz", "address": "Markt 1"}
    )
    assert first.version == task.version + 1
    with pytest.raises(ConflictError) as err:
        await services.tasks.update(dispatcher, task.id, task.version, {"title": "Alt"})
    assert err.value.current.description == "Jugendschutz"
    assert err.value.current.version == first.version
    now = await services.tasks.get(dispatcher, task.id)
    assert now.title == "Kiosk Opladen prüfen" and now.version == first.version
    # Unchanged values do not bump the version.
    same = await services.tasks.update(dispatcher, task.id, now.version, {"address": " Markt 1 "})
    assert same.version == now.version
    with pytest.raises(ConflictError):
        await services.tasks.mark_done(dispatcher, task.id, task.version)


@pytest.mark.asyncio
async def test_task_bad_input_is_refused_with_a_message(
    services: Services, dispatcher: Actor
) -> None:
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(dispatcher, TaskDraft(title="   "))
    assert err.value.field == "title" and str(err.value)
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(dispatcher, TaskDraft(title="x" * 201))
    assert err.value.field == "title"
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(
            dispatcher, TaskDraft(title="Termin", due_at=datetime(2030, 1, 1, 12, 0))
        )
    assert err.value.field == "due_at"
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(dispatcher, TaskDraft(title="Ort", lat=51.0))
    assert err.value.field == "lat"
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(dispatcher, TaskDraft(title="Einheit", assigned_unit_id=999))
    assert err.value.field == "assigned_unit_id"
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(dispatcher, TaskDraft(title="Kat", category="nonsense"))
    assert err.value.field == "category"
    task = await services.tasks.create(dispatcher, TaskDraft(title="Gültig"))
    with pytest.raises(ValidationError):
        await services.tasks.update(dispatcher, task.id, task.version, {"number": "A-1"})
    # A date typed with the wrong century is refused, with the accepted range in the message.
    for field, when in (
        ("due_at", datetime(1752, 9, 14, 12, 0, tzinfo=UTC)),
        ("follow_up_at", datetime(2206, 1, 1, 12, 0, tzinfo=UTC)),
    ):
        with pytest.raises(ValidationError) as err:
            await services.tasks.update(dispatcher, task.id, task.version, {field: when})
        assert err.value.field == field
        assert str(EARLIEST_DATE.year) in str(err.value) and "2100" in str(err.value)
    with pytest.raises(ValidationError) as err:
        await services.tasks.create(
            dispatcher, TaskDraft(title="Alt", due_at=datetime(1999, 12, 31, tzinfo=UTC))
        )
    assert err.value.field == "due_at"
    with pytest.raises(ValidationError) as err:
        await services.tasks.set_follow_up(
            dispatcher, task.id, datetime(1752, 9, 14, tzinfo=UTC), "alt"
        )
    assert err.value.field == "follow_up_at"
    with pytest.raises(ValidationError) as err:
        await services.reports.create(
            dispatcher,
            ReportDraft(
                source="phone", subject="Alt", received_at=datetime(1752, 9, 14, tzinfo=UTC)
            ),
        )
    assert err.value.field == "received_at"
    with pytest.raises(ValidationError):
        await services.tasks.snooze_follow_up(dispatcher, task.id, 0)
    with pytest.raises(NotFound):
        await services.tasks.get(dispatcher, 4711)
    # Nothing of the refused input was stored.
    assert await services.tasks.count(dispatcher, TaskQuery()) == 1


@pytest.mark.asyncio
async def test_follow_ups_due_snooze_and_clear(services: Services, dispatcher: Actor) -> None:
    now = utcnow()
    due = await services.tasks.create(
        dispatcher,
        TaskDraft(
            title="Ergebnis nachhalten",
            follow_up_at=now - timedelta(minutes=5),
            follow_up_note="Anwohner anrufen",
        ),
    )
    later = await services.tasks.create(
        dispatcher, TaskDraft(title="Später", follow_up_at=now + timedelta(hours=3))
    )
    done = await services.tasks.create(
        dispatcher, TaskDraft(title="Erledigt", follow_up_at=now - timedelta(hours=1))
    )
    await services.tasks.mark_done(dispatcher, done.id)
    await services.tasks.create(dispatcher, TaskDraft(title="Ohne Wiedervorlage"))

    found = await services.tasks.due_follow_ups(dispatcher, now)
    assert [t.id for t in found] == [due.id]
    assert found[0].follow_up_note == "Anwohner anrufen" and found[0].follow_up_due(now)
    in_four_hours = await services.tasks.due_follow_ups(dispatcher, now + timedelta(hours=4))
    assert [t.id for t in in_four_hours] == [due.id, later.id]

    snoozed = await services.tasks.snooze_follow_up(dispatcher, due.id, 15)
    assert snoozed.follow_up_at is not None and snoozed.follow_up_at > now + timedelta(minutes=14)
    assert await services.tasks.due_follow_ups(dispatcher, now) == []

    moved = await services.tasks.set_follow_up(
        dispatcher, later.id, now - timedelta(minutes=1), "jetzt"
    )
    assert moved.follow_up_note == "jetzt"
    assert [t.id for t in await services.tasks.due_follow_ups(dispatcher)] == [later.id]
    cleared = await services.tasks.clear_follow_up(dispatcher, later.id, moved.version)
    assert cleared.follow_up_at is None and cleared.follow_up_note is None
    with pytest.raises(ValidationError):
        await services.tasks.set_follow_up(dispatcher, done.id, now + timedelta(days=1))
    actions = await _audit_actions(services, "task")
    assert actions.count("task.snooze") == 1 and actions.count("task.follow_up") == 2


# --- reports ----------------------------------------------------------------------------------


async def _report(services: Services, actor: Actor, **kw: object) -> int:
    values: dict[str, object] = dict(
        subject="Sperrmüll an der Ecke",
        source="phone",
        text="Seit drei Tagen liegen Matratzen dort.",
        reporter_name="Erika Muster",
        reporter_contact="0214 123456",
        category="waste",
        address="Hauptstraße 1",
        lat=WIESDORF[0],
        lon=WIESDORF[1],
    )
    values.update(kw)
    return (await services.reports.create(actor, ReportDraft(**values))).id  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_report_crud_status_and_conflict(services: Services, dispatcher: Actor) -> None:
    rid = await _report(services, dispatcher)
    report = await services.reports.get(dispatcher, rid)
    assert report.number.startswith("M-") and report.number.endswith("000001")
    assert report.status == "new" and report.is_open and report.stadtteil == "Wiesdorf"
    assert report.received_at is not None and report.created_by == "Dora Disponent"
    older = await _report(
        services, dispatcher, subject="Hund ohne Leine", received_at=utcnow() - timedelta(days=1)
    )
    rows = await services.reports.page(dispatcher, ReportQuery())
    assert [r.id for r in rows] == [rid, older]
    edited = await services.reports.update(
        dispatcher, rid, report.version, {"subject": "Sperrmüll vor Haus 1", "reporter_name": " "}
    )
    assert edited.subject == "Sperrmüll vor Haus 1" and edited.reporter_name is None
    with pytest.raises(ConflictError) as err:
        await services.reports.update(dispatcher, rid, report.version, {"text": "alt"})
    assert err.value.current.subject == "Sperrmüll vor Haus 1"
    assert (await services.reports.get(dispatcher, rid)).text.startswith("Seit drei")
    progressed = await services.reports.set_status(dispatcher, rid, edited.version, "in_progress")
    assert progressed.is_open
    closed = await services.reports.set_status(dispatcher, older, None, "closed")
    assert not closed.is_open
    assert [r.id for r in await services.reports.page(dispatcher, ReportQuery(open_only=True))] == [
        rid
    ]
    assert await services.reports.count(dispatcher, ReportQuery(text="hund")) == 1
    with pytest.raises(ValidationError):
        await services.reports.set_status(dispatcher, rid, None, "converted")
    with pytest.raises(ValidationError) as verr:
        await services.reports.create(dispatcher, ReportDraft(subject="", source="phone"))
    assert verr.value.field == "subject"
    with pytest.raises(ValidationError) as verr:
        await services.reports.create(dispatcher, ReportDraft(subject="x", source="fax"))
    assert verr.value.field == "source"
    assert await _audit_actions(services, "report") == [
        "report.create",
        "report.create",
        "report.update",
        "report.status",
        "report.status",
    ]


@pytest.mark.asyncio
async def test_convert_report_to_incident_links_both_ways(
    services: Services, dispatcher: Actor
) -> None:
    rid = await _report(services, dispatcher, reporter_contact="erika@example.org")
    report = await services.reports.get(dispatcher, rid)
    converted = await services.reports.convert_to_incident(dispatcher, rid, report.version)
    assert converted.status == "converted" and converted.incident_id is not None
    assert converted.incident_number is not None and converted.incident_number.startswith("E-")
    incident = await services.incidents.get(dispatcher, converted.incident_id)
    assert incident.source_report_id == rid
    assert incident.category == "waste" and incident.priority == 3
    assert incident.address == "Hauptstraße 1" and incident.stadtteil == "Wiesdorf"
    assert incident.caller_name == "Erika Muster" and incident.caller_phone == "erika@example.org"
    assert "Sperrmüll" in incident.description
    assert any(report.number in line.text for line in incident.journal)
    # Converting twice is refused, and nothing else was created.
    with pytest.raises(ValidationError):
        await services.reports.convert_to_incident(dispatcher, rid, None)
    with pytest.raises(ValidationError):
        await services.reports.convert_to_task(dispatcher, rid, None)
    with pytest.raises(ValidationError):
        await services.reports.set_status(dispatcher, rid, None, "closed")
    feed = await _feed(services, "report")
    assert feed[-1] == (rid, "converted")
    assert (incident.id, "insert") in await _feed(services, "incident")


@pytest.mark.asyncio
async def test_convert_with_stale_version_or_no_place_changes_nothing(
    services: Services, dispatcher: Actor
) -> None:
    rid = await _report(services, dispatcher, address="", lat=None, lon=None)
    report = await services.reports.get(dispatcher, rid)
    with pytest.raises(ValidationError) as err:
        await services.reports.convert_to_incident(dispatcher, rid, report.version)
    assert err.value.field == "address"
    after = await services.reports.get(dispatcher, rid)
    assert after.status == "new" and after.incident_id is None
    edited = await services.reports.update(dispatcher, rid, report.version, {"address": "Markt 2"})
    with pytest.raises(ConflictError):
        await services.reports.convert_to_incident(dispatcher, rid, report.version)
    with pytest.raises(ConflictError):
        await services.reports.convert_to_task(dispatcher, rid, report.version)
    converted = await services.reports.convert_to_incident(
        dispatcher, rid, edited.version, category="noise", priority=1
    )
    assert converted.incident_id is not None
    incident = await services.incidents.get(dispatcher, converted.incident_id)
    assert incident.category == "noise" and incident.priority == 1


@pytest.mark.asyncio
async def test_convert_report_to_task_links_both_ways(
    services: Services, dispatcher: Actor
) -> None:
    rid = await _report(services, dispatcher)
    converted = await services.reports.convert_to_task(dispatcher, rid, None)
    assert converted.status == "converted" and converted.task_id is not None
    assert converted.task_number is not None and converted.task_number.startswith("A-")
    task = await services.tasks.get(dispatcher, converted.task_id)
    assert task.source_report_id == rid and task.source_report_number == converted.number
    assert task.title == "Sperrmüll an der Ecke" and task.category == "waste"
    assert task.address == "Hauptstraße 1" and task.stadtteil == "Wiesdorf"
    # With a dispatcher's own draft.
    other = await _report(services, dispatcher, subject="Graffiti Schule")
    converted2 = await services.reports.convert_to_task(
        dispatcher, other, None, TaskDraft(title="Schulmauer fotografieren", due_at=utcnow())
    )
    assert converted2.task_id is not None
    task2 = await services.tasks.get(dispatcher, converted2.task_id)
    assert task2.title == "Schulmauer fotografieren" and task2.source_report_id == other
    # A bad draft leaves the report unconverted.
    third = await _report(services, dispatcher, subject="Dritte")
    with pytest.raises(ValidationError):
        await services.reports.convert_to_task(dispatcher, third, None, TaskDraft(title=""))
    assert (await services.reports.get(dispatcher, third)).status == "new"
    assert await services.tasks.count(dispatcher, TaskQuery()) == 2


@pytest.mark.asyncio
async def test_data_protection_role_sees_and_changes_nothing(
    services: Services, dispatcher: Actor
) -> None:
    rid = await _report(services, dispatcher)
    task = await services.tasks.create(dispatcher, TaskDraft(title="Streife"))
    for call in (
        services.tasks.page(PRIVACY, TaskQuery()),
        services.tasks.get(PRIVACY, task.id),
        services.tasks.due_follow_ups(PRIVACY),
        services.tasks.create(PRIVACY, TaskDraft(title="x")),
        services.tasks.mark_done(PRIVACY, task.id),
        services.tasks.snooze_follow_up(PRIVACY, task.id, 15),
        services.reports.page(PRIVACY, ReportQuery()),
        services.reports.get(PRIVACY, rid),
        services.reports.create(PRIVACY, ReportDraft(subject="x")),
        services.reports.convert_to_incident(PRIVACY, rid, None),
        services.reports.convert_to_task(PRIVACY, rid, None),
    ):
        with pytest.raises(PermissionDenied):
            await call
    # A clerk may handle Meldungen but cannot open an Einsatz.
    await services.users.add(ADMIN, "sachb", "Sam Sach", Role.CLERK, "geheim123")
    clerk = await services.users.authenticate("sachb", "geheim123")
    with pytest.raises(PermissionDenied):
        await services.reports.convert_to_incident(clerk, rid, None)
    assert (await services.reports.get(clerk, rid)).status == "new"
    # A field officer reads tasks but does not write them.
    officer = Actor(None, "cli:out", Role.FIELD_OFFICER)
    assert len(await services.tasks.page(officer, TaskQuery())) == 1
    with pytest.raises(PermissionDenied):
        await services.tasks.mark_done(officer, task.id)
