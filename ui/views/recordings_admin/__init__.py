"""Bodycam recordings in the workstation's administration: deletion periods and holds (for the
roles that may see recordings' details) and the clip-access report (data protection)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt

from app.platform.permissions import Permission
from ui.views.recordings_admin.pane import RecordingHoldsPane
from ui.views.recordings_admin.report import ClipAccessReportView

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    """Add the panes the role may see: a tab behind the offence cases (clerk) or behind the
    queue (control room); the report beside the data-protection officer's audit log. Both
    join a layout saved before they existed as tabs of those panes."""
    ctx = window.ctx
    commands = window.commands
    if ctx.can(Permission.RECORDING_VIEW):
        pane = RecordingHoldsPane(ctx, window)
        title = QCoreApplication.translate(
            "RecordingHoldsPane", "Recordings: deletion periods and holds"
        )
        dock = window.add_pane("recordings", title, pane, Qt.DockWidgetArea.LeftDockWidgetArea)
        # The clerk's desk is the offence cases; the control room's the queue (kept in front).
        clerk = window.docks.get("units") is None
        beside = window.docks.get("offences" if clerk else "queue") or window.docks.get("queue")
        if beside is not None:
            window.tabifyDockWidget(beside, dock)
            beside.raise_()
        window.navigator.add_pane("recordings", pane.focus_main)
        commands.bind("go.recording_holds", lambda: window.navigator.go_to("recordings"))
        commands.list_keys(
            "recordings.propose_hold",
            "recordings.confirm",
            "recordings.propose_release",
            "recordings.export",
        )
        window.when_started(pane.start)
    if ctx.can(Permission.AUDIT_READ):
        report = ClipAccessReportView(ctx, window)
        title = QCoreApplication.translate("ClipAccessReportView", "Clip-access report")
        dock = window.add_pane("clip_report", title, report, Qt.DockWidgetArea.RightDockWidgetArea)
        audit = window.docks.get("audit")
        if audit is not None:
            window.tabifyDockWidget(audit, dock)
            audit.raise_()
        window.navigator.add_pane("clip_report", report.focus_main)
        commands.bind("go.clip_report", lambda: window.navigator.go_to("clip_report"))
        commands.list_keys("clip_report.export")
        window.when_started(report.start)
