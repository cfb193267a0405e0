"""field_device, field_photo, field_ack: the field interface (devices, photos, acknowledgements)

Devices are registered per officer and unit with a hashed token; photos from the field are kept
re-encoded with their Meldung or offence case; acknowledgements of pushed assignments. On
PostgreSQL the install also creates the group ``kod_field_gateway`` whose member login (the
field API's own) may act for the officers whose devices are registered.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, db.types.UTCDateTime(timezone=True), nullable=nullable)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account")
    )


def upgrade() -> None:
    op.create_table(
        "field_device",
        sa.Column("id", _ID, nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("unit_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_token_hash", sa.String(length=64), nullable=True),
        _ts("previous_valid_until"),
        _ts("created_at", nullable=False),
        sa.Column("created_by_id", _ID, nullable=True),
        _ts("rotated_at"),
        _ts("revoked_at"),
        sa.Column("revoked_by_id", _ID, nullable=True),
        _ts("last_seen_at"),
        sa.Column("connected", sa.Boolean(), nullable=False),
        _user_fk("field_device", "user_id"),
        _user_fk("field_device", "created_by_id"),
        _user_fk("field_device", "revoked_by_id"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_field_device_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_device")),
    )
    op.create_index(op.f("ix_field_device_user_id"), "field_device", ["user_id"])
    op.create_index(op.f("ix_field_device_unit_id"), "field_device", ["unit_id"])
    op.create_table(
        "field_photo",
        sa.Column("id", _ID, nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("created_by_id", _ID, nullable=True),
        sa.Column("report_id", _ID, nullable=True),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        _ts("taken_at"),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "(report_id IS NULL) <> (case_id IS NULL)",
            name=op.f("ck_field_photo_belongs_to_report_or_case"),
        ),
        _user_fk("field_photo", "created_by_id"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_field_photo_report_id_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["offence_case.id"],
            name=op.f("fk_field_photo_case_id_offence_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_photo")),
    )
    op.create_index(op.f("ix_field_photo_report_id"), "field_photo", ["report_id"])
    op.create_index(op.f("ix_field_photo_case_id"), "field_photo", ["case_id"])
    op.create_table(
        "field_ack",
        sa.Column("id", _ID, nullable=False),
        sa.Column("device_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        _ts("acknowledged_at", nullable=False),
        sa.CheckConstraint("kind IN ('incident','task')", name=op.f("ck_field_ack_kind_value")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["field_device.id"],
            name=op.f("fk_field_ack_device_id_field_device"),
            ondelete="CASCADE",
        ),
        _user_fk("field_ack", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_ack")),
        sa.UniqueConstraint("device_id", "kind", "item_id", name=op.f("uq_field_ack_item")),
    )
    op.create_index("ix_field_ack_kind_item", "field_ack", ["kind", "item_id"])
    pg_security.install(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_field_ack_kind_item", table_name="field_ack")
    op.drop_table("field_ack")
    op.drop_index(op.f("ix_field_photo_case_id"), table_name="field_photo")
    op.drop_index(op.f("ix_field_photo_report_id"), table_name="field_photo")
    op.drop_table("field_photo")
    op.drop_index(op.f("ix_field_device_unit_id"), table_name="field_device")
    op.drop_index(op.f("ix_field_device_user_id"), table_name="field_device")
    op.drop_table("field_device")
    pg_security.install(bind)
