"""recording_bookmark and recording_snapshot: what a viewer marks and keeps from a clip

Bookmarks are places in a recording with a note (shown on the clip viewer's timeline).
Snapshots are single frames kept as evidence: sealed into the recording store like the
recording itself, their data key wrapped by the master key. Both go with their recording when
it is deleted. The grants are installed again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _common(table: str) -> list[Any]:
    return [
        sa.Column("id", _ID, nullable=False),
        sa.Column("recording_id", _ID, nullable=False),
        sa.Column("position_ms", _ID, nullable=False),
        sa.Column("created_by_id", _ID, nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=f"fk_{table}_recording_id_recording",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=f"fk_{table}_created_by_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "recording_bookmark",
        *_common("recording_bookmark"),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("position_ms >= 0", name="ck_recording_bookmark_position_positive"),
    )
    op.create_index(
        "ix_recording_bookmark_recording", "recording_bookmark", ["recording_id", "position_ms"]
    )
    op.create_table(
        "recording_snapshot",
        *_common("recording_snapshot"),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", _ID, nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_recording_snapshot_recording", "recording_snapshot", ["recording_id"])
    pg_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_recording_snapshot_recording", "recording_snapshot")
    op.drop_table("recording_snapshot")
    op.drop_index("ix_recording_bookmark_recording", "recording_bookmark")
    op.drop_table("recording_bookmark")
    pg_security.install(op.get_bind())
