"""A Meldung from the field, with its photos, in one transaction (``report.field``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.domain.dto_work import ReportDraft, ReportInfo
from app.platform.database import Database
from app.platform.images import CleanPhoto
from app.platform.permissions import Permission
from app.platform.uow import Actor, unit_of_work
from app.services.field_photos import attach_photos
from app.services.reports import add_report, report_info, report_values


async def report_from_field(
    db: Database, actor: Actor, draft: ReportDraft, photos: Sequence[CleanPhoto] = ()
) -> ReportInfo:
    """Record a field officer's Meldung (source ``field``) with its photos."""
    draft = replace(draft, source="field", reporter_name=actor.display_name or actor.username)
    values = report_values(draft)
    async with unit_of_work(db, actor, Permission.REPORT_FIELD) as w:
        report = await add_report(w, draft, values)
        await attach_photos(w, photos, report_id=report.id)
        return await report_info(w.session, report.id)
