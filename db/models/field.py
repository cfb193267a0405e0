"""The field interface's tables: registered devices, photos from the field, acknowledgements,
the keys of writes sent again after a dead spot.

A device (an officer's phone or tablet) is registered by the shift lead or the administration
for one officer and one unit; it holds a token of which only a hash is stored. Photos sent with
a Meldung or an offence capture are kept re-encoded in the database (they are small and belong
to the transaction that records them: a refused request stores nothing).
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import IdType, UTCDateTime


class FieldDevice(Base):
    """A field device bound to an officer's login and a unit, with its token's hash."""

    __tablename__ = "field_device"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    #: SHA-256 (hex) of the token's secret part; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64))
    #: The token before the last rotation, accepted until the new one is first used (or
    #: ``previous_valid_until``), so a rotation whose answer got lost locks nobody out.
    previous_token_hash: Mapped[str | None] = mapped_column(String(64))
    previous_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: When the device last called the interface, and whether its live connection is open.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)


class FieldPhoto(Base):
    """A photo from the field (re-encoded JPEG; metadata only time and position)."""

    __tablename__ = "field_photo"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("offence_case.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint(
            "(report_id IS NULL) <> (case_id IS NULL)", name="belongs_to_report_or_case"
        ),
    )


class FieldAck(Base):
    """A device acknowledged an incident assignment or an Auftrag pushed to it."""

    __tablename__ = "field_ack"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("field_device.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(IdType)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("kind IN ('incident','task')", name="kind_value"),
        UniqueConstraint("device_id", "kind", "item_id", name="uq_field_ack_item"),
        Index("ix_field_ack_kind_item", "kind", "item_id"),
    )


class FieldRequestKey(Base):
    """A write a device sent with an ``Idempotency-Key``, and the answer it got.

    A device queues writes while it has no network and sends them later; when an answer got
    lost it sends the same write again with the same key and gets the first answer back
    instead of a second Meldung. ``status`` is empty while the first request is still running.
    """

    __tablename__ = "field_request_key"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("field_device.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    #: ``POST /v1/reports``: the same key for another call is refused.
    request: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("device_id", "key", name="uq_field_request_key_key"),)
