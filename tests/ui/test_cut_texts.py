"""Nothing is cut at the widths dispatchers really use (1366×768 and 1600×1000): the crew
column title, long category names, the address in the detail header; coordinates are written
the German way wherever they are shown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from PySide6.QtCore import QEvent, QMetaObject, QPoint, QSettings, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QToolTip
from pytestqt.qtbot import QtBot

from app.domain.codes import CATEGORIES, category_label
from app.domain.dto import IncidentDraft
from app.domain.geo import format_coordinates
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.flows import build_window, load_demo
from tests.ui.waiting import wait_until as wait_for
from ui.asyncutil import cancel_all
from ui.context import ChangeBridge, UiContext
from ui.dialogs.reports import ReportDialog
from ui.dialogs.tasks import TaskDialog
from ui.models.incident_queue import COL_ADDRESS, COL_CATEGORY
from ui.models.unit_board import COL_MEMBERS, COL_POSITION_AGE
from ui.views.incident_detail import IncidentDetailPane
from ui.views.unit_board import UnitStatusBoard
from ui.widgets.elide import combo_text_width, header_width, text_fits, widest_text

LONGEST = max((c.label for c in CATEGORIES), key=len)
ADDRESS = "Friedrich-Ebert-Straße 123, 51373 Leverkusen-Wiesdorf (Hinterhof, Eingang B)"


@pytest_asyncio.fixture
async def quiet_ctx(
    services: Services, dispatcher: Actor, ui_errors: list[BaseException]
) -> AsyncIterator[UiContext]:
    """A dispatcher's context without live updates: these tests look at layouts only."""
    yield UiContext(services, dispatcher, ChangeBridge(None))
    await cancel_all()
    assert ui_errors == []


def shows_all(label: QLabel) -> bool:
    """The whole text of ``label`` is on screen (on one line, or wrapped into its height)."""
    text = label.text()
    if not label.wordWrap():
        return text_fits(label, text, label.contentsRect().width())
    return label.heightForWidth(label.width()) <= label.height() + 1


def popup_fits(combo: QComboBox) -> bool:
    """Every entry of ``combo`` fits its list."""
    metrics = combo.view().fontMetrics()
    widest = max(metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    return widest <= combo.view().minimumWidth()


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
async def test_main_window_cuts_nothing_at_realistic_sizes(
    quiet_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, size: tuple[int, int]
) -> None:
    await load_demo(quiet_ctx.services, ADMIN, incidents=5)
    incident = await quiet_ctx.services.incidents.create(
        quiet_ctx.actor,
        IncidentDraft(
            "alcohol_drugs", address=ADDRESS, lat=51.05136, lon=7.05514, caller_name="Herr Lang"
        ),
    )
    window, _actions = build_window(quiet_ctx, ui_settings)
    qtbot.addWidget(window)
    window.resize(*size)
    detail = window.docks["detail"].widget()
    board = window.docks["units"].widget()
    assert isinstance(detail, IncidentDetailPane) and isinstance(board, UnitStatusBoard)
    await wait_for(lambda: window.queue.model.row_of(incident.id) >= 0)
    window.queue.select_incident(incident.id)
    await wait_for(lambda: detail.is_shown() and detail.incident_id == incident.id)
    await wait_for(lambda: board.model.rowCount() > 0)
    QApplication.processEvents()
    header = detail.header
    assert header.address_label.text() == ADDRESS and shows_all(header.address_label)
    assert header.category_label.text() == LONGEST and shows_all(header.category_label)
    assert header.coordinates_label.text() == "51,05136° N, 7,05514° O"
    assert shows_all(header.coordinates_label) and shows_all(header.number_label)
    # The crew column is never narrower than its title ("Besatzung", not "satzu").
    table = board.table
    assert table.horizontalHeader().sectionSize(COL_MEMBERS) >= header_width(table, COL_MEMBERS)
    # Long category names: the lists show them whole; a closed box that cuts one says it.
    assert popup_fits(detail.fields.category_edit) and popup_fits(window.queue.category)
    combo = detail.fields.category_edit
    if not text_fits(combo, combo.currentText(), combo_text_width(combo)):
        QApplication.sendEvent(
            combo, QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), combo.mapToGlobal(QPoint(5, 5)))
        )
        assert QToolTip.text() == LONGEST
    # The queue: the longest category name shows whole where the address keeps its room;
    # where both cannot fit, the cell is elided and its tooltip says the rest.
    queue = window.queue.table
    header = queue.horizontalHeader()
    cell = window.queue.model.index(window.queue.model.row_of(incident.id), COL_CATEGORY)
    needed = widest_text(queue, [LONGEST])
    fixed = header.length() - header.sectionSize(COL_CATEGORY) - header.sectionSize(COL_ADDRESS)
    if queue.viewport().width() - fixed - 260 >= needed:
        assert header.sectionSize(COL_CATEGORY) >= needed
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == LONGEST
    # Positions on the board are written the German way.
    tips = [
        board.model.data(board.model.index(r, COL_POSITION_AGE), 3)
        for r in range(board.model.rowCount())
    ]
    positioned = [t for t in tips if t and "°" in t]
    assert positioned and all(("° N, " in t and "° O)" in t) for t in positioned)


@pytest.mark.asyncio
async def test_dialog_category_boxes_show_the_longest_name_whole(
    quiet_ctx: UiContext, qtbot: QtBot
) -> None:
    from ui.dialogs.call_taking import CallTakingDialog

    call = CallTakingDialog(quiet_ctx)
    task = TaskDialog(quiet_ctx, None, [])
    report = ReportDialog(quiet_ctx, None)
    for dialog in (call, task, report):
        qtbot.addWidget(dialog)
        dialog.show()
    call.category.setCurrentIndex(call.category.findText(LONGEST))
    task.category.setCurrentIndex(task.category.findText(LONGEST))
    report.category.setCurrentIndex(report.category.findText(LONGEST))
    QApplication.processEvents()
    assert text_fits(call.category, LONGEST, call.category.lineEdit().width())
    for combo in (task.category, report.category):
        assert combo.currentText() == LONGEST
        assert text_fits(combo, LONGEST, combo_text_width(combo))
        assert popup_fits(combo)
    assert popup_fits(call.category)
    assert category_label("dog") in [
        call.category.itemText(i) for i in range(call.category.count())
    ]


@pytest.mark.asyncio
async def test_forms_show_the_position_the_german_way(quiet_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = TaskDialog(quiet_ctx, None, [])
    qtbot.addWidget(dialog)
    dialog.address.set_address("Hauptstraße 1", 51.0325, 6.987)
    assert dialog.place.text() == f"Wiesdorf · {format_coordinates(51.0325, 6.987)}"
    assert dialog.place.text().endswith("51,03250° N, 6,98700° O")
    dialog.address.setFocus()
    qtbot.keyClicks(dialog.address, "a")  # typed on: the position no longer belongs to it
    assert dialog.address.coordinates is None and "°" not in dialog.place.text()


@pytest.mark.asyncio
async def test_crew_title_is_never_cut_on_the_board(quiet_ctx: UiContext, qtbot: QtBot) -> None:
    await load_demo(quiet_ctx.services, ADMIN, incidents=3)
    board = UnitStatusBoard(quiet_ctx)
    qtbot.addWidget(board)
    board.resize(500, 400)
    board.show()
    board.model.reload()
    await wait_for(lambda: board.model.rowCount() > 0)
    board.fit_columns()
    table = board.table
    header = table.horizontalHeader()
    title = str(board.model.headerData(COL_MEMBERS, Qt.Orientation.Horizontal))
    assert title == "Besatzung"
    needed = header.fontMetrics().horizontalAdvance(title) + 12
    others = sum(
        header.sectionSize(c) for c in range(board.model.columnCount()) if c != COL_MEMBERS
    )
    # Every width of the board: no room for the crew, a little (where Qt squeezed the title to
    # "satzu"), enough to stretch.
    for room in (-60, 5, 25, needed - 5, needed + 80):
        board.resize(board.width() + others + room - table.viewport().width(), 400)
        await wait_for(lambda room=room: table.viewport().width() == others + room)
        # Apply the header's delayed layout now (stretching is computed on the next event).
        QMetaObject.invokeMethod(header, "resizeSections", Qt.ConnectionType.DirectConnection)
        assert header.sectionSize(COL_MEMBERS) >= needed, room
        if room >= header_width(table, COL_MEMBERS):
            assert header.sectionSize(COL_MEMBERS) >= room - 1  # the spare width is the crew's


def test_the_alarm_banner_names_the_position_the_german_way(qtbot: QtBot) -> None:
    from app.domain.dto import Emergency
    from app.platform.timeutil import utcnow
    from ui.views.emergency import EmergencyBanner

    banner = EmergencyBanner(can_acknowledge=True)
    qtbot.addWidget(banner)
    line = banner.text_for(Emergency(1, "KOD 11", utcnow(), 51.05136, 7.05514))
    assert "(51,05136° N, 7,05514° O)" in line
