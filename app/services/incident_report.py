"""The Einsatzbericht: one incident with its data, full journal, units and their times, outcome,
and what is linked to it (the Meldung it came from, Aufträge made from it, offence cases,
bodycam recordings).

It names people (caller, staff in the journal), so it is printed by the roles that print the
shift report (``report.shift``) and needs the right to read incidents too; the linked offence
cases and recordings are listed only for roles that may see them. Every report made is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.dto import IncidentDetail
from app.platform.database import Database
from app.platform.permissions import Permission, allowed
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, check, reading, unit_of_work
from app.services.incident_api import IncidentOperations
from db.models import OffenceCase, Recording, Report, Task, Unit, UnitStatusChange


@dataclass(frozen=True)
class StatusStep:
    """A unit's status change while on the incident."""

    at: datetime
    call_sign: str
    status: str


@dataclass(frozen=True)
class IncidentReport:
    """Everything the Einsatzbericht prints."""

    incident: IncidentDetail
    status_steps: tuple[StatusStep, ...]
    source_report: str | None
    tasks: tuple[tuple[str, str, str], ...]
    offence_cases: tuple[tuple[str, str], ...] | None
    recordings: int | None
    made_at: datetime
    made_by: str


class IncidentReportService:
    """Builds the Einsatzbericht."""

    def __init__(self, db: Database, incidents: IncidentOperations) -> None:
        self._db = db
        self._incidents = incidents

    async def build(self, actor: Actor, incident_id: int) -> IncidentReport:
        """The report of one incident as the database holds it now (audited)."""
        await check(self._db, actor, Permission.SHIFT_REPORT)
        detail = await self._incidents.get(actor, incident_id)  # checks incident.read
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            steps = (
                await s.execute(
                    select(UnitStatusChange.changed_at, Unit.call_sign, UnitStatusChange.status)
                    .join(Unit, Unit.id == UnitStatusChange.unit_id)
                    .where(UnitStatusChange.incident_id == incident_id)
                    .order_by(UnitStatusChange.changed_at, UnitStatusChange.id)
                )
            ).all()
            source = None
            if detail.source_report_id is not None and allowed(actor.role, Permission.REPORT_READ):
                source = await s.scalar(
                    select(Report.number).where(Report.id == detail.source_report_id)
                )
            tasks: list[tuple[str, str, str]] = []
            if allowed(actor.role, Permission.TASK_READ) and detail.source_report_id is not None:
                tasks = [
                    (n, t, st)
                    for n, t, st in await s.execute(
                        select(Task.number, Task.title, Task.status)
                        .where(Task.source_report_id == detail.source_report_id)
                        .order_by(Task.number)
                    )
                ]
            cases = None
            if allowed(actor.role, Permission.OFFENCE_READ):
                cases = tuple(
                    (n, st)
                    for n, st in await s.execute(
                        select(OffenceCase.number, OffenceCase.status)
                        .where(OffenceCase.incident_id == incident_id)
                        .order_by(OffenceCase.number)
                    )
                )
            recordings = None
            if allowed(actor.role, Permission.RECORDING_VIEW):
                recordings = len(
                    (
                        await s.scalars(
                            select(Recording.id).where(
                                Recording.incident_id == incident_id,
                                Recording.deleted_at.is_(None),
                            )
                        )
                    ).all()
                )
        async with unit_of_work(self._db, actor, Permission.SHIFT_REPORT) as w:
            await w.audit("incident.report", "incident", incident_id, {"number": detail.number})
        return IncidentReport(
            incident=detail,
            status_steps=tuple(StatusStep(*row) for row in steps),
            source_report=source,
            tasks=tuple(tasks),
            offence_cases=cases,
            recordings=recordings,
            made_at=utcnow(),
            made_by=actor.display_name or actor.username,
        )
