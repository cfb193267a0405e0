"""The map's further layers in the workstation window: the queue's selection shows the proposed
units with distances, and Ctrl+Shift+S shows the trail of the unit selected on the board."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from app.domain.dto import IncidentDraft
from tests.conftest import ADMIN
from tests.ui.flows import build_window
from tests.ui.test_map import OPLADEN, WIESDORF, wait_for_page
from tests.ui.test_map_layers import wait_for_layers
from tests.ui.waiting import wait_until
from ui.context import UiContext
from ui.views.map import MapPane
from ui.views.unit_board import UnitStatusBoard

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


async def test_queue_selection_proposes_units_and_the_trail_command_follows_the_board(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    services, actor = ui_ctx.services, ui_ctx.actor
    near = await services.units.create(ADMIN, "KOD 71", home=(OPLADEN[0] + 0.004, OPLADEN[1]))
    walker = await services.units.create(ADMIN, "KOD 72", home=WIESDORF)
    for k in range(1, 4):
        await services.units.report_position(actor, walker.id, WIESDORF[0] + k * 0.001, WIESDORF[1])
    incident = await services.incidents.create(
        actor, IncidentDraft("noise", address="Kölner Straße 2", lat=OPLADEN[0], lon=OPLADEN[1])
    )
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    pane = window.docks["map"].widget()
    assert isinstance(pane, MapPane)
    board = window.docks["units"].widget()
    assert isinstance(board, UnitStatusBoard)
    try:
        await wait_until(lambda: window.layout_ready)
        assert window.commands.trigger("go.map")
        await wait_until(lambda: pane.view is not None and pane.isVisible())
        await wait_for_page(pane, lambda s: s["units"] == 2 and s["incidents"] == 1)

        # Selecting the incident in the queue shows its proposed units, nearest first.
        await wait_until(lambda: window.queue.select_incident(incident.id))
        state = await wait_for_layers(pane, lambda s: len(s["proposals"]) == 2)
        assert state["proposals"][0].startswith("KOD 71 · ")
        assert state["proposals"][0].endswith(" m")  # about 450 m
        assert state["proposals"][1].startswith("KOD 72 · ")
        assert state["proposals"][1].endswith(" km")

        # The trail command is declared with its keys and needs a selected unit.
        trail = window.commands.action("map.trail")
        assert isinstance(trail, QAction)
        assert trail.shortcuts() == [QKeySequence("Ctrl+Shift+S")]
        assert not trail.isEnabled()
        await wait_until(lambda: board.select_unit(walker.id))
        await wait_until(lambda: trail.isEnabled())
        assert window.commands.trigger("map.trail")
        state = await wait_for_layers(pane, lambda s: s["trail"]["unit_id"] == walker.id)
        assert state["trail"]["points"] >= 3
        assert state["trail"]["label"].startswith("KOD 72 · Spur seit")
        # Again: hidden.
        assert window.commands.trigger("map.trail")
        await wait_for_layers(pane, lambda s: s["trail"]["unit_id"] is None)
        assert near.id != walker.id
    finally:
        pane.stop()
        window.close()
