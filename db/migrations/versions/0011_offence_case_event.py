"""offence_case_event: the history of an offence case; offence_case.anonymised_at

Every status step (checked, caution, payment, hearing, hand-over, discontinued) is kept with who
and when (stamped by the server on PostgreSQL), like the Einsatztagebuch of an incident. A closed
case's personal data is removed after ``offences.personal_data_days``; ``anonymised_at`` says
when (the case itself stays for the statistics).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "offence_case_event",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["offence_case.id"],
            name=op.f("fk_offence_case_event_case_id_offence_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_offence_case_event_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_case_event")),
    )
    op.create_index(
        "ix_offence_case_event_case_time", "offence_case_event", ["case_id", "created_at"]
    )
    op.add_column("offence_case", sa.Column("anonymised_at", db.types.UTCDateTime(timezone=True)))
    pg_security.install(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("offence_case") as batch:
        batch.drop_column("anonymised_at")
    op.drop_index("ix_offence_case_event_case_time", table_name="offence_case_event")
    op.drop_table("offence_case_event")
    pg_security.install(op.get_bind())
