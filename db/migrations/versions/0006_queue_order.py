"""Sort indexes for the queue's running-time columns ("Since call", "Since dispatch")

Closed incidents sort by how long they ran (closing time minus call or dispatch time). Without
an index the database would compute and sort that for the whole history on every page. The
expressions are exactly those of ``app.services.ordering.duration_expr`` (an index on an
expression is used only for the same expression): on SQLite whole microseconds from the stored
UTC text, on PostgreSQL the interval. Empty values (never dispatched) first, as in 0004.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _micros_sqlite(column: str) -> str:
    return (
        f"CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
        f"+ CAST(substr({column}, 21, 6) AS INTEGER)"
    )


#: index name -> (SQLite expression, PostgreSQL expression)
INDEXES = {
    "ix_incident_closed_since_created": (
        f"({_micros_sqlite('closed_at')}) - ({_micros_sqlite('created_at')})",
        "closed_at - created_at",
    ),
    "ix_incident_closed_since_dispatch": (
        f"({_micros_sqlite('closed_at')}) - ({_micros_sqlite('dispatched_at')})",
        "closed_at - dispatched_at",
    ),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, (lite, pg) in INDEXES.items():
        if sqlite:
            op.execute(f"CREATE INDEX {name} ON incident (({lite}), id)")
        else:
            op.execute(f"CREATE INDEX {name} ON incident (({pg}) NULLS FIRST, id)")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
