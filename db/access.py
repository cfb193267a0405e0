"""Who may do what: the roles, the permissions and the matrix between them, kept as data.

This is the one source of the permission matrix. The services check it before every write and
every read of protected data (:mod:`app.platform.permissions`); on PostgreSQL the same matrix is
turned into group roles, grants, row-level security and definer functions
(:mod:`db.pg_security`), so the server enforces it against every login, whatever program it
uses. It lives in ``db/`` because the database, the lowest layer, enforces it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The roles of DOMAIN.md."""

    DISPATCHER = "dispatcher"
    SHIFT_LEAD = "shift_lead"
    CLERK = "clerk"
    FIELD_OFFICER = "field_officer"
    DATA_PROTECTION = "data_protection"
    ADMIN = "admin"


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
    #: Recording a new Meldung (also from a field device); changing one is ``report.write``.
    REPORT_FIELD = "report.field"
    RECORDING_IMPORT = "recording.import"
    RECORDING_VIEW = "recording.view"
    RECORDING_HOLD = "recording.hold"
    RECORDING_HOLD_CONFIRM = "recording.hold_confirm"
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
    #: Registering, rotating and revoking the officers' field devices.
    FIELD_DEVICE_MANAGE = "field.device"


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
    # Field officers record Meldungen from their device (and see only their own afterwards).
    Permission.REPORT_FIELD: frozenset({_D, _S, _C, _F}),
    # The control room takes the recordings off the docking station; clerks work with them.
    Permission.RECORDING_IMPORT: frozenset({_D, _S}),
    Permission.RECORDING_VIEW: frozenset({_D, _S, _C}),
    Permission.RECORDING_HOLD: frozenset({_S, _C}),
    # The second person of a hold (setting or lifting it): the recording officer's supervisor.
    Permission.RECORDING_HOLD_CONFIRM: frozenset({_S}),
    Permission.RECORDING_EXPORT: frozenset({_S, _C}),
    Permission.RECORDING_DELETE: frozenset({_S}),
    Permission.OFFENCE_READ: frozenset({_S, _C}),
    Permission.OFFENCE_WRITE: frozenset({_D, _C, _F}),
    Permission.CATALOGUE_MANAGE: frozenset({_C, _A}),
    Permission.GAZETTEER_MANAGE: frozenset({_S, _A}),
    # The shift and incident reports name people; the statistics hold no personal data and
    # are open to more roles.
    Permission.SHIFT_REPORT: frozenset({_S}),
    Permission.STATISTICS: frozenset({_D, _S, _C, _P}),
    Permission.AUDIT_READ: frozenset({_P}),
    Permission.AUDIT_VERIFY: frozenset({_P, _A}),
    Permission.AUDIT_PRUNE: frozenset({_A}),
    Permission.USER_MANAGE: frozenset({_A}),
    Permission.SETTINGS_MANAGE: frozenset({_A}),
    Permission.FIELD_DEVICE_MANAGE: frozenset({_S, _A}),
}
