"""report.external_url/external_updated_at/external_status: Open311 intake of citizen reports

Meldungen taken in from the city's Open311 (GeoReport v2) platform keep the request's link, its
last change there (the intake's cursor, so a restart takes nothing twice) and the status last
reported back; one Meldung per request id (partial unique index).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 13:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("source = 'open311'")


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("external_url", sa.String(length=500), nullable=True))
        batch.add_column(
            sa.Column("external_updated_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("external_status", sa.String(length=16), nullable=True))
    op.create_index(
        "uq_report_open311_external_id",
        "report",
        ["external_id"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("uq_report_open311_external_id", table_name="report")
    with op.batch_alter_table("report") as batch:
        batch.drop_column("external_status")
        batch.drop_column("external_updated_at")
        batch.drop_column("external_url")
    pg_security.install(bind)
