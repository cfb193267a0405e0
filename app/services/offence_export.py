"""Offence cases leaving the office: the data of printed documents and the hand-over export.

A document (Bescheinigung, Anhörungsbogen, Anzeige) is built from a :class:`CaseRecord`: the
case, its catalogue number, the officer's name, the incident's number and the history. The
hand-over export for the Bußgeldstelle (:mod:`app.domain.offences.handover`) needs
``offence.read``; every export and every printed document is audited per case (who, which
case, which format or document), in the same transaction that read the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.offences.cases import CaseEvent, CaseInfo, CaseStatus, status_label
from app.domain.offences.handover import Handover, HandoverCase, HandoverStep, to_csv, to_xml
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, allowed
from app.platform.timeutil import local
from app.platform.uow import Actor, unit_of_work
from app.services.offence_cases import case_info
from app.services.offence_privacy import OWN_CASE_ROLES
from app.services.settings import read_setting
from db.models import Incident, OffenceCase, OffenceCaseEvent, OffenceCatalogueEntry, User

#: Statuses a case may be handed over in: checked, heard, or already handed over (again).
EXPORTABLE = frozenset({CaseStatus.CHECKED, CaseStatus.HEARING, CaseStatus.HANDED_OVER})
#: Most cases in one hand-over file.
MAX_CASES = 5000


class ExportFormat(StrEnum):
    """The file formats of the hand-over."""

    XML = "xml"
    CSV = "csv"


class Document(StrEnum):
    """The printed documents of a case (the audit names them)."""

    CAUTION_CERTIFICATE = "caution_certificate"
    HEARING_FORM = "hearing_form"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class CaseRecord:
    """A case with everything its documents show."""

    info: CaseInfo
    catalogue_number: str | None
    officer_name: str | None
    incident_number: str | None
    history: tuple[CaseEvent, ...]
    #: The reply deadline an Anhörungsbogen printed now gives (``offences.hearing_reply_days``).
    reply_by: date
    #: The city as the letterhead names it (``print.city_name``).
    city_name: str


@dataclass(frozen=True)
class ExportFile:
    """A written hand-over: its bytes, a file name to offer, and the cases in it."""

    data: bytes
    file_name: str
    numbers: tuple[str, ...]


def handover_case(record: CaseRecord) -> HandoverCase:
    """What the hand-over file carries of ``record``."""
    c = record.info
    return HandoverCase(
        number=c.number,
        status=c.status.value,
        catalogue_key=c.catalogue_key,
        catalogue_revision=c.catalogue_revision,
        catalogue_number=record.catalogue_number or None,
        offence=c.offence,
        legal_basis=c.legal_basis,
        act_description=c.act_description,
        committed_at=c.committed_at,
        place=c.place,
        lat=c.lat if c.lon is not None else None,
        lon=c.lon if c.lat is not None else None,
        culpability=c.culpability.value,
        procedure=c.procedure,
        fine_cents=c.fine_cents,
        caution_agreed=c.caution_agreed,
        payment_due=c.payment_due,
        hearing_date=c.hearing_date,
        limitation_date=c.limitation_date,
        limitation_basis=c.limitation_basis,
        last_name=c.concerned.last_name,
        first_name=c.concerned.first_name or None,
        birth_date=c.concerned.birth_date,
        address=c.concerned.address,
        officer=record.officer_name or None,
        incident_number=record.incident_number or None,
        history=tuple(HandoverStep(e.at, e.username, e.to_status, e.text) for e in record.history),
    )


async def _record(s: AsyncSession, case: OffenceCase, today: date) -> CaseRecord:
    info = await case_info(s, case)
    number = await s.scalar(
        select(OffenceCatalogueEntry.catalogue_number).where(
            OffenceCatalogueEntry.id == case.catalogue_entry_id
        )
    )
    officer = (
        await s.scalar(select(User.display_name).where(User.id == case.officer_id))
        if case.officer_id is not None
        else None
    )
    incident = (
        await s.scalar(select(Incident.number).where(Incident.id == case.incident_id))
        if case.incident_id is not None
        else None
    )
    rows = await s.execute(
        select(OffenceCaseEvent, User.username)
        .outerjoin(User, User.id == OffenceCaseEvent.user_id)
        .where(OffenceCaseEvent.case_id == case.id)
        .order_by(OffenceCaseEvent.created_at, OffenceCaseEvent.id)
    )
    history = tuple(
        CaseEvent(e.created_at, name or "", e.kind, e.from_status, e.to_status, e.text)
        for e, name in rows
    )
    days = int(await read_setting(s, "offences.hearing_reply_days"))
    return CaseRecord(
        info=info,
        catalogue_number=number,
        officer_name=officer,
        incident_number=incident,
        history=history,
        reply_by=(info.hearing_date or today) + timedelta(days=days),
        city_name=str(await read_setting(s, "print.city_name")),
    )


def _document_reader(actor: Actor) -> Permission:
    # Field officers and dispatchers print the Bescheinigung of the cautions they give.
    if not allowed(actor.role, Permission.OFFENCE_READ) and allowed(
        actor.role, Permission.OFFENCE_WRITE
    ):
        return Permission.OFFENCE_WRITE
    return Permission.OFFENCE_READ


class OffenceExportService:
    """Documents and the hand-over export of offence cases."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def print_record(self, actor: Actor, case_id: int, document: Document) -> CaseRecord:
        """The data of one document of a case; the printing is audited."""
        async with unit_of_work(self._db, actor, _document_reader(actor)) as w:
            case = await w.session.get(OffenceCase, case_id)
            # Dispatchers and field officers print only the cases they recorded (the server's
            # row security on PostgreSQL; the same rule here for SQLite).
            if case is None or (actor.role in OWN_CASE_ROLES and case.officer_id != actor.user_id):
                raise NotFound(tr("offences", "Offence case %1 does not exist.", case_id))
            record = await _record(w.session, case, local(w.now).date())
            if document is Document.CAUTION_CERTIFICATE and record.info.caution_agreed is not True:
                raise ValidationError(
                    tr(
                        "handover",
                        "Case %1 has no Verwarnung: there is no certificate to print.",
                        case.number,
                    ),
                    "document",
                )
            await w.audit(
                "offence.print",
                "offence_case",
                case.id,
                {"number": case.number, "document": document.value},
            )
            return record

    async def case_ids(self, actor: Actor, numbers: Sequence[str]) -> list[int]:
        """The ids of the cases with these file numbers (Aktenzeichen), in that order."""
        async with unit_of_work(self._db, actor, Permission.OFFENCE_READ) as w:
            rows = await w.session.execute(
                select(OffenceCase.number, OffenceCase.id).where(OffenceCase.number.in_(numbers))
            )
            found = {n: i for n, i in rows}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise NotFound(
                tr("handover", "These offence cases do not exist: %1", ", ".join(missing))
            )
        return [found[n] for n in numbers]

    async def export(self, actor: Actor, case_ids: Sequence[int], fmt: ExportFormat) -> ExportFile:
        """The hand-over file of ``case_ids`` (checked, heard or handed-over cases).

        The XML is checked against the schema before it is returned; each case's export is
        audited with the format and the file's size.
        """
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            raise ValidationError(
                tr("handover", "Choose at least one case for the hand-over."), "cases"
            )
        if len(ids) > MAX_CASES:
            raise ValidationError(
                tr("handover", "At most %1 cases fit in one hand-over file.", MAX_CASES), "cases"
            )
        async with unit_of_work(self._db, actor, Permission.OFFENCE_READ) as w:
            found = {
                c.id: c
                for c in (
                    await w.session.scalars(select(OffenceCase).where(OffenceCase.id.in_(ids)))
                ).all()
            }
            missing = [str(i) for i in ids if i not in found]
            if missing:
                raise NotFound(
                    tr("handover", "These offence cases do not exist: %1", ", ".join(missing))
                )
            cases = [found[i] for i in ids]
            _check_exportable(cases)
            today = local(w.now).date()
            records = [await _record(w.session, c, today) for c in cases]
            handover = Handover(
                created_at=w.now,
                created_by=actor.username,
                sender=records[0].city_name,
                cases=tuple(handover_case(r) for r in records),
            )
            data = (
                to_xml(handover)
                if fmt is ExportFormat.XML
                else to_csv(handover.cases).encode("utf-8")
            )
            for c in cases:
                await w.audit(
                    "offence.export",
                    "offence_case",
                    c.id,
                    {"number": c.number, "format": fmt.value, "cases": len(cases)},
                )
            stamp = local(w.now).strftime("%Y%m%d-%H%M%S")
            return ExportFile(
                data, f"owi-abgabe-{stamp}.{fmt.value}", tuple(c.number for c in cases)
            )


def _check_exportable(cases: list[OffenceCase]) -> None:
    wrong = [c for c in cases if CaseStatus(c.status) not in EXPORTABLE]
    if wrong:
        listed = ", ".join(
            f"{c.number} (\u201e{status_label(CaseStatus(c.status))}\u201c)" for c in wrong[:10]
        )
        raise ValidationError(
            tr(
                "handover",
                "Only checked, heard or handed-over cases go to the Bußgeldstelle; not: %1",
                listed,
            ),
            "cases",
        )
