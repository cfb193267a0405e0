"""The Schichtbericht: what happened in one shift, for the shift lead to print and hand over.

Contents after DOMAIN.md ("Reports a shift lead prints"): incidents of the shift by category and
Stadtteil, units and staff on duty, notable events (priority 1), emergencies, assaults on staff,
bodycam activations, open items handed over to the next shift, and the audit chain's head hash
at the time of printing — the printed report is the outside anchor that
``kod-admin audit verify --expect-head`` checks against.

Read with the shift lead's own rights (``shift.report`` to ask; on PostgreSQL the server's grants
of the shift lead decide what the reads may see).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import category_label
from app.domain.shifts import Shift, parse_starts, shift_at
from app.platform.database import Database
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, reading
from app.services.audit_log import AuditLogService
from app.services.settings import read_setting
from db.models import (
    Emergency,
    Incident,
    IncidentUnit,
    Recording,
    Task,
    Unit,
    UnitMember,
    UnitStatusChange,
    User,
)

#: Status codes that mean "not on duty" (6: außer Dienst).
OFF_DUTY = "6"


@dataclass(frozen=True)
class IncidentLine:
    """An incident as the report names it."""

    number: str
    at: datetime
    category: str
    priority: int
    address: str
    status: str


@dataclass(frozen=True)
class UnitLine:
    """A unit on duty in the shift with its crew and how many incidents it went to."""

    call_sign: str
    crew: tuple[str, ...]
    incidents: int


@dataclass(frozen=True)
class EmergencyLine:
    """A Notruf of the shift."""

    at: datetime
    call_sign: str
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class ShiftReport:
    """Everything the Schichtbericht prints."""

    shift: Shift
    made_at: datetime
    made_by: str
    incidents: int
    by_category: tuple[tuple[str, int], ...]
    by_stadtteil: tuple[tuple[str, int], ...]
    units: tuple[UnitLine, ...]
    notable: tuple[IncidentLine, ...]
    emergencies: tuple[EmergencyLine, ...]
    assaults: tuple[IncidentLine, ...]
    bodycam_activations: int
    open_incidents: tuple[IncidentLine, ...]
    open_tasks: tuple[tuple[str, str, datetime | None], ...]
    audit_head: str | None


def _line(i: Incident) -> IncidentLine:
    return IncidentLine(
        i.number, i.created_at, category_label(i.category), i.priority, i.address, i.status
    )


def _counted(values: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


async def _units(s: AsyncSession, shift: Shift) -> tuple[UnitLine, ...]:
    """Units with a status other than off duty at any time in the shift."""
    active = select(UnitStatusChange.unit_id).where(
        UnitStatusChange.changed_at >= shift.start,
        UnitStatusChange.changed_at < shift.end,
        UnitStatusChange.status != OFF_DUTY,
    )
    current = select(Unit.id).where(Unit.active.is_(True), Unit.status != OFF_DUTY)
    ids = set((await s.scalars(active)).all())
    if shift.end >= utcnow():
        ids |= set((await s.scalars(current)).all())
    if not ids:
        return ()
    units = (await s.execute(select(Unit.id, Unit.call_sign).where(Unit.id.in_(ids)))).all()
    crews = await s.execute(
        select(UnitMember.unit_id, func.coalesce(User.display_name, User.username))
        .join(User, User.id == UnitMember.user_id)
        .where(
            UnitMember.unit_id.in_(ids),
            UnitMember.since < shift.end,
            or_(UnitMember.until.is_(None), UnitMember.until > shift.start),
        )
    )
    crew: dict[int, list[str]] = {}
    for unit_id, name in crews:
        crew.setdefault(unit_id, []).append(name)
    went = Counter(
        (
            await s.scalars(
                select(IncidentUnit.unit_id).where(
                    IncidentUnit.unit_id.in_(ids),
                    IncidentUnit.assigned_at >= shift.start,
                    IncidentUnit.assigned_at < shift.end,
                )
            )
        ).all()
    )
    return tuple(
        UnitLine(call_sign, tuple(sorted(crew.get(uid, []))), went.get(uid, 0))
        for uid, call_sign in sorted(units, key=lambda u: u[1])
    )


class ShiftReportService:
    """Builds the Schichtbericht."""

    def __init__(self, db: Database, audit_log: AuditLogService) -> None:
        self._db = db
        self._audit_log = audit_log

    async def current_shift(self, actor: Actor, at: datetime | None = None) -> Shift:
        """The shift ``at`` (default now) falls in."""
        async with reading(self._db, actor, Permission.SHIFT_REPORT) as s:
            starts = parse_starts(await read_setting(s, "shifts.starts"))
        return shift_at(at or utcnow(), starts)

    async def starts(self, actor: Actor) -> tuple[time, ...]:
        """The configured shift starts (setting ``shifts.starts``)."""
        async with reading(self._db, actor, Permission.SHIFT_REPORT) as s:
            return parse_starts(await read_setting(s, "shifts.starts"))

    async def build(self, actor: Actor, shift: Shift) -> ShiftReport:
        """The report of ``shift`` as the database holds it now."""
        in_shift = and_(Incident.created_at >= shift.start, Incident.created_at < shift.end)
        async with reading(self._db, actor, Permission.SHIFT_REPORT) as s:
            incidents = (
                await s.scalars(select(Incident).where(in_shift).order_by(Incident.created_at))
            ).all()
            units = await _units(s, shift)
            emergencies = (
                await s.execute(
                    select(Emergency.raised_at, Unit.call_sign, Emergency.acknowledged_at)
                    .join(Unit, Unit.id == Emergency.unit_id)
                    .where(Emergency.raised_at >= shift.start, Emergency.raised_at < shift.end)
                    .order_by(Emergency.raised_at)
                )
            ).all()
            bodycam = await s.scalar(
                select(func.count(Recording.id)).where(
                    Recording.started_at >= shift.start, Recording.started_at < shift.end
                )
            )
            still_open = (
                await s.scalars(
                    select(Incident)
                    .where(Incident.status != "closed", Incident.created_at < shift.end)
                    .order_by(Incident.priority, Incident.created_at)
                    .limit(200)
                )
            ).all()
            tasks = (
                await s.execute(
                    select(Task.number, Task.title, Task.due_at)
                    .where(Task.status == "open", Task.created_at < shift.end)
                    .order_by(Task.due_at.is_(None), Task.due_at, Task.number)
                    .limit(200)
                )
            ).all()
        head = await self._audit_log.head()
        return ShiftReport(
            shift=shift,
            made_at=utcnow(),
            made_by=actor.display_name or actor.username,
            incidents=len(incidents),
            by_category=_counted([category_label(i.category) for i in incidents]),
            by_stadtteil=_counted(
                [i.stadtteil or tr("shift_report", "unknown") for i in incidents]
            ),
            units=units,
            notable=tuple(_line(i) for i in incidents if i.priority == 1),
            emergencies=tuple(EmergencyLine(*e) for e in emergencies),
            assaults=tuple(_line(i) for i in incidents if i.category == "assault_staff"),
            bodycam_activations=int(bodycam or 0),
            open_incidents=tuple(_line(i) for i in still_open),
            open_tasks=tuple((n, t, d) for n, t, d in tasks),
            audit_head=head,
        )
