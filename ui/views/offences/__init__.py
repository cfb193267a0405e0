"""The offence-case pane: installed for roles that may read offence cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer

from app.platform.permissions import Permission
from ui.views.offences.pane import OffenceCasePane

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def install(window: MainWindow) -> OffenceCasePane | None:
    """Add the offence cases: in front of the clerk's desk, a tab for the shift lead."""
    ctx = window.ctx
    if not ctx.can(Permission.OFFENCE_READ):
        return None
    pane = OffenceCasePane(ctx, window)
    title = QCoreApplication.translate("OffenceCasePane", "Offence cases")
    dock = window.add_pane("offences", title, pane, Qt.DockWidgetArea.LeftDockWidgetArea)
    front = window.docks.get("tasks") or window.docks.get("reports")
    queue = window.docks.get("queue")
    if window.docks.get("units") is None and front is not None:
        # Clerk: the cases are the main work, in front of Aufträge and Meldungen.
        window.tabifyDockWidget(front, dock)
        dock.raise_()
    elif queue is not None:
        window.tabifyDockWidget(queue, dock)
        queue.raise_()
    window.navigator.add_pane("offences", pane.focus_main, pane.select_case, pane.model)
    window.commands.bind("go.offences", lambda: window.navigator.go_to("offences"))
    if ctx.can(Permission.OFFENCE_WRITE):
        window.commands.bind("offences.new", lambda: _new_case(window, pane))
    window.commands.list_keys("offences.step")
    QTimer.singleShot(0, pane.start)
    return pane


def _new_case(window: MainWindow, pane: OffenceCasePane) -> None:
    window.navigator.go_to("offences")
    pane.new_case()
