"""Domain vocabulary: incident categories, priorities, statuses, outcomes, unit status codes.

Labels are English source strings translated through :mod:`app.platform.i18n` (German ships).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr


@dataclass(frozen=True)
class Category:
    """An incident category with its default priority (1 = urgent, 3 = low)."""

    code: str
    label_source: str
    default_priority: int

    @property
    def label(self) -> str:
        """The translated label."""
        return tr("categories", self.label_source)


CATEGORIES: tuple[Category, ...] = (
    Category("assault_staff", N_("categories", "Assault on staff"), 1),
    Category("helpless_person", N_("categories", "Helpless person"), 1),
    Category("noise", N_("categories", "Noise"), 2),
    Category("dog", N_("categories", "Dog (unleashed or dangerous)"), 2),
    Category("begging", N_("categories", "Aggressive begging"), 2),
    Category("youth", N_("categories", "Youth protection"), 2),
    Category("glass_ban", N_("categories", "Glass ban"), 2),
    Category("lakes", N_("categories", "Lakes ordinance (grilling, night)"), 2),
    Category("public_order", N_("categories", "Disturbance of public order"), 2),
    Category("alcohol_drugs", N_("categories", "Alcohol or drug use in public"), 2),
    Category("waste", N_("categories", "Illegal waste dumping"), 3),
    Category("graffiti", N_("categories", "Graffiti and fly-posting"), 3),
    Category("parking", N_("categories", "Parking"), 3),
    Category("other", N_("categories", "Other"), 3),
)
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


def category_label(code: str) -> str:
    """Label of a category code (the code itself if unknown)."""
    cat = CATEGORY_BY_CODE.get(code)
    return cat.label if cat else code


PRIORITY_LABELS_SOURCE: dict[int, str] = {
    1: N_("priorities", "1 – urgent"),
    2: N_("priorities", "2 – normal"),
    3: N_("priorities", "3 – low"),
}


#: Incidents not dispatched after this many minutes are overdue (by priority): marked in the
#: queue and on the map, counted in the statistics.
DISPATCH_OVERDUE_MIN: dict[int, int] = {1: 3, 2: 15, 3: 60}


def priority_label(priority: int) -> str:
    """Label of a priority."""
    return tr("priorities", PRIORITY_LABELS_SOURCE.get(priority, str(priority)))


class IncidentStatus(StrEnum):
    """Phases of an incident."""

    NEW = "new"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    CLOSED = "closed"


STATUS_LABELS_SOURCE: dict[str, str] = {
    "new": N_("incident_status", "New"),
    "dispatched": N_("incident_status", "Dispatched"),
    "on_scene": N_("incident_status", "On scene"),
    "closed": N_("incident_status", "Closed"),
}


def status_label(status: str) -> str:
    """Label of an incident status."""
    return tr("incident_status", STATUS_LABELS_SOURCE.get(status, status))


#: Journal kind of a free-text note, and of a note written after the incident was closed
#: ("Vermerk nach Abschluss": it did not exist when the incident was closed).
JOURNAL_NOTE = "note"
JOURNAL_NOTE_AFTER_CLOSE = "note_closed"
#: Journal kinds that are free-text notes.
JOURNAL_NOTE_KINDS = frozenset({JOURNAL_NOTE, JOURNAL_NOTE_AFTER_CLOSE})

OUTCOMES_SOURCE: dict[str, str] = {
    "resolved": N_("outcomes", "Resolved on site"),
    "caution": N_("outcomes", "Caution issued (§ 56 OWiG)"),
    "offence_report": N_("outcomes", "Offence report written"),
    "handed_to_police": N_("outcomes", "Handed over to the police"),
    "nothing_found": N_("outcomes", "Nothing found"),
    "false_alarm": N_("outcomes", "False alarm"),
    "duplicate": N_("outcomes", "Duplicate"),
    "cancelled": N_("outcomes", "Cancelled"),
}


def outcome_label(code: str | None) -> str:
    """Label of an outcome code."""
    if not code:
        return ""
    return tr("outcomes", OUTCOMES_SOURCE.get(code, code))


class UnitStatus(StrEnum):
    """German BOS radio status codes plus the emergency key."""

    URGENT_TALK = "0"
    AVAILABLE_RADIO = "1"
    AVAILABLE_STATION = "2"
    EN_ROUTE = "3"
    ON_SCENE = "4"
    TALK = "5"
    NOT_AVAILABLE = "6"
    EMERGENCY = "N"


UNIT_STATUS_SOURCE: dict[str, str] = {
    "0": N_("unit_status", "Urgent request to talk"),
    "1": N_("unit_status", "Available on radio"),
    "2": N_("unit_status", "Available at station"),
    "3": N_("unit_status", "Job accepted, en route"),
    "4": N_("unit_status", "On scene"),
    "5": N_("unit_status", "Request to talk"),
    "6": N_("unit_status", "Not available"),
    "N": N_("unit_status", "EMERGENCY"),
}

#: Statuses in which a unit can take a new job.
AVAILABLE_STATUSES = frozenset({"1", "2"})
#: Statuses that take a unit off its incident when it changes to them (free again, or out of
#: service): the status board asks first.
RELEASING_STATUSES = frozenset({"1", "2", "6"})


def unit_status_label(code: str) -> str:
    """Label of a BOS status code."""
    return tr("unit_status", UNIT_STATUS_SOURCE.get(code, code))


def unit_status_display(code: str) -> str:
    """Code and label, e.g. ``2 – auf Wache``; the emergency shows as ``NOTRUF``."""
    if code == UnitStatus.EMERGENCY:
        return unit_status_label(code)
    return f"{code} – {unit_status_label(code)}"
