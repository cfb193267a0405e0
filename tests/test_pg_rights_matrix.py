"""The role matrix as the PostgreSQL server enforces it, tried as real logins with raw SQL.

Not through the services: a login that skips the program (psql, a script with the password
from pgpass) must be refused by the server for everything its role may not do: one probe per
permission, tried by every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.platform.config import DatabaseTarget
from app.platform.permissions import MATRIX, Permission, Role
from db.pg_security.grants import NO_SERVER_SURFACE
from tests.pg_logins import attempt, login
from tests.pg_rights_scene import LOGINS, Scene, make_scene


@pytest.fixture
def scene(pg_target: DatabaseTarget) -> Iterator[Scene]:
    yield make_scene(pg_target)


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
