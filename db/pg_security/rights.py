"""What each permission of the matrix means in SQL: privileges, row scopes, row triggers.

:data:`db.access.MATRIX` says which role holds which permission; :data:`RIGHTS` says which
table, column and function privileges a permission needs. From both, :func:`grant_statements`
builds every GRANT of the group roles and :func:`policy_statements` the row-level security
policies. Nothing else grants anything, so the server enforces exactly the matrix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from db.access import MATRIX, Permission, Role
from db.models import Base

#: The PostgreSQL group role of each application role.
GROUPS: dict[Role, str] = {role: f"kod_{role.value}" for role in Role}
#: Members log in with the directory's password: pg_hba.conf sends ``+kod_directory`` to LDAP
#: (or Kerberos). It grants nothing.
DIRECTORY_GROUP = "kod_directory"
#: The field API's own login is a member: it reads the registered devices and, for a device's
#: officer, takes that officer's login (``SET ROLE``) once a registration granted it
#: (``kod_field_bind`` in field.sql). It is no application role and holds no operational right.
GATEWAY_GROUP = "kod_field_gateway"


def all_groups() -> list[str]:
    """Every group role the application grants privileges to (the roles' and the gateway's)."""
    return [*GROUPS.values(), GATEWAY_GROUP]


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
    # so any workstation (and the scheduled task) may run it (recordings.sql).
    execute("kod_recording_expire(integer)"),
    execute("kod_recording_file_removed(bigint)"),
    execute("kod_recording_snapshot_removed(bigint)"),
    # Which deleted recordings' files are still to be removed (no personal data).
    read("recording_deletion", "id", "storage_key", "file_removed_at"),
    read("recording_deletion_snapshot", "id", "storage_key"),
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
    # held one after two people lifted its hold (recording.hold_confirm): no surface of its own.
    Permission.RECORDING_DELETE: (),
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
)

#: Permissions without a database surface (shift reports; deleting recordings, see above).
NO_SERVER_SURFACE = frozenset(p for p, privs in RIGHTS.items() if not privs)


# --- row-level security ------------------------------------------------------------------------

_MY_UNITS = "(SELECT public.kod_my_units())"

#: Tables under row-level security. For each, the roles whose rows are limited and the
#: condition per command (``select``/``insert``/``update``/``delete``); every other role that
#: holds a privilege on the table sees and changes all rows its privileges allow.
ROW_SCOPES: dict[str, dict[Role, dict[str, str]]] = {
    "incident": {
        Role.FIELD_OFFICER: {
            "select": "public.kod_sees_incident(id)",
            "update": "public.kod_sees_incident(id)",
        },
    },
    "journal_entry": {
        Role.FIELD_OFFICER: {
            "select": "public.kod_sees_incident(incident_id)",
            "insert": "public.kod_sees_incident(incident_id)",
        },
    },
    "incident_unit": {
        Role.FIELD_OFFICER: {
            "select": f"unit_id IN {_MY_UNITS} OR public.kod_sees_incident(incident_id)",
            "update": f"unit_id IN {_MY_UNITS}",
        },
    },
    "unit": {Role.FIELD_OFFICER: {"update": f"id IN {_MY_UNITS}"}},
    "unit_status_change": {Role.FIELD_OFFICER: {"insert": f"unit_id IN {_MY_UNITS}"}},
    "unit_position": {
        Role.FIELD_OFFICER: {
            "select": f"unit_id IN {_MY_UNITS}",
            "insert": f"unit_id IN {_MY_UNITS}",
            "delete": f"unit_id IN {_MY_UNITS}",
        },
    },
    "emergency": {Role.FIELD_OFFICER: {"insert": f"unit_id IN {_MY_UNITS}"}},
    "task": {
        Role.FIELD_OFFICER: {
            "select": (
                f"assigned_unit_id IN {_MY_UNITS} "
                "OR assigned_user_id = public.kod_current_user_id()"
            ),
        },
    },
    # Field officers and dispatchers capture cases (in the field, from a call) and see only the
    # cases they recorded; the clerks process them all.
    "offence_case": {
        role: {
            cmd: "officer_id = public.kod_current_user_id()"
            for cmd in ("select", "insert", "update")
        }
        for role in (Role.FIELD_OFFICER, Role.DISPATCHER)
    },
    "offence_person": {
        role: {
            cmd: "public.kod_owns_case(case_id)" for cmd in ("select", "insert", "update", "delete")
        }
        for role in (Role.FIELD_OFFICER, Role.DISPATCHER)
    },
    "offence_evidence": {
        role: {cmd: "public.kod_owns_case(case_id)" for cmd in ("select", "insert")}
        for role in (Role.FIELD_OFFICER, Role.DISPATCHER)
    },
    "offence_case_event": {
        role: {cmd: "public.kod_owns_case(case_id)" for cmd in ("select", "insert")}
        for role in (Role.FIELD_OFFICER, Role.DISPATCHER)
    },
    # A field officer reads back only the Meldungen, photos and acknowledgements they sent.
    "report": {
        Role.FIELD_OFFICER: {
            cmd: "created_by_id = public.kod_current_user_id()" for cmd in ("select", "insert")
        },
    },
    "field_photo": {
        Role.FIELD_OFFICER: {
            cmd: "created_by_id = public.kod_current_user_id()" for cmd in ("select", "insert")
        },
    },
    "field_ack": {
        Role.FIELD_OFFICER: {
            cmd: "user_id = public.kod_current_user_id()" for cmd in ("select", "insert")
        },
    },
}

#: Who-columns the server stamps (see ``kod_stamp`` in functions.sql): ``col`` is set to the
#: acting person on insert and kept on update, ``+col`` names whoever sets it, ``@col`` is the
#: server's time of insertion.
STAMPS: dict[str, tuple[str, ...]] = {
    "incident": ("created_by_id", "@created_at"),
    "journal_entry": ("user_id", "@created_at"),
    "incident_unit": ("assigned_by_id", "+confirmed_by_id"),
    "unit_status_change": ("user_id", "@changed_at"),
    "emergency": ("raised_by_id", "+acknowledged_by_id"),
    "task": ("created_by_id", "@created_at"),
    "report": ("created_by_id",),
    "recording": ("imported_by_id", "@imported_at"),
    "recording_hold": ("created_by_id", "@created_at", "+released_by_id"),
    "recording_bookmark": ("created_by_id", "@created_at"),
    "recording_snapshot": ("created_by_id", "@created_at"),
    "offence_case_event": ("user_id", "@created_at"),
    "field_device": ("created_by_id", "@created_at", "+revoked_by_id"),
    "field_photo": ("created_by_id", "@created_at"),
    "field_ack": ("user_id",),
}

#: Tables whose row changes the server records in the audit log, with the columns whose change
#: alone is not recorded. Append-only logs whose rows name their author (journal, status
#: history) and the change feed and positions are not repeated there.
AUDITED: dict[str, tuple[str, ...]] = {
    "incident": (),
    "incident_unit": (),
    "unit": ("lat", "lon", "position_at", "version"),
    "unit_member": (),
    "emergency": (),
    "task": (),
    "report": (),
    "recording": (),
    "recording_hold": (),
    "recording_bookmark": (),
    "recording_snapshot": (),
    "offence_catalogue_entry": (),
    "offence_case": (),
    "offence_person": (),
    "offence_evidence": (),
    "setting": (),
    "user_account": ("last_login_at", "failed_logins", "locked_until", "version"),
    "role": (),
    # A device's calls and its live link are in the gateway's own audit records.
    "field_device": ("last_seen_at", "connected"),
    "field_photo": (),
    "field_ack": (),
}


# --- generation --------------------------------------------------------------------------------


def holders(permission: Permission) -> list[str]:
    """The group roles holding ``permission``."""
    return sorted(GROUPS[r] for r in MATRIX[permission])


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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
                statements.append(f"GRANT EXECUTE ON FUNCTION public.{target} TO {_q(group)}")
                continue
            if columns and existing is not None and target in existing:
                columns = columns & existing[target]
                if not columns:
                    continue
            cols = f" ({', '.join(_q(c) for c in sorted(columns))})" if columns else ""
            statements.append(f"GRANT {privilege}{cols} ON public.{_q(target)} TO {_q(group)}")
            if privilege == "INSERT" and _has_serial_id(target):
                statements.append(_sequence_grant(target, group))
    return statements


def _has_serial_id(table: str) -> bool:
    model = Base.metadata.tables.get(table)
    return model is not None and "id" in model.c and model.c["id"].autoincrement is not False


def _sequence_grant(table: str, group: str) -> str:
    return (
        "DO $$ DECLARE s text := pg_get_serial_sequence("
        f"'public.{_q(table)}', 'id'); BEGIN IF s IS NOT NULL THEN "
        f"EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', s, '{group}'); END IF; END $$"
    )


def _command_groups(table: str) -> dict[str, set[str]]:
    """Which groups hold which command on ``table`` (any column)."""
    commands = {"SELECT": "select", "INSERT": "insert", "UPDATE": "update", "DELETE": "delete"}
    found: dict[str, set[str]] = {c: set() for c in commands.values()}
    for group, privs in group_privileges().items():
        for p in privs:
            if p.target == table and p.privilege in commands:
                found[commands[p.privilege]].add(group)
    return found


def policy_statements() -> list[str]:
    """Row-level security on the tables of :data:`ROW_SCOPES`, with one policy per command for
    the unrestricted groups and one per restricted group."""
    statements: list[str] = []
    for table, scopes in sorted(ROW_SCOPES.items()):
        statements.append(f"ALTER TABLE public.{_q(table)} ENABLE ROW LEVEL SECURITY")
        limited = {GROUPS[role]: conditions for role, conditions in scopes.items()}
        for command, groups in sorted(_command_groups(table).items()):
            if not groups:
                continue
            free = sorted(g for g in groups if command not in limited.get(g, {}))
            if free:
                statements.append(_policy(table, command, "all", free, "true"))
            for group in sorted(groups - set(free)):
                statements.append(_policy(table, command, group, [group], limited[group][command]))
    return statements


def _policy(table: str, command: str, suffix: str, groups: list[str], condition: str) -> str:
    name = _q(f"kod_{table}_{command}_{suffix}")
    to = ", ".join(_q(g) for g in groups)
    if command == "insert":
        clause = f"WITH CHECK ({condition})"
    elif command == "update":
        clause = f"USING ({condition}) WITH CHECK ({condition})"
    else:
        clause = f"USING ({condition})"
    return f"CREATE POLICY {name} ON public.{_q(table)} FOR {command.upper()} TO {to} {clause}"


def trigger_statements() -> list[str]:
    """Audit, stamp, guard and lock triggers (dropped and created again)."""
    statements: list[str] = []
    for table, noise in sorted(AUDITED.items()):
        args = ", ".join(f"'{c}'" for c in noise)
        statements += [
            f"DROP TRIGGER IF EXISTS kod_audit_row ON public.{_q(table)}",
            f"CREATE TRIGGER kod_audit_row AFTER INSERT OR UPDATE OR DELETE ON public.{_q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION public.kod_audit_row({args})",
        ]
    for table, columns in sorted(STAMPS.items()):
        args = ", ".join(f"'{c}'" for c in columns)
        statements += [
            f"DROP TRIGGER IF EXISTS kod_stamp ON public.{_q(table)}",
            f"CREATE TRIGGER kod_stamp BEFORE INSERT OR UPDATE ON public.{_q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION public.kod_stamp({args})",
        ]
    statements += [
        "DROP TRIGGER IF EXISTS kod_audit_guard ON public.audit_log",
        "CREATE TRIGGER kod_audit_guard BEFORE UPDATE OR DELETE ON public.audit_log "
        "FOR EACH ROW EXECUTE FUNCTION public.kod_audit_guard()",
        "DROP TRIGGER IF EXISTS kod_audit_guard_truncate ON public.audit_log",
        "CREATE TRIGGER kod_audit_guard_truncate BEFORE TRUNCATE ON public.audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.kod_audit_guard()",
        "DROP TRIGGER IF EXISTS kod_feed_lock ON public.change_feed",
        "CREATE TRIGGER kod_feed_lock BEFORE INSERT ON public.change_feed "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.kod_feed_lock()",
    ]
    return statements


def matrix_functions() -> list[str]:
    """SQL functions whose body is the matrix itself (created before functions.sql)."""
    may_cases = "\n".join(
        f"        WHEN {_lit(p.value)} THEN "
        + (
            " OR ".join(
                f"pg_has_role(public.kod_acting_login(), {_lit(g)}, 'MEMBER')" for g in holders(p)
            )
            or "false"
        )
        for p in Permission
    )
    group_cases = "\n".join(
        f"        WHEN {_lit(r.value)} THEN {_lit(g)}" for r, g in GROUPS.items()
    )
    groups = ", ".join(_lit(g) for g in GROUPS.values())
    roles_of = ", ".join(
        f"CASE WHEN pg_has_role(p_login, {_lit(g)}, 'MEMBER') THEN {_lit(r.value)} END"
        for r, g in GROUPS.items()
    )
    head = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
    return [
        "CREATE OR REPLACE FUNCTION public.kod_group_of(p_role text) RETURNS text\n"
        f"LANGUAGE sql IMMUTABLE AS $$\n    SELECT CASE p_role\n{group_cases}\n    END\n$$",
        "CREATE OR REPLACE FUNCTION public.kod_groups() RETURNS text[]\n"
        f"LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY[{groups}]::text[] $$",
        # An account may have no server login (a field officer who only uses the mobile app).
        "CREATE OR REPLACE FUNCTION public.kod_roles_of(p_login text) RETURNS text[]\n"
        f"{head.replace('sql', 'plpgsql', 1)} AS $$\nBEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN\n"
        "        RETURN ARRAY[]::text[];\n    END IF;\n"
        f"    RETURN array_remove(ARRAY[{roles_of}]::text[], NULL);\nEND\n$$",
        # Who acts: the session's login, or (the field API) the officer of a registered device.
        "CREATE OR REPLACE FUNCTION public.kod_acting_login() RETURNS text\n"
        f"{head.replace('sql', 'plpgsql', 1)} AS $$\n{_login_body()}\n$$",
        "CREATE OR REPLACE FUNCTION public.kod_may(p_permission text) RETURNS boolean\n"
        f"{head} AS $$\n    SELECT coalesce(CASE p_permission\n{may_cases}\n    END, false)\n$$",
    ]


#: The field API's login (a member of :data:`GATEWAY_GROUP`) names the officer it acts for in
#: ``kod.actor`` and takes that officer's login with ``SET ROLE``; the name counts only for an
#: officer whose login was granted to the gateway by a device registration and who is a field
#: officer and nothing else. For every other session the client's word is ignored.
def _login_body() -> str:
    return f"""DECLARE
    v text := coalesce(current_setting('kod.actor', true), '');
BEGIN
    IF v <> '' AND v <> session_user
       AND pg_has_role(session_user, {_lit(GATEWAY_GROUP)}, 'MEMBER')
       AND EXISTS (SELECT 1 FROM pg_auth_members m
                     JOIN pg_roles r ON r.oid = m.roleid
                     JOIN pg_roles g ON g.oid = m.member
                    WHERE r.rolname = v AND g.rolname = {_lit(GATEWAY_GROUP)})
       AND public.kod_roles_of(v) = ARRAY[{_lit(Role.FIELD_OFFICER.value)}]::text[] THEN
        RETURN v;
    END IF;
    RETURN session_user;
END"""


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def all_tables() -> Iterable[str]:
    """The application's tables (those the models define, plus Alembic's version table)."""
    return [*sorted(Base.metadata.tables), "alembic_version"]
