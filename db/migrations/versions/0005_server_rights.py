"""PostgreSQL enforces the permission matrix: group roles, grants, row-level security, audit

The server writes the audit records itself (actor from the session's login), stamps who-columns,
records every row change of the operational tables, keeps the audit log append-only and grants
each group role exactly what the matrix in db/access.py says (db/pg_security). Nothing changes
on SQLite, where the workstation's operating-system account protects the file.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db import pg_security

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg_security.install(op.get_bind())


def downgrade() -> None:
    pg_security.uninstall(op.get_bind())
