"""incident_unit.confirmed_at/confirmed_by_id: an assigned unit is alarmed until it confirms

Assigning no longer sets status 3: the unit is alarmed, and "Einsatz übernommen" (3) comes when
it confirms (by radio, entered by the dispatcher, or later from the field device). Assignments
made before this migration were stored as status 3 at once, so they count as confirmed when
assigned. On PostgreSQL the grants and triggers are installed again for the new columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types
from db import pg_security

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("incident_unit", sa.Column("confirmed_at", db.types.UTCDateTime(timezone=True)))
    if bind.dialect.name == "sqlite":
        # SQLite adds a nullable column with a reference natively; Alembic would copy the table.
        op.execute(
            "ALTER TABLE incident_unit ADD COLUMN confirmed_by_id INTEGER "
            "REFERENCES user_account (id)"
        )
    else:
        op.add_column(
            "incident_unit",
            sa.Column(
                "confirmed_by_id",
                _ID,
                sa.ForeignKey(
                    "user_account.id", name="fk_incident_unit_confirmed_by_id_user_account"
                ),
            ),
        )
    if bind.dialect.name == "postgresql":
        # A schema change, not a change of anyone's data: no audit record per row.
        op.execute("SELECT set_config('kod.bulk', 'on', true)")
    op.execute(
        "UPDATE incident_unit SET confirmed_at = assigned_at, confirmed_by_id = assigned_by_id"
    )
    if bind.dialect.name == "postgresql":
        op.execute("SELECT set_config('kod.bulk', 'off', true)")
    pg_security.install(bind)


def downgrade() -> None:
    with op.batch_alter_table("incident_unit") as batch_op:
        batch_op.drop_column("confirmed_by_id")
        batch_op.drop_column("confirmed_at")
    pg_security.install(op.get_bind())
