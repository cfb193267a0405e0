"""PostgreSQL: the audit chain and the change feed are ordered at the commit

Until 0019 a transaction took the order lock (advisory 4935493) with its last statement and
held it over the round trip to its client until its commit: with a busy client (the field API
with hundreds of devices) every other writer waited for that client's event loop. Now the
services' audit records (``kod_audit``) are taken down in ``audit_pending`` and chained by a
deferred trigger, and change-feed entries get a provisional id and their final one at the
commit (``kod_feed_order``, which also sends the wake-up): the lock is held only while the
server commits.

A program before this revision sends the wake-up with a provisional id, so the revision is
required (older programs refuse the schema). The functions, triggers and the unlogged table
``audit_pending`` are installed again (on downgrade too: they are always those of the
installed program, as in every revision since 0005).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db import pg_security

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pg_security.install(op.get_bind())


def downgrade() -> None:
    pg_security.install(op.get_bind())
