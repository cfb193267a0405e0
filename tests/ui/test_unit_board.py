"""The unit status board: model (qtmodeltester, colours, live updates) and the pane's keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSettings, Qt
from PySide6.QtGui import QBrush, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.codes import unit_status_display, unit_status_label
from app.domain.dto import IncidentDraft
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.context import UiContext
from ui.models.unit_board import (
    COL_CALL_SIGN,
    COL_INCIDENT,
    COL_MEMBERS,
    COL_POSITION_AGE,
    COL_SINCE,
    COL_STATUS,
    COL_STATUS_TEXT,
    STATUS_STYLES,
    UnitIdRole,
    UnitStatusTableModel,
)
from ui.views.unit_board import UnitStatusBoard, UnitStatusHistoryDialog

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
WIESDORF = (51.0325, 6.9870)


async def make_units(services: Services, *call_signs: str) -> list[int]:
    """Create units through the service (at the Wiesdorf station)."""
    return [(await services.units.create(LEAD, cs, home=WIESDORF)).id for cs in call_signs]


def background(model: UnitStatusTableModel, row: int) -> str:
    brush = model.data(model.index(row, COL_CALL_SIGN), Qt.ItemDataRole.BackgroundRole)
    assert isinstance(brush, QBrush)
    return str(brush.color().name())


def owner(qtbot: QtBot) -> QWidget:
    """A widget to own a model (keep a reference to it in the test): Qt deletes the model with
    its timers in an orderly way at the end (a parentless model collected by Python while its
    timers fire can crash the process)."""
    holder = QWidget()
    qtbot.addWidget(holder)
    return holder


async def finish(ctx: UiContext) -> None:
    """End inside the test: let reads finish and stop following the feed (pytest-qt's teardown
    processes Qt events outside the asyncio loop, where a running follower would fail)."""
    await wait_until(lambda: not pending_tasks())
    if ctx.bridge.follower is not None:
        await ctx.bridge.follower.stop()


@pytest.mark.asyncio
async def test_model_passes_qtmodeltester_and_shows_units_in_natural_order(
    ui_ctx: UiContext, qtmodeltester: ModelTester
) -> None:
    await make_units(ui_ctx.services, "KOD 10", "KOD 2", "KOD 11")
    model = UnitStatusTableModel(ui_ctx)
    await model.wait_loaded()
    qtmodeltester.check(model, force_py=True)
    assert [model.data(model.index(r, COL_CALL_SIGN)) for r in range(3)] == [
        "KOD 2",
        "KOD 10",
        "KOD 11",
    ]
    assert model.data(model.index(0, COL_STATUS)) == "2"
    assert model.data(model.index(0, COL_STATUS_TEXT)) == unit_status_label("2")
    assert model.data(model.index(0, COL_SINCE)).count(":") == 1
    assert model.data(model.index(0, COL_POSITION_AGE)).count(":") == 1
    assert model.data(model.index(0, COL_INCIDENT)) == ""
    assert model.headerData(COL_CALL_SIGN, Qt.Orientation.Horizontal) == "Funkrufname"
    # The running timer follows the clock.
    base = model.now()
    model.now = lambda: base + timedelta(minutes=3, seconds=7)
    assert model.data(model.index(0, COL_SINCE)).startswith("3:0")
    model.stop()
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_colours_per_status_and_flashing_urgent_request(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = await make_units(ui_ctx.services, "KOD 1", "KOD 2", "KOD 3", "KOD 4", "KOD 5")
    for unit_id, status in zip(ids, ("1", "3", "4", "0", "6"), strict=True):
        await ui_ctx.services.units.set_status(ui_ctx.actor, unit_id, status)
    await ui_ctx.services.units.raise_emergency(ui_ctx.actor, ids[4])
    holder = owner(qtbot)
    model = UnitStatusTableModel(ui_ctx, holder)
    await model.wait_loaded()
    assert background(model, 0) == STATUS_STYLES["1"].background.name()
    assert background(model, 1) == STATUS_STYLES["3"].background.name()
    assert background(model, 2) == STATUS_STYLES["4"].background.name()
    assert model.data(model.index(4, COL_STATUS)) == "N"
    assert background(model, 4) == "#d00000"
    font = model.data(model.index(4, COL_MEMBERS), Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    # Status 0 flashes: its background alternates with the flash timer.
    seen = {background(model, 3)}
    await wait_until(lambda: (seen.add(background(model, 3)) or len(seen)) == 2, timeout=3)
    assert seen == {STATUS_STYLES["0"].background.name(), STATUS_STYLES["0"].flash.name()}  # type: ignore[union-attr]
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_live_update_changes_rows_in_place(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ids = await make_units(ui_ctx.services, "KOD 1", "KOD 2", "KOD 3")
    holder = owner(qtbot)
    model = UnitStatusTableModel(ui_ctx, holder)
    await model.wait_loaded()
    resets: list[int] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(
        lambda tl, br, roles: changed.append(tl.row()) if tl.column() == 0 else None
    )
    inc = await ui_ctx.services.incidents.create(
        ui_ctx.actor, IncidentDraft("noise", address="Hauptstraße 1")
    )
    await ui_ctx.services.incidents.assign_unit(ui_ctx.actor, inc.id, ids[1])
    await wait_until(lambda: model.data(model.index(1, COL_INCIDENT)) == inc.number)
    await ui_ctx.services.units.set_status(ui_ctx.actor, ids[1], "3")  # confirmed by radio
    await wait_until(lambda: model.data(model.index(1, COL_STATUS)) == "3")
    assert resets == [] and 1 in changed
    # Closing the incident frees the unit: the board follows.
    detail = await ui_ctx.services.incidents.get(ui_ctx.actor, inc.id)
    await ui_ctx.services.incidents.close(ui_ctx.actor, inc.id, detail.version, "resolved")
    await wait_until(lambda: model.data(model.index(1, COL_INCIDENT)) == "")
    # A new unit appears without a reset, in call-sign order.
    await make_units(ui_ctx.services, "KOD 1a")
    await wait_until(lambda: model.rowCount() == 4)
    assert model.data(model.index(1, COL_CALL_SIGN)) == "KOD 1a"
    assert resets == []
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_sorted_by_status_a_change_moves_the_row_and_keeps_the_selection(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = await make_units(ui_ctx.services, "KOD 1", "KOD 2", "KOD 3")
    holder = owner(qtbot)
    model = UnitStatusTableModel(ui_ctx, holder)
    await model.wait_loaded()
    model.sort(COL_STATUS)
    held = QPersistentModelIndex(model.index(2, COL_CALL_SIGN))
    assert model.data(held, UnitIdRole) == ids[2]
    await ui_ctx.services.units.set_status(ui_ctx.actor, ids[2], "5")
    # Requests to talk come first when sorted by status.
    await wait_until(lambda: model.data(model.index(0, COL_STATUS)) == "5")
    assert held.row() == 0 and model.data(held, UnitIdRole) == ids[2]
    model.sort(COL_CALL_SIGN, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, COL_CALL_SIGN)) == "KOD 3"
    assert held.row() == 0
    model.sort(COL_CALL_SIGN)
    assert held.row() == 2 and model.rowCount(QModelIndex()) == 3
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_digit_keys_set_the_status_of_the_selected_unit(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = await make_units(ui_ctx.services, "KOD 1", "KOD 2")
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.resize(700, 300)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 2)
    board.focus_table()
    assert board.selected_unit() is not None and board.selected_unit().id == ids[0]  # type: ignore[union-attr]
    qtbot.keyClick(board.table, Qt.Key.Key_Down)
    assert board.selected_unit().id == ids[1]  # type: ignore[union-attr]
    qtbot.keyClick(board.table, Qt.Key.Key_6)
    await wait_until(lambda: board.model.data(board.model.index(1, COL_STATUS)) == "6")
    # The number pad works too; every change is in the history with a timestamp.
    qtbot.keyClick(board.table, Qt.Key.Key_1, Qt.KeyboardModifier.KeypadModifier)
    await wait_until(lambda: board.model.data(board.model.index(1, COL_STATUS)) == "1")
    history = await ui_ctx.services.units.history(ui_ctx.actor, ids[1])
    assert [h.status for h in history] == ["1", "6"]
    assert all(h.username == "dispo" and h.changed_at is not None for h in history)
    # The selection stays on the unit.
    assert board.selected_unit().id == ids[1]  # type: ignore[union-attr]
    # A request to talk is announced above the table.
    qtbot.keyClick(board.table, Qt.Key.Key_0)
    await wait_until(lambda: board.talk_banner.isVisible())
    assert "KOD 2" in board.talk_banner.text()
    qtbot.keyClick(board.table, Qt.Key.Key_2)
    await wait_until(lambda: not board.talk_banner.isVisible())
    assert board.count_label.text() != ""
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_typing_a_call_sign_selects_the_unit_without_setting_a_status(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = await make_units(ui_ctx.services, "KOD 11", "KOD 31", "KOD 33")
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 3)
    board.focus_table()
    qtbot.keyClicks(board.table, "KOD 33")
    assert board.selected_unit().id == ids[2]  # type: ignore[union-attr]
    # After the typing pause (the board's rule) a digit sets the status of the unit found;
    # the typed call sign itself set nothing.
    await asyncio.sleep(QApplication.keyboardInputInterval() / 1000 + 0.1)
    assert [await ui_ctx.services.units.history(ui_ctx.actor, i) for i in ids] == [[], [], []]
    qtbot.keyClick(board.table, Qt.Key.Key_4)
    await wait_until(lambda: board.model.data(board.model.index(2, COL_STATUS)) == "4")
    assert [h.status for h in await ui_ctx.services.units.history(ui_ctx.actor, ids[2])] == ["4"]
    assert await ui_ctx.services.units.history(ui_ctx.actor, ids[0]) == []
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_n_asks_before_raising_a_notruf(ui_ctx: UiContext, qtbot: QtBot) -> None:
    (unit_id,) = await make_units(ui_ctx.services, "KOD 7")
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 1)
    board.focus_table()
    qtbot.keyClick(board.table, Qt.Key.Key_N)
    box = board.emergency_confirmation
    assert isinstance(box, QMessageBox) and "KOD 7" in box.text()
    # Escape cancels: nothing is raised.
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    await wait_until(lambda: board.emergency_confirmation is None)
    assert await ui_ctx.services.units.open_emergencies(ui_ctx.actor) == []
    # Enter confirms (the trigger button is the default).
    qtbot.keyClick(board.table, Qt.Key.Key_N)
    box = board.emergency_confirmation
    assert box is not None
    qtbot.keyClick(box, Qt.Key.Key_Return)
    await wait_until(lambda: board.model.data(board.model.index(0, COL_STATUS)) == "N")
    (open_one,) = await ui_ctx.services.units.open_emergencies(ui_ctx.actor)
    assert open_one.unit_id == unit_id
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_context_menu_history_and_go_to_incident(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ids = await make_units(ui_ctx.services, "KOD 1", "KOD 2")
    inc = await ui_ctx.services.incidents.create(
        ui_ctx.actor, IncidentDraft("dog", address="Rathenauplatz 1")
    )
    await ui_ctx.services.incidents.assign_unit(ui_ctx.actor, inc.id, ids[0])
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 2)
    board.focus_table()
    qtbot.keyClick(board.table, Qt.Key.Key_Menu)
    menu = board.menu
    assert menu is not None and menu.isVisible()
    texts = [a.text() for a in menu.actions()]
    for code in "0123456":
        assert unit_status_display(code) in texts
    checked = [a.text() for a in menu.actions() if a.isChecked()]
    assert checked == [unit_status_display("2")]  # alarmed, not yet confirmed
    # Choosing a status from the menu sets it.
    action = next(a for a in menu.actions() if a.objectName() == "actionUnitStatus4")
    menu.close()
    action.trigger()
    await wait_until(lambda: board.model.data(board.model.index(0, COL_STATUS)) == "4")
    # "Go to incident" asks for the unit's incident.
    board.show_context_menu()
    assert board.menu is not None
    go = next(a for a in board.menu.actions() if a.objectName() == "actionUnitGoToIncident")
    assert go.isEnabled() and inc.number in go.text()
    with qtbot.waitSignal(board.incidentRequested) as blocker:
        go.trigger()
    assert blocker.args == [inc.id]
    board.menu.close()
    # The second unit has no incident.
    qtbot.keyClick(board.table, Qt.Key.Key_Down)
    board.show_context_menu()
    go = next(a for a in board.menu.actions() if a.objectName() == "actionUnitGoToIncident")
    assert not go.isEnabled()
    board.menu.close()
    # Status history (Enter): time, status, previous, user, incident.
    qtbot.keyClick(board.table, Qt.Key.Key_Up)
    qtbot.keyClick(board.table, Qt.Key.Key_Return)
    dialog = board.findChild(UnitStatusHistoryDialog)
    assert dialog is not None
    await wait_until(lambda: dialog.loaded)
    table = dialog.table
    assert table.rowCount() == 1  # alarming is no status change; 4 is the first
    row = [table.item(0, c).text() for c in range(dialog.COLUMNS)]
    assert row[1] == unit_status_display("4") and row[2] == unit_status_display("2")
    assert row[3] == "dispo" and row[4] == inc.number
    assert row[0].count(":") == 2 and row[0][2] == "."
    dialog.close()
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_install_adds_the_pane_and_its_shortcuts(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    from ui.main_window import MainWindow
    from ui.views import unit_board

    ids = await make_units(ui_ctx.services, "KOD 1")
    inc = await ui_ctx.services.incidents.create(
        ui_ctx.actor, IncidentDraft("noise", address="Markt 3")
    )
    await ui_ctx.services.incidents.assign_unit(ui_ctx.actor, inc.id, ids[0])
    window = MainWindow(ui_ctx, "test", ui_settings)
    qtbot.addWidget(window)
    board = unit_board.install(window)
    assert board is not None
    window.finish_layout()
    window.show()
    window.queue.model.reload()
    assert window.dockWidgetArea(window.docks["units"]) == Qt.DockWidgetArea.RightDockWidgetArea
    await wait_until(lambda: board.model.rowCount() == 1 and window.queue.model.rowCount() == 1)
    items = window.commands.items()
    ctrl2 = QKeySequence("Ctrl+2").toString(QKeySequence.SequenceFormat.NativeText)
    assert ctrl2 in {i.keys for i in items}
    assert {"0 … 6", "N"} <= {i.keys for i in items}
    action = window.commands.action("go.units")
    assert action is not None
    action.trigger()
    assert board.selected_unit() is not None and board.table.hasFocus()
    # "Go to incident" selects it in the queue.
    board.incidentRequested.emit(inc.id)
    assert window.queue.selected_id() == inc.id
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_roles_without_unit_data_get_no_board_and_no_alarm(
    services: Services, ui_settings: QSettings, qtbot: QtBot
) -> None:
    from ui.context import ChangeBridge
    from ui.main_window import MainWindow
    from ui.views import emergency, unit_board

    clerk = Actor(None, "cli:clerk", Role.CLERK)
    window = MainWindow(UiContext(services, clerk, ChangeBridge()), "test", ui_settings)
    qtbot.addWidget(window)
    assert unit_board.install(window) is None and emergency.install(window) is None
    assert "units" not in window.docks
