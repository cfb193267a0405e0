"""Meldungen (reports): what comes in, and turning one into an Einsatz or an Auftrag."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.domain.codes import CATEGORY_BY_CODE
from app.domain.dto import IncidentDraft
from app.domain.dto_work import (
    EDITABLE_REPORT_FIELDS,
    OPEN_REPORT_STATUSES,
    REPORT_SOURCES,
    ReportDraft,
    ReportInfo,
    ReportQuery,
    TaskDraft,
)
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, local
from app.platform.uow import Actor, Work, check, reading, unit_of_work
from app.platform.validation import like_pattern, search_text
from app.services.incidents import IncidentService, journal, next_number
from app.services.ordering import report_order
from app.services.stadtteile import stadtteil_of
from app.services.tasks import TaskService, validate_coordinates
from app.services.work_items import WorkItemReader, check_moment
from db.models import Incident, Report, Task, User

MAX_SUBJECT = 200
MAX_TEXT = 10_000
#: Statuses a user may set directly; ``converted`` comes only from a conversion.
SETTABLE_STATUSES = ("new", "in_progress", "closed")

_Creator = aliased(User)


def _ordered(stmt: Select[Any]) -> Select[Any]:
    # app.services.ordering holds this order and its Python twin side by side.
    return stmt.order_by(*report_order())


def _filtered(stmt: Select[Any], q: ReportQuery) -> Select[Any]:
    if q.open_only:
        stmt = stmt.where(Report.status.in_(sorted(OPEN_REPORT_STATUSES)))
    if q.statuses:
        stmt = stmt.where(Report.status.in_(sorted(q.statuses)))
    if q.received_after is not None:
        stmt = stmt.where(Report.received_at >= q.received_after)
    text = search_text(q.text)
    if text:
        like = like_pattern(text)
        stmt = stmt.where(
            or_(
                Report.number.ilike(like, escape="\\"),
                Report.subject.ilike(like, escape="\\"),
                Report.text.ilike(like, escape="\\"),
                Report.address.ilike(like, escape="\\"),
                Report.reporter_name.ilike(like, escape="\\"),
                Report.stadtteil.ilike(like, escape="\\"),
            )
        )
    return stmt


def _info_select() -> Select[Any]:
    return (
        select(Report, Incident.number, Task.number, _Creator.display_name, _Creator.username)
        .outerjoin(Incident, Incident.id == Report.incident_id)
        .outerjoin(Task, Task.id == Report.task_id)
        .outerjoin(_Creator, _Creator.id == Report.created_by_id)
    )


def _info(row: Any) -> ReportInfo:
    r, incident_number, task_number, creator_name, creator_login = row
    return ReportInfo(
        id=r.id,
        number=r.number,
        source=r.source,
        received_at=r.received_at,
        reporter_name=r.reporter_name,
        reporter_contact=r.reporter_contact,
        subject=r.subject,
        text=r.text,
        category=r.category,
        address=r.address,
        lat=r.lat,
        lon=r.lon,
        stadtteil=r.stadtteil,
        status=r.status,
        external_id=r.external_id,
        incident_id=r.incident_id,
        incident_number=incident_number,
        task_id=r.task_id,
        task_number=task_number,
        created_by=creator_name or creator_login,
        updated_at=r.updated_at,
        version=r.version,
        external_url=r.external_url,
        external_status=r.external_status,
        external_note=r.external_note,
        external_updated_at=r.external_updated_at,
        external_reported=r.external_reported,
    )


async def report_info(s: AsyncSession, report_id: int) -> ReportInfo:
    """One report as a :class:`ReportInfo` (raises :class:`NotFound`)."""
    row = (
        await s.execute(
            _info_select().where(Report.id == report_id).execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound(tr("reports", "Report %1 does not exist.", report_id))
    return _info(row)


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value and key in ("reporter_name", "reporter_contact", "category", "external_id"):
            return None
    return value


def _validate(values: dict[str, Any]) -> None:
    if "subject" in values:
        subject = values["subject"] or ""
        if not subject:
            raise ValidationError(tr("reports", "Enter a subject for the report."), "subject")
        if len(subject) > MAX_SUBJECT:
            raise ValidationError(
                tr("reports", "The subject is too long (at most %1 characters).", MAX_SUBJECT),
                "subject",
            )
    if "source" in values and values["source"] not in REPORT_SOURCES:
        raise ValidationError(
            tr("reports", "Unknown source of a report '%1'.", values["source"]), "source"
        )
    if len(values.get("text") or "") > MAX_TEXT:
        raise ValidationError(
            tr("reports", "The text is too long (at most %1 characters).", MAX_TEXT), "text"
        )
    limits = {"reporter_name": 120, "reporter_contact": 200, "address": 255, "external_id": 64}
    for key, limit in limits.items():
        if len(values.get(key) or "") > limit:
            raise ValidationError(
                tr("reports", "This entry is too long (at most %1 characters).", limit), key
            )
    category = values.get("category")
    if category and category not in CATEGORY_BY_CODE:
        raise ValidationError(tr("reports", "Unknown category '%1'.", category), "category")
    check_moment(values.get("received_at"), "received_at")


def report_values(draft: ReportDraft) -> dict[str, Any]:
    """The checked column values of a new Meldung (raises :class:`ValidationError`)."""
    values = {
        "source": draft.source,
        "subject": draft.subject.strip(),
        "text": draft.text.strip(),
        "reporter_name": _clean("reporter_name", draft.reporter_name or ""),
        "reporter_contact": _clean("reporter_contact", draft.reporter_contact or ""),
        "category": _clean("category", draft.category or ""),
        "address": draft.address.strip(),
        "external_id": _clean("external_id", draft.external_id or ""),
        "received_at": draft.received_at,
    }
    _validate(values)
    validate_coordinates(draft.lat, draft.lon)
    return values


async def _report_number(w: Work) -> str:
    year = local(w.now).year
    if w.on_server:
        # Over all Meldungen, also those row security hides from a field officer.
        return str(
            await w.session.scalar(sql_text("SELECT kod_report_next_number(:y)"), {"y": year})
        )
    return await next_number(w.session, Report.number, "M", year)


async def add_report(w: Work, draft: ReportDraft, values: dict[str, Any]) -> Report:
    """Insert a new Meldung from :func:`report_values` inside ``w`` (audited, fed)."""
    values = {**values, "received_at": draft.received_at or w.now}
    number = await _report_number(w)
    report = Report(
        number=number,
        status="new",
        lat=draft.lat,
        lon=draft.lon,
        stadtteil=await stadtteil_of(w.session, draft.lat, draft.lon),
        created_by_id=w.actor.user_id,
        updated_at=w.now,
        **values,
    )
    w.session.add(report)
    await w.session.flush()
    await w.audit("report.create", "report", report.id, {"number": number})
    w.changed("report", report.id, "insert", report.version)
    return report


class ReportService(WorkItemReader[ReportQuery, ReportInfo]):
    """Everything done with Meldungen."""

    def __init__(self, db: Database, incidents: IncidentService, tasks: TaskService) -> None:
        super().__init__(
            db, Report, Permission.REPORT_READ, _filtered, _ordered, _info_select, _info
        )
        self._incidents = incidents
        self._tasks = tasks

    # -- reading ----------------------------------------------------------------------------

    async def get(self, actor: Actor, report_id: int) -> ReportInfo:
        """One report."""
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            return await report_info(s, report_id)

    # -- writing ----------------------------------------------------------------------------

    async def _locked(self, w: Work, report_id: int, expected_version: int | None) -> Report:
        stmt = select(Report).where(Report.id == report_id)
        if self._db.target.kind == "postgresql":
            stmt = stmt.with_for_update()
        report = await w.session.scalar(stmt.execution_options(populate_existing=True))
        if report is None:
            raise NotFound(tr("reports", "Report %1 does not exist.", report_id))
        if expected_version is not None and report.version != expected_version:
            current = await report_info(w.session, report_id)
            raise ConflictError("report", report_id, expected_version, current)
        return report

    async def create(self, actor: Actor, draft: ReportDraft) -> ReportInfo:
        """Record an incoming Meldung (number ``M-YYYY-NNNNNN``)."""
        values = report_values(draft)
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            report = await add_report(w, draft, values)
            return await report_info(w.session, report.id)

    async def update(
        self, actor: Actor, report_id: int, expected_version: int, changes: dict[str, Any]
    ) -> ReportInfo:
        """Change fields; refused with :class:`ConflictError` if the version is stale."""
        unknown = set(changes) - set(EDITABLE_REPORT_FIELDS)
        if unknown:
            raise ValidationError(
                tr("reports", "These fields cannot be changed: %1", ", ".join(sorted(unknown)))
            )
        changes = {k: _clean(k, v) for k, v in changes.items()}
        _validate(changes)
        if "received_at" in changes and changes["received_at"] is None:
            raise ValidationError(tr("reports", "The date and time are not valid."), "received_at")
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            report = await self._locked(w, report_id, expected_version)
            lat = changes.get("lat", report.lat)
            lon = changes.get("lon", report.lon)
            validate_coordinates(lat, lon)
            diffs = [k for k, v in changes.items() if getattr(report, k) != v]
            if not diffs:
                return await report_info(w.session, report_id)
            for key in diffs:
                setattr(report, key, changes[key])
            if "lat" in diffs or "lon" in diffs:
                report.stadtteil = await stadtteil_of(w.session, lat, lon)
            report.updated_at = w.now
            await w.session.flush()
            await w.audit("report.update", "report", report.id, {"fields": sorted(diffs)})
            w.changed("report", report.id, "update", report.version)
            return await report_info(w.session, report_id)

    async def set_status(
        self, actor: Actor, report_id: int, expected_version: int | None, status: str
    ) -> ReportInfo:
        """Mark a Meldung new, in progress or closed (not once it was converted)."""
        if status not in SETTABLE_STATUSES:
            raise ValidationError(tr("reports", "This status cannot be set by hand."), "status")
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            report = await self._locked(w, report_id, expected_version)
            if report.status == "converted":
                raise ValidationError(
                    tr(
                        "reports",
                        "Report %1 has already been converted; its status stays.",
                        report.number,
                    ),
                    "status",
                )
            if report.status == status:
                return await report_info(w.session, report_id)
            previous = report.status
            report.status = status
            report.updated_at = w.now
            if previous == "closed" and report.external_reported is not None:
                # Reopened here: what is reported to the Open311 platform starts afresh
                # (taken up again, closed again), without fighting a reopening there.
                report.external_reported = None
            await w.session.flush()
            await w.audit("report.status", "report", report.id, {"from": previous, "to": status})
            w.changed("report", report.id, "status", report.version)
            return await report_info(w.session, report_id)

    def _refuse_converted(self, report: Report) -> None:
        if report.status == "converted" or report.incident_id or report.task_id:
            raise ValidationError(
                tr("reports", "Report %1 has already been converted.", report.number)
            )

    async def convert_to_incident(
        self,
        actor: Actor,
        report_id: int,
        expected_version: int | None,
        category: str | None = None,
        priority: int | None = None,
    ) -> ReportInfo:
        """Open an Einsatz from the Meldung; both are linked (one transaction)."""
        await check(self._db, actor, Permission.INCIDENT_WRITE)
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            report = await self._locked(w, report_id, expected_version)
            self._refuse_converted(report)
            code = category or report.category
            if code not in CATEGORY_BY_CODE:
                code = "other"
            contact = report.reporter_contact or ""
            phone = contact if contact and len(contact) <= 64 else None
            lines = [report.subject]
            if report.text and report.text != report.subject:
                lines.append(report.text)
            if contact and phone is None:
                lines.append(tr("reports", "Contact: %1", contact))
            draft = IncidentDraft(
                category=code,
                priority=priority,
                address=report.address,
                lat=report.lat,
                lon=report.lon,
                caller_name=report.reporter_name,
                caller_phone=phone,
                description="\n".join(lines),
                source_report_id=report.id,
            )
            incident_id = await self._incidents.create_in(w, draft)
            await journal(
                w,
                incident_id,
                "created",
                tr(
                    "reports",
                    "Opened from report %1 (received %2).",
                    report.number,
                    format_local(report.received_at),
                ),
            )
            report.incident_id = incident_id
            report.status = "converted"
            report.updated_at = w.now
            await w.session.flush()
            await w.audit("report.convert", "report", report.id, {"incident_id": incident_id})
            w.changed("report", report.id, "converted", report.version)
            return await report_info(w.session, report_id)

    async def convert_to_task(
        self,
        actor: Actor,
        report_id: int,
        expected_version: int | None,
        draft: TaskDraft | None = None,
    ) -> ReportInfo:
        """Make an Auftrag from the Meldung (``draft`` overrides the defaults); both are linked."""
        await check(self._db, actor, Permission.TASK_WRITE)
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            report = await self._locked(w, report_id, expected_version)
            self._refuse_converted(report)
            if draft is None:
                draft = TaskDraft(
                    title=report.subject,
                    description=report.text,
                    category=report.category if report.category in CATEGORY_BY_CODE else None,
                    address=report.address,
                    lat=report.lat,
                    lon=report.lon,
                )
            task_id = await self._tasks.create_in(w, draft, source_report_id=report.id)
            report.task_id = task_id
            report.status = "converted"
            report.updated_at = w.now
            await w.session.flush()
            await w.audit("report.convert", "report", report.id, {"task_id": task_id})
            w.changed("report", report.id, "converted", report.version)
            return await report_info(w.session, report_id)
