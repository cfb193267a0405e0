"""The scene of the PostgreSQL rights tests: one login per role, and rows of every area, some
of them the field officer's unit's and some not.

The tests try as real logins with raw SQL what the PostgreSQL server itself enforces, split by
area: the role matrix (test_pg_rights_matrix.py), row-level security and who columns (_rows),
the audit log (_audit), guards of the newer tables and the functions (_guards), logins
(_logins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN
from tests.pg_logins import PASSWORD

LOGINS = {
    Role.DISPATCHER: "r_disp",
    Role.SHIFT_LEAD: "r_lead",
    Role.CLERK: "r_clerk",
    Role.FIELD_OFFICER: "r_field",
    Role.DATA_PROTECTION: "r_dsb",
    Role.ADMIN: "r_admin",
}


@dataclass(frozen=True)
class Scene:
    """Ids of the rows the probes work on."""

    target: DatabaseTarget
    users: dict[Role, int]
    own_unit: int
    other_unit: int
    own_incident: int
    other_incident: int
    own_task: int
    other_task: int
    report: int
    recording: int
    own_case: int
    other_case: int
    catalogue: int
    emergency: int
    #: A hold on ``recording`` proposed by the clerk (for a second person to confirm).
    hold: int


def make_scene(target: DatabaseTarget) -> Scene:
    """The logins and rows of :class:`Scene` in the (fresh) database ``target``."""
    import asyncio

    async def people() -> dict[Role, int]:
        db = Database(target, workstation="rights-test")
        try:
            services = Services.create(db)
            ids = {}
            for role, name in LOGINS.items():
                info = await services.users.add(ADMIN, name, name.title(), role, PASSWORD)
                ids[role] = info.id
            return ids
        finally:
            await db.dispose()

    users = asyncio.run(people())
    engine = create_engine(target.sync_url)
    field = users[Role.FIELD_OFFICER]
    clerk = users[Role.CLERK]

    def one(conn: Any, sql: str, **params: Any) -> int:
        return int(conn.execute(text(sql + " RETURNING id"), params).scalar())

    with engine.begin() as conn:
        unit = "INSERT INTO unit (call_sign, kind, status, status_changed_at, active, version) VALUES (:c, 'Streife', '2', now(), true, 1)"
        own_unit = one(conn, unit, c="KOD 91")
        other_unit = one(conn, unit, c="KOD 92")
        conn.execute(
            text("INSERT INTO unit_member (unit_id, user_id, since) VALUES (:u, :p, now())"),
            {"u": own_unit, "p": field},
        )
        incident = (
            "INSERT INTO incident (number, category, priority, status, address, description, "
            "caller_name, created_at, updated_at, version) VALUES (:n, 'noise', 2, 'new', "
            "'Hauptstraße 1', 'laut', 'Erika Muster', now(), now(), 1)"
        )
        own_incident = one(conn, incident, n="E-T-1")
        other_incident = one(conn, incident, n="E-T-2")
        conn.execute(
            text(
                "INSERT INTO incident_unit (incident_id, unit_id, assigned_at) "
                "VALUES (:i, :u, now())"
            ),
            {"i": own_incident, "u": own_unit},
        )
        task = (
            "INSERT INTO task (number, title, description, address, status, assigned_unit_id, "
            "created_at, updated_at, version) VALUES (:n, 'Streife Fußgängerzone', '', '', "
            "'open', :u, now(), now(), 1)"
        )
        own_task = one(conn, task, n="A-T-1", u=own_unit)
        other_task = one(conn, task, n="A-T-2", u=other_unit)
        report = one(
            conn,
            "INSERT INTO report (number, source, received_at, subject, text, address, status, "
            "updated_at, version) VALUES ('M-T-1', 'phone', now(), 'Müll', '', '', 'new', now(), 1)",
        )
        recording = one(
            conn,
            "INSERT INTO recording (officer_id, device_id, started_at, ended_at, reason, "
            "announced, inside_home, storage_key, sha256, size_bytes, delete_after, imported_at, "
            "version) VALUES (:o, 'BC-1', now(), now(), 'Bedrohung', true, false, 'k', "
            "repeat('a', 64), 10, now() + interval '14 days', now(), 1)",
            o=field,
        )
        case = (
            "INSERT INTO offence_case (number, act_description, committed_at, place, "
            "culpability, procedure, hearing_status, status, officer_id, created_at, "
            "updated_at, version) VALUES (:n, 'Müll abgelagert', now(), 'Wiesdorf', "
            "'negligence', 'caution', 'none', 'open', :o, now(), now(), 1)"
        )
        own_case = one(conn, case, n="OW-T-1", o=field)
        other_case = one(conn, case, n="OW-T-2", o=clerk)
        catalogue = one(
            conn,
            "INSERT INTO offence_catalogue_entry (key, group_name, description, legal_basis, "
            "is_traffic, verified, active, version) VALUES ('t1', 'Abfall', 'Müll', 'KrWG', "
            "false, false, true, 1)",
        )
        emergency = one(
            conn,
            "INSERT INTO emergency (unit_id, raised_at) VALUES (:u, now())",
            u=other_unit,
        )
        hold = one(
            conn,
            "INSERT INTO recording_hold (recording_id, reason, file_number, note, "
            "created_by_id, created_at) VALUES (:r, 'danger', '', 'Gefahrenabwehr läuft', :c, "
            "now())",
            r=recording,
            c=clerk,
        )
    engine.dispose()
    return Scene(
        target,
        users,
        own_unit,
        other_unit,
        own_incident,
        other_incident,
        own_task,
        other_task,
        report,
        recording,
        own_case,
        other_case,
        catalogue,
        emergency,
        hold,
    )
