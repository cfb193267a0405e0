"""Reading one incident whole, and inserting a new one (shared by the incident services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import IncidentStatus, UnitStatus
from app.domain.dto import Assignment, IncidentDetail, IncidentRow, JournalLine
from app.platform.errors import NotFound
from app.platform.i18n import tr
from app.platform.uow import Work
from app.services import unit_dispatch as dispatch
from app.services.incident_common import next_number
from app.services.stadtteile import stadtteil_of
from db.models import Incident, IncidentUnit, JournalEntry, Unit, User


async def read_detail(s: AsyncSession, incident_id: int) -> IncidentDetail:
    """Everything about one incident, with its journal and units (inside an open session)."""
    i = await s.get(Incident, incident_id, populate_existing=True)
    if i is None:
        raise NotFound(tr("incidents", "Incident %1 does not exist.", incident_id))
    jrows = await s.execute(
        select(JournalEntry, User.username)
        .outerjoin(User, User.id == JournalEntry.user_id)
        .where(JournalEntry.incident_id == incident_id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    journal_lines = tuple(
        JournalLine(j.id, j.created_at, username or "system", j.kind, j.text)
        for j, username in jrows
    )
    arows = await s.execute(
        select(IncidentUnit, Unit.call_sign, Unit.status)
        .join(Unit, Unit.id == IncidentUnit.unit_id)
        .where(IncidentUnit.incident_id == incident_id)
        .order_by(IncidentUnit.assigned_at, IncidentUnit.id)
    )
    timeout = await dispatch.confirm_timeout(s)
    assignments = tuple(
        Assignment(
            a.unit_id,
            cs,
            a.assigned_at,
            a.on_scene_at,
            a.released_at,
            status=status,
            confirmed_at=a.confirmed_at,
            confirm_due_at=(
                dispatch.confirm_due(a.assigned_at, a.confirmed_at, timeout)
                if a.released_at is None
                else None
            ),
        )
        for a, cs, status in arows
    )
    return IncidentDetail(
        id=i.id,
        number=i.number,
        category=i.category,
        priority=i.priority,
        status=i.status,
        address=i.address,
        lat=i.lat,
        lon=i.lon,
        stadtteil=i.stadtteil,
        caller_name=i.caller_name,
        caller_phone=i.caller_phone,
        description=i.description,
        outcome=i.outcome,
        outcome_note=i.outcome_note,
        created_at=i.created_at,
        dispatched_at=i.dispatched_at,
        on_scene_at=i.on_scene_at,
        closed_at=i.closed_at,
        updated_at=i.updated_at,
        source_report_id=i.source_report_id,
        version=i.version,
        journal=journal_lines,
        assignments=assignments,
    )


async def insert_incident(
    w: Work,
    values: dict[str, Any],
    lat: float | None,
    lon: float | None,
    source_report_id: int | None,
) -> Incident:
    """Insert a new incident with the next running number (no journal, no audit)."""
    number = await next_number(w.session, Incident.number, "E", w.now.year)
    incident = Incident(
        number=number,
        status=IncidentStatus.NEW.value,
        lat=lat,
        lon=lon,
        stadtteil=await stadtteil_of(w.session, lat, lon),
        created_at=w.now,
        updated_at=w.now,
        created_by_id=w.actor.user_id,
        source_report_id=source_report_id,
        **values,
    )
    w.session.add(incident)
    await w.session.flush()
    return incident


#: The columns of an :class:`IncidentRow`, in its field order (before units and emergency).
_ROW_COLUMNS = (
    Incident.id,
    Incident.number,
    Incident.category,
    Incident.priority,
    Incident.status,
    Incident.address,
    Incident.stadtteil,
    Incident.created_at,
    Incident.dispatched_at,
    Incident.on_scene_at,
    Incident.closed_at,
    Incident.version,
)


async def read_rows(s: AsyncSession, ids: Sequence[int]) -> list[IncidentRow]:
    """Queue rows of ``ids`` (the missing ones are gone)."""
    # One statement, the units joined in: a live update is one round trip.
    stmt = (
        select(*_ROW_COLUMNS, Unit.call_sign, Unit.status.label("unit_status"))
        .outerjoin(
            IncidentUnit,
            (IncidentUnit.incident_id == Incident.id) & IncidentUnit.released_at.is_(None),
        )
        .outerjoin(Unit, Unit.id == IncidentUnit.unit_id)
        .where(Incident.id.in_(list(ids)))
        .order_by(Incident.id, Unit.call_sign)
    )
    result = (await s.execute(stmt)).all()
    fields: dict[int, dict[str, Any]] = {}
    units: dict[int, list[str]] = {}
    emergency: set[int] = set()
    for row in result:
        values = row._mapping
        incident_id = values["id"]
        if incident_id not in fields:
            fields[incident_id] = {c.key: values[c.key] for c in _ROW_COLUMNS}
            units[incident_id] = []
        if values["call_sign"] is not None:
            units[incident_id].append(values["call_sign"])
            if values["unit_status"] == UnitStatus.EMERGENCY:
                emergency.add(incident_id)
    return [
        IncidentRow(**f, units=", ".join(units[i]), emergency=i in emergency)
        for i, f in fields.items()
    ]
