"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 22:54:25.010467
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=True),
        sa.Column("entity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("workstation", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index("ix_audit_log_time", ["occurred_at"], unique=False)

    op.create_table(
        "change_feed",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column(
            "entity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_feed")),
    )
    op.create_table(
        "gazetteer_address",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("street", sa.String(length=120), nullable=False),
        sa.Column("house_number", sa.String(length=16), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("stadtteil", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gazetteer_address")),
        sa.UniqueConstraint("street", "house_number", name="uq_gazetteer_address_street_number"),
    )
    op.create_table(
        "offence_catalogue_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("catalogue_number", sa.String(length=32), nullable=True),
        sa.Column("amount_min_cents", sa.Integer(), nullable=True),
        sa.Column("amount_max_cents", sa.Integer(), nullable=True),
        sa.Column(
            "statutory_max_cents",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("is_traffic", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_catalogue_entry")),
        sa.UniqueConstraint("key", name=op.f("uq_offence_catalogue_entry_key")),
    )
    op.create_table(
        "role",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_role")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_sign", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("status_changed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("position_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("home_lat", sa.Float(), nullable=True),
        sa.Column("home_lon", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('0','1','2','3','4','5','6','N')", name=op.f("ck_unit_status_code")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("call_sign", name=op.f("uq_unit_call_sign")),
    )
    op.create_table(
        "unit_position",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("recorded_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_unit_position_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_position")),
    )
    with op.batch_alter_table("unit_position", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unit_position_unit_time", ["unit_id", "recorded_at"], unique=False
        )

    role = sa.table("role", sa.column("code", sa.String), sa.column("name", sa.String))
    op.bulk_insert(
        role,
        [
            {"code": "dispatcher", "name": "Disponent"},
            {"code": "shift_lead", "name": "Schichtleitung"},
            {"code": "clerk", "name": "Sachbearbeitung"},
            {"code": "field_officer", "name": "Außendienst"},
            {"code": "data_protection", "name": "Datenschutz"},
            {"code": "admin", "name": "Administration"},
        ],
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role_code", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("personnel_number", sa.String(length=32), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_code"], ["role.code"], name=op.f("fk_user_account_role_code_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_role_code"), ["role_code"], unique=False)

    op.create_table(
        "emergency",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("raised_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "raised_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("previous_status", sa.String(length=8), nullable=True),
        sa.Column("acknowledged_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "acknowledged_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("acknowledged_workstation", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_emergency_acknowledged_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user_account.id"],
            name=op.f("fk_emergency_raised_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_emergency_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency")),
    )
    with op.batch_alter_table("emergency", schema=None) as batch_op:
        batch_op.create_index("ix_emergency_open", ["acknowledged_at", "raised_at"], unique=False)

    op.create_table(
        "incident",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("stadtteil", sa.String(length=64), nullable=True),
        sa.Column("caller_name", sa.String(length=120), nullable=True),
        sa.Column("caller_phone", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("on_scene_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "source_report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('new','dispatched','on_scene','closed')",
            name=op.f("ck_incident_status_value"),
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 3", name=op.f("ck_incident_priority_range")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_incident_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["source_report_id"],
            ["report.id"],
            name="fk_incident_source_report_id_report",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("number", name=op.f("uq_incident_number")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_category", ["category"], unique=False)
        batch_op.create_index("ix_incident_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_incident_open_queue", ["closed_at", "priority", "created_at"], unique=False
        )
        batch_op.create_index("ix_incident_stadtteil", ["stadtteil"], unique=False)
        batch_op.create_index("ix_incident_status", ["status"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("stadtteil", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_note", sa.String(length=500), nullable=True),
        sa.Column(
            "assigned_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "assigned_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "source_report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open','done','cancelled')", name=op.f("ck_task_status_value")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_unit_id"], ["unit.id"], name=op.f("fk_task_assigned_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"],
            ["user_account.id"],
            name=op.f("fk_task_assigned_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_task_created_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["source_report_id"],
            ["report.id"],
            name="fk_task_source_report_id_report",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint("number", name=op.f("uq_task_number")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_follow_up", ["follow_up_at"], unique=False)
        batch_op.create_index("ix_task_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "unit_member",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("since", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_unit_member_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_unit_member_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_member")),
    )
    with op.batch_alter_table("unit_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_member_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "incident_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assigned_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("on_scene_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "assigned_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_incident_unit_assigned_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_unit_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_incident_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_unit")),
    )
    with op.batch_alter_table("incident_unit", schema=None) as batch_op:
        batch_op.create_index("ix_incident_unit_incident", ["incident_id"], unique=False)
        batch_op.create_index(
            "uq_incident_unit_active_unit",
            ["unit_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    op.create_table(
        "journal_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_journal_entry_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_journal_entry_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
    )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_entry_incident_time", ["incident_id", "created_at"], unique=False
        )

    op.create_table(
        "offence_case",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "catalogue_entry_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("act_description", sa.Text(), nullable=False),
        sa.Column("committed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("culpability", sa.String(length=16), nullable=False),
        sa.Column("procedure", sa.String(length=16), nullable=False),
        sa.Column("fine_cents", sa.Integer(), nullable=True),
        sa.Column("caution_agreed", sa.Boolean(), nullable=True),
        sa.Column("payment_due", sa.Date(), nullable=True),
        sa.Column("paid_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hearing_status", sa.String(length=16), nullable=False),
        sa.Column("hearing_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("limitation_date", sa.Date(), nullable=True),
        sa.Column(
            "officer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "culpability IN ('intent','negligence')", name=op.f("ck_offence_case_culpability_value")
        ),
        sa.CheckConstraint(
            "procedure <> 'caution' OR fine_cents IS NULL OR fine_cents BETWEEN 500 AND 5500",
            name=op.f("ck_offence_case_caution_fee_range"),
        ),
        sa.CheckConstraint(
            "procedure IN ('caution','fine')", name=op.f("ck_offence_case_procedure_value")
        ),
        sa.ForeignKeyConstraint(
            ["catalogue_entry_id"],
            ["offence_catalogue_entry.id"],
            name=op.f("fk_offence_case_catalogue_entry_id_offence_catalogue_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_offence_case_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["user_account.id"],
            name=op.f("fk_offence_case_officer_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_case")),
        sa.UniqueConstraint("number", name=op.f("uq_offence_case_number")),
    )
    with op.batch_alter_table("offence_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_offence_case_status_limitation", ["status", "limitation_date"], unique=False
        )

    op.create_table(
        "recording",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "officer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("inside_home", sa.Boolean(), nullable=False),
        sa.Column("ordered_by", sa.String(length=120), nullable=True),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "size_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delete_after", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("imported_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "inside_home = false OR ordered_by IS NOT NULL",
            name=op.f("ck_recording_home_needs_order"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_recording_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["user_account.id"], name=op.f("fk_recording_officer_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recording_delete_after", ["deleted_at", "delete_after"], unique=False
        )

    op.create_table(
        "report",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reporter_name", sa.String(length=120), nullable=True),
        sa.Column("reporter_contact", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("stadtteil", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('phone','email','online','field','open311','other')",
            name=op.f("ck_report_source_value"),
        ),
        sa.CheckConstraint(
            "status IN ('new','in_progress','converted','closed')",
            name=op.f("ck_report_status_value"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_report_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_report_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_report_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("number", name=op.f("uq_report_number")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index("ix_report_status_received", ["status", "received_at"], unique=False)

    op.create_table(
        "unit_status_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("previous_status", sa.String(length=8), nullable=True),
        sa.Column("changed_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_unit_status_change_incident_id_incident"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_unit_status_change_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_unit_status_change_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_status_change")),
    )
    with op.batch_alter_table("unit_status_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unit_status_change_unit_time", ["unit_id", "changed_at"], unique=False
        )

    op.create_table(
        "offence_evidence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "recording_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("storage_key", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("added_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["offence_case.id"],
            name=op.f("fk_offence_evidence_case_id_offence_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_offence_evidence_recording_id_recording"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_evidence")),
    )
    with op.batch_alter_table("offence_evidence", schema=None) as batch_op:
        batch_op.create_index("ix_offence_evidence_case", ["case_id"], unique=False)

    op.create_table(
        "offence_person",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("last_name", sa.String(length=120), nullable=False),
        sa.Column("first_name", sa.String(length=120), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "role IN ('concerned','witness')", name=op.f("ck_offence_person_role_value")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["offence_case.id"],
            name=op.f("fk_offence_person_case_id_offence_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offence_person")),
    )
    with op.batch_alter_table("offence_person", schema=None) as batch_op:
        batch_op.create_index("ix_offence_person_case", ["case_id"], unique=False)

    op.create_table(
        "recording_hold",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "recording_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("file_number", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "released_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "release_consent_by_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "reason IN ('danger','crime','offence','review_request')",
            name=op.f("ck_recording_hold_reason_value"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_recording_hold_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_recording_hold_recording_id_recording"),
        ),
        sa.ForeignKeyConstraint(
            ["release_consent_by_id"],
            ["user_account.id"],
            name=op.f("fk_recording_hold_release_consent_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["user_account.id"],
            name=op.f("fk_recording_hold_released_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_hold")),
    )
    with op.batch_alter_table("recording_hold", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recording_hold_recording_id"), ["recording_id"], unique=False
        )
    # incident/task <-> report reference each other: on PostgreSQL these two foreign keys are
    # added once every table exists (SQLite created them inline with the tables).
    if op.get_bind().dialect.name != "sqlite":
        for table in ("incident", "task"):
            op.create_foreign_key(
                f"fk_{table}_source_report_id_report", table, "report", ["source_report_id"], ["id"]
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in ("incident", "task"):
            op.drop_constraint(f"fk_{table}_source_report_id_report", table, type_="foreignkey")
    with op.batch_alter_table("recording_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_hold_recording_id"))

    op.drop_table("recording_hold")
    with op.batch_alter_table("offence_person", schema=None) as batch_op:
        batch_op.drop_index("ix_offence_person_case")

    op.drop_table("offence_person")
    with op.batch_alter_table("offence_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_offence_evidence_case")

    op.drop_table("offence_evidence")
    with op.batch_alter_table("unit_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_status_change_unit_time")

    op.drop_table("unit_status_change")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_status_received")

    op.drop_table("report")
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_index("ix_recording_delete_after")

    op.drop_table("recording")
    with op.batch_alter_table("offence_case", schema=None) as batch_op:
        batch_op.drop_index("ix_offence_case_status_limitation")

    op.drop_table("offence_case")
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entry_incident_time")

    op.drop_table("journal_entry")
    with op.batch_alter_table("incident_unit", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_incident_unit_active_unit",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index("ix_incident_unit_incident")

    op.drop_table("incident_unit")
    with op.batch_alter_table("unit_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_unit_member_unit_id"))

    op.drop_table("unit_member")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_status_due")
        batch_op.drop_index("ix_task_follow_up")

    op.drop_table("task")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_status")
        batch_op.drop_index("ix_incident_stadtteil")
        batch_op.drop_index("ix_incident_open_queue")
        batch_op.drop_index("ix_incident_created_at")
        batch_op.drop_index("ix_incident_category")

    op.drop_table("incident")
    with op.batch_alter_table("emergency", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_open")

    op.drop_table("emergency")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_role_code"))

    op.drop_table("user_account")
    with op.batch_alter_table("unit_position", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_position_unit_time")

    op.drop_table("unit_position")
    op.drop_table("unit")
    op.drop_table("setting")
    op.drop_table("role")
    op.drop_table("offence_catalogue_entry")
    op.drop_table("gazetteer_address")
    op.drop_table("change_feed")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_time")
        batch_op.drop_index("ix_audit_log_entity")

    op.drop_table("audit_log")
