"""The map in the workstation window: Ctrl+8 shows it, and it follows the queue and the board."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from app.domain.dto import IncidentDraft
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.test_map import OPLADEN, SCHLEBUSCH, WIESDORF, js, wait_for_page
from ui.views.map import MapPane
from ui.workstation_window import start_window

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


def _near(centre: list[float] | None, point: tuple[float, float]) -> bool:
    return (
        centre is not None and abs(centre[0] - point[0]) < 1e-4 and abs(centre[1] - point[1]) < 1e-4
    )


async def test_ctrl_8_shows_the_map_which_follows_the_selection_both_ways(
    services: Services, tmp_path: Path, qtbot: QtBot
) -> None:
    await services.users.add(ADMIN, "dispo", "Dora Dispo", Role.DISPATCHER, "geheim123")
    actor = await services.users.authenticate("dispo", "geheim123")
    unit = await services.units.create(ADMIN, "KOD 31", home=SCHLEBUSCH)
    first = await services.incidents.create(
        actor, IncidentDraft("noise", address="Hauptstraße 1", lat=WIESDORF[0], lon=WIESDORF[1])
    )
    second = await services.incidents.create(
        actor, IncidentDraft("waste", address="Kölner Straße 2", lat=OPLADEN[0], lon=OPLADEN[1])
    )
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    workstation = Services.for_workstation(services.db, tmp_path)
    window, follower = await start_window(workstation, actor, "Test-DB", settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    pane = window.docks["map"].widget()
    assert isinstance(pane, MapPane)
    try:
        # Tabbed behind the unit board: no browser until the map is shown.
        await wait_until(lambda: window.layout_ready and window.docks["units"].isVisible())
        assert pane.view is None
        go_map = [
            action
            for action in window.findChildren(QAction)
            if QKeySequence("Ctrl+8") in action.shortcuts()
        ]
        assert len(go_map) == 1
        go_map[0].trigger()
        await wait_until(lambda: pane.view is not None and pane.isVisible())
        await wait_for_page(pane, lambda s: s["units"] == 1 and s["incidents"] == 2)
        assert await js(pane, "typeof L") == "object"
        # The queue's selection centres the map on the incident.
        await wait_until(lambda: window.queue.select_incident(second.id))
        await wait_for_page(pane, lambda s: _near(s["centre"], OPLADEN))
        # A click on a symbol selects it in the queue and on the board.
        assert await js(pane, f"kodMap.click('incident', {first.id})") is True
        await wait_until(lambda: window.queue.selected_id() == first.id)
        assert await js(pane, f"kodMap.click('unit', {unit.id})") is True
        board = window.docks["units"].widget()
        await wait_until(lambda: board.selected_unit() is not None)
        assert board.selected_unit().id == unit.id
        assert pane.interceptor.blocked == []
    finally:
        pane.stop()
        await follower.stop()
        window.close()
