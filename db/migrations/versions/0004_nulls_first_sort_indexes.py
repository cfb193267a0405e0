"""PostgreSQL: sort indexes of nullable queue columns hold empty values first

The queue sorts empty values first when ascending and last when descending on both engines
(SQLite's own rule). PostgreSQL's default index order puts them last, so sorting by
"dispatched at" or Stadtteil sorted every row instead of reading the index. Stored as
``NULLS FIRST`` the index serves both directions. SQLite sorts empty values first anyway; its
Stadtteil index only gains the id as tie-breaker, like the other sort indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: index name → its columns before this revision
INDEXES = {
    "ix_incident_dispatched_at": "dispatched_at, id",
    "ix_incident_stadtteil": "stadtteil",
}


def upgrade() -> None:
    nulls = " NULLS FIRST" if op.get_bind().dialect.name == "postgresql" else ""
    for name, columns in INDEXES.items():
        first = columns.split(",")[0]
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON incident ({first}{nulls}, id)")


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON incident ({columns})")
