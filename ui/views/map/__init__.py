"""The situation map: an offline Leaflet map of units and open incidents, live at 1 Hz."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer

from app.platform.permissions import Permission
from ui.views.map.extensions import install_layers
from ui.views.map.pane import MapPane
from ui.views.unit_board import UnitStatusBoard

if TYPE_CHECKING:
    from ui.main_window import MainWindow

__all__ = ["MapPane", "install"]


def install(window: MainWindow) -> MapPane | None:
    """Add the map as a pane, tabbed behind the unit board (its browser starts when shown).

    Roles that may not read incidents and units get nothing.
    """
    ctx = window.ctx
    if not (ctx.can(Permission.INCIDENT_READ) and ctx.can(Permission.UNIT_READ)):
        return None
    pane = MapPane(ctx, window)
    title = QCoreApplication.translate("MapPane", "Map")
    dock = window.add_pane("map", title, pane, Qt.DockWidgetArea.RightDockWidgetArea)
    dock.visibilityChanged.connect(pane.on_dock_visibility)
    units = window.docks.get("units")
    if units is not None:
        window.tabifyDockWidget(units, dock)
        # The board stays the front tab (raised once the window is laid out).
        QTimer.singleShot(0, units.raise_)
    navigator = window.navigator
    navigator.add_pane("map", pane.setFocus)
    window.commands.bind("go.map", lambda: navigator.go_to("map"))
    link_selection(window, pane)
    install_layers(window, pane)
    return pane


def link_selection(window: MainWindow, pane: MapPane) -> None:
    """Selecting an incident or unit elsewhere centres it on the map, and the other way round."""
    navigator = window.navigator
    window.queue.incidentSelected.connect(lambda i: pane.focus_item("incident", i))
    units = window.docks.get("units")
    board = units.widget() if units is not None else None
    if isinstance(board, UnitStatusBoard):
        board.unitSelected.connect(lambda u: pane.focus_item("unit", u))

    def selected_on_map(kind: str, item_id: int) -> None:
        if kind == "incident":
            navigator.show_incident(item_id, focus=False)
        elif navigator.has("units"):
            navigator.show("units", item_id, focus=False)

    pane.itemSelected.connect(selected_on_map)
