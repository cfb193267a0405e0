"""Photos from the field stored with their Meldung or offence case, in the same transaction.

Only photos already checked and re-encoded by :func:`app.platform.images.clean_photo` arrive
here; a request refused anywhere rolls back with everything it brought.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.changes import Entity
from app.platform.database import Database
from app.platform.images import CleanPhoto
from app.platform.permissions import Permission
from app.platform.uow import Actor, Work, reading
from db.models import FieldPhoto, OffenceEvidence

#: Most photos with one Meldung or offence capture.
MAX_PHOTOS = 6


@dataclass(frozen=True)
class PhotoInfo:
    """A stored photo without its bytes."""

    id: int
    width: int
    height: int
    size: int
    sha256: str
    taken_at: datetime | None
    lat: float | None
    lon: float | None


async def attach_photos(
    w: Work,
    photos: Sequence[CleanPhoto],
    report_id: int | None = None,
    case_id: int | None = None,
) -> list[int]:
    """Store ``photos`` with a report or an offence case (then also as its evidence)."""
    ids: list[int] = []
    for photo in photos:
        row = FieldPhoto(
            created_at=w.now,
            created_by_id=w.actor.user_id,
            report_id=report_id,
            case_id=case_id,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            size=len(photo.data),
            sha256=photo.sha256,
            taken_at=photo.taken_at,
            lat=photo.lat,
            lon=photo.lon,
            data=photo.data,
        )
        w.session.add(row)
        await w.session.flush()
        ids.append(row.id)
        if case_id is not None:
            w.session.add(
                OffenceEvidence(
                    case_id=case_id,
                    kind="photo",
                    description="",
                    storage_key=f"field_photo:{row.id}",
                    sha256=photo.sha256,
                    added_at=w.now,
                )
            )
    if ids:
        await w.session.flush()
        entity, owner = (
            (Entity.REPORT, report_id) if report_id is not None else (Entity.OFFENCE, case_id)
        )
        assert owner is not None
        await w.audit(
            "field.photos",
            str(entity),
            owner,
            {"photos": ids, "sha256": [p.sha256 for p in photos]},
        )
    return ids


async def report_photos(db: Database, actor: Actor, report_id: int) -> list[PhotoInfo]:
    """The photos of a Meldung (without their bytes)."""
    async with reading(db, actor, Permission.REPORT_READ) as s:
        rows = await s.execute(
            select(
                FieldPhoto.id,
                FieldPhoto.width,
                FieldPhoto.height,
                FieldPhoto.size,
                FieldPhoto.sha256,
                FieldPhoto.taken_at,
                FieldPhoto.lat,
                FieldPhoto.lon,
            )
            .where(FieldPhoto.report_id == report_id)
            .order_by(FieldPhoto.id)
        )
        return [PhotoInfo(*r) for r in rows]
