"""PostgreSQL: the services' audit records about bodycam recordings need the matching right

``kod_audit`` now refuses a record ``recording.…`` unless the login holds the right of what it
names (a snapshot, a tampered clip or a bookmark: viewing; an import, a quarantined file or a
link: importing; a proposed hold: holds; a cancelled export: exporting; a store check: audit
verification). Before, any login could put such a record into the log in its own name. The
length check of audit records is one function shared by ``kod_audit`` and ``kod_audit_server``.

Accounts: the administration can disable a field officer who has a registered device, or move
them to another role (before, the field API's membership in the officer's login made it refuse
that), and the field API may take the officer's login only while the account is active, a field
officer's, and has a device that is not revoked (``kod_field_rebind``).

The functions are installed again (on downgrade too: they are always those of the installed
program, as in every revision since 0005).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db import pg_security

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg_security.install(op.get_bind())


def downgrade() -> None:
    pg_security.install(op.get_bind())
