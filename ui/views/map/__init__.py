"""The situation map: an offline Leaflet map of units and open incidents, live at 1 Hz."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt

from app.platform.permissions import Permission
from ui.views.map.pane import MapPane

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
    units = window.docks.get("units")
    if units is not None:
        window.tabifyDockWidget(units, dock)
        units.raise_()
    navigator = window.navigator
    navigator.add_pane("map", pane.setFocus)
    window.commands.bind("go.map", lambda: navigator.go_to("map"))
    return pane
