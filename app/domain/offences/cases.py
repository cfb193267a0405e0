"""An offence case's data and its status workflow.

erfasst → (Verwarnung on the spot →) Verwarnungsgeld bezahlt
erfasst → geprüft → Verwarnung erteilt → Verwarnungsgeld bezahlt
                  → Anhörung versandt → an Bußgeldstelle abgegeben
                  → an Bußgeldstelle abgegeben
(any open step) → eingestellt (with a reason)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.offences.limitation import Culpability
from app.platform.errors import ValidationError
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr

#: § 12 Abs. 1 OWiG: who is under 14 at the time of the act does not act reprehensibly.
AGE_OF_RESPONSIBILITY = 14
NAME_MAX = 120
ADDRESS_MAX = 255
PLACE_MAX = 255
DESCRIPTION_MAX = 4000


class CaseStatus(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    CHECKED = "checked"
    CAUTION = "caution"
    PAID = "paid"
    HEARING = "hearing"
    HANDED_OVER = "handed_over"
    DISCONTINUED = "discontinued"


STATUS_LABELS = {
    CaseStatus.OPEN: N_("offence_status", "Recorded"),
    CaseStatus.CHECKED: N_("offence_status", "Checked"),
    CaseStatus.CAUTION: N_("offence_status", "Caution given, payment open"),
    CaseStatus.PAID: N_("offence_status", "Caution paid"),
    CaseStatus.HEARING: N_("offence_status", "Hearing notice sent"),
    CaseStatus.HANDED_OVER: N_("offence_status", "Handed over to the Bußgeldstelle"),
    CaseStatus.DISCONTINUED: N_("offence_status", "Discontinued"),
}

#: The steps allowed from each status.
NEXT: dict[CaseStatus, frozenset[CaseStatus]] = {
    # A Verwarnung is usually given on the spot, before any check at the desk.
    CaseStatus.OPEN: frozenset(
        {CaseStatus.CHECKED, CaseStatus.CAUTION, CaseStatus.PAID, CaseStatus.DISCONTINUED}
    ),
    CaseStatus.CHECKED: frozenset(
        {
            CaseStatus.CAUTION,
            CaseStatus.PAID,
            CaseStatus.HEARING,
            CaseStatus.HANDED_OVER,
            CaseStatus.DISCONTINUED,
        }
    ),
    CaseStatus.CAUTION: frozenset({CaseStatus.PAID, CaseStatus.HEARING, CaseStatus.DISCONTINUED}),
    CaseStatus.HEARING: frozenset({CaseStatus.HANDED_OVER, CaseStatus.DISCONTINUED}),
    CaseStatus.PAID: frozenset(),
    CaseStatus.HANDED_OVER: frozenset(),
    CaseStatus.DISCONTINUED: frozenset(),
}
#: Cases whose limitation clock no longer matters to this office.
CLOSED = frozenset({CaseStatus.PAID, CaseStatus.HANDED_OVER, CaseStatus.DISCONTINUED})


def status_label(status: CaseStatus) -> str:
    """The status in words (German in the workstation)."""
    return tr("offence_status", STATUS_LABELS[status])


def check_step(current: CaseStatus, target: CaseStatus) -> None:
    """Refuse a step the workflow does not allow, naming both statuses."""
    if target not in NEXT[current]:
        raise ValidationError(
            tr(
                "offences",
                "A case that is \u201e%1\u201c cannot become \u201e%2\u201c.",
                status_label(current),
                status_label(target),
            ),
            "status",
        )


@dataclass(frozen=True)
class PersonDraft:
    """The person concerned (Betroffener) as captured."""

    last_name: str
    first_name: str
    birth_date: date | None
    address: str


@dataclass(frozen=True)
class CaseDraft:
    """A new offence case as captured at the desk or in the field."""

    catalogue_entry_id: int
    act_description: str
    committed_at: datetime
    place: str
    culpability: Culpability
    concerned: PersonDraft
    lat: float | None = None
    lon: float | None = None
    officer_id: int | None = None
    incident_id: int | None = None


@dataclass(frozen=True)
class CaseEvent:
    """One step in a case's history."""

    at: datetime
    username: str
    kind: str
    from_status: str | None
    to_status: str | None
    text: str


@dataclass(frozen=True)
class CaseInfo:
    """An offence case as the clerk sees it."""

    id: int
    number: str
    status: CaseStatus
    catalogue_entry_id: int
    catalogue_key: str
    catalogue_revision: int
    offence: str
    legal_basis: str
    act_description: str
    committed_at: datetime
    place: str
    lat: float | None
    lon: float | None
    culpability: Culpability
    procedure: str
    fine_cents: int | None
    caution_agreed: bool | None
    payment_due: date | None
    hearing_date: date | None
    limitation_date: date
    limitation_basis: str
    concerned: PersonDraft
    officer_id: int | None
    incident_id: int | None
    version: int
    #: When the personal data was removed (after the case closed), else None.
    anonymised_at: datetime | None = None

    def days_left(self, today: date) -> int:
        """Days until the case runs out (negative once it has)."""
        return (self.limitation_date - today).days


def _text(value: str, field: str, limit: int, label: str, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise ValidationError(tr("offences", "%1 is missing.", label), field)
    if len(value) > limit:
        raise ValidationError(
            tr("offences", "%1 is too long (at most %2 characters).", label, limit), field
        )
    return value


def check_person(person: PersonDraft, committed_on: date) -> PersonDraft:
    """Validate the person concerned: a name, a plausible birth date, of responsible age."""
    last = _text(person.last_name, "last_name", NAME_MAX, tr("offences", "The surname"))
    first = _text(
        person.first_name, "first_name", NAME_MAX, tr("offences", "The first name"), False
    )
    address = _text(person.address, "address", ADDRESS_MAX, tr("offences", "The address"))
    born = person.birth_date
    if born is not None:
        if born > committed_on or born.year < committed_on.year - 120:
            raise ValidationError(
                tr("offences", "The date of birth is not plausible."), "birth_date"
            )
        age = (
            committed_on.year
            - born.year
            - ((committed_on.month, committed_on.day) < (born.month, born.day))
        )
        if age < AGE_OF_RESPONSIBILITY:
            raise ValidationError(
                tr(
                    "offences",
                    "The person was %1 at the time of the act: under 14 nobody acts "
                    "reprehensibly (§ 12 Abs. 1 OWiG). No offence case.",
                    age,
                ),
                "birth_date",
            )
    return PersonDraft(last, first, born, address)


def check_draft_text(draft: CaseDraft) -> tuple[str, str]:
    """The act's description and place, checked and tidied."""
    return (
        _text(
            draft.act_description,
            "act_description",
            DESCRIPTION_MAX,
            tr("offences", "The description of the act"),
        ),
        _text(draft.place, "place", PLACE_MAX, tr("offences", "The place of the act")),
    )
