"""Guards of the newer tables and the server's functions, tried as real logins with raw SQL.

The field API's request keys, the recordings' deletion snapshots and hold confirmation, the
Open311 columns of a Meldung: refused to ordinary logins, and to the field API's gateway login
beyond its columns; every security-definer function fixes its search path.
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
