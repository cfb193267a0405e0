"""Tasks (Aufträge) and reports (Meldungen) (part of :mod:`db.models`)."""

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
