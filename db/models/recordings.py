"""Bodycam recordings (§ 15c PolG NRW via § 24 OBG NRW): part of :mod:`db.models`.

Kept in a module of their own so that the domain model stays readable; :mod:`db.models`
imports them, so ``Base.metadata`` always holds every table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import IdType, UTCDateTime


class Recording(Base):
    """A bodycam recording (§ 15c PolG NRW): deleted after 14 days unless held."""

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str | None] = mapped_column(String(255))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    reason: Mapped[str] = mapped_column(Text)
    announced: Mapped[bool] = mapped_column(Boolean)
    inside_home: Mapped[bool] = mapped_column(Boolean, default=False)
    ordered_by: Mapped[str | None] = mapped_column(String(120))
    storage_key: Mapped[str] = mapped_column(String(255))
    # One recording per file content: a second import of the same file is refused.
    sha256: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    size_bytes: Mapped[int] = mapped_column(IdType)
    delete_after: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Since 0009: who imported it, the unit, the incident proposed from officer, unit and time
    # (``incident_id`` is set once a person confirms it), and what libvlc read from the file.
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    proposed_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    original_name: Mapped[str | None] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(IdType)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    video_codec: Mapped[str | None] = mapped_column(String(16))
    audio_codec: Mapped[str | None] = mapped_column(String(16))
    frame_rate: Mapped[float | None] = mapped_column(Float)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("inside_home = false OR ordered_by IS NOT NULL", name="home_needs_order"),
        Index("ix_recording_delete_after", "deleted_at", "delete_after"),
    )


class RecordingKey(Base):
    """A recording's data key, wrapped by the master key (which is never in the database).

    Kept apart from ``recording`` so that reading a recording's details never reads its key:
    on PostgreSQL no login may read this table; deleting a recording destroys its row.
    """

    __tablename__ = "recording_key"

    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recording.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordingHold(Base):
    """Keeps a recording past its deletion date: kind, file number and reason.

    Setting and lifting a hold take two different people: one proposes (``created_by_id``;
    ``released_by_id`` for lifting), another, who may confirm holds, confirms
    (``confirmed_by_id``; ``release_consent_by_id``). A proposed hold already keeps the
    recording (deletion cannot be undone); it is in force once confirmed, and lifted once the
    lifting is confirmed. ``reason`` is the kind (a code), ``note`` the stated reason.
    """

    __tablename__ = "recording_hold"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    file_number: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    release_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Since 0012: the second person for setting it, and the proposal to lift it.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "reason IN ('danger','crime','offence','review_request')", name="reason_value"
        ),
        CheckConstraint(
            "reason NOT IN ('crime','offence') OR length(file_number) > 0",
            name="proceedings_need_file_number",
        ),
        CheckConstraint(
            "confirmed_by_id IS NULL OR confirmed_by_id <> created_by_id",
            name="set_by_two_people",
        ),
        CheckConstraint(
            "release_consent_by_id IS NULL OR (released_by_id IS NOT NULL "
            "AND release_consent_by_id <> released_by_id)",
            name="lifted_by_two_people",
        ),
    )


class RecordingDeletion(Base):
    """The deletion protocol: that a recording was deleted, and why, without personal data.

    No officer, place, incident or reason for recording: the recording's number, its hash and
    size, its times, when it was due and deleted, the reason (``expired``: Fristablauf) and the
    storage key (to remove a file the deleting workstation could not reach). The data key was
    destroyed in the same transaction; ``file_removed_at`` says when the file was removed.
    The recording's snapshots go with it (since 0018): ``snapshot_files`` says how many snapshot
    files the deletion destroyed (their keys in the same transaction), ``snapshot_files_removed``
    how many of them are removed from the store so far.
    """

    __tablename__ = "recording_deletion"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    recording_id: Mapped[int] = mapped_column(IdType, unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(IdType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(255))
    file_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snapshot_files: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    snapshot_files_removed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (CheckConstraint("reason IN ('expired')", name="reason_value"),)


class RecordingDeletionSnapshot(Base):
    """A snapshot file of a deleted recording still to be removed from the store (since 0018).

    Its key was destroyed with the recording; the row goes when the file is removed (a later
    run retries a file the deleting workstation could not reach). Only the storage key.
    """

    __tablename__ = "recording_deletion_snapshot"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    deletion_id: Mapped[int] = mapped_column(
        ForeignKey("recording_deletion.id", ondelete="CASCADE")
    )
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)


class RecordingBookmark(Base):
    """A place in a recording worth coming back to, with a note (since 0013)."""

    __tablename__ = "recording_bookmark"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    position_ms: Mapped[int] = mapped_column(IdType)
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_recording_bookmark_recording", "recording_id", "position_ms"),
        CheckConstraint("position_ms >= 0", name="position_positive"),
    )


class RecordingSnapshot(Base):
    """One frame of a recording kept as evidence (since 0013): sealed in the store like the
    recording, its data key wrapped by the master key (no login reads ``wrapped_key``)."""

    __tablename__ = "recording_snapshot"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id", ondelete="CASCADE"))
    position_ms: Mapped[int] = mapped_column(IdType)
    storage_key: Mapped[str] = mapped_column(String(255))
    key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(IdType)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_recording_snapshot_recording", "recording_id"),)
