"""Open311 intake: citizens' requests become Meldungen; their fate goes both ways.

Every write goes through the ordinary report functions under the intake's actor (permission
checked, audited, in the change feed). A request becomes at most one Meldung: the request id is
``report.external_id`` under a unique index, and the cursor (``updated_after``) is the latest
``report.external_updated_at`` in the database, so a restart neither loses nor repeats one.

A later change on the platform to a request already taken in (closed by another department
or by the platform, a new note) is written to the Meldung's ``external_*`` columns only: the
dispatcher's own fields, status and version stay untouched (an open edit dialog does not
conflict), the change is audited and fed to the workstations, which mark a Meldung still open
here but closed there. It is never closed silently: the dispatcher decides. A change is
applied only when the platform's ``updated_datetime`` is newer than the one kept, so an old
list entry never undoes a newer state.

Back to the platform go ``closed`` when a Meldung is closed, and (setting
``open311.report_progress``) ``open`` with a note when it is taken up (in progress or made an
Einsatz/Auftrag). ``external_reported`` records what was reported; nothing is posted twice,
and never a status the platform itself sent (a request closed there is not reported closed
again; a request reopened there after we closed it is marked, not closed again). A status
is recorded only after the platform accepted it; until then it is tried again at every poll
and the Meldung itself stays as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.domain.codes import JOURNAL_NOTE
from app.domain.dto_work import OPEN_REPORT_STATUSES, ReportDraft
from app.domain.open311 import ServiceRequest, category_for
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.images import CleanPhoto, clean_photo
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, reading, unit_of_work
from app.services.field_photos import attach_photos
from app.services.incident_common import journal
from app.services.open311_client import Open311Client, Open311Error
from app.services.reports import MAX_SUBJECT, add_report, report_values
from db.models import Incident, Report

log = logging.getLogger(__name__)

SOURCE = "open311"
#: The first poll (no cursor yet) takes requests opened in these last days.
FIRST_POLL_DAYS = 7
#: Tries of one status update within a poll, and the first wait between them (doubling).
STATUS_TRIES = 3
STATUS_RETRY_S = 1.0
#: The cursor reaches back this far: ``updated_after`` is strict and platforms keep whole
#: seconds, so a change in the same second as the last one seen is not lost. Entries seen
#: again change nothing.
CURSOR_OVERLAP = timedelta(minutes=1)
#: Meldung statuses that count as taken up (reported as ``open`` with a note).
TAKEN_UP = ("in_progress", "converted")


@dataclass
class PollResult:
    """What one poll did."""

    created: list[str] = field(default_factory=list)  # Meldung numbers
    known: int = 0
    skipped: list[str] = field(default_factory=list)  # German reasons
    photos: int = 0
    posted: list[str] = field(default_factory=list)  # request ids whose status was reported
    failed: list[str] = field(default_factory=list)  # request ids still to report
    updated: list[str] = field(default_factory=list)  # request ids changed on the platform
    closed_there: list[str] = field(default_factory=list)  # open Meldungen closed there


@dataclass(frozen=True)
class _Known:
    """A Meldung already taken in, as the intake compares it with the platform's entry."""

    report_id: int
    number: str
    status: str
    version: int
    incident_id: int | None
    external_status: str | None
    external_note: str | None
    external_updated_at: datetime | None


def _draft(request: ServiceRequest, mapping: dict[str, str]) -> ReportDraft:
    subject = request.service_name or request.service_code or tr("open311", "Citizen report")
    return ReportDraft(
        subject=subject[:MAX_SUBJECT],
        source=SOURCE,
        text=request.description[:10_000],
        received_at=request.requested_datetime,
        category=category_for(request.service_code, mapping),
        address=request.address[:255],
        lat=request.lat,
        lon=request.lon,
        external_id=request.service_request_id,
    )


class Open311Intake:
    """One platform's requests into this database, their changes too, and our statuses back."""

    def __init__(
        self,
        db: Database,
        client: Open311Client,
        category_map: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        *,
        report_progress: bool = True,
    ) -> None:
        self._db = db
        self._client = client
        self._map = dict(category_map or {})
        self._sleep = sleep
        self._report_progress = report_progress

    async def cursor(self, actor: Actor) -> datetime | None:
        """The latest change of a request already taken in (None before the first)."""
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            return await s.scalar(
                select(func.max(Report.external_updated_at)).where(Report.source == SOURCE)
            )

    async def _known(self, actor: Actor, ids: list[str]) -> dict[str, _Known]:
        if not ids:
            return {}
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            rows = await s.execute(
                select(
                    Report.external_id,
                    Report.id,
                    Report.number,
                    Report.status,
                    Report.version,
                    Report.incident_id,
                    Report.external_status,
                    Report.external_note,
                    Report.external_updated_at,
                ).where(Report.source == SOURCE, Report.external_id.in_(sorted(set(ids))))
            )
            return {r[0]: _Known(*r[1:]) for r in rows if r[0]}

    async def poll(self, actor: Actor) -> PollResult:
        """Take in new requests, apply the platform's changes, report statuses back.

        Raises :class:`Open311Error` when the platform cannot be read.
        """
        result = PollResult()
        cursor = await self.cursor(actor)
        since = cursor - CURSOR_OVERLAP if cursor is not None else None
        start = utcnow() - timedelta(days=FIRST_POLL_DAYS) if cursor is None else None
        requests, skipped = await self._client.requests(since, start)
        for reason in skipped:
            log.warning(tr("open311", "Open311 entry skipped: %1", reason))
        result.skipped.extend(skipped)
        known = await self._known(actor, [r.service_request_id for r in requests])
        taken: set[str] = set()
        for request in requests:
            row = known.get(request.service_request_id)
            if row is not None:
                result.known += 1
                if await self._apply(actor, row, request, result):
                    # A second entry of the same request in this answer compares with this one.
                    known[request.service_request_id] = _Known(
                        row.report_id,
                        row.number,
                        row.status,
                        row.version,
                        row.incident_id,
                        request.status,
                        request.status_notes or row.external_note,
                        request.updated_datetime or row.external_updated_at,
                    )
                continue
            if request.service_request_id in taken or request.status != "open":
                result.known += request.service_request_id in taken
                continue
            number = await self._take(actor, request, result)
            if number is not None:
                result.created.append(number)
                taken.add(request.service_request_id)
        await self.report_back(actor, result)
        return result

    async def _apply(
        self, actor: Actor, row: _Known, request: ServiceRequest, result: PollResult
    ) -> bool:
        """Write what the platform changed on a request taken in earlier; True if anything."""
        moment = request.updated_datetime
        known_at = row.external_updated_at
        if moment is not None and known_at is not None and moment <= known_at:
            return False  # nothing newer than what we have (or an old list entry)
        status_changed = request.status != (row.external_status or "open")
        note = request.status_notes
        note_changed = bool(note) and note != (row.external_note or "")
        if not (status_changed or note_changed or moment is not None):
            return False
        values: dict[str, Any] = {}
        if moment is not None:
            values["external_updated_at"] = moment
        if status_changed:
            values["external_status"] = request.status
        if note_changed:
            values["external_note"] = note
        closed_there = status_changed and request.status == "closed" and row.status != "closed"
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            # Only the platform's columns: no new version, the dispatcher's work stays.
            await w.session.execute(
                update(Report)
                .where(Report.id == row.report_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not (status_changed or note_changed):
                return True  # the cursor moves on; nothing a dispatcher needs to know
            await w.audit(
                "report.open311_update",
                "report",
                row.report_id,
                {
                    "request": request.service_request_id,
                    "from": row.external_status,
                    "to": request.status,
                    "note": note[:200],
                    "updated": moment.isoformat() if moment else None,
                },
            )
            w.changed("report", row.report_id, "update", row.version)
            if closed_there and row.status == "converted" and row.incident_id is not None:
                # Whoever works the Einsatz made from it learns it in the journal.
                await journal(
                    w,
                    row.incident_id,
                    JOURNAL_NOTE,
                    tr(
                        "open311",
                        "Citizen report %1 was closed on the Open311 platform: %2",
                        row.number,
                        note or "-",
                    ),
                )
                version = await w.session.scalar(
                    select(Incident.version).where(Incident.id == row.incident_id)
                )
                w.changed("incident", row.incident_id, "journal", version)
        result.updated.append(request.service_request_id)
        if closed_there and row.status in OPEN_REPORT_STATUSES:
            result.closed_there.append(row.number)
            log.info(
                tr(
                    "open311",
                    "Open311 request %1 was closed on the platform; Meldung %2 is still open.",
                    request.service_request_id,
                    row.number,
                )
            )
        return True

    async def _photos(self, request: ServiceRequest) -> list[CleanPhoto]:
        photos: list[CleanPhoto] = []
        for url in request.media_urls:
            try:
                photos.append(clean_photo(await self._client.photo(url), "media_url"))
            except KodError as exc:
                log.warning(
                    tr(
                        "open311",
                        "Photo of Open311 request %1 left out: %2",
                        request.service_request_id,
                        str(exc),
                    )
                )
        return photos

    async def _take(self, actor: Actor, request: ServiceRequest, result: PollResult) -> str | None:
        try:
            draft = _draft(request, self._map)
            values = {
                **report_values(draft),
                "external_url": self._client.config.request_url(request.service_request_id),
                "external_updated_at": request.updated_datetime or utcnow(),
                "external_status": request.status,
                "external_note": request.status_notes or None,
            }
        except KodError as exc:
            reason = tr("open311", "Request %1: %2", request.service_request_id, str(exc))
            log.warning(tr("open311", "Open311 entry skipped: %1", reason))
            result.skipped.append(reason)
            return None
        photos = await self._photos(request)
        try:
            async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
                report = await add_report(w, draft, values)
                await attach_photos(w, photos, report_id=report.id)
                await w.audit(
                    "report.open311",
                    "report",
                    report.id,
                    {"request": request.service_request_id, "url": report.external_url},
                )
                number = report.number
        except IntegrityError:
            # Taken in meanwhile by another intake (unique request id): nothing twice.
            result.known += 1
            return None
        result.photos += len(photos)
        return number

    async def report_back(self, actor: Actor, result: PollResult) -> None:
        """Post ``closed`` for closed Meldungen and ``open`` for those taken up, once each.

        Nothing goes to a request the platform itself has closed, nor ``closed`` again to a
        request reopened there after we reported it closed.
        """
        closed_due = and_(
            Report.status == "closed",
            Report.external_status.is_distinct_from("closed"),
            Report.external_reported.is_distinct_from("closed"),
        )
        due = closed_due
        if self._report_progress:
            due = or_(
                closed_due,
                and_(
                    Report.status.in_(TAKEN_UP),
                    Report.external_reported.is_(None),
                    Report.external_status.is_distinct_from("closed"),
                ),
            )
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            rows = (
                await s.execute(
                    select(
                        Report.id, Report.external_id, Report.number, Report.status, Report.version
                    )
                    .where(Report.source == SOURCE, Report.external_id.is_not(None), due)
                    .order_by(Report.id)
                )
            ).all()
        for report_id, request_id, number, status, version in rows:
            if status == "closed":
                posted, reported = "closed", "closed"
                note = tr("open311", "Done by the Kommunaler Ordnungsdienst (Meldung %1).", number)
            else:
                posted, reported = "open", "in_progress"
                note = tr(
                    "open311",
                    "Taken up by the Kommunaler Ordnungsdienst (Meldung %1), in progress.",
                    number,
                )
            if await self._post(request_id, posted, note):
                await self._mark_posted(
                    actor, report_id, version, request_id, posted, reported, note
                )
                result.posted.append(request_id)
            else:
                result.failed.append(request_id)

    async def _post(self, request_id: str, status: str, note: str) -> bool:
        wait = STATUS_RETRY_S
        for attempt in range(1, STATUS_TRIES + 1):
            try:
                await self._client.post_status(request_id, status, note)
                return True
            except Open311Error as exc:
                log.warning(
                    tr(
                        "open311",
                        "Status of Open311 request %1 not sent (try %2 of %3): %4",
                        request_id,
                        attempt,
                        STATUS_TRIES,
                        str(exc),
                    )
                )
                if attempt < STATUS_TRIES:
                    await self._sleep(wait)
                    wait *= 2
        return False

    async def _mark_posted(
        self,
        actor: Actor,
        report_id: int,
        version: int,
        request_id: str,
        status: str,
        reported: str,
        note: str,
    ) -> None:
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            # Not a change of the Meldung itself: no new version for an open edit dialog.
            # The platform now shows our status and note: when it lists them again, that is
            # no news (and nothing to post back).
            await w.session.execute(
                update(Report)
                .where(Report.id == report_id)
                .values(external_status=status, external_note=note, external_reported=reported)
                .execution_options(synchronize_session=False)
            )
            await w.audit(
                "report.open311_status",
                "report",
                report_id,
                {"request": request_id, "status": status, "reported": reported},
            )
            w.changed("report", report_id, "update", version)
