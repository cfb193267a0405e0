"""The audit log on the PostgreSQL server, tried as real logins with raw SQL.

Nobody but the schema owner may change the audit log or give themselves more rights, and the
server chains records exactly as the program verifies them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.platform.config import DatabaseTarget
from app.platform.permissions import Role
from tests.pg_logins import attempt, login
from tests.pg_rights_scene import LOGINS, Scene, make_scene


@pytest.fixture
def scene(pg_target: DatabaseTarget) -> Iterator[Scene]:
    yield make_scene(pg_target)


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
    # A clerk may not import recordings, so cannot claim an import in the log either.
    "SELECT kod_audit('recording.import', 'recording', 1, '{}')",
    # Who the field API may act for is decided by the account functions only.
    "SELECT kod_field_rebind('r_clerk')",
    # Asking which devices are live is the field API's alone.
    "SELECT kod_field_acting(1, 'r_clerk')",
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
