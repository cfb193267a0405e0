"""Incidents (Einsätze), the units assigned to them and their journal (part of
:mod:`db.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import IdType, UTCDateTime


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
