"""The ORM model of the whole domain (see shared DOMAIN.md for the vocabulary).

Conventions: every table has a surrogate integer id, timestamps are :class:`UTCDateTime`,
money is stored in euro cents, mutable work items carry a ``version`` used for optimistic
locking (SQLAlchemy's ``version_id_col``), and every constraint is named through the metadata's
naming convention so that Alembic migrations are deterministic on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import NAMING_CONVENTION, Base
from db.models_bodycam import (
    Recording,
    RecordingBookmark,
    RecordingDeletion,
    RecordingDeletionSnapshot,
    RecordingHold,
    RecordingKey,
    RecordingSnapshot,
)
from db.models_field import FieldAck, FieldDevice, FieldPhoto, FieldRequestKey
from db.types import IdType, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "FieldAck",
    "FieldDevice",
    "FieldPhoto",
    "FieldRequestKey",
    "Recording",
    "RecordingBookmark",
    "RecordingDeletion",
    "RecordingDeletionSnapshot",
    "RecordingHold",
    "RecordingKey",
    "RecordingSnapshot",
]


# --- people and organisation ---------------------------------------------------------------


class Role(Base):
    """A role from the permission matrix (Disponent, Schichtleitung, ...)."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class User(Base):
    """A person who logs in (or, for field officers, is a member of a unit)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role_code: Mapped[str] = mapped_column(ForeignKey("role.code"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    personnel_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Unit(Base):
    """A field unit (Streife) with its call sign, BOS status and last known position."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    call_sign: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="Streife")
    status: Mapped[str] = mapped_column(String(8), default="2")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("status IN ('0','1','2','3','4','5','6','N')", name="status_code"),
    )


class UnitMember(Base):
    """Which officer serves in which unit (from/to, so shift reports can name them)."""

    __tablename__ = "unit_member"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnitStatusChange(Base):
    """Every status change of a unit, with its timestamp (status history)."""

    __tablename__ = "unit_status_change"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8))
    previous_status: Mapped[str | None] = mapped_column(String(8))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_unit_status_change_unit_time", "unit_id", "changed_at"),)


class UnitPosition(Base):
    """A position report of a unit. Retention is configurable and may be zero."""

    __tablename__ = "unit_position"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32), default="gps")

    __table_args__ = (Index("ix_unit_position_unit_time", "unit_id", "recorded_at"),)


class Emergency(Base):
    """An emergency key press (Notruf) of a unit and who acknowledged it when."""

    __tablename__ = "emergency"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    previous_status: Mapped[str | None] = mapped_column(String(8))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_workstation: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_emergency_open", "acknowledged_at", "raised_at"),)


# --- incidents (Einsätze) -------------------------------------------------------------------


class Incident(Base):
    """An Einsatz: something happening that units go to."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    stadtteil: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(120))
    caller_phone: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(64))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", use_alter=True, name="fk_incident_source_report_id_report")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: UUID chosen by the workstation (offline outbox): a replay finds the row instead of
    #: inserting it twice.
    client_ref: Mapped[str | None] = mapped_column(String(36), index=True, unique=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority_range"),
        CheckConstraint("status IN ('new','dispatched','on_scene','closed')", name="status_value"),
        # The queue: open incidents first, by priority and age.
        Index("ix_incident_open_queue", "closed_at", "priority", "created_at"),
        Index("ix_incident_created_at", "created_at"),
        Index("ix_incident_closed_at", "closed_at", "id"),
        Index("ix_incident_address", "address", "id"),
        Index("ix_incident_priority", "priority", "id"),
        Index("ix_incident_stadtteil_category", "stadtteil", "category", "closed_at"),
        Index("ix_incident_status", "status"),
        Index("ix_incident_category", "category"),
    )


# Sort indexes of nullable queue columns: empty values first, so one index serves both
# directions of the queue's order (migration 0004). SQLite cannot declare NULLS FIRST in an
# index but needs no such clause: it sorts empty values first anyway.
for _column in (Incident.dispatched_at, Incident.stadtteil):
    _name = f"ix_incident_{_column.key}"
    Index(_name, _column, Incident.id).ddl_if(dialect="sqlite")
    Index(_name, _column.nulls_first(), Incident.id).ddl_if(dialect="postgresql")


class IncidentUnit(Base):
    """A unit assigned to an incident (one active assignment per unit at a time)."""

    __tablename__ = "incident_unit"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the unit confirmed the alarm ("Einsatz übernommen", status 3); None while alarmed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        Index("ix_incident_unit_incident", "incident_id"),
        # Two workstations cannot both commit an active assignment of the same unit.
        Index(
            "uq_incident_unit_active_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class JournalEntry(Base):
    """One line of the Einsatztagebuch: a change, a status step or a free-text note."""

    __tablename__ = "journal_entry"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)
    #: UUID chosen by the workstation (offline outbox), see ``Incident.client_ref``.
    client_ref: Mapped[str | None] = mapped_column(String(36), index=True, unique=True)

    __table_args__ = (Index("ix_journal_entry_incident_time", "incident_id", "created_at"),)


# --- tasks (Aufträge) and reports (Meldungen) -----------------------------------------------


class Task(Base):
    """An Auftrag: planned work for the field, with a due date and a Wiedervorlage."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    stadtteil: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_note: Mapped[str | None] = mapped_column(String(500))
    assigned_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", use_alter=True, name="fk_task_source_report_id_report")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("status IN ('open','done','cancelled')", name="status_value"),
        Index("ix_task_status_due", "status", "due_at"),
        Index("ix_task_follow_up", "follow_up_at"),
    )


#: The Meldungen taken in from Open311 (``text`` is a column name inside the class).
_OPEN311 = text("source = 'open311'")


class Report(Base):
    """A Meldung: what comes in from citizens or back from the field."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter_name: Mapped[str | None] = mapped_column(String(120))
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    stadtteil: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")
    external_id: Mapped[str | None] = mapped_column(String(64))
    # Open311: the request on the citizens' platform, its last change there (the intake's
    # cursor), its status and note there as last seen, and what the intake reported back.
    external_url: Mapped[str | None] = mapped_column(String(500))
    external_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_status: Mapped[str | None] = mapped_column(String(16))
    external_note: Mapped[str | None] = mapped_column(String(1000))
    external_reported: Mapped[str | None] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "source IN ('phone','email','online','field','open311','other')", name="source_value"
        ),
        CheckConstraint(
            "status IN ('new','in_progress','converted','closed')", name="status_value"
        ),
        Index("ix_report_status_received", "status", "received_at"),
        # One Meldung per Open311 request, also after a restart of the intake.
        Index(
            "uq_report_open311_external_id",
            "external_id",
            unique=True,
            sqlite_where=_OPEN311,
            postgresql_where=_OPEN311,
        ),
    )


# --- administrative offences (OWiG) ---------------------------------------------------------


class OffenceCatalogueEntry(Base):
    """A Tatbestand of an offence catalogue, with its amounts and legal basis."""

    __tablename__ = "offence_catalogue_entry"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    group_name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    catalogue_number: Mapped[str | None] = mapped_column(String(32))
    amount_min_cents: Mapped[int | None] = mapped_column(Integer)
    amount_max_cents: Mapped[int | None] = mapped_column(Integer)
    statutory_max_cents: Mapped[int | None] = mapped_column(IdType)
    is_traffic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Revision of the entry under its key; an edit adds a row, cases keep theirs.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a newer revision replaced this one (NULL: the current revision).
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who confirmed an unverified entry against its source, and when.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("key", "revision", name="uq_offence_catalogue_entry_key_revision"),
        Index(
            "ix_offence_catalogue_entry_current_key",
            "key",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )


class OffenceCase(Base):
    """An Ordnungswidrigkeitenverfahren: Verwarnung (§ 56 OWiG) or Bußgeldverfahren."""

    __tablename__ = "offence_case"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    catalogue_entry_id: Mapped[int | None] = mapped_column(ForeignKey("offence_catalogue_entry.id"))
    act_description: Mapped[str] = mapped_column(Text)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(255))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    culpability: Mapped[str] = mapped_column(String(16), default="negligence")
    procedure: Mapped[str] = mapped_column(String(16), default="caution")
    fine_cents: Mapped[int | None] = mapped_column(Integer)
    caution_agreed: Mapped[bool | None] = mapped_column(Boolean)
    payment_due: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hearing_status: Mapped[str] = mapped_column(String(16), default="none")
    hearing_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    limitation_date: Mapped[date | None] = mapped_column(Date)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the personal data of the closed case was removed (``offences.personal_data_days``).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("culpability IN ('intent','negligence')", name="culpability_value"),
        CheckConstraint("procedure IN ('caution','fine')", name="procedure_value"),
        # § 56 OWiG: a Verwarnungsgeld is 5 to 55 euros (or no fee at all).
        CheckConstraint(
            "procedure <> 'caution' OR fine_cents IS NULL OR fine_cents BETWEEN 500 AND 5500",
            name="caution_fee_range",
        ),
        Index("ix_offence_case_status_limitation", "status", "limitation_date"),
    )


class OffencePerson(Base):
    """A person in an offence case: the Betroffener or a witness."""

    __tablename__ = "offence_person"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("offence_case.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    last_name: Mapped[str] = mapped_column(String(120))
    first_name: Mapped[str | None] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        CheckConstraint("role IN ('concerned','witness')", name="role_value"),
        Index("ix_offence_person_case", "case_id"),
    )


class OffenceCaseEvent(Base):
    """One step in an offence case's history (status change or note), with who and when."""

    __tablename__ = "offence_case_event"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("offence_case.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_offence_case_event_case_time", "case_id", "created_at"),)


class OffenceEvidence(Base):
    """Evidence in an offence case: a photo, a bodycam recording, a witness statement."""

    __tablename__ = "offence_evidence"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("offence_case.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"))
    #: The witness a statement comes from (who cannot be deleted while it is evidence).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("offence_person.id"))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_offence_evidence_case", "case_id"),)


# --- audit, change feed, settings -----------------------------------------------------------


class AuditRecord(Base):
    """An audit record, hash-chained to its predecessor (tamper evidence)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(IdType)
    reason: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="{}")
    workstation: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_audit_log_time", "occurred_at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )


class ChangeFeedEntry(Base):
    """One committed change; written in the same transaction as the change itself.

    Other workstations read the feed from the last id they have seen; PostgreSQL NOTIFY is only
    the wake-up.
    """

    __tablename__ = "change_feed"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(IdType)
    op: Mapped[str] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(64))


class Setting(Base):
    """A configurable value (JSON), e.g. the assignment policy or retention periods."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GazetteerAddress(Base):
    """An address with coordinates for the call-taking address completion."""

    __tablename__ = "gazetteer_address"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    street: Mapped[str] = mapped_column(String(120))
    house_number: Mapped[str] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(8))
    stadtteil: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("street", "house_number", name="uq_gazetteer_address_street_number"),
    )


class MapOutline(Base):
    """An official Stadtteil outline imported from the city's open data (WGS84 GeoJSON).

    When the table has rows the map shows these instead of the approximate demo outlines.
    """

    __tablename__ = "map_outline"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The GeoJSON geometry (Polygon or MultiPolygon, ``[lon, lat]``).
    geometry: Mapped[str] = mapped_column(Text)
    label_lat: Mapped[float] = mapped_column(Float)
    label_lon: Mapped[float] = mapped_column(Float)
    #: The imported file's name (shown as the outlines' source).
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("name", name="uq_map_outline_name"),)
