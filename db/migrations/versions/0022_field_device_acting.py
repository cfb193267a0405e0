"""PostgreSQL: the field API acts for a device only while the device is live

``kod_field_acting(device, login)`` is the first thing of every transaction the field API runs
for a device: it refuses a revoked device, one that is not the officer's, or an officer whose
account is disabled, at once. Before, the server refused only once the officer's *last* device
was revoked (the API's login could then no longer take the officer's login); a revoked device of
an officer with a second one was refused only when the change reached the API.

The functions are installed again (on downgrade too: they are always those of the installed
program, as in every revision since 0005).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db import pg_security

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg_security.install(op.get_bind())


def downgrade() -> None:
    pg_security.install(op.get_bind())
