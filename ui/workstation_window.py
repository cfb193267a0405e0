"""The main window of a logged-in person: every pane, action and alarm installed, laid out.

:func:`build_window` composes the window from the panes' ``install`` functions and gives it the
default arrangement for the person's role (:func:`arrange_default_layout`);
:func:`start_window` builds it for an actor and starts following the change feed. The life of
the program around it (login, log-out, quit) is :mod:`ui.session_loop`.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from app.platform.changefeed import ChangeFollower, LinkState, last_change_id
from app.platform.permissions import Permission
from app.platform.uow import Actor
from app.services import Services
from ui import preload
from ui.asyncutil import spawn
from ui.context import ChangeBridge, UiContext
from ui.main_window import MainWindow


def arrange_default_layout(window: MainWindow) -> None:
    """Queue top left with the incident detail under it; units right, Aufträge/Meldungen under."""
    docks = window.docks
    queue, detail, units = docks["queue"], docks.get("detail"), docks.get("units")
    tasks, reports = docks.get("tasks"), docks.get("reports")
    for dock in docks.values():
        window.removeDockWidget(dock)
    if units is None and (tasks or reports) is not None:
        arrange_desk_layout(window)
        return
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, queue)
    queue.show()
    if units is not None:
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, units)
        units.show()
    if detail is not None:
        window.splitDockWidget(queue, detail, Qt.Orientation.Vertical)
        detail.show()
    lower_right = tasks or reports
    if lower_right is not None and units is not None:
        window.splitDockWidget(units, lower_right, Qt.Orientation.Vertical)
        lower_right.show()
    if tasks is not None and reports is not None:
        window.tabifyDockWidget(tasks, reports)
        reports.show()
        tasks.raise_()

    def sizes() -> None:
        # Applied once the window has its real size (resizeDocks needs a laid-out window).
        if units is not None:
            window.resizeDocks([queue, units], [68, 32], Qt.Orientation.Horizontal)
        if detail is not None:
            window.resizeDocks([queue, detail], [58, 42], Qt.Orientation.Vertical)
        if lower_right is not None and units is not None:
            window.resizeDocks([units, lower_right], [45, 55], Qt.Orientation.Vertical)

    window.apply_default_sizes = sizes


def arrange_desk_layout(window: MainWindow) -> None:
    """Roles without units (clerks): Aufträge/Meldungen in front over the full width, the
    incident queue under them with the incident detail as a tab behind it (shown when an
    incident is opened), so no empty incident area fills the screen."""
    docks = window.docks
    queue, detail = docks["queue"], docks.get("detail")
    tasks, reports = docks.get("tasks"), docks.get("reports")
    front = tasks or reports
    assert front is not None
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, front)
    front.show()
    window.splitDockWidget(front, queue, Qt.Orientation.Vertical)
    queue.show()
    if tasks is not None and reports is not None:
        window.tabifyDockWidget(tasks, reports)
        reports.show()
    if detail is not None:
        window.tabifyDockWidget(queue, detail)
        detail.show()
    queue.raise_()
    front.raise_()

    def sizes() -> None:
        # In pixels: Qt ignores small proportions when both sides are tab groups.
        height = window.height()
        window.resizeDocks(
            [front, queue], [height * 11 // 20, height * 9 // 20], Qt.Orientation.Vertical
        )

    window.apply_default_sizes = sizes


def build_window(
    ctx: UiContext, database_label: str, settings: QSettings | None = None
) -> MainWindow:
    """The main window with every pane, action and alarm installed, layout restored.

    The panes' modules are imported here (ahead of time by :mod:`ui.preload`, same list).
    """
    from ui import outbox_ui
    from ui.dialogs import call_taking, shortcut_help, statistics
    from ui.printing import incident_report, shift_report
    from ui.views import (
        audit_log,
        dashboard,
        emergency,
        incident_detail,
        offences,
        recordings,
        recordings_admin,
        reports,
        tasks,
        unit_admin,
        unit_board,
    )
    from ui.views import map as situation_map

    window = MainWindow(ctx, database_label, settings)
    # The queue's first page first: the other panes' first reads wait for it.
    window.hold_starts()
    window.outbox = outbox_ui.install(window)
    call_taking.install(window)
    unit_board.install(window)
    detail = incident_detail.install(window)
    tasks.install(window)
    reports.install(window)
    emergency.install(window)
    shortcut_help.install(window)
    arrange_default_layout(window)
    situation_map.install(window)  # after the arrangement: tabbed behind the unit board
    audit_log.install(window)  # after the arrangement: its own dock, the incident panes put away
    unit_admin.install(window)  # behind the unit board, else (administration) on the left
    offences.install(window)  # in front for clerks, behind the queue for the shift lead
    recordings_admin.install(window)  # behind the offence cases or the queue; beside the audit
    recordings.install(window)  # list behind the detail, clip viewer behind the unit board
    if window.ctx.can(Permission.SHIFT_REPORT):
        shift_report.install(window)
        incident_report.install(window, detail)
    statistics.install(window)
    dashboard.install(window)
    window.commands.fill_menus()
    window.finish_layout()
    return window


async def start_window(
    services: Services,
    actor: Actor,
    database_label: str,
    settings: QSettings | None = None,
) -> tuple[MainWindow, ChangeFollower]:
    """Build the main window for ``actor`` and start following the change feed."""
    await preload.wait()
    follower = ChangeFollower(services.db, after_id=await last_change_id(services.db))
    services.link.follow(lambda: follower.state == LinkState.ONLINE)
    # Outline imports on other workstations reach this one's writes through the feed.
    services.map_data.follow_changes(follower)
    bridge = ChangeBridge(follower)
    ctx = UiContext(services=services, actor=actor, bridge=bridge)
    window = build_window(ctx, database_label, settings)
    follower.start()
    window.queue.model.reload()
    # Official Stadtteil outlines, if imported, for what panes show before anything is written.
    spawn(services.map_data.load_stadtteile())
    return window, follower
