"""Plain frozen dataclasses that services take and return (no ORM object leaves ``app/``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.platform.permissions import Role

# --- users ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    """A user account as shown in lists."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    #: After disabling on PostgreSQL: how many open sessions ended (-1: could not be ended).
    sessions_ended: int | None = None
    #: PostgreSQL: the account has a server login (field officers may use only the mobile app).
    can_log_in: bool = True


# --- incidents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident queue."""

    id: int
    number: str
    category: str
    priority: int
    status: str
    address: str
    stadtteil: str | None
    created_at: datetime
    dispatched_at: datetime | None
    on_scene_at: datetime | None
    closed_at: datetime | None
    units: str
    version: int
    #: A unit on the incident is in Notruf (emergency) status.
    emergency: bool = False


@dataclass(frozen=True)
class JournalLine:
    """One Einsatztagebuch entry."""

    id: int
    created_at: datetime
    username: str
    kind: str
    text: str


@dataclass(frozen=True)
class Assignment:
    """A unit on an incident."""

    unit_id: int
    call_sign: str
    assigned_at: datetime
    on_scene_at: datetime | None
    released_at: datetime | None
    #: The unit's BOS status now (the status board's, the one truth); for a released unit
    #: whatever it is now, of no meaning for this incident.
    status: str = ""
    #: When the unit confirmed the alarm (status 3); None while it is only alarmed.
    confirmed_at: datetime | None = None
    #: Until when an alarmed unit should confirm (setting ``dispatch.confirm_timeout_s``);
    #: None once confirmed or released. Past it the alarm is flagged (computed, never stored).
    confirm_due_at: datetime | None = None


@dataclass(frozen=True)
class IncidentDetail:
    """Everything about one incident."""

    id: int
    number: str
    category: str
    priority: int
    status: str
    address: str
    lat: float | None
    lon: float | None
    stadtteil: str | None
    caller_name: str | None
    caller_phone: str | None
    description: str
    outcome: str | None
    outcome_note: str | None
    created_at: datetime
    dispatched_at: datetime | None
    on_scene_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    source_report_id: int | None
    version: int
    journal: tuple[JournalLine, ...] = ()
    assignments: tuple[Assignment, ...] = ()

    @property
    def active_assignments(self) -> tuple[Assignment, ...]:
        """Units still on this incident."""
        return tuple(a for a in self.assignments if a.released_at is None)


@dataclass(frozen=True)
class IncidentDraft:
    """What call-taking enters for a new incident."""

    category: str
    priority: int | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    caller_name: str | None = None
    caller_phone: str | None = None
    description: str = ""
    source_report_id: int | None = None
    #: Client-generated UUID (offline outbox): creating twice with it returns the first incident.
    client_ref: str | None = None


#: Incident fields a dispatcher may edit.
EDITABLE_INCIDENT_FIELDS = (
    "category",
    "priority",
    "address",
    "lat",
    "lon",
    "caller_name",
    "caller_phone",
    "description",
)


@dataclass(frozen=True)
class IncidentQuery:
    """Filter and order of the incident queue."""

    statuses: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    priorities: frozenset[int] = frozenset()
    stadtteile: frozenset[str] = frozenset()
    text: str = ""
    open_only: bool = False
    sort: str = "queue"  # "queue" (open first, priority, age) or a column name
    descending: bool = False

    @property
    def closed_by_number(self) -> bool:
        """In the queue order, closed matches come newest first by number, not by closing time.

        True for a free-text search: its matches are read from the trigram index in number
        order, so the first page of a frequent word appears at once.
        """
        return bool(self.text.strip())


# --- units ----------------------------------------------------------------------------------


#: How often the field API confirms the live links it holds open (s).
LINK_HEARTBEAT_S = 30.0
#: A link not confirmed for this long counts as closed (its API process is gone).
LINK_STALE_S = 3 * LINK_HEARTBEAT_S


@dataclass(frozen=True)
class UnitStatusEcho:
    """What a field device hears back after its status change: the unit as it now stands."""

    call_sign: str
    status: str
    status_changed_at: datetime
    lat: float | None
    lon: float | None
    position_at: datetime | None
    incident_number: str | None


@dataclass(frozen=True)
class UnitInfo:
    """A unit on the status board."""

    id: int
    call_sign: str
    kind: str
    status: str
    status_changed_at: datetime
    lat: float | None
    lon: float | None
    position_at: datetime | None
    members: tuple[str, ...]
    incident_id: int | None
    incident_number: str | None
    version: int
    #: When the unit was alarmed for ``incident_id``, while it has not confirmed (else None).
    alarmed_at: datetime | None = None
    #: Until when it should confirm (see :attr:`Assignment.confirm_due_at`).
    confirm_due_at: datetime | None = None
    #: When a field device of the unit last called the field API (None: no device).
    device_seen_at: datetime | None = None
    #: Whether a field device of the unit holds its live link open now (as its API process
    #: last wrote; see :meth:`device_link_live`).
    device_connected: bool = False

    def device_link_live(self, now: datetime) -> bool:
        """Whether the live link counts as open at ``now``: marked open and confirmed within
        :data:`LINK_STALE_S` (the API confirms open links every :data:`LINK_HEARTBEAT_S`; a
        link of an API process that crashed is not shown as open for long)."""
        return (
            self.device_connected
            and self.device_seen_at is not None
            and (now - self.device_seen_at).total_seconds() <= LINK_STALE_S
        )


@dataclass(frozen=True)
class UnitProposal:
    """A unit proposed for an incident, with its distance."""

    unit: UnitInfo
    distance_m: float | None
    available: bool


@dataclass(frozen=True)
class StatusChange:
    """One entry of a unit's status history."""

    unit_id: int
    status: str
    previous_status: str | None
    changed_at: datetime
    username: str | None
    incident_id: int | None
    note: str | None
    incident_number: str | None = None


@dataclass(frozen=True)
class Emergency:
    """An open or acknowledged emergency (Notruf) of a unit."""

    unit_id: int
    call_sign: str
    raised_at: datetime
    lat: float | None
    lon: float | None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    id: int | None = None
    incident_id: int | None = None
    incident_number: str | None = None
    incident_address: str | None = None
    #: When the unit reported ``lat``/``lon`` (None: unknown, treat as old).
    position_at: datetime | None = None


# --- change feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One committed change announced to every workstation."""

    id: int
    occurred_at: datetime
    entity: str
    entity_id: int
    op: str
    version: int | None
    origin: str | None


@dataclass(frozen=True)
class ChangeBatch:
    """Changes delivered together (in id order)."""

    changes: tuple[Change, ...] = field(default_factory=tuple)
    #: The feed went back (failover that lost transactions, restore): every view reloads.
    reset: bool = False
    #: With ``reset``: the feed's newest id, where reading continues.
    reset_to: int = 0

    @property
    def last_id(self) -> int:
        """Highest id in the batch (``reset_to`` for a reset without changes)."""
        return self.changes[-1].id if self.changes else self.reset_to
