"""What the PostgreSQL server itself enforces, tried as real logins with raw SQL.

Not through the services: a login that skips the program (psql, a script with the password
from pgpass) must be refused by the server for everything its role may not do, row-level
security must keep a field officer to their own unit's data, and nobody but the schema owner
may change the audit log or give themselves more rights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import MATRIX, Permission, Role
from app.services import Services
from db.pg_security.grants import NO_SERVER_SURFACE
from tests.conftest import ADMIN
from tests.pg_logins import PASSWORD, attempt, login

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


def _scene(target: DatabaseTarget) -> Scene:
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


@pytest.fixture
def scene(pg_target: DatabaseTarget) -> Iterator[Scene]:
    yield _scene(pg_target)


Probe = Callable[[Scene, Role], tuple[str, dict[str, Any]]]

#: One raw statement per permission that only a holder of it may execute with an effect.
PROBES: dict[Permission, Probe] = {
    Permission.INCIDENT_READ: lambda s, r: (
        "SELECT description, caller_name FROM incident WHERE id = %(i)s",
        {"i": s.own_incident},
    ),
    Permission.INCIDENT_WRITE: lambda s, r: (
        "UPDATE incident SET description = 'geändert' WHERE id = %(i)s",
        {"i": s.own_incident},
    ),
    Permission.INCIDENT_JOURNAL: lambda s, r: (
        "INSERT INTO journal_entry (incident_id, created_at, kind, text) "
        "VALUES (%(i)s, now(), 'note', 'Vermerk')",
        {"i": s.own_incident},
    ),
    Permission.UNIT_READ: lambda s, r: (
        "SELECT status, lat FROM unit WHERE id = %(u)s",
        {"u": s.own_unit},
    ),
    Permission.UNIT_STATUS: lambda s, r: (
        "UPDATE unit SET status = '1', status_changed_at = now() WHERE id = %(u)s",
        {"u": s.own_unit},
    ),
    Permission.UNIT_ASSIGN: lambda s, r: (
        "INSERT INTO incident_unit (incident_id, unit_id, assigned_at) "
        "VALUES (%(i)s, %(u)s, now())",
        {"i": s.other_incident, "u": s.other_unit},
    ),
    Permission.UNIT_MANAGE: lambda s, r: (
        "INSERT INTO unit (call_sign, kind, status, status_changed_at, active, version) "
        "VALUES ('KOD 99', 'Streife', '2', now(), true, 1)",
        {},
    ),
    Permission.EMERGENCY_RAISE: lambda s, r: (
        "INSERT INTO emergency (unit_id, raised_at) VALUES (%(u)s, now())",
        {"u": s.own_unit},
    ),
    Permission.EMERGENCY_ACK: lambda s, r: (
        "UPDATE emergency SET acknowledged_at = now() WHERE id = %(e)s",
        {"e": s.emergency},
    ),
    Permission.TASK_READ: lambda s, r: (
        "SELECT title FROM task WHERE id = %(t)s",
        {"t": s.own_task},
    ),
    Permission.TASK_WRITE: lambda s, r: (
        "UPDATE task SET title = 'neu' WHERE id = %(t)s",
        {"t": s.own_task},
    ),
    Permission.REPORT_READ: lambda s, r: (
        "SELECT subject FROM report WHERE id = %(m)s",
        {"m": s.report},
    ),
    Permission.REPORT_WRITE: lambda s, r: (
        "UPDATE report SET subject = 'neu' WHERE id = %(m)s",
        {"m": s.report},
    ),
    Permission.RECORDING_IMPORT: lambda s, r: (
        "INSERT INTO recording (officer_id, device_id, started_at, ended_at, reason, announced, "
        "inside_home, storage_key, sha256, size_bytes, delete_after, imported_at, version) "
        "VALUES (%(o)s, 'BC-2', now(), now(), 'Bedrohung', true, false, 'k2', repeat('b', 64), "
        "10, now() + interval '14 days', now(), 1)",
        {"o": s.users[Role.FIELD_OFFICER]},
    ),
    Permission.RECORDING_VIEW: lambda s, r: (
        "SELECT reason FROM recording WHERE id = %(v)s",
        {"v": s.recording},
    ),
    Permission.RECORDING_HOLD: lambda s, r: (
        "INSERT INTO recording_hold (recording_id, reason, file_number, created_by_id, "
        "created_at) VALUES (%(v)s, 'crime', 'AZ 1/26', %(me)s, now())",
        {"v": s.recording, "me": s.users[r]},
    ),
    Permission.RECORDING_HOLD_CONFIRM: lambda s, r: (
        "SELECT kod_recording_hold_confirm(%(h)s) IS NULL",
        {"h": s.hold},
    ),
    Permission.RECORDING_EXPORT: lambda s, r: (
        "SELECT count(*) FROM kod_recording_custody(%(v)s)",
        {"v": s.recording},
    ),
    # Marking a deleted recording's file removed (the server cannot see the store).
    Permission.RECORDING_DELETE: lambda s, r: (
        "SELECT kod_recording_file_removed(0) IS NULL",
        {},
    ),
    Permission.OFFENCE_READ: lambda s, r: (
        "SELECT act_description FROM offence_case WHERE id = %(c)s",
        {"c": s.other_case},
    ),
    Permission.OFFENCE_WRITE: lambda s, r: (
        "INSERT INTO offence_case (number, act_description, committed_at, place, culpability, "
        "procedure, hearing_status, status, officer_id, created_at, updated_at, version) "
        "VALUES ('OW-P', 'Hund', now(), 'Opladen', 'negligence', 'caution', 'none', 'open', "
        "%(me)s, now(), now(), 1)",
        {"me": s.users[r]},
    ),
    Permission.CATALOGUE_MANAGE: lambda s, r: (
        "UPDATE offence_catalogue_entry SET notes = 'geprüft' WHERE id = %(k)s",
        {"k": s.catalogue},
    ),
    Permission.GAZETTEER_MANAGE: lambda s, r: (
        "INSERT INTO gazetteer_address (street, house_number, lat, lon, source) "
        "VALUES ('Teststraße', '1', 51.03, 6.98, 'test')",
        {},
    ),
    Permission.STATISTICS: lambda s, r: (
        # Every aggregate view of the statistics at once.
        "SELECT (SELECT count(*) FROM kod_incident_statistics)"
        " + (SELECT count(*) FROM kod_unit_status_statistics)"
        " + (SELECT count(*) FROM kod_task_statistics)"
        " + (SELECT count(*) FROM kod_recording_statistics)"
        " + (SELECT count(*) FROM kod_recording_hold_statistics)"
        " + (SELECT count(*) FROM kod_recording_deletion_statistics())",
        {},
    ),
    Permission.AUDIT_READ: lambda s, r: ("SELECT action FROM audit_log LIMIT 1", {}),
    Permission.AUDIT_VERIFY: lambda s, r: ("SELECT ok FROM kod_audit_verify(NULL)", {}),
    Permission.AUDIT_PRUNE: lambda s, r: ("SELECT removed FROM kod_audit_prune(true)", {}),
    Permission.USER_MANAGE: lambda s, r: (
        "SELECT kod_user_add('probe.user', 'Probe', 'clerk', NULL)",
        {},
    ),
    Permission.SETTINGS_MANAGE: lambda s, r: (
        "INSERT INTO setting (key, value, updated_at) VALUES ('probe', '1', now())",
        {},
    ),
    Permission.REPORT_FIELD: lambda s, r: (
        "INSERT INTO report (number, source, received_at, subject, text, address, status, "
        "updated_at, version) VALUES ('M-probe', 'field', now(), 'p', '', '', 'new', now(), 1)",
        {},
    ),
    # Only who manages devices reads their token hashes.
    Permission.FIELD_DEVICE_MANAGE: lambda s, r: (
        "SELECT count(token_hash) FROM field_device",
        {},
    ),
}


def test_every_permission_has_a_probe_or_is_known_to_have_no_server_surface() -> None:
    # Shift reports have no table or function yet. When they get a surface, it needs a probe.
    assert {Permission.SHIFT_REPORT} == NO_SERVER_SURFACE
    assert set(PROBES) | NO_SERVER_SURFACE == set(Permission)


def test_the_server_refuses_every_forbidden_action_of_the_matrix(scene: Scene) -> None:
    wrong: list[str] = []
    for role, name in LOGINS.items():
        with login(scene.target, name) as conn:
            for permission, probe in PROBES.items():
                sql, params = probe(scene, role)
                done, why = attempt(conn, sql, params)
                if done != (role in MATRIX[permission]):
                    wrong.append(f"{role.value} {permission.value}: done={done} {why}")
    assert wrong == []


def test_a_field_officer_sees_and_changes_only_their_own_units_data(scene: Scene) -> None:
    me = scene.users[Role.FIELD_OFFICER]
    refused = [
        ("SELECT id FROM incident WHERE id = %(i)s", {"i": scene.other_incident}),
        ("SELECT id FROM task WHERE id = %(t)s", {"t": scene.other_task}),
        ("UPDATE unit SET status = '1' WHERE id = %(u)s", {"u": scene.other_unit}),
        (
            "INSERT INTO emergency (unit_id, raised_at) VALUES (%(u)s, now())",
            {"u": scene.other_unit},
        ),
        (
            "INSERT INTO journal_entry (incident_id, created_at, kind, text) "
            "VALUES (%(i)s, now(), 'note', 'x')",
            {"i": scene.other_incident},
        ),
        ("SELECT id FROM offence_case WHERE id = %(c)s", {"c": scene.other_case}),
        (
            "INSERT INTO offence_case (number, act_description, committed_at, place, culpability, "
            "procedure, hearing_status, status, officer_id, created_at, updated_at, version) "
            "VALUES ('OW-X', 'x', now(), 'x', 'negligence', 'caution', 'none', 'open', "
            "%(o)s, now(), now(), 1)",
            {"o": scene.users[Role.CLERK]},
        ),
    ]
    allowed = [
        ("SELECT id FROM incident WHERE id = %(i)s", {"i": scene.own_incident}),
        ("SELECT id FROM task WHERE id = %(t)s", {"t": scene.own_task}),
        ("SELECT id FROM offence_case WHERE officer_id = %(me)s", {"me": me}),
        ("SELECT status FROM unit WHERE id = %(u)s", {"u": scene.other_unit}),
    ]
    with login(scene.target, LOGINS[Role.FIELD_OFFICER]) as conn:
        for sql, params in refused:
            assert attempt(conn, sql, params)[0] is False, sql
        for sql, params in allowed:
            assert attempt(conn, sql, params) == (True, ""), sql


def test_who_columns_name_the_login_whatever_the_client_sends(scene: Scene) -> None:
    disp = scene.users[Role.DISPATCHER]
    admin = scene.users[Role.ADMIN]
    with login(scene.target, LOGINS[Role.DISPATCHER]) as conn:
        row = conn.execute(
            "INSERT INTO journal_entry (incident_id, created_at, kind, text, user_id) "
            "VALUES (%(i)s, '2020-01-01', 'note', 'rückdatiert', %(a)s) "
            "RETURNING user_id, created_at > now() - interval '1 minute'",
            {"i": scene.own_incident, "a": admin},
        ).fetchone()
        conn.commit()
    assert row == (disp, True)


#: What someone with a clerk's workstation login might try to give themselves more rights or
#: to remove a trace. Every statement must be refused by the server.
ATTACKS = [
    "UPDATE audit_log SET username = 'jemand'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "INSERT INTO audit_log (occurred_at, username, action, details, prev_hash, hash) "
    "VALUES (now(), 'r_admin', 'user.add', '{}', repeat('0', 64), repeat('1', 64))",
    "INSERT INTO user_account (username, display_name, role_code, active, failed_logins, "
    "created_at, version) VALUES ('eve', 'Eve', 'admin', true, 0, now(), 1)",
    "UPDATE user_account SET role_code = 'admin' WHERE username = 'r_clerk'",
    "GRANT kod_admin TO r_clerk",
    "ALTER ROLE r_clerk CREATEROLE",
    "SET ROLE kod_admin",
    "SELECT kod_user_add('eve', 'Eve', 'admin', NULL)",
    "SELECT kod_user_set_role('r_clerk', 'admin')",
    "SELECT kod_user_set_active('r_admin', false)",
    "SELECT kod_audit('audit.prune', NULL, NULL, '{\"last_hash\": \"x\"}')",
    "SELECT kod_audit('user.add', 'user', 1, '{}')",
    "SELECT kod_audit_append('user.add', NULL, NULL, '{}', NULL, NULL, NULL, 1, 'r_admin')",
    "SELECT kod_audit_prune(false)",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TRIGGER kod_audit_guard ON audit_log",
    "DROP POLICY kod_incident_select_all ON incident",
    "CREATE TABLE public.evil (x int)",
    "CREATE OR REPLACE FUNCTION public.kod_is_owner() RETURNS boolean LANGUAGE sql "
    "AS 'SELECT true'",
    "CREATE TEMP TABLE audit_log (x int)",
    "DELETE FROM change_feed",
    "UPDATE setting SET value = '30' WHERE key = 'audit.retention_days'",
    "INSERT INTO setting (key, value, updated_at) VALUES ('audit.retention_days', '30', now())",
    "SELECT pg_terminate_backend(%(admin_pid)s)",
]


def test_a_clerk_login_cannot_give_itself_rights_or_remove_a_trace(scene: Scene) -> None:
    from app.platform.audit import verify_connection

    succeeded = []
    with (
        login(scene.target, LOGINS[Role.ADMIN]) as admin,
        login(scene.target, LOGINS[Role.CLERK]) as conn,
    ):
        admin_pid = admin.info.backend_pid
        for sql in ATTACKS:
            done, why = attempt(conn, sql, {"admin_pid": admin_pid} if "%(" in sql else None)
            if done or not why.startswith(("42501", "42", "0LP01", "P0001")):
                succeeded.append(f"{sql}: {why or 'done'}")
        # Naming someone else as the actor is ignored: the record names the login.
        conn.execute("SELECT set_config('kod.actor', 'r_admin', false)")
        conn.execute("SELECT set_config('kod.bulk', 'on', false)")
        conn.execute(
            "SELECT kod_audit('incident.view', 'incident', %(i)s)", {"i": scene.own_incident}
        )
        conn.execute("UPDATE task SET title = 'umbenannt' WHERE id = %(t)s", {"t": scene.own_task})
        conn.commit()
    assert succeeded == []
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.connect() as owner:
            rows = owner.execute(
                text(
                    "SELECT username, action, entity FROM audit_log "
                    "WHERE action IN ('incident.view', 'db.update') AND entity IN ('incident', 'task') "
                    "ORDER BY id"
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                ("r_clerk", "incident.view", "incident"),
                ("r_clerk", "db.update", "task"),
            ]
            # Every refused attempt left the chain as it was: intact.
            assert verify_connection(owner).ok
    finally:
        engine.dispose()


def test_a_disabled_login_loses_its_open_sessions_at_once(scene: Scene) -> None:
    import asyncio

    import psycopg

    with login(scene.target, LOGINS[Role.DISPATCHER]) as victim:
        assert victim.execute("SELECT 1").fetchone() == (1,)

        async def disable() -> int | None:
            db = Database(scene.target, workstation="rights-test")
            try:
                info = await Services.create(db).users.set_active(
                    ADMIN, LOGINS[Role.DISPATCHER], False
                )
                return info.sessions_ended
            finally:
                await db.dispose()

        assert asyncio.run(disable()) == 1
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
    with (
        pytest.raises(psycopg.OperationalError, match="not permitted to log in"),
        login(scene.target, LOGINS[Role.DISPATCHER]),
    ):
        pass


def test_the_server_hashes_exactly_as_the_program_verifies(scene: Scene) -> None:
    import json

    from app.platform.audit import verify_connection

    tricky = 'Zitat "x", Pfad C:\\temp, Zeilen\n\tund Tab, Ümlaut ß, 🚓, \u2028 Trenner, \x7f <&>'
    with login(scene.target, LOGINS[Role.DISPATCHER]) as conn:
        conn.execute(
            "SELECT kod_audit('incident.note', 'incident', %(i)s, %(d)s, %(r)s, %(rc)s, %(w)s)",
            {
                "i": scene.own_incident,
                "d": json.dumps({"text": tricky}, ensure_ascii=False),
                "r": tricky,
                "rc": tricky[:100],
                "w": "ws-ä",
            },
        )
        conn.commit()
    with login(scene.target, LOGINS[Role.ADMIN]) as conn:
        server = conn.execute(
            "SELECT ok, checked, head_hash FROM kod_audit_verify(NULL)"
        ).fetchone()
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.connect() as owner:
            python = verify_connection(owner)
    finally:
        engine.dispose()
    assert python.ok, python
    assert server == (True, python.checked, python.head_hash)


def test_accounts_without_a_server_login_are_listed(pg_target: DatabaseTarget) -> None:
    import asyncio

    engine = create_engine(pg_target.sync_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (username, display_name, role_code, active, "
                "failed_logins, created_at, version) VALUES ('nur.app', 'Nur App', "
                "'field_officer', true, 0, now(), 1)"
            )
        )
    engine.dispose()

    async def listed() -> list[tuple[str, bool, bool]]:
        db = Database(pg_target, workstation="rights-test")
        try:
            users = await Services.create(db).users.all_users(ADMIN)
            return [(u.username, u.active, u.can_log_in) for u in users]
        finally:
            await db.dispose()

    assert asyncio.run(listed()) == [("nur.app", True, False)]


def test_confirming_an_alarm_names_the_login_and_a_field_officer_only_their_own(
    scene: Scene,
) -> None:
    # incident_unit.confirmed_at/confirmed_by_id (the unit confirmed its alarm, status 3): who
    # may set them, who is recorded as having set them, and which rows a field officer reaches.
    engine = create_engine(scene.target.sync_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident_unit (incident_id, unit_id, assigned_at) "
                "VALUES (:i, :u, now())"
            ),
            {"i": scene.other_incident, "u": scene.other_unit},
        )
    engine.dispose()
    confirm = (
        "UPDATE incident_unit SET confirmed_at = now(), confirmed_by_id = %(someone)s "
        "WHERE incident_id = %(i)s RETURNING confirmed_by_id"
    )
    someone = scene.users[Role.ADMIN]
    for role in (Role.DISPATCHER, Role.SHIFT_LEAD):
        with login(scene.target, LOGINS[role]) as conn:
            row = conn.execute(confirm, {"someone": someone, "i": scene.other_incident}).fetchone()
            conn.rollback()
        assert row == (scene.users[role],), role
    with login(scene.target, LOGINS[Role.FIELD_OFFICER]) as conn:
        assert attempt(conn, confirm, {"someone": someone, "i": scene.own_incident}) == (True, "")
        assert attempt(conn, confirm, {"someone": someone, "i": scene.other_incident}) == (
            False,
            "no rows",
        )
    for role in (Role.CLERK, Role.DATA_PROTECTION, Role.ADMIN):
        with login(scene.target, LOGINS[role]) as conn:
            done, why = attempt(conn, confirm, {"someone": someone, "i": scene.own_incident})
        assert not done and why.startswith("42501"), (role, why)


#: What today's tables and functions must refuse to an ordinary login (any role).
TODAY_ATTACKS = [
    # Another device's stored answers (Meldung and OWi data): the gateway's bookkeeping only.
    "SELECT count(*) FROM field_request_key",
    "SELECT count(answer) FROM field_request_key",
    "INSERT INTO field_request_key (device_id, key, request, created_at) "
    "VALUES (1, 'kkkkkkkk', 'POST /v1/status', now())",
    "UPDATE field_request_key SET answer = '{}'",
    "DELETE FROM field_request_key",
    # The files still to remove: listed and changed only by the deletion job (recording.delete).
    "SELECT count(deletion_id) FROM recording_deletion_snapshot",
    "INSERT INTO recording_deletion_snapshot (deletion_id, storage_key) VALUES (1, 'x')",
    "DELETE FROM recording_deletion_snapshot",
    "UPDATE recording_deletion SET snapshot_files_removed = 99",
]


def test_todays_tables_refuse_ordinary_logins_and_the_gateway_only_its_columns(
    scene: Scene,
) -> None:
    from tests.field_setup import GATEWAY_LOGIN, gateway_target

    gateway_target(scene.target)  # the field API's login
    succeeded = []
    for role in (Role.CLERK, Role.FIELD_OFFICER, Role.DISPATCHER, Role.DATA_PROTECTION):
        with login(scene.target, LOGINS[role]) as conn:
            for sql in TODAY_ATTACKS:
                done, why = attempt(conn, sql)
                if done or not why.startswith("42501"):
                    succeeded.append(f"{role}: {sql}: {why or 'done'}")
    # Only a second person with the right confirms a hold; the shared check is no shortcut.
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        sql = "SELECT (h).id FROM kod_recording_hold_second_person(%(h)s, false)"
        done, why = attempt(conn, sql, {"h": scene.hold})
        if done:
            succeeded.append(f"clerk: {sql}")
    with login(scene.target, LOGINS[Role.FIELD_OFFICER]) as conn:
        for sql in (
            "UPDATE report SET external_note = 'erledigt'",
            "UPDATE report SET external_reported = 'closed'",
        ):
            done, why = attempt(conn, sql)
            if done or not why.startswith("42501"):
                succeeded.append(f"field officer: {sql}: {why or 'done'}")
    with login(scene.target, GATEWAY_LOGIN) as conn:
        for sql in (
            "UPDATE field_request_key SET request = 'POST /v1/reports'",
            "UPDATE field_request_key SET device_id = 2",
            "SELECT count(*) FROM report",
            "UPDATE report SET external_note = 'erledigt'",
            "SELECT count(deletion_id) FROM recording_deletion_snapshot",
            "UPDATE recording_deletion SET snapshot_files_removed = 99",
        ):
            done, why = attempt(conn, sql)
            if done or not why.startswith("42501"):
                succeeded.append(f"gateway: {sql}: {why or 'done'}")
        sql = "SELECT (h).id FROM kod_recording_hold_second_person(%(h)s, false)"
        done, why = attempt(conn, sql, {"h": scene.hold})
        if done:
            succeeded.append(f"gateway: {sql}")
    assert succeeded == []


def test_every_definer_function_sets_its_search_path(scene: Scene) -> None:
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.connect() as owner:
            loose = (
                owner.execute(
                    text(
                        "SELECT p.oid::regprocedure::text FROM pg_proc p "
                        "JOIN pg_namespace n ON n.oid = p.pronamespace "
                        "WHERE n.nspname = 'public' AND p.prosecdef AND NOT EXISTS ("
                        "SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c "
                        "WHERE c LIKE 'search\\_path=%')"
                    )
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert loose == []
