"""Evidence of an offence case: witnesses with their statements, the linked incident.

Photos and bodycam recordings join through the evidence store (issue "Bodycam evidence"); a
witness is a person of the case (role ``witness``) and their statement an evidence row that
names them. A bodycam recording taken as evidence gets a hold proposed for the OWi proceedings
with the case's file number, in the same transaction (a second person confirms it). Everything here is personal data: it goes with the case's anonymisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.changes import Entity
from app.domain.offences.cases import ADDRESS_MAX, NAME_MAX, PersonDraft
from app.domain.retention import HoldKind
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, reading, unit_of_work
from app.services.offence_privacy import hidden_from
from app.services.recording_holds import add_proposal, checked_proposal
from db.models import OffenceCase, OffenceEvidence, OffencePerson

STATEMENT_MAX = 4000


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence as the case lists it."""

    id: int
    kind: str
    description: str
    added_at: datetime
    witness: PersonDraft | None = None
    recording_id: int | None = None


def _clean(value: str, limit: int, field: str, label: str, required: bool) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise ValidationError(tr("offences", "%1 is missing.", label), field)
    if len(value) > limit:
        raise ValidationError(
            tr("offences", "%1 is too long (at most %2 characters).", label, limit), field
        )
    return value


async def add_witness(
    db: Database, actor: Actor, case_id: int, witness: PersonDraft, statement: str
) -> EvidenceItem:
    """Record a witness (name and address; any age) and what they saw."""
    last = _clean(witness.last_name, NAME_MAX, "last_name", tr("offences", "The surname"), True)
    first = _clean(
        witness.first_name, NAME_MAX, "first_name", tr("offences", "The first name"), False
    )
    address = _clean(witness.address, ADDRESS_MAX, "address", tr("offences", "The address"), True)
    text = _clean(statement, STATEMENT_MAX, "statement", tr("offences", "The statement"), True)
    async with unit_of_work(db, actor, Permission.OFFENCE_WRITE) as w:
        case = await w.session.get(OffenceCase, case_id)
        if case is None or hidden_from(actor, case.officer_id):
            raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
        if case.anonymised_at is not None:
            raise ValidationError(
                tr("offences", "The personal data of this case has been removed."), "case"
            )
        person = OffencePerson(
            case_id=case_id,
            role="witness",
            last_name=last,
            first_name=first or None,
            birth_date=witness.birth_date,
            address=address,
        )
        w.session.add(person)
        await w.session.flush()
        evidence = OffenceEvidence(
            case_id=case_id, kind="witness", description=text, person_id=person.id, added_at=w.now
        )
        w.session.add(evidence)
        await w.session.flush()
        await w.audit("offence.witness", "offence_case", case_id, {"number": case.number})
        w.changed(Entity.OFFENCE, case_id, "update")
        return EvidenceItem(
            evidence.id,
            "witness",
            text,
            w.now,
            PersonDraft(last, first, witness.birth_date, address),
        )


async def link_recording(
    db: Database, actor: Actor, case_id: int, recording_id: int, note: str = ""
) -> EvidenceItem:
    """Take bodycam recording ``recording_id`` as evidence of the case and propose a hold on it
    (OWi proceedings, the case's number as file number) for a second person to confirm."""
    await check(db, actor, Permission.RECORDING_HOLD)
    text = _clean(note, STATEMENT_MAX, "note", tr("offences", "The note"), False)
    async with unit_of_work(db, actor, Permission.OFFENCE_WRITE) as w:
        case = await w.session.get(OffenceCase, case_id)
        if case is None or hidden_from(actor, case.officer_id):
            raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
        linked = await w.session.scalar(
            select(OffenceEvidence.id).where(
                OffenceEvidence.case_id == case_id, OffenceEvidence.recording_id == recording_id
            )
        )
        if linked is not None:
            raise ValidationError(
                tr(
                    "offences",
                    "The recording no. %1 is already evidence of this case.",
                    recording_id,
                ),
                "recording",
            )
        description = text or tr("offences", "Bodycam recording no. %1", recording_id)
        proposal = checked_proposal(
            HoldKind.OFFENCE,
            case.number,
            tr("offences", "Evidence in the offence case %1", case.number),
        )
        await add_proposal(w, recording_id, proposal)
        item = OffenceEvidence(
            case_id=case_id,
            kind="recording",
            description=description,
            recording_id=recording_id,
            added_at=w.now,
        )
        w.session.add(item)
        await w.session.flush()
        await w.audit(
            "offence.evidence.recording",
            "offence_case",
            case_id,
            {"number": case.number, "recording": recording_id},
        )
        w.changed(Entity.OFFENCE, case_id, "update")
        return EvidenceItem(item.id, "recording", description, w.now, recording_id=recording_id)


async def evidence(
    db: Database, actor: Actor, case_id: int, permission: Permission
) -> list[EvidenceItem]:
    """The case's evidence, oldest first (``permission``: the reader's right to cases)."""
    async with reading(db, actor, permission) as s:
        rows = await s.execute(
            select(OffenceEvidence, OffencePerson)
            .outerjoin(OffencePerson, OffencePerson.id == OffenceEvidence.person_id)
            .where(OffenceEvidence.case_id == case_id)
            .order_by(OffenceEvidence.added_at, OffenceEvidence.id)
        )
        return [
            EvidenceItem(
                e.id,
                e.kind,
                e.description,
                e.added_at,
                PersonDraft(p.last_name, p.first_name or "", p.birth_date, p.address or "")
                if p is not None
                else None,
                e.recording_id,
            )
            for e, p in rows
        ]
