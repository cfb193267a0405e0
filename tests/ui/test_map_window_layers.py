"""The map's further layers in the workstation window: the queue's selection shows the proposed
units with distances, and Ctrl+Shift+S shows the trail of the unit selected on the board."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
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


async def test_the_place_of_an_offence_case_is_shown_on_the_map_by_keyboard(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    from datetime import timedelta

    from app.domain.offences.cases import CaseDraft, PersonDraft
    from app.domain.offences.limitation import Culpability
    from app.platform.timeutil import utcnow
    from resources.paths import resource_path
    from ui.views.offences.pane import OffenceCasePane

    services, actor = ui_ctx.services, ui_ctx.actor
    seed = resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    await services.catalogue.import_csv(ADMIN, seed)
    entry = (await services.catalogue.search(ADMIN, "141312"))[0].id
    person = PersonDraft("Muster", "Max", None, "Wiesdorfer Platz 1, 51373 Leverkusen")

    def case(place: str, at: tuple[float, float] | None) -> CaseDraft:
        return CaseDraft(
            catalogue_entry_id=entry,
            act_description="Fahrzeug im absoluten Haltverbot",
            committed_at=utcnow() - timedelta(hours=2),
            place=place,
            lat=at[0] if at else None,
            lon=at[1] if at else None,
            culpability=Culpability.NEGLIGENCE,
            concerned=person,
        )

    placed = await services.offences.capture(actor, case("Kölner Straße 2", OPLADEN))
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    pane = window.docks["map"].widget()
    assert isinstance(pane, MapPane)
    cases = window.findChild(OffenceCasePane)
    assert cases is not None
    try:
        await wait_until(lambda: window.layout_ready)
        assert window.commands.trigger("go.offences")
        await wait_until(lambda: cases.select_case(placed.id))
        await wait_until(cases.table.hasFocus)
        qtbot.keyClick(
            cases.table,
            "K",
            QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
        )
        # The map comes to the front and starts its page; the place is marked once it is up.
        await wait_until(lambda: pane.view is not None, 20)
        await wait_for_page(pane, lambda s: s["ready"])
        state = await wait_for_layers(pane, lambda s: s["place"] is not None, timeout=30)
        assert state["place"] == f"{placed.number} · Kölner Straße 2"
        centre = (await wait_for_page(pane, lambda s: s["ready"]))["centre"]
        assert centre == pytest.approx(list(OPLADEN), abs=1e-4)
        # The keyboard stays in the cases (the window's focus child; X may hand the
        # activation to the browser's new native window while no window manager runs).
        assert window.focusWidget() is cases.table
        # A case without coordinates says so instead.
        bare = await services.offences.capture(actor, case("irgendwo am Rhein", None))
        await wait_until(lambda: cases.select_case(bare.id))
        window.activateWindow()
        await wait_until(window.isActiveWindow)
        cases.table.setFocus()
        qtbot.keyClick(
            cases.table,
            "K",
            QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
        )
        await wait_until(lambda: "keinen Tatort" in window.statusBar().currentMessage())
    finally:
        pane.stop()
        window.close()
