"""offence_catalogue_entry keeps revisions: an edited entry is a new row, the old one stays

A case points at the catalogue row it was made with, so a later change of the catalogue (new
amounts, new wording) must not change that row: editing adds a revision (same key, next
number) and marks the old one superseded. One current revision per key. Unverified seed rows
are confirmed by a person (who and when are kept).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TABLE = "offence_catalogue_entry"


def upgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_constraint("uq_offence_catalogue_entry_key", type_="unique")
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("valid_from", db.types.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("superseded_at", db.types.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("confirmed_at", db.types.UTCDateTime(timezone=True)))
        batch.add_column(
            sa.Column(
                "confirmed_by_id",
                _ID,
                sa.ForeignKey(
                    "user_account.id",
                    name="fk_offence_catalogue_entry_confirmed_by_id_user_account",
                ),
            )
        )
        batch.create_unique_constraint(
            "uq_offence_catalogue_entry_key_revision", ["key", "revision"]
        )
    op.create_index(
        "ix_offence_catalogue_entry_current_key",
        _TABLE,
        ["key"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_offence_catalogue_entry_current_key", table_name=_TABLE)
    op.execute(f"DELETE FROM {_TABLE} WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_constraint("uq_offence_catalogue_entry_key_revision", type_="unique")
        batch.drop_column("confirmed_by_id")
        batch.drop_column("confirmed_at")
        batch.drop_column("superseded_at")
        batch.drop_column("valid_from")
        batch.drop_column("revision")
        batch.create_unique_constraint("uq_offence_catalogue_entry_key", ["key"])
    pg_security.install(op.get_bind())
