"""Administrative offences (OWiG): catalogue, cases, persons, history, evidence (part of
:mod:`db.models`)."""

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

from db.base import Base
from db.types import IdType, UTCDateTime


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
