"""Open311 intake: citizens' requests become Meldungen; closed Meldungen are reported back.

Every write goes through the ordinary report functions under the intake's actor (permission
checked, audited, in the change feed). A request becomes at most one Meldung: the request id is
``report.external_id`` under a unique index, and the cursor (``updated_after``) is the latest
``report.external_updated_at`` in the database, so a restart neither loses nor repeats one.
A status posted back is recorded only after the platform accepted it; until then it is tried
again at every poll and the Meldung itself stays as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.domain.dto_work import ReportDraft
from app.domain.open311 import ServiceRequest, category_for
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.images import CleanPhoto, clean_photo
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, reading, unit_of_work
from app.services.field_photos import attach_photos
from app.services.open311_client import Open311Client, Open311Error
from app.services.reports import MAX_SUBJECT, add_report, report_values
from db.models import Report

log = logging.getLogger(__name__)

SOURCE = "open311"
#: The first poll (no cursor yet) takes requests opened in these last days.
FIRST_POLL_DAYS = 7
#: Tries of one status update within a poll, and the first wait between them (doubling).
STATUS_TRIES = 3
STATUS_RETRY_S = 1.0


@dataclass
class PollResult:
    """What one poll did."""

    created: list[str] = field(default_factory=list)  # Meldung numbers
    known: int = 0
    skipped: list[str] = field(default_factory=list)  # German reasons
    photos: int = 0
    posted: list[str] = field(default_factory=list)  # request ids reported closed
    failed: list[str] = field(default_factory=list)  # request ids still to report


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
    """One platform's requests into this database, and closed Meldungen back to it."""

    def __init__(
        self,
        db: Database,
        client: Open311Client,
        category_map: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._client = client
        self._map = dict(category_map or {})
        self._sleep = sleep

    async def cursor(self, actor: Actor) -> datetime | None:
        """The latest change of a request already taken in (None before the first)."""
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            return await s.scalar(
                select(func.max(Report.external_updated_at)).where(Report.source == SOURCE)
            )

    async def _known(self, actor: Actor, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            rows = await s.scalars(
                select(Report.external_id).where(
                    Report.source == SOURCE, Report.external_id.in_(ids)
                )
            )
            return {r for r in rows if r}

    async def poll(self, actor: Actor) -> PollResult:
        """Take in new requests, then report closed Meldungen back (raises Open311Error)."""
        result = PollResult()
        cursor = await self.cursor(actor)
        start = utcnow() - timedelta(days=FIRST_POLL_DAYS) if cursor is None else None
        requests, skipped = await self._client.requests(cursor, start)
        for reason in skipped:
            log.warning(tr("open311", "Open311 entry skipped: %1", reason))
        result.skipped.extend(skipped)
        known = await self._known(actor, [r.service_request_id for r in requests])
        for request in requests:
            if request.service_request_id in known or request.status != "open":
                result.known += request.service_request_id in known
                continue
            number = await self._take(actor, request, result)
            if number is not None:
                result.created.append(number)
                known.add(request.service_request_id)
        await self.report_back(actor, result)
        return result

    async def _photos(self, request: ServiceRequest) -> list[CleanPhoto]:
        if not request.media_url:
            return []
        try:
            return [clean_photo(await self._client.photo(request.media_url), "media_url")]
        except KodError as exc:
            log.warning(
                tr(
                    "open311",
                    "Photo of Open311 request %1 left out: %2",
                    request.service_request_id,
                    str(exc),
                )
            )
            return []

    async def _take(self, actor: Actor, request: ServiceRequest, result: PollResult) -> str | None:
        try:
            draft = _draft(request, self._map)
            values = {
                **report_values(draft),
                "external_url": self._client.config.request_url(request.service_request_id),
                "external_updated_at": request.updated_datetime or utcnow(),
                "external_status": request.status,
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
        """Post ``closed`` for every closed Meldung the platform does not know closed yet."""
        async with reading(self._db, actor, Permission.REPORT_READ) as s:
            rows = (
                await s.execute(
                    select(Report.id, Report.external_id, Report.number).where(
                        Report.source == SOURCE,
                        Report.status == "closed",
                        Report.external_id.is_not(None),
                        Report.external_status.is_distinct_from("closed"),
                    )
                )
            ).all()
        for report_id, request_id, number in rows:
            note = tr("open311", "Done by the Kommunaler Ordnungsdienst (Meldung %1).", number)
            if await self._post(request_id, note):
                await self._mark_posted(actor, report_id, request_id)
                result.posted.append(request_id)
            else:
                result.failed.append(request_id)

    async def _post(self, request_id: str, note: str) -> bool:
        wait = STATUS_RETRY_S
        for attempt in range(1, STATUS_TRIES + 1):
            try:
                await self._client.post_status(request_id, "closed", note)
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

    async def _mark_posted(self, actor: Actor, report_id: int, request_id: str) -> None:
        async with unit_of_work(self._db, actor, Permission.REPORT_WRITE) as w:
            # Not a change of the Meldung itself: no new version for an open edit dialog.
            await w.session.execute(
                update(Report)
                .where(Report.id == report_id)
                .values(external_status="closed")
                .execution_options(synchronize_session=False)
            )
            await w.audit(
                "report.open311_status",
                "report",
                report_id,
                {"request": request_id, "status": "closed"},
            )
