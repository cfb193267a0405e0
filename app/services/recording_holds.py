"""Holds on bodycam recordings: set and lifted by two different people, audited.

One person proposes a hold (kind, file number for proceedings, reason): from then on the
recording is kept, because deletion cannot be undone. A second person who may confirm holds
(the recording officer's supervisor: the shift lead, :data:`Permission.RECORDING_HOLD_CONFIRM`)
confirms it; lifting it is proposed and confirmed the same way, and only then can the deletion
job take the recording. The proposer can never be the confirmer: check constraints say so on
every database, and on PostgreSQL the confirmation is written only by the server's definer
functions ``kod_recording_hold_confirm`` and ``kod_recording_hold_release``, which compare the
session's own login with the proposer (db/pg_security/recordings.sql).

:meth:`HoldService.propose_hold` is the public entry for other features (an offence case that
takes a recording as evidence proposes a hold with its file number).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import aliased

from app.domain.retention import HoldKind
from app.platform.database import Database
from app.platform.errors import NotFound, PermissionDenied, ValidationError
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, Work, reading, unit_of_work
from db.models import Recording, RecordingHold, User

#: The change feed's entity of recordings.
RECORDING = "recording"
#: The shortest reason accepted for setting or lifting a hold.
MIN_REASON = 8


@dataclass(frozen=True)
class HoldInfo:
    """One hold as the lists show it."""

    id: int
    recording_id: int
    kind: HoldKind
    file_number: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    release_proposed_by: str | None
    release_requested_at: datetime | None
    release_reason: str | None
    released_by: str | None
    released_at: datetime | None

    @property
    def in_force(self) -> bool:
        """Confirmed and not lifted."""
        return self.confirmed_at is not None and self.released_at is None

    @property
    def keeps(self) -> bool:
        """Keeps the recording from deletion (proposed, in force, or lifting not confirmed)."""
        return self.released_at is None


def _second_person() -> PermissionDenied:
    exc = PermissionDenied(
        tr("evidence", "confirm your own proposal"), "", Permission.RECORDING_HOLD_CONFIRM.value
    )
    exc.message = tr(
        "evidence",
        "A hold is set or lifted by two different people: the proposal must be confirmed by "
        "someone else (the recording officer's supervisor).",
    )
    exc.args = (exc.message,)
    return exc


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            tr(
                "evidence",
                "Please state the reason for the hold (at least %1 characters).",
                MIN_REASON,
            ),
            "reason",
        )
    return reason


@dataclass(frozen=True)
class HoldProposal:
    """A checked proposal: kind, file number, reason."""

    kind: HoldKind
    file_number: str
    reason: str


def checked_proposal(kind: HoldKind | str, file_number: str | None, reason: str) -> HoldProposal:
    """Check what a proposal says (German ValidationError naming the field)."""
    try:
        kind = HoldKind(kind)
    except ValueError:
        raise ValidationError(tr("evidence", "Unknown kind of hold: %1", kind), "kind") from None
    number = (file_number or "").strip()
    if kind.needs_file_number and not number:
        raise ValidationError(
            tr("evidence", "A hold for proceedings needs the file number (Aktenzeichen)."),
            "file_number",
        )
    if len(number) > 64:
        raise ValidationError(tr("evidence", "The file number is too long."), "file_number")
    return HoldProposal(kind, number, _checked_reason(reason))


async def add_proposal(w: Work, recording_id: int, proposal: HoldProposal) -> int:
    """Write a proposed hold inside ``w`` (the caller checked ``recording.hold``); audited and
    announced. For features that propose a hold with their own change in one transaction."""
    exists = await w.session.scalar(
        select(Recording.id).where(Recording.id == recording_id, Recording.deleted_at.is_(None))
    )
    if exists is None:
        raise NotFound(
            tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
        )
    # Only the proposal's columns: on PostgreSQL a login may insert no others.
    inserted = await w.session.execute(
        insert(RecordingHold)
        .values(
            recording_id=recording_id,
            reason=proposal.kind.value,
            file_number=proposal.file_number,
            note=proposal.reason,
            created_by_id=w.actor.user_id,
            created_at=w.now,
        )
        .returning(RecordingHold.id)
    )
    hold_id = int(inserted.scalar_one())
    await w.audit(
        "recording.hold.propose",
        "recording",
        recording_id,
        details={
            "hold": hold_id,
            "kind": proposal.kind.value,
            "file_number": proposal.file_number,
        },
        reason=proposal.reason,
    )
    w.changed(RECORDING, recording_id, "update")
    return hold_id


class HoldService:
    """Propose, confirm and lift holds."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def propose_hold(
        self,
        recording_id: int,
        kind: HoldKind | str,
        file_number: str | None,
        reason: str,
        actor: Actor,
    ) -> int:
        """Propose a hold on ``recording_id``; returns the hold's id (it keeps the recording
        from now on; a second person confirms it with :meth:`confirm_hold`)."""
        proposal = checked_proposal(kind, file_number, reason)
        async with unit_of_work(self._db, actor, Permission.RECORDING_HOLD) as w:
            return await add_proposal(w, recording_id, proposal)

    async def confirm_hold(self, actor: Actor, hold_id: int) -> None:
        """Confirm a proposed hold (someone other than its proposer)."""
        await self._second_person_step(actor, hold_id, _CONFIRM)

    async def propose_release(self, actor: Actor, hold_id: int, reason: str) -> None:
        """Propose lifting a hold (a second person confirms with :meth:`confirm_release`)."""
        why = _checked_reason(reason)
        async with unit_of_work(self._db, actor, Permission.RECORDING_HOLD) as w:
            hold = await self._hold(w, hold_id)
            if hold.released_at is not None:
                raise ValidationError(tr("evidence", "This hold was lifted already."), "hold")
            hold.released_by_id = actor.user_id
            hold.release_requested_at = w.now
            hold.release_note = why
            await w.session.flush()
            await w.audit(
                "recording.hold.release_propose",
                "recording",
                hold.recording_id,
                details=_hold_details(hold),
                reason=why,
            )
            w.changed(RECORDING, hold.recording_id, "update")

    async def confirm_release(self, actor: Actor, hold_id: int) -> None:
        """Confirm lifting a hold (someone other than who proposed lifting it)."""
        await self._second_person_step(actor, hold_id, _RELEASE)

    async def _second_person_step(self, actor: Actor, hold_id: int, step: _Step) -> None:
        """The second person's confirmation: on PostgreSQL written by the server's function,
        which checks the same as here against the session's own login."""
        async with unit_of_work(self._db, actor, Permission.RECORDING_HOLD_CONFIRM) as w:
            hold = await self._hold(w, hold_id)
            if not step.waiting(hold):
                raise ValidationError(tr("evidence", step.not_waiting), "hold")
            if actor.user_id is None or actor.user_id == step.first_person(hold):
                raise _second_person()
            if w.on_server:
                await w.session.execute(
                    text(f"SELECT {step.function}(:h, :ws)"), {"h": hold_id, "ws": w.workstation}
                )
            else:
                step.apply(hold, actor.user_id, w.now)
                await w.session.flush()
                await w.audit(
                    step.action,
                    "recording",
                    hold.recording_id,
                    details=_hold_details(hold),
                    reason=step.reason(hold),
                )
            w.changed(RECORDING, hold.recording_id, "update")

    async def holds(self, actor: Actor, recording_id: int) -> list[HoldInfo]:
        """Every hold of ``recording_id``, oldest first."""
        people = {
            name: aliased(User)
            for name in ("proposer", "confirmer", "release_proposer", "releaser")
        }
        h = RecordingHold
        stmt = (
            select(
                h,
                people["proposer"].username,
                people["confirmer"].username,
                people["release_proposer"].username,
                people["releaser"].username,
            )
            .join(people["proposer"], people["proposer"].id == h.created_by_id, isouter=True)
            .join(people["confirmer"], people["confirmer"].id == h.confirmed_by_id, isouter=True)
            .join(
                people["release_proposer"],
                people["release_proposer"].id == h.released_by_id,
                isouter=True,
            )
            .join(
                people["releaser"], people["releaser"].id == h.release_consent_by_id, isouter=True
            )
            .where(h.recording_id == recording_id)
            .order_by(h.id)
        )
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            rows = (await s.execute(stmt)).all()
        return [
            HoldInfo(
                id=row[0].id,
                recording_id=row[0].recording_id,
                kind=HoldKind(row[0].reason),
                file_number=row[0].file_number,
                reason=row[0].note or "",
                proposed_by=row[1] or "",
                proposed_at=row[0].created_at,
                confirmed_by=row[2],
                confirmed_at=row[0].confirmed_at,
                release_proposed_by=row[3],
                release_requested_at=row[0].release_requested_at,
                release_reason=row[0].release_note,
                released_by=row[4],
                released_at=row[0].released_at,
            )
            for row in rows
        ]

    @staticmethod
    async def _hold(w: Work, hold_id: int) -> RecordingHold:
        hold = await w.session.get(RecordingHold, hold_id)
        if hold is None:
            raise NotFound(tr("evidence", "The hold no. %1 does not exist.", hold_id))
        return hold


def _hold_details(hold: RecordingHold) -> dict[str, object]:
    return {"hold": hold.id, "kind": hold.reason, "file_number": hold.file_number}


@dataclass(frozen=True)
class _Step:
    """A second person's step: confirming a hold, or consenting to lifting it."""

    action: str
    function: str
    not_waiting: str
    waiting: Callable[[RecordingHold], bool]
    first_person: Callable[[RecordingHold], int | None]
    apply: Callable[[RecordingHold, int, datetime], None]
    reason: Callable[[RecordingHold], str | None]


def _confirm(hold: RecordingHold, who: int, now: datetime) -> None:
    hold.confirmed_by_id, hold.confirmed_at = who, now


def _release(hold: RecordingHold, who: int, now: datetime) -> None:
    hold.release_consent_by_id, hold.released_at = who, now


_CONFIRM = _Step(
    action="recording.hold.confirm",
    function="kod_recording_hold_confirm",
    not_waiting=N_("evidence", "This hold is not waiting for a confirmation."),
    waiting=lambda h: h.confirmed_at is None and h.released_at is None,
    first_person=lambda h: h.created_by_id,
    apply=_confirm,
    reason=lambda h: h.note,
)
_RELEASE = _Step(
    action="recording.hold.release",
    function="kod_recording_hold_release",
    not_waiting=N_("evidence", "Lifting this hold was not proposed."),
    waiting=lambda h: h.released_at is None and h.release_requested_at is not None,
    first_person=lambda h: h.released_by_id,
    apply=_release,
    reason=lambda h: h.release_note,
)
