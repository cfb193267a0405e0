"""Nobody but the proper path writes the deletion protocol of bodycam recordings (PostgreSQL).

Tried as real logins with raw SQL, as in ``test_pg_rights``: any login may start the deletion
of what is due (the server decides what that is), but marking a recording's file or a
snapshot file as removed from the store is for the deletion job of a login that may delete
recordings (``recording.delete``: Schichtleitung) or the schema owner (the scheduled task). A
clerk's login that calls the functions by hand is refused, and nothing is written: the
protocol keeps saying the file is still to be removed, and the file stays on the list.
The records the server writes itself (a recording opened, exported, deleted, a hold confirmed
or lifted, a login) cannot be forged through ``kod_audit`` either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from app.evidence.storage import FolderStore
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Permission, Role, allowed
from app.services import Services
from app.services.recording_retention import RetentionService
from app.services.users import UserService
from tests.conftest import ADMIN
from tests.pg_logins import PASSWORD, attempt, login
from tests.pg_rights_scene import LOGINS, Scene, make_scene


@pytest.fixture
def scene(pg_target: DatabaseTarget) -> Iterator[Scene]:
    yield make_scene(pg_target)


RECORDING_KEY = "2026/11/old-recording.kod"
SNAPSHOT_KEY = "2026/11/old-snapshot.kod"


def _due_recording(target: DatabaseTarget, officer: int, key: str, snapshot_key: str) -> int:
    """A recording made 30 days ago (long due) with one snapshot, written by the owner."""
    engine = create_engine(target.sync_url)
    try:
        with engine.begin() as conn:
            rec = int(
                conn.execute(
                    text(
                        "INSERT INTO recording (officer_id, device_id, started_at, ended_at, "
                        "reason, announced, inside_home, storage_key, sha256, size_bytes, "
                        "delete_after, imported_at, version) VALUES (:o, 'BC-7', "
                        "now() - interval '30 days', now() - interval '30 days', 'Bedrohung', "
                        "true, false, :k, repeat('c', 64), 10, now() - interval '16 days', "
                        "now() - interval '30 days', 1) RETURNING id"
                    ),
                    {"o": officer, "k": key},
                ).scalar()
            )
            conn.execute(
                text(
                    "INSERT INTO recording_snapshot (recording_id, position_ms, storage_key, "
                    "key_id, wrapped_key, sha256, size_bytes, width, height, note, "
                    "created_by_id, created_at) VALUES (:r, 400, :k, 'mk1', '\\x00', "
                    "repeat('d', 64), 10, 160, 120, 'Flasche', :o, now())"
                ),
                {"r": rec, "k": snapshot_key, "o": officer},
            )
        return rec
    finally:
        engine.dispose()


def _owner_rows(target: DatabaseTarget, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(target.sync_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def _protocol(target: DatabaseTarget) -> list[tuple[Any, ...]]:
    return _owner_rows(
        target,
        "SELECT recording_id, file_removed_at IS NOT NULL, snapshot_files, "
        "snapshot_files_removed FROM recording_deletion ORDER BY id",
    )


def _still_to_remove(target: DatabaseTarget) -> list[str]:
    return [
        str(r[0])
        for r in _owner_rows(target, "SELECT storage_key FROM recording_deletion_snapshot")
    ]


def test_a_clerk_cannot_mark_a_deleted_recordings_files_removed(scene: Scene) -> None:
    from app.platform.audit import verify_connection

    rec = _due_recording(scene.target, scene.users[Role.FIELD_OFFICER], RECORDING_KEY, SNAPSHOT_KEY)
    # Deleting what is due is the law's duty, not a choice: any login may start it.
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        rows = conn.execute("SELECT recording_id, protocol_id FROM kod_recording_expire(500)")
        [(gone, protocol)] = rows.fetchall()
        conn.commit()
    assert gone == rec
    [(file_id,)] = _owner_rows(scene.target, "SELECT id FROM recording_deletion_snapshot")
    assert _protocol(scene.target) == [(rec, False, 1, 0)]

    calls = [
        ("SELECT kod_recording_file_removed(%(p)s) IS NULL", {"p": protocol}),
        ("SELECT kod_recording_snapshot_removed(%(f)s) IS NULL", {"f": file_id}),
        ("SELECT count(storage_key) FROM recording_deletion_snapshot", {}),
    ]
    wrong = []
    for role in (Role.CLERK, Role.DISPATCHER, Role.FIELD_OFFICER, Role.DATA_PROTECTION):
        with login(scene.target, LOGINS[role]) as conn:
            for sql, params in calls:
                done, why = attempt(conn, sql, params)
                if done or not why.startswith("42501"):
                    wrong.append(f"{role.value}: {sql}: {why or 'done'}")
    assert wrong == []
    # Not rolled back by the test: the server itself refuses, and nothing is written.
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        for sql, params in calls[:2]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, params)
            conn.rollback()
    assert _protocol(scene.target) == [(rec, False, 1, 0)]
    assert _still_to_remove(scene.target) == [SNAPSHOT_KEY]

    # The deletion job of a login that may delete recordings marks them (after removing them).
    with login(scene.target, LOGINS[Role.SHIFT_LEAD]) as conn:
        for sql, params in calls:
            conn.execute(sql, params)
        conn.commit()
    assert _protocol(scene.target) == [(rec, True, 1, 1)]
    assert _still_to_remove(scene.target) == []
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.connect() as owner:
            assert verify_connection(owner).ok
    finally:
        engine.dispose()


#: The audit records the server writes itself in its definer functions.
SERVER_ACTIONS = (
    "recording.open",
    "recording.export",
    "recording.delete",
    "recording.hold.confirm",
    "recording.hold.release",
    "login.success",
)


def test_the_servers_own_audit_records_cannot_be_forged(scene: Scene) -> None:
    wrong = []
    for role in (
        Role.CLERK,
        Role.SHIFT_LEAD,
        Role.FIELD_OFFICER,
        Role.DISPATCHER,
        Role.DATA_PROTECTION,
    ):
        with login(scene.target, LOGINS[role]) as conn:
            for action in SERVER_ACTIONS:
                sql = "SELECT kod_audit(%(a)s, 'recording', %(r)s, '{}', 'Fristablauf')"
                done, why = attempt(conn, sql, {"a": action, "r": scene.recording})
                if done or not why.startswith("42501"):
                    wrong.append(f"{role.value}: {action}: {why or 'done'}")
            # The services' own records are still written (in the login's name), by who
            # may view recordings; a field officer may not, so cannot claim a snapshot.
            for action in ("recording.snapshot", "recording.tampered", "recording.import"):
                done, why = attempt(
                    conn,
                    "SELECT kod_audit(%(a)s, 'recording', %(r)s)",
                    {"a": action, "r": scene.recording},
                )
                needed = (
                    Permission.RECORDING_IMPORT
                    if action == "recording.import"
                    else Permission.RECORDING_VIEW
                )
                if done != allowed(role, needed) or (not done and not why.startswith("42501")):
                    wrong.append(f"{role.value}: {action}: {why or 'done'}")
    assert wrong == []
    forged = _owner_rows(
        scene.target,
        "SELECT count(*) FROM audit_log WHERE action = ANY(:a)",
        a=list(SERVER_ACTIONS),
    )
    assert forged == [(0,)]


@pytest.mark.asyncio
async def test_the_deletion_job_removes_files_only_under_a_login_that_may(
    pg_target: DatabaseTarget, tmp_path: Path
) -> None:
    owner = Database(pg_target, workstation="test-ws")
    try:
        services = Services.create(owner)
        officer = await services.users.add(ADMIN, "m.mueller", "Mia", Role.FIELD_OFFICER, PASSWORD)
        await services.users.add(ADMIN, "sb1", "Sven", Role.CLERK, PASSWORD)
        await services.users.add(ADMIN, "sl1", "Sina", Role.SHIFT_LEAD, PASSWORD)
    finally:
        await owner.dispose()
    blobs = FolderStore(tmp_path / "store")
    blobs.put(RECORDING_KEY, [b"sealed recording"])
    blobs.put(SNAPSHOT_KEY, [b"sealed snapshot"])
    rec = _due_recording(pg_target, officer.id, RECORDING_KEY, SNAPSHOT_KEY)

    # A clerk's workstation deletes what is due (key and row go) but leaves the files to a
    # login that may mark them removed: the protocol stays true.
    clerk_db = Database(pg_target.with_login("sb1", PASSWORD), workstation="test-ws")
    try:
        clerk = await UserService(clerk_db).server_actor()
        result = await RetentionService(clerk_db, blobs).run(clerk)
    finally:
        await clerk_db.dispose()
    assert [d.recording_id for d in result.deleted] == [rec]
    assert (result.files_removed, result.snapshots_removed, result.files_left) == (0, 0, ())
    assert result.files_left_to_others
    assert blobs.exists(RECORDING_KEY) and blobs.exists(SNAPSHOT_KEY)
    assert _protocol(pg_target) == [(rec, False, 1, 0)]

    lead_db = Database(pg_target.with_login("sl1", PASSWORD), workstation="test-ws")
    try:
        lead = await UserService(lead_db).server_actor()
        result = await RetentionService(lead_db, blobs).run(lead)
    finally:
        await lead_db.dispose()
    assert (result.deleted, result.files_removed, result.snapshots_removed) == ((), 1, 1)
    assert not result.files_left_to_others
    assert not blobs.exists(RECORDING_KEY) and not blobs.exists(SNAPSHOT_KEY)
    assert _protocol(pg_target) == [(rec, True, 1, 1)]
    assert _still_to_remove(pg_target) == []


def test_a_snapshot_cannot_name_another_file_of_the_store(scene: Scene) -> None:
    """A clerk may keep snapshots as evidence; one naming a held recording's file (or another
    snapshot's) would have the deletion job remove that file with the due recording, or block
    the job for everyone on the duplicate. The server refuses such a row."""
    rec = _due_recording(scene.target, scene.users[Role.FIELD_OFFICER], RECORDING_KEY, SNAPSHOT_KEY)
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.begin() as owner:
            # The recording of the scene is held: its file must outlive the due one.
            owner.execute(
                text("UPDATE recording SET storage_key = '2026/12/held.kod' WHERE id = :r"),
                {"r": scene.recording},
            )
    finally:
        engine.dispose()
    insert = (
        "INSERT INTO recording_snapshot (recording_id, position_ms, storage_key, key_id, "
        "wrapped_key, sha256, size_bytes, width, height, note, created_by_id, created_at) "
        "VALUES (%(r)s, 800, %(k)s, 'mk1', '\\x00', repeat('e', 64), 10, 160, 120, '', "
        "%(me)s, now())"
    )
    wrong = []
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        me = scene.users[Role.CLERK]
        for key in ("2026/12/held.kod", SNAPSHOT_KEY, RECORDING_KEY):
            done, why = attempt(conn, insert, {"r": rec, "k": key, "me": me})
            if done or not why.startswith("23505"):
                wrong.append(f"{key}: {why or 'done'}")
        # A snapshot of its own file is kept as before.
        done, why = attempt(conn, insert, {"r": rec, "k": "2026/12/own-snapshot.kod", "me": me})
        if not done:
            wrong.append(f"own snapshot refused: {why}")
    assert wrong == []
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        rows = conn.execute("SELECT recording_id FROM kod_recording_expire(500)").fetchall()
        conn.commit()
    assert rows == [(rec,)]
    assert _still_to_remove(scene.target) == [SNAPSHOT_KEY]


def test_a_proposal_to_lift_a_hold_is_changed_only_by_its_proposer(scene: Scene) -> None:
    """The second person consents to the proposal they see: its reason cannot be rewritten or
    withdrawn by someone else, and a lifted hold's record stays as it was."""
    users = scene.users
    engine = create_engine(scene.target.sync_url)
    try:
        with engine.begin() as owner:
            owner.execute(
                text(
                    "UPDATE recording_hold SET confirmed_by_id = :l, confirmed_at = now() "
                    "WHERE id = :h"
                ),
                {"l": users[Role.SHIFT_LEAD], "h": scene.hold},
            )
    finally:
        engine.dispose()
    with login(scene.target, LOGINS[Role.SHIFT_LEAD]) as conn:
        conn.execute(
            "UPDATE recording_hold SET released_by_id = %(me)s, release_requested_at = now(), "
            "release_note = 'Verfahren eingestellt (StA)' WHERE id = %(h)s",
            {"me": users[Role.SHIFT_LEAD], "h": scene.hold},
        )
        conn.commit()
    forged = [
        "UPDATE recording_hold SET release_note = 'Aufbewahrung nicht mehr nötig' WHERE id = %(h)s",
        "UPDATE recording_hold SET released_by_id = NULL, release_requested_at = NULL, "
        "release_note = NULL WHERE id = %(h)s",
    ]
    wrong = []
    with login(scene.target, LOGINS[Role.CLERK]) as conn:
        for sql in forged:
            done, why = attempt(conn, sql, {"h": scene.hold})
            if done or not why.startswith("42501"):
                wrong.append(f"clerk: {sql}: {why or 'done'}")
    # The proposer may still correct their own reason.
    with login(scene.target, LOGINS[Role.SHIFT_LEAD]) as conn:
        done, why = attempt(conn, forged[0], {"h": scene.hold})
        if not done:
            wrong.append(f"proposer refused: {why}")
    assert wrong == []
    assert _owner_rows(
        scene.target,
        "SELECT released_by_id, release_note FROM recording_hold WHERE id = :h",
        h=scene.hold,
    ) == [(users[Role.SHIFT_LEAD], "Verfahren eingestellt (StA)")]

    engine = create_engine(scene.target.sync_url)
    try:
        with engine.begin() as owner:  # a second person consented: the hold is lifted
            owner.execute(
                text(
                    "UPDATE recording_hold SET released_at = now(), release_consent_by_id = :d "
                    "WHERE id = :h"
                ),
                {"d": users[Role.DISPATCHER], "h": scene.hold},
            )
    finally:
        engine.dispose()
    with login(scene.target, LOGINS[Role.SHIFT_LEAD]) as conn:
        done, why = attempt(conn, forged[0], {"h": scene.hold})
    assert not done and why.startswith("42501"), why
