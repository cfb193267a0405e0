"""report.external_note/external_reported: status changes on the Open311 platform

A later poll applies what the citizens' platform changed on a request already taken in: its
status (``external_status``), its note (``external_note``) and the time of the change
(``external_updated_at``). ``external_reported`` keeps what the intake itself reported back
(``in_progress`` as an open status with a note, or ``closed``), so a status the platform sent
is never posted back to it, and nothing is reported twice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db import pg_security

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("external_note", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("external_reported", sa.String(length=16), nullable=True))
    # What the intake reported before this revision: a closed status taken as reported.
    op.execute(
        sa.text(
            "UPDATE report SET external_reported = 'closed' "
            "WHERE source = 'open311' AND status = 'closed' AND external_status = 'closed'"
        )
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("report") as batch:
        batch.drop_column("external_reported")
        batch.drop_column("external_note")
    pg_security.install(bind)
