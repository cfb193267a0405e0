"""Roles and the permission matrix, kept as data.

The README's permission table is generated from :data:`MATRIX` (``kod-admin permissions``) and a
test keeps the two equal. Services call :func:`require` before every write and every read of
protected data; hiding a button in the UI is never the only protection.
"""

from __future__ import annotations

from enum import StrEnum

from app.platform.errors import PermissionDenied
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr


class Role(StrEnum):
    """The roles of DOMAIN.md."""

    DISPATCHER = "dispatcher"
    SHIFT_LEAD = "shift_lead"
    CLERK = "clerk"
    FIELD_OFFICER = "field_officer"
    DATA_PROTECTION = "data_protection"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.DISPATCHER: N_("roles", "Dispatcher"),
    Role.SHIFT_LEAD: N_("roles", "Shift lead"),
    Role.CLERK: N_("roles", "Clerk"),
    Role.FIELD_OFFICER: N_("roles", "Field officer"),
    Role.DATA_PROTECTION: N_("roles", "Data protection"),
    Role.ADMIN: N_("roles", "Administration"),
}


class Permission(StrEnum):
    """Everything a role may or may not do."""

    INCIDENT_READ = "incident.read"
    INCIDENT_WRITE = "incident.write"
    INCIDENT_JOURNAL = "incident.journal"
    UNIT_READ = "unit.read"
    UNIT_STATUS = "unit.status"
    UNIT_ASSIGN = "unit.assign"
    UNIT_MANAGE = "unit.manage"
    EMERGENCY_RAISE = "emergency.raise"
    EMERGENCY_ACK = "emergency.ack"
    TASK_READ = "task.read"
    TASK_WRITE = "task.write"
    REPORT_READ = "report.read"
    REPORT_WRITE = "report.write"
    RECORDING_VIEW = "recording.view"
    RECORDING_HOLD = "recording.hold"
    RECORDING_EXPORT = "recording.export"
    RECORDING_DELETE = "recording.delete"
    OFFENCE_READ = "offence.read"
    OFFENCE_WRITE = "offence.write"
    CATALOGUE_MANAGE = "catalogue.manage"
    GAZETTEER_MANAGE = "gazetteer.manage"
    SHIFT_REPORT = "report.shift"
    STATISTICS = "statistics.read"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_PRUNE = "audit.prune"
    USER_MANAGE = "user.manage"
    SETTINGS_MANAGE = "settings.manage"


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
    Permission.RECORDING_VIEW: N_("permissions", "view bodycam recordings"),
    Permission.RECORDING_HOLD: N_("permissions", "put a hold on recordings"),
    Permission.RECORDING_EXPORT: N_("permissions", "export recordings"),
    Permission.RECORDING_DELETE: N_("permissions", "delete held recordings"),
    Permission.OFFENCE_READ: N_("permissions", "view offence cases"),
    Permission.OFFENCE_WRITE: N_("permissions", "process offence cases"),
    Permission.CATALOGUE_MANAGE: N_("permissions", "manage offence catalogues"),
    Permission.GAZETTEER_MANAGE: N_("permissions", "manage the gazetteer"),
    Permission.SHIFT_REPORT: N_("permissions", "print shift reports"),
    Permission.STATISTICS: N_("permissions", "view statistics"),
    Permission.AUDIT_READ: N_("permissions", "read the audit log"),
    Permission.AUDIT_VERIFY: N_("permissions", "verify the audit log"),
    Permission.AUDIT_PRUNE: N_("permissions", "delete audit records past their retention"),
    Permission.USER_MANAGE: N_("permissions", "manage user accounts"),
    Permission.SETTINGS_MANAGE: N_("permissions", "change settings"),
}


_D, _S, _C, _F, _P, _A = (
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.CLERK,
    Role.FIELD_OFFICER,
    Role.DATA_PROTECTION,
    Role.ADMIN,
)

#: Which roles hold which permission. Data protection reads audit logs but no operational
#: data; administration manages accounts and settings but sees no operational data either.
MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.INCIDENT_READ: frozenset({_D, _S, _C, _F}),
    Permission.INCIDENT_WRITE: frozenset({_D, _S}),
    Permission.INCIDENT_JOURNAL: frozenset({_D, _S, _F}),
    Permission.UNIT_READ: frozenset({_D, _S, _F}),
    Permission.UNIT_STATUS: frozenset({_D, _S, _F}),
    Permission.UNIT_ASSIGN: frozenset({_D, _S}),
    Permission.UNIT_MANAGE: frozenset({_S, _A}),
    Permission.EMERGENCY_RAISE: frozenset({_D, _S, _F}),
    Permission.EMERGENCY_ACK: frozenset({_D, _S}),
    Permission.TASK_READ: frozenset({_D, _S, _C, _F}),
    Permission.TASK_WRITE: frozenset({_D, _S, _C}),
    Permission.REPORT_READ: frozenset({_D, _S, _C}),
    Permission.REPORT_WRITE: frozenset({_D, _S, _C}),
    Permission.RECORDING_VIEW: frozenset({_D, _S, _C}),
    Permission.RECORDING_HOLD: frozenset({_S, _C}),
    Permission.RECORDING_EXPORT: frozenset({_S, _C}),
    Permission.RECORDING_DELETE: frozenset({_S}),
    Permission.OFFENCE_READ: frozenset({_S, _C}),
    Permission.OFFENCE_WRITE: frozenset({_C, _F}),
    Permission.CATALOGUE_MANAGE: frozenset({_C, _A}),
    Permission.GAZETTEER_MANAGE: frozenset({_S, _A}),
    Permission.SHIFT_REPORT: frozenset({_S}),
    Permission.STATISTICS: frozenset({_S, _P}),
    Permission.AUDIT_READ: frozenset({_P}),
    Permission.AUDIT_VERIFY: frozenset({_P, _A}),
    Permission.AUDIT_PRUNE: frozenset({_A}),
    Permission.USER_MANAGE: frozenset({_A}),
    Permission.SETTINGS_MANAGE: frozenset({_A}),
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
