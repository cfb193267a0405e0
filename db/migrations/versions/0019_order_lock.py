"""PostgreSQL: status changes and positions side by side; audit records at the commit

The writers' lock (advisory 4935492) stays what every write transaction takes at its start, but
the field devices' small writes (status, positions, their request keys and call records) take it
shared and protect what they change with row locks. The audit chain and the change feed are
appended under a lock of their own, the order lock (4935493), held only from the append to the
commit: the audit row triggers are deferred to the commit, the services send their own records
with the change-feed entries as the transaction's last statement.

A program before this revision takes the writers' lock exclusively and would meet the new
functions half-way, so the revision is required (older programs refuse the schema). Nothing
changes in the tables; the functions and triggers are installed again (on downgrade too: they
are always those of the installed program, as in every revision since 0005).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db import pg_security

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg_security.install(op.get_bind())


def downgrade() -> None:
    pg_security.install(op.get_bind())
