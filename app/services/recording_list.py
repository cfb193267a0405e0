"""Which recordings there are: per incident, per officer, one by id, with their deletion date.

Reading the list needs the right to view recordings but opens nothing (no key is released, no
picture decrypted); opening one goes through :mod:`app.services.recording_access`. A recording
under a hold has no deletion date; the holds themselves (and the deletion job) belong to the
retention service, which this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import aliased

from app.platform.database import Database
from app.platform.errors import NotFound
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, reading
from db.models import Incident, Recording, RecordingHold, Unit, User

#: The most rows one list shows (newest first).
LIST_LIMIT = 500


@dataclass(frozen=True)
class RecordingRow:
    """One recording as the lists and the clip viewer show it (no key, no content)."""

    id: int
    version: int
    started_at: datetime
    ended_at: datetime
    duration_ms: int | None
    officer_id: int
    officer_name: str
    device_id: str
    unit_call_sign: str | None
    #: The confirmed incident, else None (see ``proposed_…``).
    incident_id: int | None
    incident_number: str | None
    proposed_incident_id: int | None
    proposed_incident_number: str | None
    reason: str
    announced: bool
    inside_home: bool
    location: str | None
    width: int | None
    height: int | None
    video_codec: str | None
    frame_rate: float | None
    size_bytes: int
    original_name: str | None
    #: Deleted at this time unless a hold is set first (None: a hold keeps it).
    deletion_at: datetime | None
    held: bool

    @property
    def frame_ms(self) -> float:
        """The length of one frame in milliseconds (25 fps if unknown)."""
        rate = self.frame_rate if self.frame_rate and self.frame_rate > 0 else 25.0
        return 1000.0 / rate


def deletion_at(delete_after: datetime, held: bool) -> datetime | None:
    """When a recording is deleted: its due date, unless a hold keeps it (then never)."""
    return None if held else delete_after


_Confirmed = aliased(Incident)
_Proposed = aliased(Incident)


def _query() -> Select[Any]:
    held = exists().where(
        RecordingHold.recording_id == Recording.id, RecordingHold.released_at.is_(None)
    )
    return (
        select(
            Recording,
            User.display_name,
            Unit.call_sign,
            _Confirmed.number,
            _Proposed.number,
            held.label("held"),
        )
        .join(User, User.id == Recording.officer_id)
        .outerjoin(Unit, Unit.id == Recording.unit_id)
        .outerjoin(_Confirmed, _Confirmed.id == Recording.incident_id)
        .outerjoin(_Proposed, _Proposed.id == Recording.proposed_incident_id)
        .where(Recording.deleted_at.is_(None))
    )


def _row(found: tuple[Any, ...]) -> RecordingRow:
    rec, officer, call_sign, number, proposed, held = found
    assert isinstance(rec, Recording)
    return RecordingRow(
        id=rec.id,
        version=rec.version,
        started_at=rec.started_at,
        ended_at=rec.ended_at,
        duration_ms=rec.duration_ms,
        officer_id=rec.officer_id,
        officer_name=str(officer),
        device_id=rec.device_id,
        unit_call_sign=str(call_sign) if call_sign is not None else None,
        incident_id=rec.incident_id,
        incident_number=str(number) if number is not None else None,
        proposed_incident_id=rec.proposed_incident_id,
        proposed_incident_number=str(proposed) if proposed is not None else None,
        reason=rec.reason,
        announced=rec.announced,
        inside_home=rec.inside_home,
        location=rec.location,
        width=rec.width,
        height=rec.height,
        video_codec=rec.video_codec,
        frame_rate=rec.frame_rate,
        size_bytes=rec.size_bytes,
        original_name=rec.original_name,
        deletion_at=deletion_at(rec.delete_after, bool(held)),
        held=bool(held),
    )


@dataclass(frozen=True)
class Officer:
    """Someone who recorded: for choosing whose recordings to list."""

    id: int
    name: str
    recordings: int


class RecordingListService:
    """Read recordings (details only, never their content)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _list(self, actor: Actor, query: Select[Any]) -> list[RecordingRow]:
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            rows = (
                await s.execute(query.order_by(Recording.started_at.desc()).limit(LIST_LIMIT))
            ).all()
        return [_row(tuple(r)) for r in rows]

    async def for_incident(self, actor: Actor, incident_id: int) -> list[RecordingRow]:
        """The recordings linked to the incident, and those only proposed for it."""
        return await self._list(
            actor,
            _query().where(
                or_(
                    Recording.incident_id == incident_id,
                    (Recording.incident_id.is_(None))
                    & (Recording.proposed_incident_id == incident_id),
                )
            ),
        )

    async def for_officer(self, actor: Actor, officer_id: int) -> list[RecordingRow]:
        """The recordings of one officer."""
        return await self._list(actor, _query().where(Recording.officer_id == officer_id))

    async def recent(self, actor: Actor) -> list[RecordingRow]:
        """Every recording kept, newest first (at most :data:`LIST_LIMIT`)."""
        return await self._list(actor, _query())

    async def get(self, actor: Actor, recording_id: int) -> RecordingRow:
        """One recording's details (NotFound once it is deleted)."""
        rows = await self._list(actor, _query().where(Recording.id == recording_id))
        if not rows:
            raise NotFound(
                tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
            )
        return rows[0]

    async def officers(self, actor: Actor) -> list[Officer]:
        """Everyone with a recording kept, by name."""
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            rows = (
                await s.execute(
                    select(User.id, User.display_name, func.count(Recording.id))
                    .join(Recording, Recording.officer_id == User.id)
                    .where(Recording.deleted_at.is_(None))
                    .group_by(User.id, User.display_name)
                    .order_by(User.display_name)
                )
            ).all()
        return [Officer(int(r[0]), str(r[1]), int(r[2])) for r in rows]
