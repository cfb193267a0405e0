"""recording_deletion: the snapshots of a deleted recording go with it

Deleting a recording destroys its snapshots' keys in the same transaction; their files are
removed from the store afterwards. ``recording_deletion.snapshot_files`` says how many snapshot
files the deletion destroyed, ``snapshot_files_removed`` how many of them are gone from the
store. ``recording_deletion_snapshot`` names the snapshot files still to be removed (a share
that was away): a row goes when its file is removed. No personal data in either. The grants
are installed again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import pg_security

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("recording_deletion") as batch:
        batch.add_column(
            sa.Column("snapshot_files", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("snapshot_files_removed", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "recording_deletion_snapshot",
        sa.Column("id", _ID, nullable=False),
        sa.Column("deletion_id", _ID, nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["deletion_id"],
            ["recording_deletion.id"],
            name="fk_recording_deletion_snapshot_deletion_id_recording_deletion",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recording_deletion_snapshot"),
        sa.UniqueConstraint("storage_key", name="uq_recording_deletion_snapshot_storage_key"),
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_table("recording_deletion_snapshot")
    with op.batch_alter_table("recording_deletion") as batch:
        batch.drop_column("snapshot_files_removed")
        batch.drop_column("snapshot_files")
    pg_security.install(op.get_bind())
