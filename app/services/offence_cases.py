"""Offence cases: capture, the status workflow with its history, the limitation clock.

A case is made with one catalogue revision and keeps it. Its limitation date is computed from
that revision's statutory maximum, the culpability and the interruptions so far
(:mod:`app.domain.offences.limitation`) and stored, so that the list of cases by days left is
one indexed query. Every step is a row in the case's history, audited and announced.

Writing needs ``offence.write``; reading ``offence.read`` (field officers, who only capture,
read their own cases through ``offence.write``; on PostgreSQL the server limits them to those).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.changes import Entity
from app.domain.offences.cases import (
    CLOSED,
    CaseDraft,
    CaseEvent,
    CaseInfo,
    CaseStatus,
    PersonDraft,
    check_draft_text,
    check_person,
    check_step,
    status_label,
)
from app.domain.offences.caution import caution_terms
from app.domain.offences.limitation import (
    Culpability,
    Interruption,
    InterruptionKind,
    Limitation,
    limitation,
)
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.images import CleanPhoto
from app.platform.permissions import Permission, allowed
from app.platform.timeutil import local
from app.platform.uow import Actor, Work, reading, unit_of_work
from app.services.field_photos import attach_photos
from app.services.incident_common import next_number
from app.services.offence_evidence import EvidenceItem, add_witness, evidence, link_recording
from app.services.offence_privacy import (
    OWN_CASE_ROLES,
    AnonymiseResult,
    anonymise_closed,
    audit_person_reads,
    hidden_from,
    own_case,
    without_person,
)
from db.models import OffenceCase, OffenceCaseEvent, OffenceCatalogueEntry, OffencePerson, User

#: Tatzeit may lie this far in the future (clocks of field devices differ a little).
CLOCK_SKEW = timedelta(minutes=5)


def _hidden(actor: Actor, case: OffenceCase) -> bool:
    return hidden_from(actor, case.officer_id)


def _reader(actor: Actor) -> Permission:
    if allowed(actor.role, Permission.OFFENCE_READ):
        return Permission.OFFENCE_READ
    return (
        Permission.OFFENCE_WRITE
        if allowed(actor.role, Permission.OFFENCE_WRITE)
        else (Permission.OFFENCE_READ)
    )


def _limitation(case: OffenceCase, entry: OffenceCatalogueEntry) -> Limitation:
    acts = []
    if case.hearing_date is not None:
        acts.append(Interruption(case.hearing_date, InterruptionKind.FIRST_HEARING))
    return limitation(
        local(case.committed_at).date(),
        entry.statutory_max_cents,
        Culpability(case.culpability),
        entry.is_traffic,
        acts,
    )


async def case_info(s: AsyncSession, case: OffenceCase) -> CaseInfo:
    """The case as :class:`CaseInfo` (its catalogue revision, person, limitation)."""
    entry = await s.get(OffenceCatalogueEntry, case.catalogue_entry_id)
    if entry is None:  # pragma: no cover - the foreign key keeps it
        raise NotFound(tr("offences", "Case %1 has no catalogue entry.", case.number))
    person = await s.scalar(
        select(OffencePerson).where(
            OffencePerson.case_id == case.id, OffencePerson.role == "concerned"
        )
    )
    limit = _limitation(case, entry)
    return CaseInfo(
        id=case.id,
        number=case.number,
        status=CaseStatus(case.status),
        catalogue_entry_id=entry.id,
        catalogue_key=entry.key,
        catalogue_revision=entry.revision,
        offence=entry.description,
        legal_basis=entry.legal_basis,
        act_description=case.act_description,
        committed_at=case.committed_at,
        place=case.place,
        lat=case.lat,
        lon=case.lon,
        culpability=Culpability(case.culpability),
        procedure=case.procedure,
        fine_cents=case.fine_cents,
        caution_agreed=case.caution_agreed,
        payment_due=case.payment_due,
        hearing_date=case.hearing_date,
        limitation_date=case.limitation_date or limit.last_day,
        limitation_basis=limit.basis,
        concerned=PersonDraft(
            person.last_name if person else "",
            (person.first_name or "") if person else "",
            person.birth_date if person else None,
            (person.address or "") if person else "",
        ),
        officer_id=case.officer_id,
        incident_id=case.incident_id,
        version=case.version,
        anonymised_at=case.anonymised_at,
    )


class OffenceCaseService:
    """Capture and process offence cases."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading ------------------------------------------------------------------------------

    async def case(self, actor: Actor, case_id: int) -> CaseInfo:
        """One case with its person's data (audited unless it is the reader's own work)."""
        async with reading(self._db, actor, _reader(actor)) as s:
            found = await s.get(OffenceCase, case_id)
            if found is None or _hidden(actor, found):
                raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
            info = await case_info(s, found)
        await audit_person_reads(self._db, actor, [info])
        return info

    async def by_days_left(self, actor: Actor, limit: int = 500) -> list[CaseInfo]:
        """Open cases, the one running out first on top."""
        stmt: Select[tuple[OffenceCase]] = (
            select(OffenceCase)
            .where(OffenceCase.status.not_in([s.value for s in CLOSED]))
            .order_by(OffenceCase.limitation_date, OffenceCase.id)
            .limit(limit)
        )
        if actor.role in OWN_CASE_ROLES:
            stmt = stmt.where(OffenceCase.officer_id == actor.user_id)
        async with reading(self._db, actor, _reader(actor)) as s:
            cases = [await case_info(s, c) for c in (await s.scalars(stmt)).all()]
        # Lists name persons only to those whose work it is; others open the case (audited).
        return [c if own_case(actor, c) else without_person(c) for c in cases]

    async def evidence(self, actor: Actor, case_id: int) -> list[EvidenceItem]:
        """The case's evidence (witnesses with statements); reading it is reading the case."""
        await self.case(actor, case_id)  # visible to the reader? audited for other roles
        return await evidence(self._db, actor, case_id, _reader(actor))

    async def add_witness(
        self, actor: Actor, case_id: int, witness: PersonDraft, statement: str
    ) -> EvidenceItem:
        """Record a witness and their statement."""
        return await add_witness(self._db, actor, case_id, witness, statement)

    async def link_recording(
        self, actor: Actor, case_id: int, recording_id: int, note: str = ""
    ) -> EvidenceItem:
        """Take a bodycam recording as evidence; proposes a hold with the case's number."""
        return await link_recording(self._db, actor, case_id, recording_id, note)

    async def anonymise_closed(self, actor: Actor, dry_run: bool = False) -> AnonymiseResult:
        """Remove personal data of cases closed longer than ``offences.personal_data_days``."""
        return await anonymise_closed(self._db, actor, dry_run)

    async def running_out(self, actor: Actor, today: date, within_days: int) -> list[CaseInfo]:
        """Open cases whose last day is at most ``within_days`` away (or already passed)."""
        cases = await self.by_days_left(actor)
        return [c for c in cases if c.days_left(today) <= within_days]

    async def history(self, actor: Actor, case_id: int) -> list[CaseEvent]:
        """The case's steps, oldest first."""
        async with reading(self._db, actor, _reader(actor)) as s:
            case = await s.get(OffenceCase, case_id)
            if case is None or _hidden(actor, case):
                raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
            rows = await s.execute(
                select(OffenceCaseEvent, User.username)
                .outerjoin(User, User.id == OffenceCaseEvent.user_id)
                .where(OffenceCaseEvent.case_id == case_id)
                .order_by(OffenceCaseEvent.created_at, OffenceCaseEvent.id)
            )
            return [
                CaseEvent(e.created_at, name or "", e.kind, e.from_status, e.to_status, e.text)
                for e, name in rows
            ]

    # -- capture ------------------------------------------------------------------------------

    async def capture(
        self, actor: Actor, draft: CaseDraft, photos: Sequence[CleanPhoto] = ()
    ) -> CaseInfo:
        """Record a new case (status "Recorded") with its person concerned (and evidence
        photos from the field device, checked by :func:`app.platform.images.clean_photo`)."""
        description, place = check_draft_text(draft)
        async with unit_of_work(self._db, actor, Permission.OFFENCE_WRITE) as w:
            if draft.committed_at > w.now + CLOCK_SKEW:
                raise ValidationError(
                    tr("offences", "The time of the act lies in the future."), "committed_at"
                )
            committed_on = local(draft.committed_at).date()
            person = check_person(draft.concerned, committed_on)
            entry = await w.session.get(OffenceCatalogueEntry, draft.catalogue_entry_id)
            if entry is None or entry.superseded_at is not None or not entry.active:
                raise ValidationError(
                    tr("offences", "Choose a current catalogue entry for the offence."),
                    "catalogue_entry_id",
                )
            limit = limitation(
                committed_on, entry.statutory_max_cents, draft.culpability, entry.is_traffic
            )
            if limit.expired(local(w.now).date()):
                raise ValidationError(
                    tr(
                        "offences",
                        "The act became time-barred at the end of %1 (%2): no case can be opened.",
                        limit.last_day.strftime("%d.%m.%Y"),
                        limit.basis,
                    ),
                    "committed_at",
                )
            caution = entry.amount_max_cents is None or entry.amount_max_cents <= 55_00
            case = OffenceCase(
                number=await _next_number(w, local(w.now).year),
                catalogue_entry_id=entry.id,
                act_description=description,
                committed_at=draft.committed_at,
                place=place,
                lat=draft.lat,
                lon=draft.lon,
                culpability=draft.culpability.value,
                procedure="caution" if caution else "fine",
                fine_cents=entry.amount_min_cents if caution else None,
                status=CaseStatus.OPEN.value,
                hearing_status="none",
                limitation_date=limit.last_day,
                officer_id=(
                    actor.user_id
                    if actor.role in OWN_CASE_ROLES
                    else draft.officer_id or actor.user_id
                ),
                incident_id=draft.incident_id,
                created_at=w.now,
                updated_at=w.now,
            )
            w.session.add(case)
            await w.session.flush()
            w.session.add(
                OffencePerson(
                    case_id=case.id,
                    role="concerned",
                    last_name=person.last_name,
                    first_name=person.first_name or None,
                    birth_date=person.birth_date,
                    address=person.address,
                )
            )
            await _event(w, case, "capture", None, CaseStatus.OPEN, entry.key)
            await attach_photos(w, photos, case_id=case.id)
            return await case_info(w.session, case)

    # -- workflow -----------------------------------------------------------------------------

    async def mark_checked(self, actor: Actor, case_id: int, version: int) -> CaseInfo:
        """The clerk has checked the case: it may now be cautioned, heard or handed over."""
        return await self._step(actor, case_id, version, CaseStatus.CHECKED, "")

    async def give_caution(
        self,
        actor: Actor,
        case_id: int,
        version: int,
        fee_cents: int | None,
        consent_after_instruction: bool,
        pay_at_once: bool,
        due_on: date | None = None,
    ) -> CaseInfo:
        """Record a Verwarnung (§ 56 OWiG): paid at once, or due by a date."""
        async with unit_of_work(self._db, actor, Permission.OFFENCE_WRITE) as w:
            case = await _locked(w, case_id, version)
            terms = caution_terms(
                fee_cents, consent_after_instruction, pay_at_once, local(w.now).date(), due_on
            )
            target = (
                CaseStatus.PAID if terms.pay_at_once or fee_cents is None else CaseStatus.CAUTION
            )
            check_step(CaseStatus(case.status), target)
            case.procedure = "caution"
            case.fine_cents = terms.fee_cents
            case.caution_agreed = True
            case.payment_due = terms.due_on
            if target is CaseStatus.PAID:
                case.paid_at = w.now
            note = _euros(fee_cents) + (
                ""
                if terms.due_on is None
                else " " + tr("offences", "due %1", terms.due_on.strftime("%d.%m.%Y"))
            )
            return await self._apply(w, case, target, "caution", note)

    async def record_payment(self, actor: Actor, case_id: int, version: int) -> CaseInfo:
        """The Verwarnungsgeld has been paid."""
        async with unit_of_work(self._db, actor, Permission.OFFENCE_WRITE) as w:
            case = await _locked(w, case_id, version)
            check_step(CaseStatus(case.status), CaseStatus.PAID)
            case.paid_at = w.now
            return await self._apply(w, case, CaseStatus.PAID, "payment", _euros(case.fine_cents))

    async def send_hearing(
        self, actor: Actor, case_id: int, version: int, sent_on: date
    ) -> CaseInfo:
        """The hearing notice (Anhörung) went out: it interrupts the limitation (§ 33 OWiG)."""
        async with unit_of_work(self._db, actor, Permission.OFFENCE_WRITE) as w:
            case = await _locked(w, case_id, version)
            check_step(CaseStatus(case.status), CaseStatus.HEARING)
            today = local(w.now).date()
            if sent_on > today or sent_on < local(case.committed_at).date():
                raise ValidationError(
                    tr(
                        "offences",
                        "The hearing notice cannot be dated before the act or in the future.",
                    ),
                    "hearing_date",
                )
            case.hearing_status = "sent"
            case.hearing_date = sent_on
            case.procedure = "fine"
            entry = await w.session.get(OffenceCatalogueEntry, case.catalogue_entry_id)
            assert entry is not None
            case.limitation_date = _limitation(case, entry).last_day
            return await self._apply(
                w, case, CaseStatus.HEARING, "hearing", sent_on.strftime("%d.%m.%Y")
            )

    async def hand_over(self, actor: Actor, case_id: int, version: int) -> CaseInfo:
        """Hand the case over to the Bußgeldstelle."""
        return await self._step(actor, case_id, version, CaseStatus.HANDED_OVER, "")

    async def discontinue(self, actor: Actor, case_id: int, version: int, reason: str) -> CaseInfo:
        """Stop the proceedings (Einstellung); a reason is required."""
        reason = " ".join(reason.split())
        if not reason:
            raise ValidationError(tr("offences", "Give the reason for discontinuing."), "reason")
        return await self._step(actor, case_id, version, CaseStatus.DISCONTINUED, reason[:2000])

    async def _step(
        self, actor: Actor, case_id: int, version: int, target: CaseStatus, note: str
    ) -> CaseInfo:
        async with unit_of_work(self._db, actor, Permission.OFFENCE_WRITE) as w:
            case = await _locked(w, case_id, version)
            check_step(CaseStatus(case.status), target)
            if target is CaseStatus.HANDED_OVER:
                case.procedure = "fine"
            return await self._apply(w, case, target, "status", note)

    async def _apply(
        self, w: Work, case: OffenceCase, target: CaseStatus, kind: str, note: str
    ) -> CaseInfo:
        before = CaseStatus(case.status)
        case.status = target.value
        case.updated_at = w.now
        if target in CLOSED:
            case.closed_at = w.now
        await w.session.flush()
        await _event(w, case, kind, before, target, note)
        return await case_info(w.session, case)


async def _next_number(w: Work, year: int) -> str:
    """The next Aktenzeichen; on PostgreSQL from the server (row security hides others' cases)."""
    if w.on_server:
        number = await w.session.scalar(text("SELECT kod_offence_next_number(:y)"), {"y": year})
        return str(number)
    return await next_number(w.session, OffenceCase.number, "OWi", year)


async def _locked(w: Work, case_id: int, version: int) -> OffenceCase:
    case = await w.session.get(OffenceCase, case_id, with_for_update=True)
    if case is None or _hidden(w.actor, case):
        raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
    if case.version != version:
        raise ConflictError("offence_case", case_id, version, current=case)
    return case


async def _event(
    w: Work,
    case: OffenceCase,
    kind: str,
    before: CaseStatus | None,
    after: CaseStatus,
    note: str,
) -> None:
    text = status_label(after) + (f": {note}" if note else "")
    w.session.add(
        OffenceCaseEvent(
            case_id=case.id,
            created_at=w.now,
            user_id=w.actor.user_id,
            kind=kind,
            from_status=before.value if before else None,
            to_status=after.value,
            text=text,
        )
    )
    details: dict[str, Any] = {"number": case.number, "to": after.value}
    if before is not None:
        details["from"] = before.value
    await w.audit(f"offence.{kind}", "offence_case", case.id, details)
    w.changed(Entity.OFFENCE, case.id, "insert" if before is None else "update", case.version)


def _euros(cents: int | None) -> str:
    if cents is None:
        return tr("offences", "without a fee")
    return f"{cents / 100:.2f} €".replace(".", ",")
