"""The reads of the pane "Löschfristen und Sperren": deletions coming up and holds not lifted.

Both lists name the recording officer and the incident, so that whoever confirms a hold or
lets a recording go knows which it is, without opening it (no key is released here). The
recordings an offence case may take as evidence are read here too: those of the case's
officer or incident, or recorded around the time of the offence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.domain.retention import HoldKind
from app.platform.database import Database
from app.platform.errors import NotFound
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, reading
from app.services.offence_privacy import hidden_from
from app.services.recording_retention import RetentionService
from db.models import Incident, OffenceCase, Recording, RecordingHold, User

#: Recordings this long before or after an offence's time are offered as its evidence.
CASE_WINDOW = timedelta(hours=3)
#: Most recordings offered to a case.
CASE_LIMIT = 200


class HoldState(StrEnum):
    """Where a hold stands (a lifted hold is no longer listed)."""

    PROPOSED = "proposed"
    IN_FORCE = "in_force"
    RELEASE_PROPOSED = "release_proposed"


@dataclass(frozen=True)
class RecordingRef:
    """A recording as the lists name it (no content, no key)."""

    id: int
    officer: str
    incident_number: str | None
    started_at: datetime
    ended_at: datetime
    device: str


@dataclass(frozen=True)
class UpcomingRow:
    """A deletion coming up."""

    recording: RecordingRef
    due_at: datetime


@dataclass(frozen=True)
class OpenHold:
    """A hold not lifted, with the recording it keeps."""

    id: int
    recording: RecordingRef
    kind: HoldKind
    file_number: str
    reason: str
    proposed_by: str
    proposed_by_id: int | None
    proposed_at: datetime
    confirmed_by: str | None
    release_proposed_by: str | None
    release_proposed_by_id: int | None
    release_reason: str | None

    @property
    def state(self) -> HoldState:
        """Proposed, in force, or lifting proposed."""
        if self.release_proposed_by is not None:
            return HoldState.RELEASE_PROPOSED
        if self.confirmed_by is None:
            return HoldState.PROPOSED
        return HoldState.IN_FORCE

    def waiting_for(self) -> int | None:
        """The user who may not take the next step (the one who proposed it), if any step
        waits for a second person."""
        if self.state is HoldState.PROPOSED:
            return self.proposed_by_id
        if self.state is HoldState.RELEASE_PROPOSED:
            return self.release_proposed_by_id
        return None


def _officer_name(username: str | None, display: str | None) -> str:
    return f"{display} ({username})" if display else str(username or "")


class RecordingDeskService:
    """Reads for the deletion and hold pane and for linking recordings to offence cases."""

    def __init__(self, db: Database, retention: RetentionService) -> None:
        self._db = db
        self._retention = retention

    async def upcoming(
        self, actor: Actor, days_ahead: int, now: datetime | None = None
    ) -> list[UpcomingRow]:
        """The deletions of the next ``days_ahead`` days (those overdue first)."""
        due = await self._retention.upcoming(actor, days_ahead, now)
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            refs = await _refs(s, [u.recording_id for u in due])
        return [UpcomingRow(refs[u.recording_id], u.due_at) for u in due if u.recording_id in refs]

    async def open_holds(self, actor: Actor) -> list[OpenHold]:
        """Every hold not lifted: those waiting for a second person first, then the newest."""
        h = RecordingHold
        proposer, confirmer, releaser = aliased(User), aliased(User), aliased(User)
        stmt = (
            select(h, proposer.username, confirmer.username, releaser.username)
            .join(proposer, proposer.id == h.created_by_id, isouter=True)
            .join(confirmer, confirmer.id == h.confirmed_by_id, isouter=True)
            .join(releaser, releaser.id == h.released_by_id, isouter=True)
            .where(h.released_at.is_(None))
            .order_by(h.id.desc())
        )
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            rows = (await s.execute(stmt)).all()
            refs = await _refs(s, sorted({r[0].recording_id for r in rows}))
        holds = [
            OpenHold(
                id=r[0].id,
                recording=refs[r[0].recording_id],
                kind=HoldKind(r[0].reason),
                file_number=r[0].file_number,
                reason=r[0].note or "",
                proposed_by=r[1] or "",
                proposed_by_id=r[0].created_by_id,
                proposed_at=r[0].created_at,
                confirmed_by=r[2],
                release_proposed_by=r[3],
                release_proposed_by_id=r[0].released_by_id,
                release_reason=r[0].release_note,
            )
            for r in rows
            if r[0].recording_id in refs
        ]
        return sorted(holds, key=lambda x: x.state is HoldState.IN_FORCE)

    async def for_case(self, actor: Actor, case_id: int) -> list[RecordingRef]:
        """Recordings an offence case may take as evidence: by its officer or of its incident,
        or recorded within :data:`CASE_WINDOW` of the offence; nearest in time first."""
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            case = await s.get(OffenceCase, case_id)
            if case is None or hidden_from(actor, case.officer_id):
                raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
            near = Recording.started_at.between(
                case.committed_at - CASE_WINDOW, case.committed_at + CASE_WINDOW
            )
            wanted: list[ColumnElement[bool]] = [near]
            if case.officer_id is not None:
                wanted.append(Recording.officer_id == case.officer_id)
            if case.incident_id is not None:
                wanted.append(Recording.incident_id == case.incident_id)
            ids = (
                await s.scalars(
                    select(Recording.id)
                    .where(Recording.deleted_at.is_(None), or_(*wanted))
                    .limit(CASE_LIMIT)
                )
            ).all()
            refs = await _refs(s, list(ids))
        when = case.committed_at
        return sorted(refs.values(), key=lambda r: (abs(r.started_at - when), r.id))


async def _refs(s: AsyncSession, ids: list[int]) -> dict[int, RecordingRef]:
    if not ids:
        return {}
    officer = aliased(User)
    rows = (
        await s.execute(
            select(
                Recording.id,
                officer.username,
                officer.display_name,
                Incident.number,
                Recording.started_at,
                Recording.ended_at,
                Recording.device_id,
            )
            .join(officer, officer.id == Recording.officer_id, isouter=True)
            .join(Incident, Incident.id == Recording.incident_id, isouter=True)
            .where(Recording.id.in_(ids), Recording.deleted_at.is_(None))
        )
    ).all()
    return {
        int(r[0]): RecordingRef(int(r[0]), _officer_name(r[1], r[2]), r[3], r[4], r[5], r[6])
        for r in rows
    }
