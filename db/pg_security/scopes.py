"""Row-level security: which rows a limited role's grants reach.

The grants (:mod:`db.pg_security.grants`) say which commands a group role may run on a table;
:data:`ROW_SCOPES` narrows them to the rows a field officer (or a dispatcher, for offence cases)
may see or change. :func:`policy_statements` turns both into one policy per command.
"""

from __future__ import annotations

from db.access import Role
from db.pg_security.grants import group_privileges
from db.pg_security.groups import GROUPS, quote_ident

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
        statements.append(f"ALTER TABLE public.{quote_ident(table)} ENABLE ROW LEVEL SECURITY")
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
    name = quote_ident(f"kod_{table}_{command}_{suffix}")
    to = ", ".join(quote_ident(g) for g in groups)
    if command == "insert":
        clause = f"WITH CHECK ({condition})"
    elif command == "update":
        clause = f"USING ({condition}) WITH CHECK ({condition})"
    else:
        clause = f"USING ({condition})"
    return f"CREATE POLICY {name} ON public.{quote_ident(table)} FOR {command.upper()} TO {to} {clause}"
