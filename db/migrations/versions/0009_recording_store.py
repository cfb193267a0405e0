"""recording: import metadata and one row per file content; recording_key: wrapped data keys

Bodycam recordings are stored encrypted outside the database (app/evidence). A recording now
names who imported it, its unit, the incident proposed for it, its original file name and
what libvlc read (duration, picture size, codecs, frame rate); its SHA-256 is unique, so the
same file cannot be imported twice. Its data key, wrapped by the master key, lives in its own
table ``recording_key`` that no login may read on PostgreSQL. The grants are installed again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_REFERENCES = {
    "imported_by_id": "user_account",
    "unit_id": "unit",
    "proposed_incident_id": "incident",
}
_PLAIN = (
    ("original_name", sa.String(255)),
    ("duration_ms", _ID),
    ("width", sa.Integer()),
    ("height", sa.Integer()),
    ("video_codec", sa.String(16)),
    ("audio_codec", sa.String(16)),
    ("frame_rate", sa.Float()),
)


def upgrade() -> None:
    bind = op.get_bind()
    for column, table in _REFERENCES.items():
        if bind.dialect.name == "sqlite":
            # SQLite adds a nullable column with a reference natively; Alembic would copy.
            op.execute(f"ALTER TABLE recording ADD COLUMN {column} INTEGER REFERENCES {table} (id)")
        else:
            op.add_column(
                "recording",
                sa.Column(
                    column,
                    _ID,
                    sa.ForeignKey(f"{table}.id", name=f"fk_recording_{column}_{table}"),
                ),
            )
    for column, type_ in _PLAIN:
        op.add_column("recording", sa.Column(column, type_))
    op.create_index("ix_recording_sha256", "recording", ["sha256"], unique=True)
    op.create_table(
        "recording_key",
        sa.Column("recording_id", _ID, nullable=False, autoincrement=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name="fk_recording_key_recording_id_recording",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", name="pk_recording_key"),
    )
    pg_security.install(bind)


def downgrade() -> None:
    op.drop_table("recording_key")
    op.drop_index("ix_recording_sha256", table_name="recording")
    with op.batch_alter_table("recording") as batch_op:
        for column, _type in reversed(_PLAIN):
            batch_op.drop_column(column)
        for column in reversed(_REFERENCES):
            batch_op.drop_column(column)
    pg_security.install(op.get_bind())
