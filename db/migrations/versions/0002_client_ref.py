"""client_ref on incident and journal_entry (idempotent replay of the offline outbox)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("incident", "journal_entry")


def upgrade() -> None:
    # ADD COLUMN and CREATE INDEX work natively on SQLite: no table copy needed.
    for table in TABLES:
        op.add_column(table, sa.Column("client_ref", sa.String(length=36), nullable=True))
        op.create_index(f"ix_{table}_client_ref", table, ["client_ref"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_client_ref", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("client_ref")
