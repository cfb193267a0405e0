"""Plain-language names of the audit log's actions and object kinds (for the viewer and export).

The log stores short codes (``incident.create``, ``user_account``); a data-protection officer
reads German. Codes without a name here are shown as they are.
"""

from __future__ import annotations

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr

#: Actions of refused attempts.
REFUSAL_LABELS: dict[str, str] = {
    "permission.denied": N_("audit", "Access refused"),
    "login.failed": N_("audit", "Login failed"),
    "login.locked": N_("audit", "Account locked after failed logins"),
}

ACTION_LABELS: dict[str, str] = {
    **REFUSAL_LABELS,
    "login.success": N_("audit", "Logged in"),
    "user.add": N_("audit", "User account created"),
    "user.enable": N_("audit", "User account enabled"),
    "user.disable": N_("audit", "User account disabled"),
    "user.password": N_("audit", "Password set"),
    "user.role": N_("audit", "Role changed"),
    "setting.change": N_("audit", "Setting changed"),
    "gazetteer.import": N_("audit", "Gazetteer imported"),
    "audit.export": N_("audit", "Audit log exported"),
    "audit.prune": N_("audit", "Expired audit records deleted"),
    "demo.generate": N_("audit", "Demo data generated"),
    "incident.create": N_("audit", "Incident created"),
    "incident.update": N_("audit", "Incident changed"),
    "incident.note": N_("audit", "Journal note written"),
    "incident.assign": N_("audit", "Unit assigned"),
    "incident.arrive": N_("audit", "Unit on scene"),
    "incident.release": N_("audit", "Unit released"),
    "incident.close": N_("audit", "Incident closed"),
    "incident.reopen": N_("audit", "Incident reopened"),
    "unit.create": N_("audit", "Unit created"),
    "unit.status": N_("audit", "Unit status set"),
    "emergency.raise": N_("audit", "Emergency raised"),
    "emergency.ack": N_("audit", "Emergency acknowledged"),
    "task.create": N_("audit", "Task created"),
    "task.update": N_("audit", "Task changed"),
    "task.assign": N_("audit", "Task assigned"),
    "task.done": N_("audit", "Task done"),
    "task.cancelled": N_("audit", "Task cancelled"),
    "task.reopen": N_("audit", "Task reopened"),
    "task.follow_up": N_("audit", "Follow-up set"),
    "task.snooze": N_("audit", "Follow-up postponed"),
    "report.create": N_("audit", "Report created"),
    "report.update": N_("audit", "Report changed"),
    "report.status": N_("audit", "Report status changed"),
    "report.convert": N_("audit", "Report turned into an incident or task"),
    "offence.export": N_("audit", "Offence case exported for the Bußgeldstelle"),
    "offence.print": N_("audit", "Offence case document printed"),
    "offence.evidence.recording": N_("audit", "Bodycam recording taken as evidence of a case"),
    "recording.import": N_("audit", "Bodycam recording imported"),
    "recording.quarantine": N_("audit", "File for import quarantined"),
    "recording.link": N_("audit", "Recording linked to an incident"),
    "recording.open": N_("audit", "Bodycam recording opened"),
    "recording.export": N_("audit", "Bodycam recording exported"),
    "recording.export.cancel": N_("audit", "Export of a recording cancelled"),
    "recording.hold.propose": N_("audit", "Hold on a recording proposed"),
    "recording.hold.confirm": N_("audit", "Hold on a recording confirmed"),
    "recording.hold.release_propose": N_("audit", "Lifting a hold proposed"),
    "recording.hold.release": N_("audit", "Hold on a recording lifted"),
    "recording.delete": N_("audit", "Bodycam recording deleted"),
    "recording.verify": N_("audit", "Recording store checked"),
    "catalogue.add": N_("audit", "Offence catalogue entry added"),
    "catalogue.revise": N_("audit", "Offence catalogue entry revised"),
    "catalogue.confirm": N_("audit", "Offence catalogue entry confirmed"),
    "catalogue.activate": N_("audit", "Offence catalogue entry put into use"),
    "catalogue.deactivate": N_("audit", "Offence catalogue entry taken out of use"),
    "catalogue.import": N_("audit", "Offence catalogue imported"),
    "field.call": N_("audit", "Call of a field device"),
    "field.refused": N_("audit", "Call of a field device refused"),
    "field.ack": N_("audit", "Order acknowledged on a field device"),
    "field.photos": N_("audit", "Photos from the field stored"),
    "field.device_register": N_("audit", "Field device registered"),
    "field.device_revoke": N_("audit", "Field device revoked"),
    "field.device_rotate": N_("audit", "New token for a field device"),
    "field.token_rotate": N_("audit", "Field device renewed its token"),
    "incident.report": N_("audit", "Incident report created"),
    "map.outlines_import": N_("audit", "District outlines imported"),
    "offence.capture": N_("audit", "Offence case captured"),
    "offence.caution": N_("audit", "Caution with fine given"),
    "offence.payment": N_("audit", "Caution fine paid"),
    "offence.status": N_("audit", "Offence case status changed"),
    "offence.witness": N_("audit", "Witness added to an offence case"),
    "offence.read_person": N_("audit", "Personal data of an offence case viewed"),
    "offence.anonymise": N_("audit", "Personal data of closed offence cases removed"),
    "recording.bookmark": N_("audit", "Bookmark set in a recording"),
    "recording.bookmark_edit": N_("audit", "Bookmark of a recording changed"),
    "recording.bookmark_remove": N_("audit", "Bookmark of a recording removed"),
    "recording.snapshot": N_("audit", "Still image taken from a recording as evidence"),
    "recording.tampered": N_("audit", "Recording found altered: playback blocked"),
    "report.open311": N_("audit", "Citizen report taken in from the platform"),
    "report.open311_update": N_("audit", "Citizen report changed on the platform"),
    "report.open311_status": N_("audit", "Status reported back to the platform"),
    "statistics.read": N_("audit", "Statistics viewed"),
    "unit.activate": N_("audit", "Unit put into service"),
    "unit.deactivate": N_("audit", "Unit taken out of service"),
    "unit.rename": N_("audit", "Unit renamed"),
    "unit.crew": N_("audit", "Unit crew changed"),
    "unit.status_undo": N_("audit", "Unit status change undone"),
    "db.insert": N_("audit", "Row added (server record)"),
    "db.update": N_("audit", "Row changed (server record)"),
    "db.delete": N_("audit", "Row deleted (server record)"),
}

#: Object kinds: the services' names and the table names of the server's row records.
ENTITY_LABELS: dict[str, str] = {
    "incident": N_("audit", "Incident"),
    "incident_unit": N_("audit", "Unit assignment"),
    "unit": N_("audit", "Unit"),
    "unit_member": N_("audit", "Unit member"),
    "emergency": N_("audit", "Emergency"),
    "task": N_("audit", "Task"),
    "report": N_("audit", "Report"),
    "recording": N_("audit", "Bodycam recording"),
    "recording_hold": N_("audit", "Hold on a recording"),
    "recording_deletion": N_("audit", "Deletion protocol of recordings"),
    "offence_case": N_("audit", "Offence case"),
    "offence_person": N_("audit", "Person concerned (offence)"),
    "offence_evidence": N_("audit", "Evidence (offence)"),
    "offence_catalogue_entry": N_("audit", "Offence catalogue entry"),
    "user": N_("audit", "User"),
    "user_account": N_("audit", "User account (row)"),
    "role": N_("audit", "Role"),
    "setting": N_("audit", "Setting"),
    "gazetteer": N_("audit", "Gazetteer"),
}


def action_label(code: str) -> str:
    """The German name of an action code (the code itself if it has none)."""
    source = ACTION_LABELS.get(code)
    return tr("audit", source) if source is not None else code


def entity_label(code: str | None) -> str:
    """The German name of an object kind (the code itself if it has none; "" for None)."""
    if not code:
        return ""
    source = ENTITY_LABELS.get(code)
    return tr("audit", source) if source is not None else code


def actions_named(text: str) -> list[str]:
    """The action codes whose German (or English) name contains ``text`` (case-insensitive).

    Lets the viewer's action filter find "Anmeldung" as well as "login".
    """
    needle = text.strip().casefold()
    if not needle:
        return []
    return sorted(
        code
        for code, source in ACTION_LABELS.items()
        if needle in tr("audit", source).casefold() or needle in source.casefold()
    )
