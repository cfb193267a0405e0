"""Who recorded, in which unit, and which incident a recording probably belongs to.

The incident is only proposed: the unit's assignment that overlaps the recording's time (the
latest one if several do). A person confirms it (:class:`RecordingLinkService`), audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, unit_of_work
from db.models import Incident, IncidentUnit, Recording, Unit, UnitMember, User


async def resolve_people(
    session: AsyncSession, officer: str, call_sign: str | None, at: datetime
) -> tuple[int, int | None]:
    """(officer id, unit id): the unit named, else the officer's unit at ``at`` (if any)."""
    officer_id = await session.scalar(
        select(User.id).where(func.lower(User.username) == officer.strip().lower())
    )
    if officer_id is None:
        raise ValidationError(
            tr("evidence", "There is no user account '%1' for the recording officer.", officer),
            "officer",
        )
    if call_sign:
        unit_id = await session.scalar(select(Unit.id).where(Unit.call_sign == call_sign.strip()))
        if unit_id is None:
            raise ValidationError(
                tr("evidence", "There is no unit with the call sign '%1'.", call_sign), "unit"
            )
        return officer_id, unit_id
    unit_id = await session.scalar(
        select(UnitMember.unit_id)
        .where(
            UnitMember.user_id == officer_id,
            UnitMember.since <= at,
            or_(UnitMember.until.is_(None), UnitMember.until >= at),
        )
        .order_by(UnitMember.since.desc())
        .limit(1)
    )
    return officer_id, unit_id


async def proposed_incident(
    session: AsyncSession, unit_id: int, start: datetime, end: datetime
) -> tuple[int, str] | None:
    """(incident id, number) the unit was assigned to while the recording ran, if any."""
    row = (
        await session.execute(
            select(Incident.id, Incident.number)
            .join(IncidentUnit, IncidentUnit.incident_id == Incident.id)
            .where(
                IncidentUnit.unit_id == unit_id,
                IncidentUnit.assigned_at <= end,
                or_(IncidentUnit.released_at.is_(None), IncidentUnit.released_at >= start),
            )
            .order_by(IncidentUnit.assigned_at.desc())
            .limit(1)
        )
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


class RecordingLinkService:
    """A person confirms (or corrects, or clears) the incident a recording belongs to."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def confirm_incident(
        self, actor: Actor, recording_id: int, incident_id: int | None, expected_version: int
    ) -> int:
        """Link ``recording_id`` to ``incident_id`` (None: no incident); returns the version.

        Refused with :class:`ConflictError` if the recording changed since it was read.
        """
        async with unit_of_work(self._db, actor, Permission.RECORDING_IMPORT) as w:
            rec = await w.session.get(Recording, recording_id)
            if rec is None or rec.deleted_at is not None:
                raise NotFound(
                    tr(
                        "evidence",
                        "The recording no. %1 does not exist or was deleted.",
                        recording_id,
                    )
                )
            if rec.version != expected_version:
                raise ConflictError("recording", recording_id, expected_version, rec)
            number = None
            if incident_id is not None:
                number = await w.session.scalar(
                    select(Incident.number).where(Incident.id == incident_id)
                )
                if number is None:
                    raise NotFound(
                        tr("evidence", "The incident no. %1 does not exist.", incident_id)
                    )
            previous = rec.incident_id
            rec.incident_id = incident_id
            await w.session.flush()
            await w.audit(
                "recording.link",
                "recording",
                recording_id,
                details={
                    "incident": number,
                    "previous_incident_id": previous,
                    "proposed_incident_id": rec.proposed_incident_id,
                },
            )
            w.changed("recording", recording_id, "update", rec.version)
            return rec.version
