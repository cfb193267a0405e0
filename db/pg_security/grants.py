"""What each permission of the matrix means in SQL: table, column and function privileges.

:data:`db.access.MATRIX` says which role holds which permission; :data:`RIGHTS` says which
table, column and function privileges a permission needs. From both, :func:`grant_statements`
builds every GRANT of the group roles (:mod:`db.pg_security.groups`). Nothing else grants
anything, so the server enforces exactly the matrix. Which rows a grant reaches is limited in
:mod:`db.pg_security.scopes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from db.access import MATRIX, Permission
from db.models import Base
from db.pg_security.groups import GATEWAY_GROUP, GROUPS, quote_ident


@dataclass(frozen=True)
class Priv:
    """A privilege on a table (optionally only some columns) or a function."""

    privilege: str  # SELECT, INSERT, UPDATE, DELETE or EXECUTE
    target: str  # table name, or function signature for EXECUTE
    columns: tuple[str, ...] = ()


def read(table: str, *columns: str) -> Priv:
    """SELECT on ``table`` (or only ``columns``)."""
    return Priv("SELECT", table, columns)


def insert(table: str) -> Priv:
    """INSERT into ``table`` (the server stamps who-columns itself)."""
    return Priv("INSERT", table)


def update(table: str, *columns: str) -> Priv:
    """UPDATE of ``columns`` of ``table``."""
    return Priv("UPDATE", table, columns)


def update_all_but(table: str, *protected: str) -> Priv:
    """UPDATE of every column of ``table`` except the id and ``protected`` ones."""
    keep = {"id", *protected}
    cols = tuple(c.name for c in Base.metadata.tables[table].columns if c.name not in keep)
    return Priv("UPDATE", table, cols)


def delete(table: str) -> Priv:
    """DELETE from ``table``."""
    return Priv("DELETE", table)


def execute(signature: str) -> Priv:
    """EXECUTE of a function, e.g. ``kod_audit_prune(boolean)``."""
    return Priv("EXECUTE", signature)


_UNIT_STATUS_COLS = ("status", "status_changed_at", "version")
_DEVICE_PUBLIC_COLS = (
    "id",
    "label",
    "user_id",
    "unit_id",
    "created_at",
    "revoked_at",
    "last_seen_at",
    "connected",
)
#: What the gateway keeps up to date on a device itself (token rotation, last call, link).
_DEVICE_GATEWAY_COLS = (
    "token_hash",
    "previous_token_hash",
    "previous_valid_until",
    "rotated_at",
    "last_seen_at",
    "connected",
)
_UNIT_POSITION_COLS = ("lat", "lon", "position_at")
#: What managing units means: call sign, kind, home base, in service or not.
_UNIT_MASTER_COLS = ("id", "call_sign", "kind", "home_lat", "home_lon", "active", "version")
#: What a unit's status moves on its assignment: confirmed (3), on scene (4), released.
_ASSIGNMENT_STATUS_COLS = ("confirmed_at", "confirmed_by_id", "on_scene_at", "released_at")
#: What proposing a hold writes (``created_by_id`` and ``created_at`` are the server's).
_HOLD_PROPOSAL_COLS = (
    "recording_id",
    "reason",
    "file_number",
    "note",
    "created_by_id",
    "created_at",
)

#: What a snapshot's readers see: everything but its wrapped data key.
_SNAPSHOT_COLS = (
    "id",
    "recording_id",
    "position_ms",
    "storage_key",
    "sha256",
    "size_bytes",
    "width",
    "height",
    "note",
    "created_by_id",
    "created_at",
)

#: Every login of the application: its own identity, the names of colleagues and units, the
#: settings, the schema version (checked at login) and the change feed (live updates).
BASELINE: tuple[Priv, ...] = (
    read("user_account", "id", "username", "display_name", "role_code", "active"),
    read("unit", "id", "call_sign", "kind", "active"),
    read("role"),
    read("setting"),
    # Official Stadtteil outlines for the map: public reference data.
    read("map_outline"),
    read("alembic_version"),
    read("change_feed"),
    execute("kod_audit(text, text, bigint, text, text, text, text)"),
    execute("kod_whoami()"),
    execute("kod_login(text)"),
    execute("kod_audit_head()"),
    execute("kod_user_password(text, text, text)"),
    # Used by the row-level security policies; each answers only about the caller itself.
    execute("kod_current_user_id()"),
    execute("kod_my_units()"),
    execute("kod_sees_incident(bigint)"),
    execute("kod_owns_case(bigint)"),
    # Deleting recordings whose period ran out: the law's duty, not a choice. The function
    # decides what is due by the server's clock and the setting, never by what the caller says,
    # so any workstation (and the scheduled task) may run it (recordings.sql). Marking their
    # files removed from the store is recording.delete's (the server cannot see the store).
    execute("kod_recording_expire(integer)"),
)

#: What writing anything at all needs: the change-feed row of every committed change.
WRITER: tuple[Priv, ...] = (insert("change_feed"),)

#: The aggregate views of the statistics (``statistics.sql``; no personal data in them).
STATISTICS_VIEWS = (
    "kod_incident_statistics",
    "kod_unit_status_statistics",
    "kod_task_statistics",
    "kod_recording_statistics",
    "kod_recording_hold_statistics",
)

#: The SQL meaning of each permission. Permissions with an empty tuple have no surface in the
#: database yet (their feature is not built); :data:`NO_SERVER_SURFACE` lists them.
RIGHTS: dict[Permission, tuple[Priv, ...]] = {
    Permission.INCIDENT_READ: (
        read("incident"),
        read("journal_entry"),
        read("incident_unit"),
        read("gazetteer_address"),
    ),
    Permission.INCIDENT_WRITE: (
        read("incident"),
        insert("incident"),
        update_all_but("incident", "number", "created_at", "created_by_id", "client_ref"),
        insert("journal_entry"),
    ),
    Permission.INCIDENT_JOURNAL: (insert("journal_entry"),),
    Permission.UNIT_READ: (
        read("unit"),
        # Which units have a field device connected and when it last reported (no tokens).
        read("field_device", *_DEVICE_PUBLIC_COLS),
        read("unit_member"),
        read("unit_status_change"),
        read("emergency"),
        read("incident_unit"),
        read("incident", "id", "number", "address"),
    ),
    Permission.UNIT_STATUS: (
        read("unit"),
        update("unit", *_UNIT_STATUS_COLS, *_UNIT_POSITION_COLS),
        insert("unit_status_change"),
        read("unit_position"),
        insert("unit_position"),
        delete("unit_position"),
        # A unit's status is the one truth: 3 confirms its alarm, 4 puts it on scene, 1/2/6
        # take it off the incident (from the board or, later, the field device).
        read("incident_unit"),
        update("incident_unit", *_ASSIGNMENT_STATUS_COLS),
        read("incident", "id", "number", "status", "on_scene_at", "version"),
        update("incident", "status", "on_scene_at", "updated_at", "version"),
        insert("journal_entry"),
        # A field device acknowledging what was pushed to its unit.
        read("field_ack"),
        insert("field_ack"),
    ),
    Permission.UNIT_ASSIGN: (
        read("incident_unit"),
        insert("incident_unit"),
        update("incident_unit", *_ASSIGNMENT_STATUS_COLS),
        update("incident", "status", "dispatched_at", "on_scene_at", "updated_at", "version"),
        update("unit", *_UNIT_STATUS_COLS),
        insert("unit_status_change"),
        insert("journal_entry"),
    ),
    Permission.UNIT_MANAGE: (
        read("unit", *_UNIT_MASTER_COLS, "status", "status_changed_at"),
        insert("unit"),
        update("unit", *_UNIT_MASTER_COLS),
        read("unit_member"),
        insert("unit_member"),
        update("unit_member", "until"),
        delete("unit_member"),
        # Whether a unit is on an open incident (it may not be taken out of service then).
        read("incident_unit", "unit_id", "released_at"),
    ),
    Permission.EMERGENCY_RAISE: (
        read("emergency"),
        insert("emergency"),
        update("unit", *_UNIT_STATUS_COLS),
        insert("unit_status_change"),
    ),
    Permission.EMERGENCY_ACK: (
        read("emergency"),
        update("emergency", "acknowledged_at", "acknowledged_by_id", "acknowledged_workstation"),
    ),
    Permission.TASK_READ: (read("task"), read("report", "id", "number")),
    Permission.TASK_WRITE: (
        read("task"),
        insert("task"),
        update_all_but("task", "number", "created_at", "created_by_id"),
    ),
    Permission.REPORT_READ: (
        read("report"),
        read("field_photo"),
        read("incident", "id", "number"),
        read("task", "id", "number"),
    ),
    Permission.REPORT_WRITE: (
        read("report"),
        insert("report"),
        execute("kod_report_next_number(integer)"),
        update_all_but("report", "number", "created_by_id"),
    ),
    # A field officer's Meldung with its photos (row security: only their own, read back once).
    Permission.REPORT_FIELD: (
        read("report"),
        insert("report"),
        execute("kod_report_next_number(integer)"),
        read("field_photo"),
        insert("field_photo"),
        read("incident", "id", "number"),
        read("task", "id", "number"),
    ),
    Permission.RECORDING_IMPORT: (
        insert("recording"),
        # Confirming (or correcting) the proposed incident.
        read("recording"),
        update("recording", "incident_id", "version"),
        # The wrapped data key: written at import, readable by no login.
        insert("recording_key"),
        # The incident proposed from the officer's unit and the recording's time.
        read("unit_member"),
        read("incident_unit", "incident_id", "unit_id", "assigned_at", "released_at"),
        read("incident", "id", "number", "created_at", "closed_at"),
    ),
    Permission.RECORDING_VIEW: (
        read("recording"),
        read("recording_hold"),
        # The wrapped data key, released with a stated reason and audited (recordings.sql).
        execute("kod_recording_key(bigint, text, text)"),
        # Bookmarks with notes on the clip viewer's timeline.
        read("recording_bookmark"),
        insert("recording_bookmark"),
        update("recording_bookmark", "note"),
        delete("recording_bookmark"),
        # Snapshots kept as evidence: their wrapped key is written, never read back.
        read("recording_snapshot", *_SNAPSHOT_COLS),
        insert("recording_snapshot"),
    ),
    Permission.RECORDING_HOLD: (
        read("recording"),
        read("recording_hold"),
        # Only the proposal: who proposes is stamped by the server; the confirmation columns
        # are written by the confirming function alone (two people, recordings.sql).
        Priv("INSERT", "recording_hold", _HOLD_PROPOSAL_COLS),
        update("recording_hold", "released_by_id", "release_requested_at", "release_note"),
    ),
    Permission.RECORDING_HOLD_CONFIRM: (
        read("recording"),
        read("recording_hold"),
        execute("kod_recording_hold_confirm(bigint, text)"),
        execute("kod_recording_hold_release(bigint, text)"),
    ),
    Permission.RECORDING_EXPORT: (
        read("recording"),
        read("user_account", "id", "username", "display_name"),
        read("incident", "id", "number"),
        # The key and the chain of custody, released with reason and recipient, audited.
        execute("kod_recording_export_key(bigint, text, text, text)"),
        execute("kod_recording_custody(bigint)"),
    ),
    # Recordings are deleted only by the deletion job (kod_recording_expire, any login), a
    # held one after two people lifted its hold (recording.hold_confirm). Whether a deleted
    # recording's files left the store the server cannot check: the deletion protocol says so
    # only through the job of a login that may delete recordings (or the owner's scheduled
    # task), never through any login at all (recordings.sql).
    Permission.RECORDING_DELETE: (
        execute("kod_recording_file_removed(bigint)"),
        execute("kod_recording_snapshot_removed(bigint)"),
        # Which deleted recordings' files are still to be removed (no personal data).
        read("recording_deletion", "id", "storage_key", "file_removed_at"),
        read("recording_deletion_snapshot", "id", "storage_key"),
    ),
    Permission.OFFENCE_READ: (
        read("field_photo"),
        read("offence_case_event"),
        read("offence_case"),
        read("offence_person"),
        read("offence_evidence"),
        read("offence_catalogue_entry"),
    ),
    Permission.OFFENCE_WRITE: (
        read("offence_case"),
        insert("offence_case"),
        update_all_but("offence_case", "number", "created_at"),
        read("offence_person"),
        insert("offence_person"),
        update_all_but("offence_person", "case_id"),
        delete("offence_person"),
        read("offence_evidence"),
        insert("offence_evidence"),
        execute("kod_offence_next_number(integer)"),
        # Only to clear a witness statement with the case's personal data (audited by the server).
        update("offence_evidence", "description"),
        read("offence_case_event"),
        insert("offence_case_event"),
        read("offence_catalogue_entry"),
        # Evidence photos from the field device.
        read("field_photo"),
        insert("field_photo"),
    ),
    Permission.CATALOGUE_MANAGE: (
        read("offence_catalogue_entry"),
        insert("offence_catalogue_entry"),
        update_all_but("offence_catalogue_entry"),
    ),
    Permission.GAZETTEER_MANAGE: (
        read("gazetteer_address"),
        insert("gazetteer_address"),
        update_all_but("gazetteer_address"),
        delete("gazetteer_address"),
    ),
    Permission.SHIFT_REPORT: (),
    Permission.STATISTICS: (
        *(read(view) for view in STATISTICS_VIEWS),
        execute("kod_recording_deletion_statistics()"),
    ),
    Permission.AUDIT_READ: (
        read("audit_log"),
        # The deletion protocol of recordings (no personal data in it).
        read("recording_deletion"),
    ),
    Permission.AUDIT_VERIFY: (execute("kod_audit_verify(text)"),),
    Permission.AUDIT_PRUNE: (execute("kod_audit_prune(boolean)"),),
    Permission.USER_MANAGE: (
        read("user_account"),
        execute("kod_user_add(text, text, text, text, text, boolean)"),
        execute("kod_user_set_active(text, boolean, text)"),
        execute("kod_user_set_role(text, text, text)"),
        execute("kod_user_list()"),
    ),
    Permission.FIELD_DEVICE_MANAGE: (
        read("field_device"),
        insert("field_device"),
        update(
            "field_device", "label", "unit_id", "revoked_at", "revoked_by_id", *_DEVICE_GATEWAY_COLS
        ),
        read("unit_member"),
        # Grants (and takes back) the gateway's right to act for the device's officer.
        execute("kod_field_bind(text)"),
        execute("kod_field_unbind(text)"),
    ),
    Permission.SETTINGS_MANAGE: (
        insert("setting"),
        update("setting", "value", "updated_at"),
        # Importing official Stadtteil outlines replaces them all.
        insert("map_outline"),
        delete("map_outline"),
    ),
}

#: The field API's own login (group :data:`GATEWAY_GROUP`): the devices and their tokens, the
#: crews (a device acts only while its officer serves in its unit). Everything else it does as
#: the device's officer.
GATEWAY: tuple[Priv, ...] = (
    read("field_device"),
    update("field_device", *_DEVICE_GATEWAY_COLS),
    read("unit_member", "unit_id", "user_id", "until"),
    # Before acting for a device's officer: the device is live and the officer's.
    execute("kod_field_acting(bigint, text)"),
    # The Idempotency-Keys of writes a device may send again after a dead spot.
    read("field_request_key"),
    insert("field_request_key"),
    update("field_request_key", "status", "answer"),
    delete("field_request_key"),
)

#: Permissions without a database surface (shift reports).
NO_SERVER_SURFACE = frozenset(p for p, privs in RIGHTS.items() if not privs)


def group_privileges() -> dict[str, set[Priv]]:
    """Every privilege of every group role, from the matrix."""
    result: dict[str, set[Priv]] = {g: set(BASELINE) for g in GROUPS.values()}
    for permission, roles in MATRIX.items():
        for role in roles:
            result[GROUPS[role]].update(RIGHTS[permission])
    result[GATEWAY_GROUP] = set(BASELINE) | set(GATEWAY)
    for privs in result.values():
        if any(p.privilege in ("INSERT", "UPDATE", "DELETE") for p in privs):
            privs.update(WRITER)
    return result


def grant_statements(existing: dict[str, set[str]] | None = None) -> list[str]:
    """GRANT statements for every group role (after everything was revoked).

    With ``existing`` (table → its columns now), column grants leave out columns a later
    migration adds: an older schema is set up with what it has, the later install adds them.
    """
    statements: list[str] = []
    for group, privs in sorted(group_privileges().items()):
        merged: dict[tuple[str, str], set[str] | None] = {}
        for p in privs:
            key = (p.privilege, p.target)
            if not p.columns or merged.get(key, set()) is None:
                merged[key] = None
            else:
                current = merged.setdefault(key, set())
                assert current is not None
                current.update(p.columns)
        for (privilege, target), columns in sorted(merged.items()):
            if privilege == "EXECUTE":
                statements.append(
                    f"GRANT EXECUTE ON FUNCTION public.{target} TO {quote_ident(group)}"
                )
                continue
            if columns and existing is not None and target in existing:
                columns = columns & existing[target]
                if not columns:
                    continue
            cols = f" ({', '.join(quote_ident(c) for c in sorted(columns))})" if columns else ""
            statements.append(
                f"GRANT {privilege}{cols} ON public.{quote_ident(target)} TO {quote_ident(group)}"
            )
            if privilege == "INSERT" and _has_serial_id(target):
                statements.append(_sequence_grant(target, group))
            if privilege == "INSERT" and target == "change_feed":
                # The provisional ids until the commit (see kod_feed_pending).
                statements.append(
                    f"GRANT USAGE ON SEQUENCE public.kod_pending_id TO {quote_ident(group)}"
                )
    return statements


def _has_serial_id(table: str) -> bool:
    model = Base.metadata.tables.get(table)
    return model is not None and "id" in model.c and model.c["id"].autoincrement is not False


def _sequence_grant(table: str, group: str) -> str:
    return (
        "DO $$ DECLARE s text := pg_get_serial_sequence("
        f"'public.{quote_ident(table)}', 'id'); BEGIN IF s IS NOT NULL THEN "
        f"EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', s, '{group}'); END IF; END $$"
    )


def all_tables() -> Iterable[str]:
    """The application's tables (those the models define, plus Alembic's version table)."""
    return [*sorted(Base.metadata.tables), "alembic_version"]
