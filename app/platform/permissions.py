"""The permission matrix as the services see it: checks and German labels.

The matrix itself (:data:`MATRIX`, with :class:`Role` and :class:`Permission`) is defined once in
:mod:`db.access`, because on PostgreSQL the server enforces it too. The README's permission table
is generated from it (``kod-admin permissions``) and a test keeps the two equal. Services check it
before every write and every read of protected data; hiding a button in the UI is never the only
protection, and on PostgreSQL this check is only a convenience in front of the server's own.
"""

from __future__ import annotations

from app.platform.errors import PermissionDenied
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr
from db.access import MATRIX, Permission, Role

__all__ = [
    "MATRIX",
    "PERMISSION_LABELS",
    "ROLE_LABELS",
    "Permission",
    "Role",
    "allowed",
    "permissions_markdown",
    "require",
    "role_label",
]


ROLE_LABELS: dict[Role, str] = {
    Role.DISPATCHER: N_("roles", "Dispatcher"),
    Role.SHIFT_LEAD: N_("roles", "Shift lead"),
    Role.CLERK: N_("roles", "Clerk"),
    Role.FIELD_OFFICER: N_("roles", "Field officer"),
    Role.DATA_PROTECTION: N_("roles", "Data protection"),
    Role.ADMIN: N_("roles", "Administration"),
}


PERMISSION_LABELS: dict[Permission, str] = {
    Permission.INCIDENT_READ: N_("permissions", "view incidents"),
    Permission.INCIDENT_WRITE: N_("permissions", "create or change incidents"),
    Permission.INCIDENT_JOURNAL: N_("permissions", "write journal notes"),
    Permission.UNIT_READ: N_("permissions", "view units"),
    Permission.UNIT_STATUS: N_("permissions", "set unit status"),
    Permission.UNIT_ASSIGN: N_("permissions", "assign units"),
    Permission.UNIT_MANAGE: N_("permissions", "manage units"),
    Permission.EMERGENCY_RAISE: N_("permissions", "raise an emergency"),
    Permission.EMERGENCY_ACK: N_("permissions", "acknowledge an emergency"),
    Permission.TASK_READ: N_("permissions", "view tasks"),
    Permission.TASK_WRITE: N_("permissions", "create or change tasks"),
    Permission.REPORT_READ: N_("permissions", "view reports"),
    Permission.REPORT_WRITE: N_("permissions", "create or change reports"),
    Permission.REPORT_FIELD: N_("permissions", "record new reports"),
    Permission.RECORDING_IMPORT: N_("permissions", "import bodycam recordings"),
    Permission.RECORDING_VIEW: N_("permissions", "view bodycam recordings"),
    Permission.RECORDING_HOLD: N_("permissions", "put a hold on recordings"),
    Permission.RECORDING_HOLD_CONFIRM: N_("permissions", "confirm setting or lifting a hold"),
    Permission.RECORDING_EXPORT: N_("permissions", "export recordings"),
    Permission.RECORDING_DELETE: N_("permissions", "delete held recordings"),
    Permission.OFFENCE_READ: N_("permissions", "view offence cases"),
    Permission.OFFENCE_WRITE: N_("permissions", "process offence cases"),
    Permission.CATALOGUE_MANAGE: N_("permissions", "manage offence catalogues"),
    Permission.GAZETTEER_MANAGE: N_("permissions", "manage the gazetteer"),
    Permission.SHIFT_REPORT: N_("permissions", "print shift and incident reports"),
    Permission.STATISTICS: N_("permissions", "view statistics"),
    Permission.AUDIT_READ: N_("permissions", "read the audit log"),
    Permission.AUDIT_VERIFY: N_("permissions", "verify the audit log"),
    Permission.AUDIT_PRUNE: N_("permissions", "delete audit records past their retention"),
    Permission.USER_MANAGE: N_("permissions", "manage user accounts"),
    Permission.SETTINGS_MANAGE: N_("permissions", "change settings"),
    Permission.FIELD_DEVICE_MANAGE: N_("permissions", "register and revoke field devices"),
}


def allowed(role: Role, permission: Permission) -> bool:
    """True if ``role`` holds ``permission``."""
    return role in MATRIX[permission]


def require(role: Role, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` unless ``role`` holds ``permission``."""
    if not allowed(role, permission):
        raise PermissionDenied(tr("permissions", PERMISSION_LABELS[permission]), role_label(role))


def permissions_markdown() -> str:
    """The permission matrix as a Markdown table (for the README)."""
    roles = list(Role)
    head = "| Berechtigung | " + " | ".join(role_label(r) for r in roles) + " |"
    sep = "|---|" + "---|" * len(roles)
    rows = [
        f"| `{p.value}` | " + " | ".join("✔" if r in MATRIX[p] else "" for r in roles) + " |"
        for p in Permission
    ]
    return "\n".join([head, sep, *rows])


def role_label(role: Role) -> str:
    """The German name of ``role``."""
    return tr("roles", ROLE_LABELS[role])
