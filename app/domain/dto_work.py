"""Frozen dataclasses for Aufträge (tasks) and Meldungen (reports).

Kept apart from :mod:`app.domain.dto` so the work-item services can grow without touching the
incident and unit DTOs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr

# --- Aufträge -------------------------------------------------------------------------------

#: Statuses of a task; ``open`` is the only one that still needs work.
TASK_STATUSES = ("open", "done", "cancelled")


@dataclass(frozen=True)
class TaskInfo:
    """One Auftrag with the names of its assignee and source Meldung."""

    id: int
    number: str
    title: str
    description: str
    category: str | None
    address: str
    lat: float | None
    lon: float | None
    stadtteil: str | None
    status: str
    due_at: datetime | None
    follow_up_at: datetime | None
    follow_up_note: str | None
    assigned_unit_id: int | None
    assigned_unit: str | None
    assigned_user_id: int | None
    assigned_user: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    source_report_id: int | None
    source_report_number: str | None
    version: int

    @property
    def is_open(self) -> bool:
        """True while the task still needs doing."""
        return self.status == "open"

    @property
    def assignee(self) -> str:
        """Unit and/or officer as one display string (empty if unassigned)."""
        return " / ".join(x for x in (self.assigned_unit, self.assigned_user) if x)

    def follow_up_due(self, now: datetime) -> bool:
        """True if the Wiedervorlage is due at ``now`` and the task is still open."""
        return self.is_open and self.follow_up_at is not None and self.follow_up_at <= now

    def overdue(self, now: datetime) -> bool:
        """True if the task is open and past its due time."""
        return self.is_open and self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class TaskDraft:
    """What a dispatcher enters for a new Auftrag."""

    title: str
    description: str = ""
    category: str | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    due_at: datetime | None = None
    follow_up_at: datetime | None = None
    follow_up_note: str | None = None
    assigned_unit_id: int | None = None
    assigned_user_id: int | None = None


#: Task fields that :meth:`app.services.tasks.TaskService.update` may change.
EDITABLE_TASK_FIELDS = (
    "title",
    "description",
    "category",
    "address",
    "lat",
    "lon",
    "due_at",
    "follow_up_at",
    "follow_up_note",
    "assigned_unit_id",
    "assigned_user_id",
)


@dataclass(frozen=True)
class TaskQuery:
    """Filter of the task list (open tasks first, by due time)."""

    statuses: frozenset[str] = frozenset()
    open_only: bool = False
    due_before: datetime | None = None
    assigned_unit_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class Assignee:
    """Someone a task can be given to: a unit or a field officer."""

    kind: str  # "unit" or "user"
    id: int
    label: str
    detail: str = ""


# --- Meldungen ------------------------------------------------------------------------------

#: Where a Meldung comes from.
REPORT_SOURCES = ("phone", "email", "online", "field", "open311", "other")
#: Statuses of a Meldung; ``new`` and ``in_progress`` still need handling.
REPORT_STATUSES = ("new", "in_progress", "converted", "closed")
OPEN_REPORT_STATUSES = frozenset({"new", "in_progress"})


@dataclass(frozen=True)
class ReportInfo:
    """One Meldung with the numbers of the Einsatz or Auftrag made from it."""

    id: int
    number: str
    source: str
    received_at: datetime
    reporter_name: str | None
    reporter_contact: str | None
    subject: str
    text: str
    category: str | None
    address: str
    lat: float | None
    lon: float | None
    stadtteil: str | None
    status: str
    external_id: str | None
    incident_id: int | None
    incident_number: str | None
    task_id: int | None
    task_number: str | None
    created_by: str | None
    updated_at: datetime
    version: int
    # Open311: the request's link, its status and note on the platform as last seen, when it
    # last changed there, and what the intake reported back (``in_progress``/``closed``).
    external_url: str | None = None
    external_status: str | None = None
    external_note: str | None = None
    external_updated_at: datetime | None = None
    external_reported: str | None = None

    @property
    def is_open(self) -> bool:
        """True while the Meldung still needs handling."""
        return self.status in OPEN_REPORT_STATUSES

    @property
    def platform_mark(self) -> str | None:
        """What the dispatcher must notice about the request on the citizens' platform.

        ``closed_there``: closed on the platform (by another department or the platform)
        while the Meldung is not closed here; ``reopened_there``: reopened on the platform
        after we reported it closed. None otherwise.
        """
        if self.source != "open311" or self.external_status is None:
            return None
        if self.external_status == "closed" and self.status != "closed":
            return None if self.external_reported == "closed" else "closed_there"
        if self.external_status != "closed" and self.status == "closed":
            return "reopened_there" if self.external_reported == "closed" else None
        return None


@dataclass(frozen=True)
class ReportDraft:
    """A Meldung as it comes in (phone, e-mail, online form, field report)."""

    subject: str
    source: str = "phone"
    text: str = ""
    reporter_name: str | None = None
    reporter_contact: str | None = None
    received_at: datetime | None = None  # None: now
    category: str | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    external_id: str | None = None


#: Report fields that :meth:`app.services.reports.ReportService.update` may change.
EDITABLE_REPORT_FIELDS = (
    "source",
    "subject",
    "text",
    "reporter_name",
    "reporter_contact",
    "received_at",
    "category",
    "address",
    "lat",
    "lon",
    "external_id",
)


@dataclass(frozen=True)
class ReportQuery:
    """Filter of the report list (open ones first, newest first)."""

    statuses: frozenset[str] = frozenset()
    open_only: bool = False
    received_after: datetime | None = None
    text: str = ""


# --- labels ---------------------------------------------------------------------------------

TASK_STATUS_LABELS_SOURCE: dict[str, str] = {
    "open": N_("task_status", "Open"),
    "done": N_("task_status", "Done"),
    "cancelled": N_("task_status", "Cancelled"),
}
REPORT_STATUS_LABELS_SOURCE: dict[str, str] = {
    "new": N_("report_status", "New"),
    "in_progress": N_("report_status", "In progress"),
    "converted": N_("report_status", "Converted"),
    "closed": N_("report_status", "Closed"),
}
REPORT_SOURCE_LABELS_SOURCE: dict[str, str] = {
    "phone": N_("report_source", "Phone"),
    "email": N_("report_source", "E-mail"),
    "online": N_("report_source", "Online form"),
    "field": N_("report_source", "Field report"),
    "open311": N_("report_source", "Open311"),
    "other": N_("report_source", "Other"),
}


def task_status_label(code: str) -> str:
    """Label of a task status."""
    return tr("task_status", TASK_STATUS_LABELS_SOURCE.get(code, code))


def report_status_label(code: str) -> str:
    """Label of a report status."""
    return tr("report_status", REPORT_STATUS_LABELS_SOURCE.get(code, code))


PLATFORM_MARK_LABELS_SOURCE: dict[str, str] = {
    "closed_there": N_("report_platform", "closed on the platform"),
    "reopened_there": N_("report_platform", "reopened on the platform"),
}


def platform_mark_label(code: str) -> str:
    """Label of a mark from the citizens' platform (see :attr:`ReportInfo.platform_mark`)."""
    return tr("report_platform", PLATFORM_MARK_LABELS_SOURCE.get(code, code))


def report_source_label(code: str) -> str:
    """Label of where a report came from."""
    return tr("report_source", REPORT_SOURCE_LABELS_SOURCE.get(code, code))


#: Who a Meldung comes from, by its source: the officers in the field (field device), citizens
#: (online form, the city's Open311 platform) or the desk (phone, e-mail, anything else).
REPORT_ORIGINS: dict[str, str] = {"field": "field", "online": "citizen", "open311": "citizen"}
REPORT_ORIGIN_LABELS_SOURCE: dict[str, str] = {
    "field": N_("report_origin", "Field"),
    "citizen": N_("report_origin", "Citizen"),
    "desk": N_("report_origin", "Desk"),
}


def report_origin(code: str) -> str:
    """``field``, ``citizen`` or ``desk`` for a report source."""
    return REPORT_ORIGINS.get(code, "desk")


def report_origin_label(code: str) -> str:
    """Label of who a report came from (by its source), e.g. "Außendienst"."""
    origin = report_origin(code)
    return tr("report_origin", REPORT_ORIGIN_LABELS_SOURCE[origin])
