"""Taking a call by clicking on the map, in the workstation window: the click sets the call's
location (nearest address proposed, Stadtteil from the outlines, coordinates) and the
dispatcher typing in the form loses no key press."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.codes import category_label
from app.domain.geo import haversine_m, stadtteil_for
from tests.conftest import ADMIN
from tests.ui.flows import KeyPad, build_window
from tests.ui.test_map import js, wait_for_page
from tests.ui.waiting import wait_until
from ui.context import UiContext
from ui.views.map import MapPane
from ui.views.map.pick import MapPick

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]

#: Ahornweg 1–12 run north from here (Wiesdorf).
AHORNWEG = (51.0325, 6.9870)
#: The spot the dispatcher clicks (nearest address: Ahornweg 5).
SPOT = (AHORNWEG[0] + 0.00052, AHORNWEG[1] + 0.0001)
#: A unit about 130 m north-east of the spot (its popup opens away from the spot).
UNIT_AT = (SPOT[0] + 0.0012, SPOT[1] + 0.0015)


async def _steady_point(pane: MapPane, at: tuple[float, float]) -> tuple[float, float]:
    """Where ``at`` is in the map once the map has stopped moving (a zoom animates)."""
    previous = None
    while True:
        x, y = await js(pane, f"kodLayers.point({at[0]}, {at[1]})")
        if previous == (x, y):
            return x, y
        previous = (x, y)
        await asyncio.sleep(0.3)


async def _gazetteer(ctx: UiContext, tmp_path: Path) -> None:
    lines = ["street,house_number,postcode,lat,lon"]
    for n in range(1, 13):
        lines.append(f"Ahornweg,{n},51373,{AHORNWEG[0] + n * 0.0001},{AHORNWEG[1]}")
    path = tmp_path / "gaz.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (await ctx.services.gazetteer.import_csv(ADMIN, path)).inserted == 12


async def test_a_click_on_the_map_sets_the_calls_place_without_taking_the_keyboard(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, tmp_path: Path
) -> None:
    await _gazetteer(ui_ctx, tmp_path)
    unit = await ui_ctx.services.units.create(ADMIN, "KOD 81", home=UNIT_AT)
    window, actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    pane = window.docks["map"].widget()
    assert isinstance(pane, MapPane)
    pad = KeyPad()
    try:
        await wait_until(lambda: QApplication.activeWindow() is window and window.layout_ready)
        pad.key(Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier, name="Ctrl+8")
        await wait_until(lambda: pane.view is not None and pane.isVisible())
        await wait_for_page(pane, lambda s: s["ready"] and s["units"] == 1)

        # A new call; the dispatcher is typing the description.
        window.activateWindow()
        window.queue.focus_table()
        await wait_until(lambda: window.queue.table.hasFocus())
        pad.key(Qt.Key.Key_F2, name="F2")
        await wait_until(lambda: actions.dialog is not None and actions.dialog.isActiveWindow())
        dialog = actions.dialog
        assert dialog is not None
        dialog.description.setFocus()
        await wait_until(lambda: dialog.description.hasFocus())
        await wait_until(lambda: pane.page_ready)
        state = await js(pane, "kodLayers.state()")
        for _ in range(100):
            if state["picking"]:
                break
            await wait_until(lambda: True)
            state = await js(pane, "kodLayers.state()")
        assert state["picking"], "the map does not offer picking while the form is open"
        hint = await js(pane, "document.querySelector('.kod-pick-hint').textContent")
        assert "Klick in die Karte" in hint
        first, rest = "Zwei Personen streiten ", "vor dem Haus."
        pad.type(first)

        assert pane.view is not None
        target = pane.view.focusProxy()
        assert target is not None
        placed: list[tuple[float, float]] = []
        selected: list[tuple[str, int]] = []
        pick = pane.findChild(MapPick, "mapPick")
        assert isinstance(pick, MapPick)
        pick.placed.connect(lambda lat, lon: placed.append((lat, lon)))
        pane.itemSelected.connect(lambda kind, i: selected.append((kind, i)))

        # A click on a unit selects the unit; it does not set the call's place. (The map is
        # centred on the unit first: in the window's default layout the map pane is small.)
        pane.focus_item("unit", unit.id)
        ux, uy = await _steady_point(pane, UNIT_AT)
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(round(ux), round(uy)))
        await wait_until(lambda: ("unit", unit.id) in selected)
        await wait_until(lambda: dialog.isActiveWindow() and dialog.description.hasFocus())

        # The caller says where: the dispatcher clicks on the map, near Ahornweg 5.
        spot = SPOT
        x, y = await _steady_point(pane, spot)
        # The window manager makes the clicked main window the active one.
        window.activateWindow()
        await wait_until(lambda: QApplication.activeWindow() is window)
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))

        # The keyboard is back in the form at once, in the field it was in ...
        await wait_until(lambda: dialog.isActiveWindow() and dialog.description.hasFocus())
        pad.type(rest)
        # ... and the place arrives from the map.
        await wait_until(lambda: dialog.address.text().startswith("Ahornweg 5,"), timeout=10)
        assert dialog.description.toPlainText() == first + rest
        assert len(placed) == 1, "the click on the unit set a place too"
        coords = dialog.address.coordinates
        assert coords is not None and haversine_m(*coords, *spot) < 15  # a pixel or two
        expected = stadtteil_for(*coords)
        assert expected == "Wiesdorf" and dialog.stadtteil.text() == expected
        assert dialog.coordinates.text().endswith("° O")

        # The dispatcher can still type: the address is a proposal, not a lock.
        dialog.caller_name.setFocus()
        await wait_until(lambda: dialog.caller_name.hasFocus())
        pad.type("Frau Meier")
        assert dialog.caller_name.text() == "Frau Meier"

        # Saved, the incident has the clicked place and its Stadtteil.
        dialog.category.setEditText(category_label("noise"))
        created: list[int] = []
        dialog.incidentCreated.connect(created.append)
        pad.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier, name="Ctrl+Enter")
        await wait_until(lambda: bool(created), timeout=10)
        incident = await ui_ctx.services.incidents.get(ui_ctx.actor, created[0])
        assert incident.address.startswith("Ahornweg 5,")
        assert incident.lat is not None and incident.lon is not None
        assert haversine_m(incident.lat, incident.lon, *spot) < 15
        assert incident.stadtteil == "Wiesdorf"
        assert pane.interceptor.blocked == []
    finally:
        pane.stop()
        window.close()
