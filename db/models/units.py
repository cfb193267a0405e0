"""Field units (Streifen): members, status history, positions, emergency calls (part of
:mod:`db.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import IdType, UTCDateTime


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
