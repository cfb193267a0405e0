"""map_outline: official Stadtteil outlines imported from the city's open data

``kod-admin map import-outlines`` stores them here (WGS84 GeoJSON per Stadtteil); the map then
shows them instead of the approximate demo outlines. On PostgreSQL everyone may read them and
only administration (settings.manage) may write them: the grants are installed again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "map_outline",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("label_lat", sa.Float(), nullable=False),
        sa.Column("label_lon", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_map_outline"),
        sa.UniqueConstraint("name", name="uq_map_outline_name"),
    )
    pg_security.install(op.get_bind())


def downgrade() -> None:
    op.drop_table("map_outline")
    pg_security.install(op.get_bind())
