"""The incident detail pane: editing, journal, units, closing, reopening, conflicts, live updates."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.domain.codes import outcome_label, priority_label, status_label
from app.domain.dto import IncidentDraft
from app.platform.i18n import tr as app_tr
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.incidents import field_label
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.asyncutil import cancel_all, pending_tasks
from ui.context import UiContext
from ui.dialogs.incident_actions import CloseIncidentDialog, ReopenIncidentDialog
from ui.dialogs.incident_conflict import ConflictDialog
from ui.main_window import MainWindow
from ui.views.incident_detail import IncidentDetailPane, install


@pytest.fixture(autouse=True)
def no_error_dialogs(ui_errors: list[BaseException]) -> Iterator[None]:
    """No flow here may end in the user's error dialog."""
    yield
    assert ui_errors == []


def settles(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Stop the change follower and every task before the test returns.

    pytest-qt processes Qt events right after the test and again before fixture teardown,
    outside the running asyncio loop: a task still alive then (the follower's next poll, a
    pending refresh) fails with "no running event loop".
    """

    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await test(*args, **kwargs)
        finally:
            ctx: UiContext = kwargs["ui_ctx"]
            if ctx.bridge.follower is not None:
                await ctx.bridge.follower.stop()
            # Whatever the pane started finishes while the loop still runs.
            await wait_until(lambda: not pending_tasks(), 5)
            await cancel_all()

    return run


async def colleague(services: Services) -> Actor:
    """A dispatcher on another workstation (same database, own account)."""
    await services.users.add(ADMIN, "kollege", "Karl Kollege", Role.DISPATCHER, "geheim456")
    return await services.users.authenticate("kollege", "geheim456")


async def new_incident(ctx: UiContext, address: str = "Friedrich-Ebert-Platz 1") -> int:
    detail = await ctx.services.incidents.create(
        ctx.actor,
        IncidentDraft("noise", address=address, caller_name="Frau Berger", description="Musik"),
    )
    return detail.id


async def shown(ctx: UiContext, qtbot: QtBot, incident_id: int) -> IncidentDetailPane:
    pane = IncidentDetailPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1400, 500)
    pane.show()
    pane.show_incident(incident_id)
    await wait_until(pane.is_shown)
    return pane


def type_into(qtbot: QtBot, widget: object, text: str) -> None:
    """Select everything in the field and type over it, as a user does."""
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def journal_text(pane: IncidentDetailPane) -> str:
    return pane.journal_view.toPlainText()


@pytest.mark.asyncio
@settles
async def test_shows_header_fields_and_journal(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    detail = pane.detail
    assert detail is not None
    assert pane.number_label.text() == detail.number
    assert pane.status_label.text() == status_label("new")
    assert pane.priority_label.text() == priority_label(2)
    assert pane.address_edit.text() == "Friedrich-Ebert-Platz 1"
    assert pane.caller_name_edit.text() == "Frau Berger"
    assert pane.category_edit.currentData() == "noise"
    assert detail.created_at.strftime("%Y") in pane.created_label.text()
    assert len(pane.journal_lines()) == 1 and "dispo" in journal_text(pane)
    assert not pane.has_unsaved_changes() and not pane.save_button.isEnabled()
    assert pane.close_button.isEnabled() and not pane.reopen_button.isEnabled()


@pytest.mark.asyncio
@settles
async def test_edit_and_save_journals_the_change(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    version = pane.base.version if pane.base else 0
    type_into(qtbot, pane.address_edit, "Hauptstraße 105")
    pane.priority_edit.setCurrentIndex(pane.priority_edit.findData(1))
    assert pane.edited_changes() == {"address": "Hauptstraße 105", "priority": 1}
    assert pane.save_button.isEnabled()
    qtbot.mouseClick(pane.save_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: pane.base is not None and pane.base.address == "Hauptstraße 105")
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.address == "Hauptstraße 105" and stored.priority == 1
    assert stored.version > version
    change = stored.journal[-1]
    assert change.kind == "change" and change.username == "dispo"
    assert "Hauptstraße 105" in change.text and field_label("address") in change.text
    await wait_until(lambda: "Hauptstraße 105" in journal_text(pane))
    assert not pane.has_unsaved_changes() and not pane.save_button.isEnabled()
    assert pane.priority_label.text() == priority_label(1)


@pytest.mark.asyncio
@settles
async def test_invalid_input_is_refused_and_kept(
    ui_ctx: UiContext, qtbot: QtBot, ui_errors: list[BaseException]
) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    pane.caller_phone_edit.setText("0" * 80)
    pane.caller_phone_edit.textEdited.emit(pane.caller_phone_edit.text())
    pane.save()
    await wait_until(lambda: bool(ui_errors))
    assert str(ui_errors[0]) == app_tr("incidents", "The caller details are too long.")
    assert pane.caller_phone_edit.text() == "0" * 80 and pane.has_unsaved_changes()
    ui_errors.clear()


async def _conflict(
    ui_ctx: UiContext, qtbot: QtBot
) -> tuple[IncidentDetailPane, ConflictDialog, Actor, int]:
    """The user edits the address; meanwhile a colleague changes address and priority."""
    other = await colleague(ui_ctx.services)
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    type_into(qtbot, pane.address_edit, "Meine Straße 1")
    type_into(qtbot, pane.caller_phone_edit, "0214 12345")
    current = await ui_ctx.services.incidents.get(other, incident_id)
    await ui_ctx.services.incidents.update(
        other, incident_id, current.version, {"address": "Deren Weg 2", "priority": 1}
    )
    # Live: the notice appears, the user's input stays.
    await wait_until(pane.notice.isVisible)
    assert pane.address_edit.text() == "Meine Straße 1"
    assert pane.caller_phone_edit.text() == "0214 12345"
    assert "Deren Weg 2" in journal_text(pane)
    dialogs: list[ConflictDialog] = []
    pane.conflictShown.connect(dialogs.append)
    pane.save()
    await wait_until(lambda: bool(dialogs))
    return pane, dialogs[0], other, incident_id


@pytest.mark.asyncio
@settles
async def test_stale_save_shows_both_values(ui_ctx: UiContext, qtbot: QtBot) -> None:
    pane, dialog, _other, incident_id = await _conflict(ui_ctx, qtbot)
    assert dialog.objectName() == "ConflictDialog" and dialog.isVisible()
    assert pane.findChild(QDialog, "ConflictDialog") is dialog
    address = dialog.row("address")
    assert address is not None and address.both
    assert (address.mine, address.current) == ("Meine Straße 1", "Deren Weg 2")
    priority = dialog.row("priority")
    assert priority is not None and priority.changed_by_other and not priority.edited_by_me
    assert (priority.mine, priority.current) == (priority_label(2), priority_label(1))
    phone = dialog.row("caller_phone")
    assert phone is not None and phone.edited_by_me and not phone.changed_by_other
    assert phone.mine == "0214 12345" and phone.current == "–"
    assert dialog.row("description") is None
    table = dialog.table
    cells = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert cells[field_label("address")] == "Deren Weg 2"
    assert "Deren Weg 2" in dialog.journal.toPlainText()
    # Nothing was overwritten.
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.address == "Deren Weg 2" and stored.caller_phone is None


@pytest.mark.asyncio
@settles
async def test_conflict_reload_discards_my_changes(ui_ctx: UiContext, qtbot: QtBot) -> None:
    pane, dialog, _other, incident_id = await _conflict(ui_ctx, qtbot)
    qtbot.mouseClick(dialog.reload_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: pane.address_edit.text() == "Deren Weg 2")
    assert pane.caller_phone_edit.text() == ""
    assert pane.priority_edit.currentData() == 1
    assert not pane.has_unsaved_changes() and not pane.notice.isVisible()
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.address == "Deren Weg 2" and stored.caller_phone is None
    assert pane.base is not None and pane.base.version == stored.version


@pytest.mark.asyncio
@settles
async def test_conflict_reapply_keeps_their_other_changes_and_repeats(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    pane, dialog, other, incident_id = await _conflict(ui_ctx, qtbot)
    dialogs: list[ConflictDialog] = [dialog]
    pane.conflictShown.connect(dialogs.append)
    # Before the user decides, the colleague changes the address once more: re-applying
    # conflicts again and a second dialog compares with that newer state.
    current = await ui_ctx.services.incidents.get(other, incident_id)
    await ui_ctx.services.incidents.update(
        other, incident_id, current.version, {"address": "Dritter Platz 3"}
    )
    qtbot.mouseClick(dialog.reapply_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: len(dialogs) == 2)
    second = dialogs[1]
    address = second.row("address")
    assert address is not None and (address.mine, address.current) == (
        "Meine Straße 1",
        "Dritter Platz 3",
    )
    qtbot.mouseClick(second.reapply_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: pane.base is not None and pane.base.address == "Meine Straße 1")
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.address == "Meine Straße 1"
    assert stored.caller_phone == "0214 12345"
    assert stored.priority == 1  # the colleague's change the user did not touch stays
    assert pane.priority_edit.currentData() == 1
    assert not pane.has_unsaved_changes() and not pane.notice.isVisible()
    assert stored.journal[-1].username == "dispo" and "Meine Straße 1" in stored.journal[-1].text


@pytest.mark.asyncio
@settles
async def test_live_notes_and_units_keep_unsaved_edits(ui_ctx: UiContext, qtbot: QtBot) -> None:
    other = await colleague(ui_ctx.services)
    unit = await ui_ctx.services.units.create(ADMIN, "KOD 11")
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    pane.description_edit.setFocus()
    qtbot.keyClicks(pane.description_edit, " - laut seit 22 Uhr")
    edited = pane.description_edit.toPlainText()
    await ui_ctx.services.incidents.add_note(other, incident_id, "Anrufer meldet sich erneut")
    await wait_until(lambda: "Anrufer meldet sich erneut" in journal_text(pane))
    await ui_ctx.services.incidents.assign_unit(other, incident_id, unit.id)
    await wait_until(lambda: f"unitArrive_{unit.id}" in pane.unit_buttons)
    assert pane.description_edit.toPlainText() == edited
    assert pane.has_unsaved_changes() and not pane.notice.isVisible()
    assert pane.status_label.text() == status_label("dispatched")
    # Only notes and units changed meanwhile: saving overwrites nothing and needs no dialog.
    dialogs: list[ConflictDialog] = []
    pane.conflictShown.connect(dialogs.append)
    pane.save()
    await wait_until(lambda: not pane.has_unsaved_changes())
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.description == edited.strip() and not dialogs
    assert [j.kind for j in stored.journal].count("note") == 1


@pytest.mark.asyncio
@settles
async def test_other_fields_changed_meanwhile_are_taken_over(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    other = await colleague(ui_ctx.services)
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    type_into(qtbot, pane.caller_phone_edit, "0214 999")
    current = await ui_ctx.services.incidents.get(other, incident_id)
    await ui_ctx.services.incidents.update(other, incident_id, current.version, {"priority": 1})
    # The colleague changed a field the user is not editing: it is shown, the input stays.
    await wait_until(lambda: pane.priority_edit.currentData() == 1)
    assert pane.notice.isVisible() and field_label("priority") in pane.notice.text()
    assert pane.caller_phone_edit.text() == "0214 999"
    assert pane.edited_changes() == {"caller_phone": "0214 999"}
    dialogs: list[ConflictDialog] = []
    pane.conflictShown.connect(dialogs.append)
    pane.save()
    await wait_until(lambda: not pane.has_unsaved_changes())
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert (stored.priority, stored.caller_phone) == (1, "0214 999") and not dialogs
    assert not pane.notice.isVisible()


@pytest.mark.asyncio
@settles
async def test_own_note_with_ctrl_enter(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    qtbot.keyClicks(pane.note_edit, "Zeuge vor Ort: Herr Alt")
    qtbot.keyClick(pane.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.note_edit.toPlainText() == "")
    assert pane.journal_lines()[-1].kind == "note"
    assert pane.journal_lines()[-1].text == "Zeuge vor Ort: Herr Alt"
    assert "Zeuge vor Ort" in journal_text(pane)


@pytest.mark.asyncio
@settles
async def test_arrive_release_close_reopen(ui_ctx: UiContext, qtbot: QtBot) -> None:
    svc = ui_ctx.services
    u1 = await svc.units.create(ADMIN, "KOD 21")
    u2 = await svc.units.create(ADMIN, "KOD 22")
    incident_id = await new_incident(ui_ctx)
    await svc.incidents.assign_unit(ui_ctx.actor, incident_id, u1.id)
    await svc.incidents.assign_unit(ui_ctx.actor, incident_id, u2.id)
    pane = await shown(ui_ctx, qtbot, incident_id)
    await wait_until(lambda: f"unitArrive_{u2.id}" in pane.unit_buttons)

    qtbot.mouseClick(pane.unit_buttons[f"unitArrive_{u1.id}"], Qt.MouseButton.LeftButton)
    await wait_until(lambda: pane.detail is not None and pane.detail.status == "on_scene")
    assert (await svc.units.get(ui_ctx.actor, u1.id)).status == "4"
    assert not pane.unit_buttons[f"unitArrive_{u1.id}"].isEnabled()
    assert pane.detail is not None and pane.detail.on_scene_at is not None
    assert pane.on_scene_label.text()

    qtbot.mouseClick(pane.unit_buttons[f"unitRelease2_{u1.id}"], Qt.MouseButton.LeftButton)
    await wait_until(lambda: f"unitArrive_{u1.id}" not in pane.unit_buttons)
    assert (await svc.units.get(ui_ctx.actor, u1.id)).status == "2"
    assert pane.findChild(object, f"unitReleased_{u1.id}") is not None

    # Close: outcome chosen with the keyboard, note, Ctrl+Enter.
    pane.request_close()
    await wait_until(lambda: pane.close_dialog is not None and pane.close_dialog.isVisible())
    dialog = pane.close_dialog
    assert isinstance(dialog, CloseIncidentDialog)
    assert pane.findChild(QDialog, "CloseIncidentDialog") is dialog
    dialog.set_outcome("resolved")
    qtbot.keyClicks(dialog.note, "Musik leiser gestellt")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.is_closed())
    assert not dialog.isVisible()
    assert (await svc.units.get(ui_ctx.actor, u2.id)).status == "1"
    stored = await svc.incidents.get(ui_ctx.actor, incident_id)
    assert stored.outcome == "resolved" and stored.outcome_note == "Musik leiser gestellt"
    assert outcome_label("resolved") in pane.outcome_label.text()
    assert pane.reopen_button.isEnabled() and not pane.close_button.isEnabled()
    assert not pane.assign_button.isEnabled()

    # Reopen: a reason is required.
    pane.request_reopen()
    reopen = pane.reopen_dialog
    assert isinstance(reopen, ReopenIncidentDialog) and reopen.isVisible()
    qtbot.mouseClick(reopen.ok_button, Qt.MouseButton.LeftButton)
    assert reopen.isVisible() and reopen.message.isVisible()
    assert reopen.message.text() == app_tr("incidents", "Give a reason for reopening.")
    qtbot.keyClicks(reopen.reason, "Anrufer meldet erneut Laerm")
    qtbot.mouseClick(reopen.ok_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not pane.is_closed() and pane.detail is not None)
    assert pane.detail is not None and pane.detail.status == "new"
    assert pane.journal_lines()[-1].kind == "reopened"
    assert "Anrufer meldet erneut Laerm" in journal_text(pane)


@pytest.mark.asyncio
@settles
async def test_close_without_outcome_is_refused(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    pane.request_close()
    await wait_until(lambda: pane.close_dialog is not None and pane.close_dialog.isVisible())
    dialog = pane.close_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.note, "Notiz bleibt erhalten")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.message.isVisible()
    assert dialog.message.text() == app_tr("incidents", "Choose an outcome to close the incident.")
    assert dialog.note.toPlainText() == "Notiz bleibt erhalten"
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.closed_at is None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not pane.is_closed()


@pytest.mark.asyncio
@settles
async def test_close_on_a_stale_version_asks_first(ui_ctx: UiContext, qtbot: QtBot) -> None:
    other = await colleague(ui_ctx.services)
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    pane.request_close()
    await wait_until(lambda: pane.close_dialog is not None and pane.close_dialog.isVisible())
    dialog = pane.close_dialog
    assert dialog is not None
    current = await ui_ctx.services.incidents.get(other, incident_id)
    await ui_ctx.services.incidents.update(other, incident_id, current.version, {"priority": 1})
    dialogs: list[ConflictDialog] = []
    pane.conflictShown.connect(dialogs.append)
    dialog.set_outcome("nothing_found")
    dialog.try_submit()
    await wait_until(lambda: bool(dialogs))
    conflict = dialogs[0]
    assert conflict.action_label.text()
    priority = conflict.row("priority")
    assert priority is not None and priority.current == priority_label(1)
    assert (await ui_ctx.services.incidents.get(other, incident_id)).closed_at is None
    qtbot.mouseClick(conflict.reapply_button, Qt.MouseButton.LeftButton)
    await wait_until(pane.is_closed)
    stored = await ui_ctx.services.incidents.get(other, incident_id)
    assert stored.outcome == "nothing_found" and stored.priority == 1


@pytest.mark.asyncio
@settles
async def test_switching_incident_with_unsaved_edits_asks(ui_ctx: UiContext, qtbot: QtBot) -> None:
    first = await new_incident(ui_ctx)
    second = await new_incident(ui_ctx, "Kölner Straße 7")
    pane = await shown(ui_ctx, qtbot, first)
    type_into(qtbot, pane.address_edit, "Neue Adresse 5")
    cancelled: list[int] = []
    pane.switchCancelled.connect(cancelled.append)
    pane.show_incident(second)
    box = pane.switch_box
    assert box is not None and box.isVisible() and box.objectName() == "UnsavedChangesDialog"
    box.findChild(object, "switchKeep").click()
    assert cancelled == [first] and pane.address_edit.text() == "Neue Adresse 5"
    pane.show_incident(second)
    assert pane.switch_box is not None
    pane.switch_box.findChild(object, "switchSave").click()
    await wait_until(lambda: pane.is_shown() and pane.incident_id == second)
    assert pane.address_edit.text() == "Kölner Straße 7"
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, first)
    assert stored.address == "Neue Adresse 5"


@pytest.mark.asyncio
@settles
async def test_read_only_role_cannot_edit(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    officer = replace(ui_ctx.actor, role=Role.FIELD_OFFICER)
    ctx = UiContext(ui_ctx.services, officer, ui_ctx.bridge)
    pane = await shown(ctx, qtbot, incident_id)
    assert pane.address_edit.isReadOnly() and not pane.category_edit.isEnabled()
    assert not pane.close_button.isEnabled() and not pane.assign_button.isEnabled()
    assert pane.note_edit.isEnabled()  # field officers write journal notes


@pytest.mark.asyncio
@settles
async def test_install_adds_dock_and_shortcuts(
    ui_ctx: UiContext, qtbot: QtBot, ui_settings: QSettings
) -> None:
    incident_id = await new_incident(ui_ctx)
    window = MainWindow(ui_ctx, "test", ui_settings)
    qtbot.addWidget(window)
    pane = install(window)
    window.finish_layout()
    window.show()
    assert window.docks["detail"].widget() is pane
    actions = pane.shortcut_actions
    assert not any(a.isEnabled() for a in actions.values())  # nothing shown yet
    native = {
        QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
        for k in ("Ctrl+S", "Ctrl+E", "Ctrl+3", "Ctrl+Shift+N")
    }
    assert {i.keys for i in window.commands.items()} >= native
    window.queue.model.reload()
    await wait_until(lambda: window.queue.model.rowCount() == 1)
    window.queue.select_incident(incident_id)
    await wait_until(pane.is_shown)
    assert actions["close"].isEnabled() and actions["focus"].isEnabled()
    assert not actions["save"].isEnabled()
    window.activateWindow()
    # Enter on the queue row opens the detail with the cursor in the first field.
    window.queue.table.setFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_Return)
    await wait_until(lambda: pane.category_edit.hasFocus())
    window.queue.table.setFocus()
    qtbot.keyClick(window.queue.table, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.category_edit.hasFocus())
    pane.address_edit.setFocus()
    type_into(qtbot, pane.address_edit, "Wiesdorfer Platz 1")
    assert actions["save"].isEnabled()
    qtbot.keyClick(pane.address_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: not pane.has_unsaved_changes())
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.address == "Wiesdorfer Platz 1"
    qtbot.keyClick(pane.address_edit, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.close_dialog is not None and pane.close_dialog.isVisible())
    assert pane.close_dialog is not None
    pane.close_dialog.reject()


async def window_with_detail(
    ctx: UiContext, qtbot: QtBot, settings: QSettings, incident_id: int
) -> tuple[MainWindow, IncidentDetailPane]:
    window = MainWindow(ctx, "test", settings)
    qtbot.addWidget(window)
    pane = install(window)
    window.finish_layout()
    window.show()
    window.queue.model.reload()
    await wait_until(lambda: window.queue.model.row_of(incident_id) >= 0)
    window.queue.select_incident(incident_id)
    await wait_until(pane.is_shown)
    return window, pane


@pytest.mark.asyncio
@settles
async def test_assign_button_opens_the_assign_dialog(
    ui_ctx: UiContext, qtbot: QtBot, ui_settings: QSettings
) -> None:
    pytest.importorskip("ui.dialogs.assign_unit")
    unit = await ui_ctx.services.units.create(ADMIN, "KOD 31")
    incident_id = await new_incident(ui_ctx)
    _window, pane = await window_with_detail(ui_ctx, qtbot, ui_settings, incident_id)
    qtbot.mouseClick(pane.assign_button, Qt.MouseButton.LeftButton)
    dialog = pane.assign_dialog
    assert dialog is not None and dialog.objectName() == "AssignUnitDialog"
    await wait_until(lambda: getattr(dialog, "loaded", False))
    dialog.assign_current()  # type: ignore[attr-defined]
    await wait_until(lambda: f"unitArrive_{unit.id}" in pane.unit_buttons)
    assert pane.status_label.text() == status_label("dispatched")
