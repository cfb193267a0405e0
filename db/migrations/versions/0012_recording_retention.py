"""recording_hold: two people set and lift a hold; recording_deletion: the deletion protocol

A hold is proposed by one person and confirmed by another (``confirmed_by_id``); lifting it is
proposed (``released_by_id``, ``release_requested_at``, ``release_note``) and consented to by
another (``release_consent_by_id``). Check constraints make the second person a different one
on every database. Criminal and OWi proceedings need a file number. ``recording_deletion`` keeps
one line per deleted recording, without personal data. The grants are installed again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CHECKS = {
    "proceedings_need_file_number": "reason NOT IN ('crime','offence') OR length(file_number) > 0",
    "set_by_two_people": "confirmed_by_id IS NULL OR confirmed_by_id <> created_by_id",
    "lifted_by_two_people": (
        "release_consent_by_id IS NULL OR (released_by_id IS NOT NULL "
        "AND release_consent_by_id <> released_by_id)"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("recording_hold") as batch:
        batch.add_column(
            sa.Column(
                "confirmed_by_id",
                _ID,
                sa.ForeignKey(
                    "user_account.id", name="fk_recording_hold_confirmed_by_id_user_account"
                ),
            )
        )
        batch.add_column(sa.Column("confirmed_at", db.types.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("release_requested_at", db.types.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("release_note", sa.Text()))
        for name, condition in _CHECKS.items():
            batch.create_check_constraint(op.f(f"ck_recording_hold_{name}"), condition)
    op.create_table(
        "recording_deletion",
        sa.Column("id", _ID, nullable=False),
        sa.Column("recording_id", _ID, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", _ID, nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("file_removed_at", db.types.UTCDateTime(timezone=True)),
        sa.CheckConstraint(
            "reason IN ('expired')", name=op.f("ck_recording_deletion_reason_value")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recording_deletion"),
        sa.UniqueConstraint("recording_id", name="uq_recording_deletion_recording_id"),
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_table("recording_deletion")
    with op.batch_alter_table("recording_hold") as batch:
        for name in _CHECKS:
            batch.drop_constraint(op.f(f"ck_recording_hold_{name}"), type_="check")
        batch.drop_constraint("fk_recording_hold_confirmed_by_id_user_account", type_="foreignkey")
        for column in ("release_note", "release_requested_at", "confirmed_at", "confirmed_by_id"):
            batch.drop_column(column)
    pg_security.install(op.get_bind())
