"""Aufträge and Meldungen panes: models, dialogs by keyboard, reminders, conversion links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.dto_work import (
    ReportDraft,
    ReportQuery,
    TaskDraft,
    TaskQuery,
    report_status_label,
    task_status_label,
)
from app.platform.changefeed import last_change_id
from app.platform.permissions import Role
from app.platform.timeutil import format_local, utcnow
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.asyncutil import cancel_all
from ui.context import ChangeBridge, UiContext
from ui.dialogs.reports import ConvertToIncidentDialog, ReportDialog
from ui.dialogs.tasks import TaskDialog
from ui.main_window import MainWindow
from ui.models.reports import COL_LINK, COL_STATUS, COL_SUBJECT, ReportTableModel
from ui.models.reports import COL_NUMBER as R_NUMBER
from ui.models.tasks import COL_DUE, COL_NUMBER, COL_TITLE, TaskIdRole, TaskTableModel
from ui.models.tasks import COL_STATUS as T_STATUS
from ui.views import reports as reports_view
from ui.views import tasks as tasks_view
from ui.views.follow_ups import FollowUpReminder
from ui.views.reports import ReportPane
from ui.views.tasks import TaskPane

WIESDORF = (51.0325, 6.9870)


@pytest.fixture(autouse=True)
def no_unexpected_errors(ui_errors: list[BaseException]) -> Iterator[None]:
    """Every flow here must finish without an error reaching the user's error dialog."""
    yield
    assert ui_errors == []


async def colleague(services: Services) -> Actor:
    """A dispatcher on another workstation."""
    await services.users.add(ADMIN, "kollege", "Karl Kollege", Role.DISPATCHER, "geheim456")
    return await services.users.authenticate("kollege", "geheim456")


async def new_report(ctx: UiContext, subject: str = "Sperrmüll an der Ecke") -> int:
    report = await ctx.services.reports.create(
        ctx.actor,
        ReportDraft(
            subject=subject,
            source="phone",
            text="Matratzen am Straßenrand",
            reporter_name="Erika Muster",
            reporter_contact="0214 123456",
            category="waste",
            address="Hauptstraße 1",
            lat=WIESDORF[0],
            lon=WIESDORF[1],
        ),
    )
    return report.id


async def settle(ctx: UiContext) -> None:
    """Stop the change follower and pending tasks before pytest-qt processes the last events
    outside the loop (they would otherwise run a database read without a running loop)."""
    if ctx.bridge.follower is not None:
        await ctx.bridge.follower.stop()
    await cancel_all()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier | None = None) -> None:
    """A key press where the keyboard focus is, as a user does it."""
    if modifier is None:
        qtbot.keyClick(focused(), key)
    else:
        qtbot.keyClick(focused(), key, modifier)


# --- models -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_task_model_passes_qtmodeltester_and_orders_by_due(
    ui_ctx: UiContext, qtmodeltester: ModelTester
) -> None:
    now = utcnow()
    tasks = ui_ctx.services.tasks
    late = await tasks.create(ui_ctx.actor, TaskDraft("Später", due_at=now + timedelta(days=3)))
    overdue = await tasks.create(
        ui_ctx.actor, TaskDraft("Überfällig", due_at=now - timedelta(hours=1))
    )
    done = await tasks.create(ui_ctx.actor, TaskDraft("Erledigt"))
    await tasks.mark_done(ui_ctx.actor, done.id)
    model = TaskTableModel(ui_ctx, TaskQuery())
    await model.wait_loaded()
    qtmodeltester.check(model, force_py=True)
    assert [model.data(model.index(r, COL_NUMBER), TaskIdRole) for r in range(3)] == [
        overdue.id,
        late.id,
        done.id,
    ]
    assert model.data(model.index(0, COL_TITLE)) == "Überfällig"
    assert model.data(model.index(0, COL_DUE)) == format_local(overdue.due_at)
    assert model.data(model.index(2, T_STATUS)) == task_status_label("done")
    # Overdue tasks are bold and red; done ones grey.
    assert model.data(model.index(0, COL_TITLE), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(1, COL_TITLE), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(2, COL_TITLE), Qt.ItemDataRole.ForegroundRole) is not None
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_report_model_passes_qtmodeltester_and_shows_link(
    ui_ctx: UiContext, qtmodeltester: ModelTester
) -> None:
    first = await new_report(ui_ctx, "Hund ohne Leine")
    second = await new_report(ui_ctx, "Graffiti")
    report = await ui_ctx.services.reports.convert_to_task(ui_ctx.actor, first, None)
    model = ReportTableModel(ui_ctx, ReportQuery())
    await model.wait_loaded()
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 2
    # Open first: the converted one comes second.
    assert model.row_at(0).id == second and model.row_at(1).id == first  # type: ignore[union-attr]
    assert model.data(model.index(1, COL_STATUS)) == report_status_label("converted")
    assert report.task_number is not None
    assert report.task_number in model.data(model.index(1, COL_LINK))
    assert model.data(model.index(0, COL_LINK)) == ""
    # A change that keeps the place updates the row in place (no remove/insert).
    moves: list[int] = []
    model.rowsRemoved.connect(lambda *_a: moves.append(1))
    current = await ui_ctx.services.reports.get(ui_ctx.actor, second)
    await ui_ctx.services.reports.update(ui_ctx.actor, second, current.version, {"subject": "Tags"})
    await wait_until(lambda: model.data(model.index(0, COL_SUBJECT)) == "Tags")
    assert moves == [] and model.rowCount() == 2
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_task_model_live_updates_without_reset(ui_ctx: UiContext) -> None:
    model = TaskTableModel(ui_ctx)  # open tasks
    await model.wait_loaded()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    other = await colleague(ui_ctx.services)
    a = await ui_ctx.services.tasks.create(other, TaskDraft("Kiosk prüfen"))
    b = await ui_ctx.services.tasks.create(
        other, TaskDraft("Streife Markt", due_at=utcnow() + timedelta(hours=1))
    )
    await wait_until(lambda: model.rowCount() == 2)
    assert model.row_at(0).id == b.id  # type: ignore[union-attr]
    await ui_ctx.services.tasks.update(other, a.id, a.version, {"title": "Kiosk Opladen"})
    await wait_until(lambda: model.data(model.index(1, COL_TITLE)) == "Kiosk Opladen")
    await ui_ctx.services.tasks.mark_done(other, b.id)
    await wait_until(lambda: model.rowCount() == 1)
    assert model.total == 1 and resets == []


@pytest.mark.asyncio
async def test_tables_and_reminder_reload_when_the_feed_went_back(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    """A restore or a failover that lost transactions: the server's feed ends below what this
    workstation has seen. Aufträge, Meldungen and the reminder show the server's rows again."""
    tasks = ui_ctx.services.tasks
    task = await tasks.create(ui_ctx.actor, TaskDraft("Kiosk prüfen"))
    report_id = await new_report(ui_ctx, "Sperrmüll alt")
    task_model = TaskTableModel(ui_ctx)
    report_model = ReportTableModel(ui_ctx)
    await task_model.wait_loaded()
    await report_model.wait_loaded()
    host = QWidget()
    qtbot.addWidget(host)
    reminder = FollowUpReminder(ui_ctx, host, interval_ms=3_600_000)
    qtbot.addWidget(reminder.window)
    reminder.start()
    assert await reminder.check_now() == [] and not reminder.window.isVisible()

    follower = ui_ctx.bridge.follower
    assert follower is not None
    await follower.stop()
    # The server now holds other rows, and its feed ends below the last id this workstation
    # saw: no change of these rows is ever read by id, only the reset tells.
    other = await colleague(ui_ctx.services)
    task = await tasks.update(other, task.id, task.version, {"title": "Kiosk Opladen"})
    await tasks.set_follow_up(other, task.id, utcnow() - timedelta(minutes=1))
    report = await ui_ctx.services.reports.get(other, report_id)
    await ui_ctx.services.reports.update(other, report_id, report.version, {"subject": "Neu"})
    follower.last_id = await last_change_id(ui_ctx.services.db) + 1000
    follower.start()

    await wait_until(lambda: task_model.data(task_model.index(0, COL_TITLE)) == "Kiosk Opladen")
    await wait_until(lambda: report_model.data(report_model.index(0, COL_SUBJECT)) == "Neu")
    await wait_until(lambda: reminder.window.isVisible())
    assert reminder.window.selected_id() == task.id
    reminder.stop()
    await settle(ui_ctx)


# --- dialogs and panes --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_create_task_with_the_keyboard(ui_ctx: UiContext, qtbot: QtBot) -> None:
    unit = await ui_ctx.services.units.create(
        Actor(None, "cli:lead", Role.SHIFT_LEAD), "KOD 21", home=WIESDORF
    )
    pane = TaskPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.model.reload()
    pane.new_task()
    await wait_until(lambda: pane.dialog is not None and pane.dialog.isVisible())
    dialog = pane.dialog
    assert isinstance(dialog, TaskDialog)
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.title)
    # QTest types ASCII only (umlauts abort it).
    qtbot.keyClicks(focused(), "Streife Fussgaengerzone")
    press(qtbot, Qt.Key.Key_Tab)  # category
    assert focused() is dialog.category
    press(qtbot, Qt.Key.Key_Tab)  # address
    qtbot.keyClicks(focused(), "Hauptstrasse 5")
    press(qtbot, Qt.Key.Key_Tab)  # due: switch on with Space, the picker takes the focus
    assert focused() is dialog.due.check
    press(qtbot, Qt.Key.Key_Space)
    assert dialog.due.check.isChecked() and focused() is dialog.due.edit
    for _ in range(6):  # Tab walks the date sections, then leaves for the assignee
        press(qtbot, Qt.Key.Key_Tab)
        if focused() is not dialog.due.edit:
            break
    assert focused() is dialog.assignee  # type-ahead picks the unit
    qtbot.keyClicks(focused(), "KOD")
    assert dialog.assigned() == (unit.id, None)
    press(qtbot, Qt.Key.Key_Return)  # Enter saves
    await wait_until(lambda: pane.dialog is None)
    rows = await ui_ctx.services.tasks.page(ui_ctx.actor, TaskQuery())
    assert len(rows) == 1
    task = rows[0]
    assert task.title == "Streife Fussgaengerzone" and task.address == "Hauptstrasse 5"
    assert task.assigned_unit_id == unit.id and task.due_at is not None
    assert task.due_at > utcnow() + timedelta(hours=20)
    # The new row shows up live and is selected.
    await wait_until(lambda: pane.selected() is not None and pane.selected().id == task.id)  # type: ignore[union-attr]
    await wait_until(lambda: pane.count_label.text() == "1 Auftrag")
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_task_dialog_refuses_empty_title_and_keeps_input(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    dialog = TaskDialog(ui_ctx, None, [])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.description.setPlainText("Bitte Kiosk prüfen")
    dialog.try_submit()
    assert dialog.message.isVisible() and dialog.message.text()
    assert dialog.isVisible() and dialog.description.toPlainText() == "Bitte Kiosk prüfen"
    assert await ui_ctx.services.tasks.count(ui_ctx.actor, TaskQuery()) == 0
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_task_dialog_shows_the_stored_values(ui_ctx: UiContext, qtbot: QtBot) -> None:
    unit = await ui_ctx.services.units.create(Actor(None, "cli:lead", Role.SHIFT_LEAD), "KOD 31")
    due = utcnow().replace(second=0, microsecond=0) + timedelta(days=1)
    task = await ui_ctx.services.tasks.create(
        ui_ctx.actor,
        TaskDraft("Streife Markt", category="glass_ban", due_at=due, assigned_unit_id=unit.id),
    )
    assignees = await ui_ctx.services.tasks.assignees(ui_ctx.actor)
    dialog = TaskDialog(ui_ctx, task, assignees)
    qtbot.addWidget(dialog)
    assert dialog.assigned() == (unit.id, None)
    assert dialog.category.code() == "glass_ban"
    assert dialog.due.value() == due and dialog.follow_up.value() is None
    # Nothing changed: saving sends nothing and keeps the version.
    assert dialog.changes() == {}
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_task_dialog_conflict_shows_change_and_reapplies(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    task = await ui_ctx.services.tasks.create(ui_ctx.actor, TaskDraft("Kiosk prüfen"))
    dialog = TaskDialog(ui_ctx, task, [])
    qtbot.addWidget(dialog)
    dialog.show()
    other = await colleague(ui_ctx.services)
    await ui_ctx.services.tasks.update(other, task.id, task.version, {"description": "Von Karl"})
    dialog.title.setText("Kiosk Opladen prüfen")
    dialog.try_submit()
    await wait_until(lambda: dialog.reload_button.isVisible())
    assert dialog.isVisible() and dialog.title.text() == "Kiosk Opladen prüfen"
    now = await ui_ctx.services.tasks.get(ui_ctx.actor, task.id)
    assert now.title == "Kiosk prüfen" and now.description == "Von Karl"
    # Saving again puts the user's entry over the newer version (only the changed field).
    dialog.try_submit()
    await wait_until(lambda: not dialog.isVisible())
    now = await ui_ctx.services.tasks.get(ui_ctx.actor, task.id)
    assert now.title == "Kiosk Opladen prüfen" and now.description == "Von Karl"
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_done_and_follow_up_buttons(ui_ctx: UiContext, qtbot: QtBot) -> None:
    task = await ui_ctx.services.tasks.create(ui_ctx.actor, TaskDraft("Streife Markt"))
    pane = TaskPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    await pane.model.wait_loaded()
    assert pane.select_task(task.id)
    assert pane.done_button.isEnabled() and not pane.reopen_button.isEnabled()
    pane.set_follow_up()
    dialog = pane.dialog
    assert dialog is not None
    wanted = utcnow().replace(second=0, microsecond=0) + timedelta(hours=2)
    dialog.when.set_value(wanted)  # type: ignore[attr-defined]
    dialog.note.setText("Ergebnis erfragen")  # type: ignore[attr-defined]
    dialog.try_submit()  # type: ignore[attr-defined]
    await wait_until(lambda: pane.dialog is None)
    now = await ui_ctx.services.tasks.get(ui_ctx.actor, task.id)
    assert now.follow_up_at == wanted and now.follow_up_note == "Ergebnis erfragen"
    await wait_until(lambda: pane.selected() is not None and pane.selected().version == now.version)  # type: ignore[union-attr]
    qtbot.mouseClick(pane.done_button, Qt.MouseButton.LeftButton)
    box = pane.confirm_box  # "done" asks first
    assert box is not None and box.isVisible()
    box.findChild(QPushButton, "confirmYes").click()
    await wait_until(lambda: pane.model.rowCount() == 0)
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, task.id)).status == "done"
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_reminder_pops_up_once_and_snoozes(ui_ctx: UiContext, qtbot: QtBot) -> None:
    due = await ui_ctx.services.tasks.create(
        ui_ctx.actor,
        TaskDraft(
            "Ergebnis nachhalten",
            follow_up_at=utcnow() - timedelta(minutes=2),
            follow_up_note="Anwohner anrufen",
        ),
    )
    await ui_ctx.services.tasks.create(
        ui_ctx.actor, TaskDraft("Später", follow_up_at=utcnow() + timedelta(hours=5))
    )
    host = QWidget()
    qtbot.addWidget(host)
    reminder = FollowUpReminder(ui_ctx, host, interval_ms=200)
    qtbot.addWidget(reminder.window)
    popped: list[list[int]] = []
    reminder.popped.connect(lambda tasks: popped.append([t.id for t in tasks]))
    reminder.start()
    await wait_until(lambda: reminder.window.isVisible())
    assert popped == [[due.id]]
    window = reminder.window
    assert window.table.rowCount() == 1
    assert window.table.item(0, 1).text() == "Ergebnis nachhalten"
    assert window.table.item(0, 3).text() == "Anwohner anrufen"
    # Dismissed: the timer keeps checking, but the same due time does not pop up again.
    qtbot.mouseClick(window.close_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible()
    assert await reminder.check_now() == []
    await wait_until(lambda: len(popped) == 1 and not window.isVisible(), timeout=0.6)

    # Another task becomes due (another workstation): the change pops the reminder up.
    other = await colleague(ui_ctx.services)
    second = await ui_ctx.services.tasks.create(
        other, TaskDraft("Kiosk prüfen", follow_up_at=utcnow() - timedelta(minutes=1))
    )
    await wait_until(lambda: window.isVisible())
    assert popped[-1] == [second.id] and window.table.rowCount() == 2
    assert window.selected_id() == second.id
    # Snooze 15 min: moved through the service (audited), off the list.
    qtbot.mouseClick(window.snooze15_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: window.table.rowCount() == 1)
    moved = await ui_ctx.services.tasks.get(ui_ctx.actor, second.id)
    assert moved.follow_up_at is not None and moved.follow_up_at > utcnow() + timedelta(minutes=14)
    # Done (after a question): the last one goes, the window closes.
    qtbot.mouseClick(window.done_button, Qt.MouseButton.LeftButton)
    assert window.confirm_box is not None and window.isVisible()
    window.confirm_box.findChild(QPushButton, "confirmYes").click()
    await wait_until(lambda: not window.isVisible())
    assert (await ui_ctx.services.tasks.get(ui_ctx.actor, due.id)).status == "done"
    reminder.stop()
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_new_report_by_keyboard(ui_ctx: UiContext, qtbot: QtBot) -> None:
    pane = ReportPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    pane.new_report()
    dialog = pane.dialog
    assert isinstance(dialog, ReportDialog)
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.subject)
    qtbot.keyClicks(focused(), "Laute Musik im Hinterhof")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.source
    qtbot.keyClicks(focused(), dialog.source.itemText(1)[:3])  # e-mail by type-ahead
    for _ in range(20):  # Tab also walks the sections of the date field
        if focused() is dialog.text:
            break
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.text
    qtbot.keyClicks(focused(), "Seit 22 Uhr")
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.dialog is None)
    rows = await ui_ctx.services.reports.page(ui_ctx.actor, ReportQuery())
    assert len(rows) == 1
    assert rows[0].subject == "Laute Musik im Hinterhof" and rows[0].source == "email"
    assert rows[0].text == "Seit 22 Uhr" and rows[0].status == "new"
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_convert_report_to_incident_links_both_ways_in_the_window(
    ui_ctx: UiContext, qtbot: QtBot, ui_settings: QSettings
) -> None:
    report_id = await new_report(ui_ctx)
    window = MainWindow(ui_ctx, "test", ui_settings)
    qtbot.addWidget(window)
    task_pane = tasks_view.install(window)
    pane = reports_view.install(window)
    assert task_pane is not None and pane is not None
    window.finish_layout()
    window.show()
    window.queue.model.reload()
    assert window.tabifiedDockWidgets(window.docks["tasks"]) == [window.docks["reports"]]
    names = {a.objectName() for a in window.actions()}
    assert {"task.new", "report.new", "go.tasks", "go.reports"} <= names
    await wait_until(lambda: pane.model.rowCount() == 1)
    assert pane.select_report(report_id)
    assert pane.to_incident_button.isEnabled() and pane.link_label.text() == ""
    qtbot.mouseClick(pane.to_incident_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    assert isinstance(dialog, ConvertToIncidentDialog)
    assert dialog.category.code() == "waste"
    dialog.activateWindow()
    await wait_until(lambda: QApplication.focusWidget() is dialog.category)
    press(qtbot, Qt.Key.Key_Return)
    await wait_until(lambda: pane.dialog is None)

    report = await ui_ctx.services.reports.get(ui_ctx.actor, report_id)
    assert report.status == "converted" and report.incident_id is not None
    incident = await ui_ctx.services.incidents.get(ui_ctx.actor, report.incident_id)
    assert incident.source_report_id == report_id and incident.category == "waste"
    # The link shows in the pane (the converted report stays selected while "open" is the
    # filter only until the live update removes it: look at all reports).
    pane.filter.setCurrentIndex(pane.filter.findData(reports_view.FILTER_ALL))
    await wait_until(lambda: pane.model.query.open_only is False and pane.model.rowCount() == 1)
    assert pane.select_report(report_id)
    await wait_until(lambda: report.incident_number in pane.link_label.text())
    link_index = pane.model.index(0, COL_LINK)
    assert pane.model.data(link_index).endswith(incident.number)
    # Double-click on the link selects the incident in the queue.
    await wait_until(lambda: window.queue.model.row_of(incident.id) >= 0)
    requested: list[int] = []
    pane.incidentRequested.connect(requested.append)
    window.docks["reports"].raise_()
    await wait_until(lambda: pane.table.isVisible())
    pane.table.scrollTo(link_index)
    rect = pane.table.visualRect(link_index)
    # QTest's double-click is only the second half of one: the first click comes before it.
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert requested == [incident.id]
    await wait_until(lambda: window.queue.selected_id() == incident.id)
    assert pane.dialog is None  # the double-click on the link opened no edit dialog
    assert task_pane.model.rowCount() == 0
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_convert_report_to_task_via_prefilled_dialog(ui_ctx: UiContext, qtbot: QtBot) -> None:
    report_id = await new_report(ui_ctx, "Graffiti an Schulmauer")
    pane = ReportPane(ui_ctx)
    qtbot.addWidget(pane)
    pane.show()
    await pane.model.wait_loaded()
    assert pane.select_report(report_id)
    pane.convert_to_task()
    await wait_until(lambda: isinstance(pane.dialog, TaskDialog))
    dialog = pane.dialog
    assert isinstance(dialog, TaskDialog)
    assert dialog.title.text() == "Graffiti an Schulmauer"
    assert dialog.address.text() == "Hauptstraße 1" and dialog.address.coordinates == WIESDORF
    dialog.due.check.setChecked(True)
    dialog.try_submit()
    await wait_until(lambda: pane.dialog is None)
    report = await ui_ctx.services.reports.get(ui_ctx.actor, report_id)
    assert report.status == "converted" and report.task_id is not None
    task = await ui_ctx.services.tasks.get(ui_ctx.actor, report.task_id)
    assert task.source_report_id == report_id and task.due_at is not None
    assert task.stadtteil == "Wiesdorf"
    # The open-reports list drops it live; with "all" the row links to the task.
    await wait_until(lambda: pane.model.rowCount() == 0)
    pane.filter.setCurrentIndex(pane.filter.findData(reports_view.FILTER_ALL))
    await wait_until(lambda: pane.model.rowCount() == 1)
    assert pane.model.data(pane.model.index(0, R_NUMBER)) == report.number
    requested: list[int] = []
    pane.taskRequested.connect(requested.append)
    assert pane.select_report(report_id)
    assert pane.follow_link(pane.selected())  # type: ignore[arg-type]
    assert requested == [task.id]
    await settle(ui_ctx)


@pytest.mark.asyncio
async def test_field_officer_sees_tasks_but_gets_no_write_actions(
    services: Services, dispatcher: Actor, qtbot: QtBot
) -> None:
    task = await services.tasks.create(dispatcher, TaskDraft("Streife Markt"))
    await services.users.add(ADMIN, "aussen", "Anna Außen", Role.FIELD_OFFICER, "geheim123")
    officer = await services.users.authenticate("aussen", "geheim123")
    ctx = UiContext(services, officer, ChangeBridge(None))
    pane = TaskPane(ctx)
    qtbot.addWidget(pane)
    await pane.model.wait_loaded()
    assert pane.select_task(task.id)
    assert pane.edit_button.isEnabled()
    assert not pane.new_button.isEnabled() and not pane.done_button.isEnabled()
    assert not pane.follow_up_button.isEnabled()


@pytest.mark.asyncio
async def test_install_adds_nothing_for_roles_without_access(
    services: Services, qtbot: QtBot, ui_settings: QSettings
) -> None:
    await services.users.add(ADMIN, "dsb", "Dana Datenschutz", Role.DATA_PROTECTION, "geheim123")
    privacy = await services.users.authenticate("dsb", "geheim123")
    window = MainWindow(UiContext(services, privacy, ChangeBridge(None)), "test", ui_settings)
    qtbot.addWidget(window)
    assert tasks_view.install(window) is None and reports_view.install(window) is None
    assert "tasks" not in window.docks and "reports" not in window.docks
    # A field officer reads tasks but not citizens' reports.
    await services.users.add(ADMIN, "aussen", "Anna Außen", Role.FIELD_OFFICER, "geheim123")
    officer = await services.users.authenticate("aussen", "geheim123")
    window2 = MainWindow(UiContext(services, officer, ChangeBridge(None)), "test", ui_settings)
    qtbot.addWidget(window2)
    officer_pane = tasks_view.install(window2)
    assert officer_pane is not None and reports_view.install(window2) is None
    new_task = window2.commands.action("task.new")
    assert new_task is not None and new_task.isEnabled() is False
    loaded: list[int] = []
    officer_pane.model.loaded.connect(loaded.append)
    await wait_until(lambda: loaded == [0])
    await cancel_all()
