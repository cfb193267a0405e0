"""Row-level security and who columns on the PostgreSQL server, tried as real logins.

Row-level security must keep a field officer to their own unit's data, and the columns naming
who did something name the login, whatever the client sends.
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
