"""The declarations of every command of the workstation: id, label, group, keys, scope, menu,
permission (see :mod:`ui.commands` for the registry that binds them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.permissions import Permission


class Scope(Enum):
    """Where a command's keys work."""

    GLOBAL = "global"  # every window and dialog of the workstation
    WINDOW = "window"  # the main window and its floating panes
    CALL_FORM = "call_form"  # the new-incident form
    EDIT_FORM = "edit_form"  # Auftrag/Meldung dialogs and the incident action dialogs
    DETAIL_NOTE = "detail_note"  # the note field of the incident detail
    UNIT_BOARD = "unit_board"  # the unit status board's table
    WORK_LISTS = "work_lists"  # the Aufträge/Meldungen tables
    AUDIT_PANE = "audit_pane"  # the audit viewer, while the keyboard is in it
    QUEUE_SEARCH = "queue_search"  # the incident queue's search field
    UNIT_ADMIN = "unit_admin"  # the unit management pane, while the keyboard is in it
    OFFENCES = "offences"  # the offence-case pane, while the keyboard is in it
    RECORDING_HOLDS = "recording_holds"  # deletion periods and holds, while the keyboard is in it
    CLIP_REPORT = "clip_report"  # the clip-access report, while the keyboard is in it
    CLIP_VIEWER = "clip_viewer"  # the clip viewer (in the pane or full screen)
    RECORDING_LIST = "recording_list"  # the list of bodycam recordings

    def meets(self, other: Scope) -> bool:
        """True if keys of the two scopes can be pressed in the same place."""
        return self is other or Scope.GLOBAL in (self, other)


# Group names (context "Shortcuts", like ui.shortcuts.group_name).
GENERAL = N_("Shortcuts", "General")
INCIDENTS = N_("Shortcuts", "Incidents")
UNITS = N_("Shortcuts", "Unit status board")
WORK = N_("Shortcuts", "Tasks and reports")
EMERGENCY = N_("Shortcuts", "Emergency")
AUDIT = N_("Shortcuts", "Audit log")
UNIT_ADMIN = N_("Shortcuts", "Unit management")
OFFENCES = N_("Shortcuts", "Offence cases")
MAP = N_("Shortcuts", "Situation map")
RECORDINGS = N_("Shortcuts", "Bodycam recordings")

#: The menus of the main window, in menu-bar order: key and title (context "Commands").
MENUS = (
    ("file", N_("Commands", "&File")),
    ("incident", N_("Commands", "&Incident")),
    ("view", N_("Commands", "&View")),
    ("help", N_("Commands", "&Help")),
)


@dataclass(frozen=True)
class Command:
    """One command: what it is called, which keys start it, where they work."""

    id: str
    group: str
    label: str
    keys: tuple[str, ...] = ()
    scope: Scope = Scope.WINDOW
    menu: str = ""
    permission: Permission | None = None
    #: Shown instead of ``keys`` for keys that are no key sequence ("0 … 6").
    keys_label: str = ""

    def sequences(self) -> list[QKeySequence]:
        """The keys as Qt key sequences."""
        return [QKeySequence(k) for k in self.keys]

    def text(self) -> str:
        """The translated label (with its ``&`` mnemonic)."""
        return QCoreApplication.translate("Commands", self.label)

    def keys_text(self) -> str:
        """The keys as the user reads them (translated, platform notation)."""
        if self.keys_label:
            return QCoreApplication.translate("Commands", self.keys_label)
        native = QKeySequence.SequenceFormat.NativeText
        return ", ".join(s.toString(native) for s in self.sequences())


C = Command
COMMANDS: tuple[Command, ...] = (
    # -- general --------------------------------------------------------------------------------
    C("app.help", GENERAL, N_("Commands", "Keyboard shortcuts"), ("F1",), Scope.GLOBAL, "help"),
    C("view.reload", GENERAL, N_("Commands", "Reload"), ("F5",), menu="view"),
    C("go.queue", GENERAL, N_("Commands", "Go to the incident queue"), ("Ctrl+1",), Scope.GLOBAL),
    C("queue.search", GENERAL, N_("Commands", "Search the queue"), ("Ctrl+F",)),
    C(
        "queue.clear_search",
        GENERAL,
        N_("Commands", "Clear the queue search (in the search field)"),
        ("Escape",),
        Scope.QUEUE_SEARCH,
        keys_label=N_("Commands", "Esc"),
        permission=Permission.INCIDENT_READ,
    ),
    C("go.map", GENERAL, N_("Commands", "Go to the map"), ("Ctrl+8",), Scope.GLOBAL),
    C("view.reset_layout", GENERAL, N_("Commands", "Reset layout"), menu="view"),
    C(
        "report.shift",
        GENERAL,
        N_("Commands", "&Shift report …"),
        ("Ctrl+Shift+R",),
        menu="file",
        permission=Permission.SHIFT_REPORT,
    ),
    C(
        "report.statistics",
        GENERAL,
        N_("Commands", "S&tatistics …"),
        menu="file",
        permission=Permission.STATISTICS,
    ),
    C(
        "go.dashboard",
        GENERAL,
        N_("Commands", "Go to the dashboard (key figures)"),
        ("F8",),
        Scope.GLOBAL,
        permission=Permission.STATISTICS,
    ),
    # Before logging out in the File menu (menus follow the declaration order).
    C(
        "recording.import",
        RECORDINGS,
        N_("Commands", "Import &bodycam recordings …"),
        ("Ctrl+Shift+V",),
        menu="file",
        permission=Permission.RECORDING_IMPORT,
    ),
    C("app.logout", GENERAL, N_("Commands", "&Log out …"), menu="file"),
    C("app.quit", GENERAL, N_("Commands", "&Quit …"), ("Ctrl+Q",), menu="file"),
    # -- incidents ------------------------------------------------------------------------------
    C(
        "incident.new",
        INCIDENTS,
        N_("Commands", "&New incident …"),
        ("Ctrl+N", "F2"),
        menu="incident",
        permission=Permission.INCIDENT_WRITE,
    ),
    C(
        "incident.assign",
        INCIDENTS,
        N_("Commands", "&Assign unit to selected incident …"),
        ("Ctrl+D",),
        menu="incident",
        permission=Permission.UNIT_ASSIGN,
    ),
    C(
        "call.save_dispatch",
        INCIDENTS,
        N_("Commands", "Save and dispatch (in the new-incident form)"),
        ("F9", "Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
        Scope.CALL_FORM,
    ),
    C(
        "call.save",
        INCIDENTS,
        N_("Commands", "Save (in the new-incident form)"),
        ("Ctrl+Return", "Ctrl+Enter"),
        Scope.CALL_FORM,
    ),
    C(
        "call.pick_address",
        INCIDENTS,
        N_("Commands", "Choose an address from the list (in the new-incident form)"),
        ("Down", "Return"),
        Scope.CALL_FORM,
        keys_label=N_("Commands", "Down, Return"),
    ),
    C(
        "call.priority",
        INCIDENTS,
        N_("Commands", "Change the priority (in the new-incident form)"),
        ("Alt+P",),
        Scope.CALL_FORM,
    ),
    C("detail.save", INCIDENTS, N_("Commands", "Save incident changes"), ("Ctrl+S",)),
    C(
        "detail.note",
        INCIDENTS,
        N_("Commands", "Write a journal note"),
        ("Ctrl+Shift+N",),
        permission=Permission.INCIDENT_JOURNAL,
    ),
    C("detail.close", INCIDENTS, N_("Commands", "Close incident …"), ("Ctrl+E",)),
    C(
        "report.incident",
        INCIDENTS,
        N_("Commands", "Incident &report of the shown incident …"),
        ("Ctrl+Shift+I",),
        menu="incident",
        permission=Permission.SHIFT_REPORT,
    ),
    C(
        "detail.confirm_unit",
        INCIDENTS,
        N_("Commands", "An alarmed unit of the incident confirms by radio (status 3)"),
        ("Alt+3",),
        permission=Permission.UNIT_ASSIGN,
    ),
    C(
        "go.detail",
        INCIDENTS,
        N_("Commands", "Go to the incident detail"),
        ("Ctrl+3",),
        Scope.GLOBAL,
    ),
    C(
        "detail.add_note",
        INCIDENTS,
        N_("Commands", "Add the note to the journal"),
        ("Ctrl+Return",),
        Scope.DETAIL_NOTE,
    ),
    # -- unit status board ----------------------------------------------------------------------
    C(
        "go.units",
        UNITS,
        N_("Commands", "Go to the unit status board"),
        ("Ctrl+2",),
        Scope.GLOBAL,
    ),
    C(
        "unit.select",
        UNITS,
        N_("Commands", "Select the unit by typing"),
        scope=Scope.UNIT_BOARD,
        keys_label=N_("Commands", "Call sign (e.g. KOD 33)"),
    ),
    C(
        "unit.status",
        UNITS,
        N_("Commands", "Set the selected unit's status"),
        ("0", "1", "2", "3", "4", "5", "6"),
        Scope.UNIT_BOARD,
        keys_label=N_("Commands", "0 … 6"),
    ),
    C(
        "unit.confirm",
        UNITS,
        N_("Commands", "The alarmed unit confirms by radio (status 3, Einsatz übernommen)"),
        scope=Scope.UNIT_BOARD,
        keys_label=N_("Commands", "3"),
    ),
    C(
        "unit.undo",
        UNITS,
        N_("Commands", "Undo the last status change made on the board"),
        ("Ctrl+Z",),
        Scope.UNIT_BOARD,
        permission=Permission.UNIT_STATUS,
    ),
    C(
        "unit.emergency",
        UNITS,
        N_("Commands", "Trigger an emergency (Notruf) for the selected unit"),
        ("N",),
        Scope.UNIT_BOARD,
    ),
    C(
        "unit.history",
        UNITS,
        N_("Commands", "Status history of the selected unit"),
        ("Return",),
        Scope.UNIT_BOARD,
        keys_label=N_("Commands", "Enter"),
    ),
    C(
        "unit.menu",
        UNITS,
        N_("Commands", "All actions for the selected unit"),
        ("Menu", "Shift+F10"),
        Scope.UNIT_BOARD,
        keys_label=N_("Commands", "Menu key, Shift+F10"),
    ),
    # -- situation map --------------------------------------------------------------------------
    C(
        "map.trail",
        MAP,
        N_("Commands", "Show or hide the selected unit's trail on the map"),
        ("Ctrl+Shift+S",),
        menu="view",
        permission=Permission.UNIT_READ,
    ),
    # -- tasks and reports ----------------------------------------------------------------------
    C(
        "task.new",
        WORK,
        N_("Commands", "New task (Auftrag)"),
        ("Ctrl+Shift+T",),
        permission=Permission.TASK_WRITE,
    ),
    C("go.tasks", WORK, N_("Commands", "Go to the tasks"), ("Ctrl+4",), Scope.GLOBAL),
    C(
        "report.new",
        WORK,
        N_("Commands", "New report (Meldung)"),
        ("Ctrl+Shift+M",),
        permission=Permission.REPORT_WRITE,
    ),
    C("go.reports", WORK, N_("Commands", "Go to the reports"), ("Ctrl+5",), Scope.GLOBAL),
    C(
        "work.open",
        WORK,
        N_("Commands", "Open the selected task or report"),
        ("Return",),
        Scope.WORK_LISTS,
        keys_label=N_("Commands", "Enter"),
    ),
    C(
        "work.menu",
        WORK,
        N_("Commands", "All actions for the selected task or report"),
        ("Menu", "Shift+F10"),
        Scope.WORK_LISTS,
        keys_label=N_("Commands", "Menu key, Shift+F10"),
    ),
    C(
        "form.submit",
        WORK,
        N_("Commands", "Save the open dialog (Auftrag, Meldung, closing an incident)"),
        ("Ctrl+Return", "Ctrl+Enter"),
        Scope.EDIT_FORM,
    ),
    C(
        "task.follow_ups",
        WORK,
        N_("Commands", "Show due follow-ups (Wiedervorlage)"),
        ("Ctrl+Shift+W",),
    ),
    # -- emergency ------------------------------------------------------------------------------
    C(
        "emergency.ack",
        EMERGENCY,
        N_("Commands", "Acknowledge the emergency (Notruf)"),
        # "A" for Alarm; not Ctrl+Shift+Q, one slip away from Ctrl+Q in an emergency.
        ("Ctrl+Shift+A",),
        Scope.GLOBAL,
        permission=Permission.EMERGENCY_ACK,
    ),
    # -- audit log (data protection, administration) ---------------------------------------------
    C("go.audit", AUDIT, N_("Commands", "Go to the audit log"), ("Ctrl+6",), Scope.GLOBAL),
    C(
        "audit.verify",
        AUDIT,
        N_("Commands", "Verify the audit log's chain"),
        ("Ctrl+Shift+P",),
        Scope.AUDIT_PANE,
        permission=Permission.AUDIT_VERIFY,
    ),
    C(
        "audit.export",
        AUDIT,
        N_("Commands", "Export the audit log (CSV)"),
        ("Ctrl+Shift+E",),
        Scope.AUDIT_PANE,
        permission=Permission.AUDIT_READ,
    ),
    C(
        "audit.copy_head",
        AUDIT,
        N_("Commands", "Copy the newest hash"),
        ("Ctrl+Shift+C",),
        Scope.AUDIT_PANE,
        permission=Permission.AUDIT_VERIFY,
    ),
    C(
        "audit.apply",
        AUDIT,
        N_("Commands", "Apply the filter (in a filter field)"),
        ("Return",),
        Scope.AUDIT_PANE,
        keys_label=N_("Commands", "Enter"),
        permission=Permission.AUDIT_READ,
    ),
    C(
        "audit.clear",
        AUDIT,
        N_("Commands", "Clear the filter"),
        ("Escape",),
        Scope.AUDIT_PANE,
        keys_label=N_("Commands", "Esc"),
        permission=Permission.AUDIT_READ,
    ),
    C(
        "audit.filter",
        AUDIT,
        N_("Commands", "Go to the filter (in the audit log)"),
        ("Ctrl+F",),
        Scope.AUDIT_PANE,
        permission=Permission.AUDIT_READ,
    ),
    C(
        "audit.reload",
        AUDIT,
        N_("Commands", "Read the audit log again (in the audit log)"),
        ("F5",),
        Scope.AUDIT_PANE,
    ),
    # -- unit management (shift lead, administration) --------------------------------------------
    C(
        "go.unit_admin",
        UNIT_ADMIN,
        N_("Commands", "Go to the unit management"),
        ("Ctrl+7",),
        Scope.GLOBAL,
        permission=Permission.UNIT_MANAGE,
    ),
    C(
        "unit_admin.new",
        UNIT_ADMIN,
        N_("Commands", "New unit (in the unit management)"),
        ("Ctrl+Shift+U",),
        Scope.UNIT_ADMIN,
        permission=Permission.UNIT_MANAGE,
    ),
    C(
        "unit_admin.save",
        UNIT_ADMIN,
        N_("Commands", "Save the unit: call sign, kind and crew (in the unit management)"),
        ("Ctrl+Return", "Ctrl+Enter"),
        Scope.UNIT_ADMIN,
        permission=Permission.UNIT_MANAGE,
    ),
    C(
        "unit_admin.service",
        UNIT_ADMIN,
        N_("Commands", "Take the unit out of service or put it back (in the unit management)"),
        ("Ctrl+Shift+D",),
        Scope.UNIT_ADMIN,
        permission=Permission.UNIT_MANAGE,
    ),
    # -- offence cases (Sachbearbeitung, shift lead) ----------------------------------------------
    C(
        "go.offences",
        OFFENCES,
        N_("Commands", "Go to the offence cases"),
        ("Ctrl+9",),
        Scope.GLOBAL,
    ),
    C(
        "offences.new",
        OFFENCES,
        N_("Commands", "New offence case … (for the incident shown, if any)"),
        ("Ctrl+Shift+O",),
        Scope.WINDOW,
        "incident",
        permission=Permission.OFFENCE_WRITE,
    ),
    C(
        "offences.step",
        OFFENCES,
        N_("Commands", "Next step for the selected case … (in the offence cases)"),
        ("Alt+Return", "Alt+Enter"),
        Scope.OFFENCES,
        permission=Permission.OFFENCE_WRITE,
    ),
    C(
        "offences.show_on_map",
        OFFENCES,
        N_("Commands", "Show the place of the selected case on the map (in the offence cases)"),
        ("Ctrl+Shift+K",),
        Scope.OFFENCES,
    ),
    C(
        "offences.print",
        OFFENCES,
        N_("Commands", "Print a document of the selected case … (in the offence cases)"),
        ("Ctrl+P",),
        Scope.OFFENCES,
    ),
    C(
        "offences.link_recording",
        OFFENCES,
        N_("Commands", "Take a bodycam recording as evidence of the selected case …"),
        ("Alt+B",),
        Scope.OFFENCES,
        permission=Permission.RECORDING_HOLD,
    ),
    # -- bodycam recordings: deletion periods, holds, export, clip-access report -----------------
    C(
        "go.recording_holds",
        RECORDINGS,
        N_("Commands", "Go to the recordings' deletion periods and holds"),
        ("Ctrl+Shift+L",),
        Scope.GLOBAL,
        permission=Permission.RECORDING_VIEW,
    ),
    # -- bodycam recordings: list and clip viewer -------------------------------------------------
    C(
        "go.recordings",
        RECORDINGS,
        N_("Commands", "Go to the bodycam recordings"),
        ("Ctrl+Shift+B",),
        Scope.GLOBAL,
        permission=Permission.RECORDING_VIEW,
    ),
    C(
        "recordings.propose_hold",
        RECORDINGS,
        N_("Commands", "Propose a hold on the selected recording … (in the deletion periods)"),
        ("Ctrl+Shift+H",),
        Scope.RECORDING_HOLDS,
        permission=Permission.RECORDING_HOLD,
    ),
    C(
        "recordings.confirm",
        RECORDINGS,
        N_("Commands", "Confirm the selected proposal as the second person (in the holds)"),
        ("Ctrl+Shift+J",),
        Scope.RECORDING_HOLDS,
        permission=Permission.RECORDING_HOLD_CONFIRM,
    ),
    C(
        "recordings.propose_release",
        RECORDINGS,
        N_("Commands", "Propose lifting (or refusing) the selected hold … (in the holds)"),
        ("Ctrl+Shift+F",),
        Scope.RECORDING_HOLDS,
        permission=Permission.RECORDING_HOLD,
    ),
    C(
        "recordings.export",
        RECORDINGS,
        N_("Commands", "Export the selected recordings as evidence … (in the deletion periods)"),
        ("Ctrl+Shift+X",),
        Scope.RECORDING_HOLDS,
        permission=Permission.RECORDING_EXPORT,
    ),
    C(
        "go.clip_report",
        RECORDINGS,
        N_("Commands", "Go to the clip-access report"),
        ("Ctrl+Shift+Z",),
        Scope.GLOBAL,
        permission=Permission.AUDIT_READ,
    ),
    C(
        "clip_report.export",
        RECORDINGS,
        N_("Commands", "Export the clip-access report shown (CSV)"),
        ("Ctrl+Shift+G",),
        Scope.CLIP_REPORT,
        permission=Permission.AUDIT_READ,
    ),
    C(
        "go.clip_viewer",
        RECORDINGS,
        N_("Commands", "Go to the clip viewer"),
        ("Ctrl+0",),
        Scope.GLOBAL,
        permission=Permission.RECORDING_VIEW,
    ),
    C(
        "recording.open",
        RECORDINGS,
        N_("Commands", "Open the selected recording … (in the list of recordings)"),
        ("Return",),
        Scope.RECORDING_LIST,
        keys_label=N_("Commands", "Enter"),
        permission=Permission.RECORDING_VIEW,
    ),
    C("clip.play", RECORDINGS, N_("Commands", "Play or pause"), ("Space",), Scope.CLIP_VIEWER),
    C("clip.step", RECORDINGS, N_("Commands", "Next frame"), ("E", "."), Scope.CLIP_VIEWER),
    C("clip.back", RECORDINGS, N_("Commands", "Back 5 seconds"), ("Left",), Scope.CLIP_VIEWER),
    C(
        "clip.forward",
        RECORDINGS,
        N_("Commands", "Forward 5 seconds"),
        ("Right",),
        Scope.CLIP_VIEWER,
    ),
    C("clip.slower", RECORDINGS, N_("Commands", "Slower"), ("-",), Scope.CLIP_VIEWER),
    C("clip.faster", RECORDINGS, N_("Commands", "Faster"), ("+",), Scope.CLIP_VIEWER),
    C("clip.normal_speed", RECORDINGS, N_("Commands", "Normal speed"), ("=",), Scope.CLIP_VIEWER),
    C("clip.mute", RECORDINGS, N_("Commands", "Sound off or on"), ("M",), Scope.CLIP_VIEWER),
    C("clip.louder", RECORDINGS, N_("Commands", "Louder"), ("Up",), Scope.CLIP_VIEWER),
    C("clip.quieter", RECORDINGS, N_("Commands", "Quieter"), ("Down",), Scope.CLIP_VIEWER),
    C(
        "clip.fullscreen",
        RECORDINGS,
        N_("Commands", "Full screen on or off (Esc leaves it)"),
        ("F", "F11"),
        Scope.CLIP_VIEWER,
    ),
    C(
        "clip.bookmark",
        RECORDINGS,
        N_("Commands", "Bookmark the current position with a note …"),
        ("B",),
        Scope.CLIP_VIEWER,
    ),
    C(
        "clip.snapshot",
        RECORDINGS,
        N_("Commands", "Keep the current picture as evidence (snapshot)"),
        ("S",),
        Scope.CLIP_VIEWER,
    ),
)
del C

_BY_ID = {c.id: c for c in COMMANDS}


def command(command_id: str) -> Command:
    """The declaration of ``command_id`` (KeyError for an unknown id)."""
    return _BY_ID[command_id]


def command_keys(command_id: str) -> tuple[str, ...]:
    """The keys of ``command_id`` (for dialogs that handle them themselves)."""
    return _BY_ID[command_id].keys
