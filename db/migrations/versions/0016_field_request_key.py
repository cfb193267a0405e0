"""field_request_key: writes from field devices sent again with the same Idempotency-Key

A device queues writes while it has no network and sends them later, each with a key of its
own; a write sent again with the same key (its answer got lost) gets the first answer back and
stores nothing new. On PostgreSQL the field API's own login (kod_field_gateway) keeps the keys.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 15:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "field_request_key",
        sa.Column("id", _ID, nullable=False),
        sa.Column("device_id", _ID, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("request", sa.String(length=255), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["field_device.id"],
            name=op.f("fk_field_request_key_device_id_field_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_request_key")),
        sa.UniqueConstraint("device_id", "key", name=op.f("uq_field_request_key_key")),
    )
    op.create_index(op.f("ix_field_request_key_created_at"), "field_request_key", ["created_at"])
    pg_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index(op.f("ix_field_request_key_created_at"), table_name="field_request_key")
    op.drop_table("field_request_key")
    pg_security.install(bind)
