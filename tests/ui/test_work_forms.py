"""Aufträge and Meldungen forms and actions a dispatcher cannot trip over: done/cancel/close ask
first, the selection never jumps onto the next row, dates stay sane and never change by
accident, Enter never saves an incomplete form, read-only roles see read-only forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QDateTime, QPoint, QPointF, Qt, QTime
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.dto_work import ReportDraft, ReportQuery, TaskDraft, TaskQuery
from app.platform.i18n import tr as app_tr
from app.platform.permissions import Role, role_label
from app.platform.timeutil import EARLIEST_DATE, LATEST_DATE, utcnow
from app.services import Services
from db.models import AuditRecord
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.test_work_items import focused, press, settle
from ui.context import ChangeBridge, UiContext
from ui.dialogs.confirm import ReasonDialog
from ui.dialogs.reports import ReportDialog
from ui.dialogs.tasks import TaskDialog
from ui.views import reports as reports_view
from ui.views import tasks as tasks_view
from ui.views.reports import ReportPane
from ui.views.tasks import TaskPane
from ui.widgets.dates import FIRST, BerlinDateTimeEdit
from ui.widgets.readonly import looks_read_only


@pytest.fixture(autouse=True)
def no_unexpected_errors(ui_errors: list[BaseException]) -> Iterator[None]:
    """Every flow here must finish without an error reaching the user's error dialog."""
    yield
    assert ui_errors == []


async def task_pane(ctx: UiContext, qtbot: QtBot, titles: list[str]) -> tuple[TaskPane, list[int]]:
    """The Aufträge pane with open tasks due one hour apart (listed in this order)."""
    ids = []
    for n, title in enumerate(titles):
        due = utcnow() + timedelta(hours=n + 1)
        ids.append((await ctx.services.tasks.create(ctx.actor, TaskDraft(title, due_at=due))).id)
    pane = TaskPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(900, 400)
    pane.show()
    await pane.model.wait_loaded()
    return pane, ids


def yes(box: object) -> None:
    box.findChild(QPushButton, "confirmYes").click()  # type: ignore[attr-defined]


def no(box: object) -> None:
    box.findChild(QPushButton, "confirmNo").click()  # type: ignore[attr-defined]


# --- defect 6: done and cancel ask first; the selection stays put -----------------------------


@pytest.mark.asyncio
async def test_done_asks_and_a_second_click_hits_no_other_task(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    pane, (first, second, third) = await task_pane(ui_ctx, qtbot, ["Kiosk", "Markt", "Park"])
    assert pane.select_task(second)
    qtbot.mouseClick(pane.done_button, Qt.MouseButton.LeftButton)
    box = pane.confirm_box
    assert box is not None and box.isVisible() and "Markt" in box.text()
    no(box)  # changed their mind: nothing happens
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, second)).status == "open"
    assert pane.selected() is not None and pane.selected().id == second  # type: ignore[union-attr]

    qtbot.mouseClick(pane.done_button, Qt.MouseButton.LeftButton)
    assert pane.confirm_box is not None
    yes(pane.confirm_box)
    await wait_until(lambda: pane.model.rowCount() == 2)
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, second)).status == "done"
    # The done task left the open list: nothing is selected, not the next task.
    assert pane.selected() is None
    assert not pane.done_button.isEnabled() and not pane.cancel_button.isEnabled()
    # The second click of a double click does nothing.
    qtbot.mouseClick(pane.done_button, Qt.MouseButton.LeftButton)
    assert pane.confirm_box is None
    for other in (first, third):
        assert (await ui_ctx.services.tasks.get(ui_ctx.actor, other)).status == "open"
    await wait_until(lambda: "erledigt" in pane.note_label.text())
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_with_all_tasks_shown_the_done_task_stays_selected(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    pane, (first, second) = await task_pane(ui_ctx, qtbot, ["Kiosk", "Markt"])
    pane.filter.setCurrentIndex(pane.filter.findData(tasks_view.FILTER_ALL))
    await wait_until(lambda: pane.model.query.open_only is False and pane.model.rowCount() == 2)
    assert pane.select_task(first)
    pane.mark_done()
    assert pane.confirm_box is not None
    yes(pane.confirm_box)
    await wait_until(lambda: pane.selected() is not None and not pane.selected().is_open)  # type: ignore[union-attr]
    assert pane.selected().id == first  # type: ignore[union-attr]
    assert pane.reopen_button.isEnabled() and not pane.done_button.isEnabled()
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, second)).status == "open"
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_cancel_needs_a_reason_which_is_stored(
    ui_ctx: UiContext, qtbot: QtBot, services: Services
) -> None:
    pane, (first, second) = await task_pane(ui_ctx, qtbot, ["Kiosk", "Markt"])
    assert pane.select_task(first)
    pane.cancel_button.click()  # behind "More"
    dialog = pane.dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.message.isVisible()
    assert dialog.message.text() == app_tr("tasks", "Give a reason for cancelling the task.")
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, first)).status == "open"
    qtbot.keyClicks(dialog.reason, "doppelt erfasst")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.dialog is None)
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, first)).status == "cancelled"
    async with services.db.read() as s:
        reason = await s.scalar(
            select(AuditRecord.reason).where(
                AuditRecord.action == "task.cancelled", AuditRecord.entity_id == first
            )
        )
    assert reason == "doppelt erfasst"
    await wait_until(lambda: pane.model.rowCount() == 1)
    assert pane.selected() is None  # not the other task
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, second)).status == "open"
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_closing_a_report_asks_and_keeps_the_next_one_unselected(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = []
    for subject in ("Sperrmüll", "Graffiti", "Lärm"):
        report = await ui_ctx.services.reports.create(ui_ctx.actor, ReportDraft(subject=subject))
        ids.append(report.id)
    pane = ReportPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    await pane.model.wait_loaded()
    assert pane.select_report(ids[1])
    pane.close_button.click()  # behind "More"
    assert pane.confirm_box is not None and "Graffiti" in pane.confirm_box.text()
    yes(pane.confirm_box)
    await wait_until(lambda: pane.model.rowCount() == 2)
    assert (await ui_ctx.services.reports.get(ui_ctx.actor, ids[1])).status == "closed"
    assert pane.selected() is None and not pane.close_button.isEnabled()
    rows = await ui_ctx.services.reports.page(ui_ctx.actor, ReportQuery(open_only=True))
    assert sorted(r.id for r in rows) == sorted((ids[0], ids[2]))
    await settle(ui_ctx)


# --- defect 7: sane dates that never change by accident; no incomplete form by Enter ---------


@pytest.mark.asyncio
async def test_date_fields_keep_to_the_accepted_range(ui_ctx: UiContext, qtbot: QtBot) -> None:
    edit = BerlinDateTimeEdit()
    qtbot.addWidget(edit)
    edit.show()
    assert edit.minimumDateTime().date().year() == EARLIEST_DATE.year == 2000
    assert edit.maximumDateTime().date().year() == LATEST_DATE.year == 2100
    # Qt's own minimum is 14.09.1752: typed or set, such a date never becomes the value.
    edit.setDateTime(QDateTime(QDate(1752, 9, 14), QTime(12, 0), edit.timeZone()))
    assert edit.value() >= EARLIEST_DATE
    edit.set_value(datetime(1752, 9, 14, 12, 0, tzinfo=UTC))
    assert edit.value() == FIRST and FIRST >= EARLIEST_DATE
    edit.set_value(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    edit.setFocus()
    edit.lineEdit().selectAll()
    qtbot.keyClicks(edit, "14.09.1752 12:00")
    edit.clearFocus()
    assert edit.value().year != 1752 and EARLIEST_DATE <= edit.value() <= LATEST_DATE
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_tabbing_through_a_date_never_changes_it(ui_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = ReportDialog(ui_ctx, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.subject)
    before = dialog.received.value()
    press(qtbot, Qt.Key.Key_Tab)  # source
    press(qtbot, Qt.Key.Key_Tab)  # the date, day section
    assert focused() is dialog.received
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp):
        press(qtbot, key)
    # The wheel over the field changes nothing either.
    wheel = QWheelEvent(
        QPointF(5, 5),
        QPointF(dialog.received.mapToGlobal(QPoint(5, 5))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(dialog.received, wheel)
    for _ in range(4):  # on through the other sections, and out
        press(qtbot, Qt.Key.Key_Tab)
    assert dialog.received.value() == before
    # Deliberately editing it (typing a digit) arms the arrow keys.
    dialog.received.setFocus()
    assert not dialog.received.armed
    dialog.received.setCurrentSection(BerlinDateTimeEdit.Section.YearSection)
    qtbot.keyClick(dialog.received, Qt.Key.Key_2)
    assert dialog.received.armed
    dialog.received.setDateTime(dialog.received.dateTime())  # back to a whole date
    changed = dialog.received.value()
    qtbot.keyClick(dialog.received, Qt.Key.Key_Up)
    assert dialog.received.value() != changed
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_enter_never_saves_an_incomplete_task(ui_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = TaskDialog(ui_ctx, None, [])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.title)
    # Everything but the title: Save is off and the form says the title is missing.
    assert not dialog.save_button.isEnabled()
    assert dialog.missing_label.isVisible()
    assert app_tr("TaskDialog", "Enter a title for the task.") in dialog.missing_label.text() or (
        "Titel" in dialog.missing_label.text()
    )
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)  # address
    qtbot.keyClicks(focused(), "Marktplatz 1")
    press(qtbot, Qt.Key.Key_Return)  # Enter in a line edit: the default button would save
    assert dialog.isVisible() and dialog.result_row is None
    assert await ui_ctx.services.tasks.count(ui_ctx.actor, TaskQuery()) == 0
    # Complete: Enter saves.
    dialog.title.setFocus()
    qtbot.keyClicks(dialog.title, "Streife Markt")
    assert dialog.save_button.isEnabled() and not dialog.missing_label.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    await wait_until(lambda: not dialog.isVisible())
    rows = await ui_ctx.services.tasks.page(ui_ctx.actor, TaskQuery())
    assert [(r.title, r.address) for r in rows] == [("Streife Markt", "Marktplatz 1")]
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_enter_never_saves_a_report_without_subject(ui_ctx: UiContext, qtbot: QtBot) -> None:
    dialog = ReportDialog(ui_ctx, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.subject)
    dialog.reporter_name.setFocus()
    qtbot.keyClicks(dialog.reporter_name, "Erika Muster")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.save_button.isEnabled()
    assert dialog.missing_label.isVisible()
    # Ctrl+Enter names the missing field and puts the cursor there.
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.message.isVisible() and focused() is dialog.subject
    assert await ui_ctx.services.reports.count(ui_ctx.actor, ReportQuery()) == 0
    await settle(ui_ctx)


# --- read-only roles see read-only forms --------------------------------------------------------


@pytest.mark.asyncio
async def test_field_officer_sees_a_read_only_task_form(
    services: Services, ui_ctx: UiContext, qtbot: QtBot
) -> None:
    task = await services.tasks.create(ui_ctx.actor, TaskDraft("Streife Markt"))
    await services.users.add(ADMIN, "aussen", "Anna Außen", Role.FIELD_OFFICER, "geheim123")
    officer = await services.users.authenticate("aussen", "geheim123")
    pane = TaskPane(UiContext(services, officer, ChangeBridge(None)))
    qtbot.addWidget(pane)
    pane.show()
    await pane.model.wait_loaded()
    why = role_label(Role.FIELD_OFFICER)
    for button in (pane.new_button, pane.done_button, pane.cancel_button, pane.follow_up_button):
        assert not button.isEnabled() and why in button.toolTip()
    pane.edit_task(task)
    await wait_until(lambda: isinstance(pane.dialog, TaskDialog))
    dialog = pane.dialog
    assert isinstance(dialog, TaskDialog)
    for widget in (dialog.title, dialog.address, dialog.description, dialog.follow_up_note):
        assert widget.isReadOnly() and looks_read_only(widget) and why in widget.toolTip()
        palette = widget.palette()
        assert palette.color(QPalette.ColorRole.Base) == palette.color(QPalette.ColorRole.Window)
    for widget in (dialog.category, dialog.assignee, dialog.due.check):
        assert not widget.isEnabled() and why in widget.toolTip()
    assert not dialog.save_button.isEnabled() and why in dialog.save_button.toolTip()
    assert not dialog.missing_label.isVisible()
    dialog.try_submit()
    assert dialog.isVisible()
    dialog.reject()
    await wait_until(lambda: pane.dialog is None)
    assert tasks_view is not None and reports_view is not None
    await settle(ui_ctx)
