"""One unit status on every pane: board, incident detail and queue agree; only an exact call
sign selects; a change that takes a unit off its incident asks and can be undone; an alarm is
confirmed with 3 and flagged when nobody confirms it in time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.domain.codes import status_label, unit_status_display
from app.domain.dto import IncidentDraft
from app.platform.i18n import tr
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.flows import build_window
from tests.ui.test_unit_board import finish, make_units
from ui.context import UiContext
from ui.main_window import MainWindow
from ui.models.incident_queue import COL_STATUS as QUEUE_COL_STATUS
from ui.models.incident_queue import COL_UNITS, EMERGENCY_COLOUR
from ui.models.unit_board import (
    ALARM_OVERDUE_STYLE,
    COL_CALL_SIGN,
    COL_INCIDENT,
    COL_STATUS,
    COL_STATUS_TEXT,
)
from ui.views.incident_detail import IncidentDetailPane
from ui.views.unit_board import UnitStatusBoard


def panes(window: MainWindow) -> tuple[UnitStatusBoard, IncidentDetailPane]:
    board = window.findChild(UnitStatusBoard)
    detail = window.findChild(IncidentDetailPane)
    assert isinstance(board, UnitStatusBoard) and isinstance(detail, IncidentDetailPane)
    return board, detail


def state_label(detail: IncidentDetailPane, unit_id: int) -> QLabel | None:
    return detail.findChild(QLabel, f"unitState_{unit_id}")


def state_is(detail: IncidentDetailPane, unit_id: int, test: Callable[[str], bool]) -> bool:
    label = state_label(detail, unit_id)
    return label is not None and test(label.text())


def board_cell(board: UnitStatusBoard, unit_id: int, col: int) -> str:
    return str(board.model.data(board.model.index(board.model.row_of(unit_id), col)))


def queue_cell(window: MainWindow, incident_id: int, col: int, role: int = 0) -> object:
    model = window.queue.model
    return model.data(model.index(model.row_of(incident_id), col), role)


async def open_window(
    ctx: UiContext, settings: QSettings, qtbot: QtBot, incident_id: int
) -> tuple[MainWindow, UnitStatusBoard, IncidentDetailPane]:
    window, _actions = build_window(ctx, settings)
    qtbot.addWidget(window)
    board, detail = panes(window)
    await wait_until(lambda: board.model.rowCount() > 0 and window.queue.model.rowCount() > 0)
    detail.show_incident(incident_id)
    await wait_until(detail.is_shown)
    return window, board, detail


async def ask_and_answer(board: UnitStatusBoard, qtbot: QtBot, key: Qt.Key, yes: bool) -> None:
    qtbot.keyClick(board.table, key)
    await wait_until(lambda: board.release_question is not None)
    box = board.release_question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert board.selected_unit() is not None
    assert board.selected_unit().call_sign in box.text()  # type: ignore[union-attr]
    button = box.findChild(QPushButton, "confirmYes" if yes else "confirmNo")
    assert isinstance(button, QPushButton)
    board.release_question = None
    button.click()


@pytest.mark.asyncio
async def test_the_board_the_incident_and_the_queue_show_one_status(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    services, me = ui_ctx.services, ui_ctx.actor
    (unit,) = await make_units(services, "KOD 21")
    inc = await services.incidents.create(me, IncidentDraft("noise", address="Markt 1"))
    await services.incidents.assign_unit(me, inc.id, unit)
    window, board, detail = await open_window(ui_ctx, ui_settings, qtbot, inc.id)
    # Alarmed: both panes say so in the same words.
    await wait_until(lambda: board_cell(board, unit, COL_INCIDENT) == inc.number)
    label = state_label(detail, unit)
    assert label is not None and label.property("alarm") == "open"
    assert board_cell(board, unit, COL_STATUS_TEXT) == label.text()

    # 4 on the board: on scene in the incident (no "en route", no "On scene (4)" offered).
    board.select_unit(unit)
    board.table.setFocus()
    qtbot.keyClick(board.table, Qt.Key.Key_4)
    await wait_until(
        lambda: state_is(detail, unit, lambda t: t.startswith(unit_status_display("4")))
    )
    assert not detail.unit_buttons[f"unitArrive_{unit}"].isEnabled()
    assert not detail.unit_buttons[f"unitConfirm_{unit}"].isVisible()
    assert detail.header.status_label.text() == status_label("on_scene")
    await wait_until(
        lambda: queue_cell(window, inc.id, QUEUE_COL_STATUS) == status_label("on_scene")
    )

    # 2 takes it off the incident: asked first; "Cancel" changes nothing.
    await ask_and_answer(board, qtbot, Qt.Key.Key_2, yes=False)
    assert (await services.units.get(me, unit)).status == "4"
    await ask_and_answer(board, qtbot, Qt.Key.Key_2, yes=True)
    await wait_until(lambda: detail.findChild(QLabel, f"unitReleased_{unit}") is not None)
    await wait_until(lambda: board_cell(board, unit, COL_STATUS) == "2")
    assert board_cell(board, unit, COL_INCIDENT) == ""
    assert state_label(detail, unit) is None

    # Ctrl+Z undoes it: back on the incident, on scene, journaled.
    qtbot.keyClick(board.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await wait_until(
        lambda: state_is(detail, unit, lambda t: t.startswith(unit_status_display("4")))
    )
    assert board_cell(board, unit, COL_INCIDENT) == inc.number
    assert "KOD 21" in detail.journal_lines()[-1].text

    # A Notruf: in the incident's journal, on the unit in the incident, marked in the queue.
    qtbot.keyClick(board.table, Qt.Key.Key_N)
    await wait_until(lambda: board.emergency_confirmation is not None)
    assert board.emergency_confirmation is not None
    trigger = board.emergency_confirmation.findChild(QPushButton, "confirmEmergencyButton")
    assert isinstance(trigger, QPushButton)
    trigger.click()
    notruf = tr("incidents", "%1: EMERGENCY (Notruf) raised.", "KOD 21")
    await wait_until(lambda: any(line.text == notruf for line in detail.journal_lines()))
    await wait_until(
        lambda: state_is(detail, unit, lambda t: t.startswith(unit_status_display("N")))
    )
    await wait_until(lambda: "KOD 21" in str(queue_cell(window, inc.id, COL_UNITS)))
    await wait_until(
        lambda: str(queue_cell(window, inc.id, COL_UNITS)) != "KOD 21"  # marked in words
    )
    brush = queue_cell(window, inc.id, COL_UNITS, Qt.ItemDataRole.BackgroundRole)
    assert isinstance(brush, QBrush) and brush.color() == EMERGENCY_COLOUR
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_only_an_exact_call_sign_selects_a_unit(ui_ctx: UiContext, qtbot: QtBot) -> None:
    services, me = ui_ctx.services, ui_ctx.actor
    k11, k12 = await make_units(services, "KOD 11", "KOD 12")
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 2)
    board.focus_table()
    board.select_unit(k12)
    # "KOD 1" is no call sign: nothing is selected (not KOD 11, and not KOD 12 any more) …
    qtbot.keyClicks(board.table, "KOD 1")
    assert board.selected_unit() is None
    assert board.typed.isVisible() and "KOD 1" in board.typed.text()
    # … so a digit after the pause changes no unit.
    await wait_until(lambda: not board.typing.typing())
    qtbot.keyClick(board.table, Qt.Key.Key_2)
    qtbot.keyClicks(board.table, "kod  11")  # case and spaces do not matter
    assert board.selected_unit() is not None and board.selected_unit().id == k11  # type: ignore[union-attr]
    await wait_until(lambda: not board.typing.typing())
    qtbot.keyClick(board.table, Qt.Key.Key_6)
    await wait_until(lambda: board_cell(board, k11, COL_STATUS) == "6")
    assert [h.status for h in await services.units.history(me, k11)] == ["6"]
    assert await services.units.history(me, k12) == []
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_an_exact_call_sign_that_begins_another_one_selects_itself(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    k1, k11 = await make_units(ui_ctx.services, "KOD 1", "KOD 11")
    board = UnitStatusBoard(ui_ctx)
    qtbot.addWidget(board)
    board.show()
    board.model.reload()
    await wait_until(lambda: board.model.rowCount() == 2)
    board.focus_table()
    qtbot.keyClicks(board.table, "KOD 1")
    assert board.selected_unit() is not None and board.selected_unit().id == k1  # type: ignore[union-attr]
    await wait_until(lambda: not board.typing.typing())
    qtbot.keyClicks(board.table, "KOD 11")
    assert board.selected_unit() is not None and board.selected_unit().id == k11  # type: ignore[union-attr]
    assert board_cell(board, k11, COL_CALL_SIGN) == "KOD 11"
    await finish(ui_ctx)


@pytest.mark.asyncio
async def test_an_alarm_is_confirmed_with_3_and_flagged_when_overdue(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot
) -> None:
    services, me = ui_ctx.services, ui_ctx.actor
    first, second = await make_units(services, "KOD 31", "KOD 32")
    inc = await services.incidents.create(me, IncidentDraft("dog", address="Weg 3"))
    await services.incidents.assign_unit(me, inc.id, first)
    window, board, detail = await open_window(ui_ctx, ui_settings, qtbot, inc.id)
    await wait_until(lambda: board_cell(board, first, COL_INCIDENT) == inc.number)
    # Not confirmed yet, and not overdue: flagged as an open alarm only.
    assert state_label(detail, first).property("alarm") == "open"  # type: ignore[union-attr]
    row = board.model.row_of(first)
    assert board.model.style_of(board.model.unit_at(row)) is not ALARM_OVERDUE_STYLE  # type: ignore[arg-type]
    # Two minutes later (the default), by the clock alone, both panes flag it.
    later = datetime.now(UTC) + timedelta(minutes=2, seconds=5)
    board.model.now = lambda: later
    detail.units.now = lambda: later
    detail.refresh()
    await wait_until(lambda: state_label(detail, first).property("alarm") == "overdue")  # type: ignore[union-attr]
    assert board.model.style_of(board.model.unit_at(row)) is ALARM_OVERDUE_STYLE  # type: ignore[arg-type]
    assert board_cell(board, first, COL_STATUS_TEXT) == state_label(detail, first).text()  # type: ignore[union-attr]
    # The unit confirms by radio: Alt+3 in the incident detail enters it (status 3).
    assert window.commands.trigger("detail.confirm_unit")
    await wait_until(lambda: board_cell(board, first, COL_STATUS) == "3")
    await wait_until(
        lambda: state_is(detail, first, lambda t: t.startswith(unit_status_display("3")))
    )
    assert state_label(detail, first).property("alarm") == ""  # type: ignore[union-attr]
    # On the board, 3 for an alarmed unit is the confirmation too.
    await services.settings.set(ADMIN, "dispatch.confirm_timeout_s", 300)
    await services.incidents.assign_unit(me, inc.id, second)
    await wait_until(lambda: board_cell(board, second, COL_INCIDENT) == inc.number)
    board.select_unit(second)
    board.table.setFocus()
    qtbot.keyClick(board.table, Qt.Key.Key_3)
    await wait_until(
        lambda: state_is(detail, second, lambda t: t.startswith(unit_status_display("3")))
    )
    (a,) = [
        x for x in (await services.incidents.get(me, inc.id)).assignments if x.unit_id == second
    ]
    assert a.confirmed_at is not None
    await finish(ui_ctx)
