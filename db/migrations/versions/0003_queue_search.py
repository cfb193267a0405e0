"""Queue speed on large histories: closed-incident index and a text-search index

SQLite: an FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: a pg_trgm GIN index on the searchable text (if the extension can be created;
otherwise search still works, just without the index).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Must stay identical to ``app.services.incident_queue.PG_SEARCH_EXPR`` so PostgreSQL uses the index.
PG_SEARCH_EXPR = (
    "(number || ' ' || address || ' ' || description || ' ' || coalesce(caller_name, '') "
    "|| ' ' || coalesce(stadtteil, ''))"
)
SEARCH_COLUMNS = "number, address, description, caller_name, stadtteil"
SORT_COLUMNS = ("address", "priority", "dispatched_at")


def upgrade() -> None:
    op.create_index("ix_incident_closed_at", "incident", ["closed_at", "id"])
    # Sorting the queue by a column reads it in index order instead of sorting a million rows.
    for column in SORT_COLUMNS:
        op.create_index(f"ix_incident_{column}", "incident", [column, "id"])
    # The common combined filter (a category in one Stadtteil), already in closed_at order.
    op.create_index(
        "ix_incident_stadtteil_category", "incident", ["stadtteil", "category", "closed_at"]
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE incident_search USING fts5("
            f"{SEARCH_COLUMNS}, content='incident', content_rowid='id', tokenize='trigram')"
        )
        new_values = "new.number, new.address, new.description, new.caller_name, new.stadtteil"
        old_values = "old.number, old.address, old.description, old.caller_name, old.stadtteil"
        op.execute(
            "CREATE TRIGGER incident_search_ai AFTER INSERT ON incident BEGIN "
            f"INSERT INTO incident_search(rowid, {SEARCH_COLUMNS}) VALUES (new.id, {new_values}); "
            "END"
        )
        op.execute(
            "CREATE TRIGGER incident_search_ad AFTER DELETE ON incident BEGIN "
            f"INSERT INTO incident_search(incident_search, rowid, {SEARCH_COLUMNS}) "
            f"VALUES ('delete', old.id, {old_values}); END"
        )
        op.execute(
            "CREATE TRIGGER incident_search_au AFTER UPDATE OF "
            f"{SEARCH_COLUMNS} ON incident BEGIN "
            f"INSERT INTO incident_search(incident_search, rowid, {SEARCH_COLUMNS}) "
            f"VALUES ('delete', old.id, {old_values}); "
            f"INSERT INTO incident_search(rowid, {SEARCH_COLUMNS}) VALUES (new.id, {new_values}); "
            "END"
        )
        op.execute("INSERT INTO incident_search(incident_search) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        nested = bind.begin_nested()
        try:
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            nested.commit()
        except Exception:
            nested.rollback()
            return
        op.execute(
            f"CREATE INDEX ix_incident_search_trgm ON incident USING gin ({PG_SEARCH_EXPR} "
            "gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("incident_search_ai", "incident_search_ad", "incident_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS incident_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incident_search_trgm")
    op.drop_index("ix_incident_stadtteil_category", table_name="incident")
    for column in SORT_COLUMNS:
        op.drop_index(f"ix_incident_{column}", table_name="incident")
    op.drop_index("ix_incident_closed_at", table_name="incident")
