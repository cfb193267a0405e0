"""The offence-case pane: installed for roles that may read offence cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer

from app.platform.permissions import Permission
from ui.commands import pane_action
from ui.views.incident_detail import IncidentDetailPane
from ui.views.map.layers import MapLayers
from ui.views.offences.pane import OffenceCasePane

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def install(window: MainWindow) -> OffenceCasePane | None:
    """Add the offence cases: in front of the clerk's desk, a tab behind the queue for the
    others (the shift lead reads all cases; dispatchers and field officers the ones they
    recorded)."""
    ctx = window.ctx
    if not (ctx.can(Permission.OFFENCE_READ) or ctx.can(Permission.OFFENCE_WRITE)):
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
    map_layers = window.findChild(MapLayers, "mapLayers")
    if isinstance(map_layers, MapLayers):
        pane_action("offences.show_on_map", pane, lambda: _show_on_map(window, pane, map_layers))
        window.commands.list_keys("offences.show_on_map")
    window.commands.list_keys("offences.step", "offences.print")
    if pane.can_link:
        window.commands.list_keys("offences.link_recording")
    QTimer.singleShot(0, pane.start)
    return pane


def _show_on_map(window: MainWindow, pane: OffenceCasePane, layers: MapLayers) -> None:
    """Mark the selected case's Tatort on the map and bring the map to the front (the
    keyboard stays in the cases)."""
    case = pane.selected()
    if case is None:
        return
    if case.lat is None or case.lon is None:
        window.statusBar().showMessage(
            QCoreApplication.translate(
                "OffenceCasePane", "Case %1 has no place with coordinates."
            ).replace("%1", case.number),
            5000,
        )
        return
    layers.show_place(case.lat, case.lon, f"{case.number} · {case.place}")
    dock = window.docks.get("map")
    if dock is not None:
        dock.show()
        dock.raise_()


def _new_case(window: MainWindow, pane: OffenceCasePane) -> None:
    """A new case; for the incident shown in the incident detail, if there is one."""
    detail_dock = window.docks.get("detail")
    detail = detail_dock.widget() if detail_dock is not None else None
    incident = detail.detail if isinstance(detail, IncidentDetailPane) else None
    if incident is None:
        window.navigator.go_to("offences")
    pane.new_case(incident)
