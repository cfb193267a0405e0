"""Wires the map's further layers into the main window: trail command, proposals, picking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from ui.dialogs.call_taking import CallTakingActions
from ui.views.map.layers import MapLayers
from ui.views.map.pick import MapPick
from ui.views.unit_board import UnitStatusBoard

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.views.map.pane import MapPane

__all__ = ["install_layers"]


def install_layers(window: MainWindow, pane: MapPane) -> MapLayers:
    """Trails on demand (command ``map.trail``), proposals for the selected incident, and a
    click on the map setting the location of the call being taken."""
    layers = MapLayers(pane)
    commands = window.commands

    def select_unit(unit_id: int) -> None:
        layers.selected_unit = unit_id
        commands.update()

    def toggle_trail() -> None:
        if not layers.toggle_trail():
            window.statusBar().showMessage(
                QCoreApplication.translate(
                    "MapLayers", "Select a unit on the board or the map first."
                ),
                5000,
            )

    units = window.docks.get("units")
    board = units.widget() if units is not None else None
    if isinstance(board, UnitStatusBoard):
        board.unitSelected.connect(select_unit)
    pane.itemSelected.connect(lambda kind, i: select_unit(i) if kind == "unit" else None)
    commands.bind("map.trail", toggle_trail, lambda: layers.selected_unit is not None)
    window.queue.incidentSelected.connect(layers.show_proposals)
    actions = window.findChild(CallTakingActions, "callTakingActions")
    if isinstance(actions, CallTakingActions):
        MapPick(pane, actions)
    return layers
