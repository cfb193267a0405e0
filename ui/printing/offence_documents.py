"""The printed documents of an offence case (Ordnungswidrigkeit).

- :func:`caution_certificate`: the Bescheinigung über eine Verwarnung (§ 56 Abs. 3 OWiG),
- :func:`hearing_form`: the Anhörungsbogen for the person concerned (§ 55 OWiG),
- :func:`complaint`: the Anzeige for the Bußgeldstelle (the case as § 66 OWiG needs it).

Each is a :class:`PrintDocument` built from a :class:`CaseRecord`
(``services.offence_export.print_record``, which audits the printing).
"""

from __future__ import annotations

from app.domain.geo import format_coordinates
from app.domain.offences.cases import CaseStatus, status_label
from app.domain.offences.limitation import Culpability
from app.platform.formatting import format_date, format_datetime, format_euros
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services import Services
from app.services.offence_export import CaseRecord, Document
from ui.printing.document import PrintDocument


def _person(record: CaseRecord) -> str:
    p = record.info.concerned
    name = f"{p.first_name} {p.last_name}".strip()
    if p.birth_date is not None:
        name += ", " + tr("offence_documents", "born %1", format_date(p.birth_date))
    return name


def _culpability(value: Culpability) -> str:
    if value is Culpability.INTENT:
        return tr("offence_documents", "intentional")
    return tr("offence_documents", "negligent")


def _act(record: CaseRecord) -> list[tuple[str, str]]:
    """The act: when, where, what, under which law."""
    c = record.info
    return [
        (tr("offence_documents", "File number"), c.number),
        (tr("offence_documents", "Time of the act"), format_datetime(c.committed_at)),
        (tr("offence_documents", "Place of the act"), c.place),
        (tr("offence_documents", "Offence"), c.offence),
        (tr("offence_documents", "Catalogue number"), record.catalogue_number or ""),
        (tr("offence_documents", "Legal basis"), c.legal_basis),
        (tr("offence_documents", "Description of the act"), c.act_description),
        (tr("offence_documents", "Culpability"), _culpability(c.culpability)),
    ]


def _fee(record: CaseRecord) -> str:
    cents = record.info.fine_cents
    if cents is not None:
        return format_euros(cents)
    if record.info.procedure == "fine":
        return tr("offence_documents", "to be set by the Bußgeldstelle")
    return tr("offence_documents", "without a fee")


def caution_certificate(record: CaseRecord) -> PrintDocument:
    """The certificate of a Verwarnung: the act, the fee or none, payment, no costs."""
    c = record.info
    doc = PrintDocument(
        tr("offence_documents", "Certificate of caution"),
        tr("offence_documents", "Certificate-%1", c.number),
    )
    doc.heading(tr("offence_documents", "Certificate of a caution (§ 56 OWiG)"))
    doc.fields(
        [
            (tr("offence_documents", "Person concerned"), _person(record)),
            (tr("offence_documents", "Address"), c.concerned.address),
            *_act(record),
        ]
    )
    if c.fine_cents is None:
        payment = ""
    elif c.status is CaseStatus.PAID and c.payment_due is None:
        payment = tr("offence_documents", "paid at once")
    elif c.status is CaseStatus.PAID:
        payment = tr("offence_documents", "paid")
    else:
        payment = tr("offence_documents", "to be paid by %1", format_date(c.payment_due))
    doc.fields(
        [
            (tr("offence_documents", "Caution fee"), _fee(record)),
            (tr("offence_documents", "Payment"), payment),
            (tr("offence_documents", "Officer"), record.officer_name or ""),
        ]
    )
    doc.paragraph(
        tr(
            "offence_documents",
            "The person concerned was told of their right to refuse the caution and agreed "
            "to it (§ 56 Abs. 2 OWiG).",
        )
    )
    if c.fine_cents is not None and c.status is not CaseStatus.PAID:
        doc.paragraph(
            tr(
                "offence_documents",
                "The caution only takes effect if the caution fee of %1 is paid by %2 "
                "(§ 56 Abs. 2 OWiG), quoting the file number %3.",
                _fee(record),
                format_date(c.payment_due),
                c.number,
            ),
            bold=True,
        )
    doc.paragraph(
        tr(
            "offence_documents",
            "No costs (fees and expenses) are charged (§ 56 Abs. 3 Satz 2 OWiG). Once the "
            "caution is effective, the act can no longer be prosecuted on the factual and legal "
            "grounds on which the caution was given (§ 56 Abs. 4 OWiG).",
        )
    )
    doc.signatures(
        [
            tr("offence_documents", "Place, date"),
            tr("offence_documents", "Signature of the officer"),
        ]
    )
    return doc


def hearing_form(record: CaseRecord) -> PrintDocument:
    """The hearing notice: what the person is accused of, that they may comment or stay
    silent, and by when to reply."""
    c = record.info
    doc = PrintDocument(
        tr("offence_documents", "Hearing form"),
        tr("offence_documents", "Hearing-%1", c.number),
    )
    p = c.concerned
    doc.address([f"{p.first_name} {p.last_name}".strip(), *p.address.split(", ")])
    doc.heading(
        tr("offence_documents", "Hearing in proceedings for an administrative offence (§ 55 OWiG)")
    )
    doc.paragraph(
        tr(
            "offence_documents",
            "You are accused of having committed the following administrative offence:",
        )
    )
    doc.fields(_act(record))
    doc.paragraph(
        tr(
            "offence_documents",
            "You have the opportunity to comment on the accusation (§ 55 Abs. 1 OWiG). You are "
            "free to comment on it or to say nothing about the matter (§ 55 Abs. 2 OWiG with "
            "§ 136 Abs. 1 Satz 2 StPO). You must, however, give your personal details (name, "
            "date of birth, address) correctly (§ 111 OWiG).",
        )
    )
    doc.paragraph(
        tr(
            "offence_documents",
            "Please return this form by %1, quoting the file number %2. If we have not heard "
            "from you by then, the proceedings continue without your comment.",
            format_date(record.reply_by),
            c.number,
        ),
        bold=True,
    )
    doc.heading(tr("offence_documents", "Your personal details (please correct if wrong)"), 2)
    doc.fields(
        [
            (tr("offence_documents", "Surname"), p.last_name),
            (tr("offence_documents", "First name"), p.first_name or "…………………………"),
            (tr("offence_documents", "Date of birth"), format_date(p.birth_date) or "…………………"),
            (tr("offence_documents", "Address"), p.address),
        ]
    )
    doc.heading(tr("offence_documents", "Your statement"), 2)
    doc.paragraph(
        "\u2610 "
        + tr("offence_documents", "I admit the offence.")
        + "\n\u2610 "
        + tr("offence_documents", "I do not admit the offence, for these reasons:")
        + "\n\u2610 "
        + tr("offence_documents", "I do not wish to comment on the matter.")
    )
    doc.paragraph("\n".join(["_" * 86] * 4))
    doc.signatures([tr("offence_documents", "Place, date"), tr("offence_documents", "Signature")])
    return doc


def complaint(record: CaseRecord) -> PrintDocument:
    """The Anzeige of one case for the Bußgeldstelle, with the case's history."""
    c = record.info
    doc = PrintDocument(
        tr("offence_documents", "Offence report"),
        tr("offence_documents", "Report-%1", c.number),
    )
    doc.heading(tr("offence_documents", "Report of an administrative offence"))
    doc.fields(
        [
            (tr("offence_documents", "To"), tr("offence_documents", "Bußgeldstelle")),
            (tr("offence_documents", "From"), record.city_name),
        ]
    )
    doc.heading(tr("offence_documents", "Person concerned"), 2)
    doc.fields(
        [
            (tr("offence_documents", "Surname"), c.concerned.last_name),
            (tr("offence_documents", "First name"), c.concerned.first_name),
            (tr("offence_documents", "Date of birth"), format_date(c.concerned.birth_date)),
            (tr("offence_documents", "Address"), c.concerned.address),
        ]
    )
    doc.heading(tr("offence_documents", "The act"), 2)
    act = _act(record)
    if c.lat is not None and c.lon is not None:
        act.insert(3, (tr("offence_documents", "Coordinates"), format_coordinates(c.lat, c.lon)))
    doc.fields(act)
    doc.heading(tr("offence_documents", "Proceedings"), 2)
    doc.fields(
        [
            (tr("offence_documents", "Status"), status_label(c.status)),
            (
                tr("offence_documents", "Catalogue entry"),
                tr("offence_documents", "%1, revision %2", c.catalogue_key, c.catalogue_revision),
            ),
            (tr("offence_documents", "Amount"), _fee(record)),
            (tr("offence_documents", "Hearing notice sent"), format_date(c.hearing_date)),
            (
                tr("offence_documents", "Limitation"),
                tr(
                    "offence_documents",
                    "%1 – %2",
                    format_date(c.limitation_date),
                    c.limitation_basis,
                ),
            ),
            (tr("offence_documents", "Officer"), record.officer_name or ""),
            (tr("offence_documents", "Incident"), record.incident_number or ""),
        ]
    )
    doc.heading(tr("offence_documents", "History"), 2)
    doc.table(
        [
            tr("offence_documents", "Time"),
            tr("offence_documents", "User"),
            tr("offence_documents", "Step"),
        ],
        [(format_datetime(e.at), e.username, e.text) for e in record.history],
        (28, 18, 54),
    )
    doc.signatures([tr("offence_documents", "Place, date"), tr("offence_documents", "Clerk")])
    return doc


BUILDERS = {
    Document.CAUTION_CERTIFICATE: caution_certificate,
    Document.HEARING_FORM: hearing_form,
    Document.COMPLAINT: complaint,
}


async def offence_document(
    services: Services, actor: Actor, case_id: int, document: Document
) -> PrintDocument:
    """One document of a case, ready for :mod:`ui.printing.dialogs` (the reading is audited)."""
    record = await services.offence_export.print_record(actor, case_id, document)
    return BUILDERS[document](record)
