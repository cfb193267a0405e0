"""The incident detail: a note on a closed incident (journaled as written after closing), and
roles that may only look see read-only fields and disabled actions that say why."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.codes import JOURNAL_NOTE_AFTER_CLOSE
from app.platform.permissions import Role, role_label
from tests.ui.conftest import wait_until
from tests.ui.test_incident_detail import (  # no_error_dialogs: used as autouse fixture
    journal_text,
    new_incident,
    no_error_dialogs,  # noqa: F401
    settles,
    shown,
)
from ui.context import UiContext
from ui.main_window import MainWindow
from ui.views.incident_detail import IncidentDetailPane, install
from ui.widgets.readonly import looks_read_only


@pytest.mark.asyncio
@settles
async def test_a_closed_incident_takes_a_note_journaled_as_after_closing(
    ui_ctx: UiContext, qtbot: QtBot, ui_settings: QSettings
) -> None:
    incident_id = await new_incident(ui_ctx)
    detail = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    await ui_ctx.services.incidents.close(ui_ctx.actor, incident_id, detail.version, "resolved", "")
    window = MainWindow(ui_ctx, "test", ui_settings)
    qtbot.addWidget(window)
    pane = install(window)
    window.finish_layout()
    window.show()
    window.activateWindow()
    window.queue.model.reload()
    await wait_until(lambda: window.queue.model.row_of(incident_id) >= 0)
    window.queue.select_incident(incident_id)
    await wait_until(lambda: pane.is_shown() and pane.is_closed())
    # The keyboard way: Ctrl+Shift+N, type, Ctrl+Enter.
    assert pane.shortcut_actions["note"].isEnabled()
    window.queue.table.setFocus()
    qtbot.keyClick(
        window.queue.table,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    await wait_until(lambda: pane.note_edit.hasFocus())
    assert "Vermerk nach Abschluss" in pane.note_edit.placeholderText()
    qtbot.keyClicks(pane.note_edit, "Nachtrag: Anrufer bedankt sich")
    qtbot.keyClick(pane.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: pane.note_edit.toPlainText() == "")
    last = pane.journal_lines()[-1]
    assert (last.kind, last.text) == (JOURNAL_NOTE_AFTER_CLOSE, "Nachtrag: Anrufer bedankt sich")
    assert "Vermerk nach Abschluss" in journal_text(pane)
    stored = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
    assert stored.status == "closed" and stored.journal[-1].kind == JOURNAL_NOTE_AFTER_CLOSE


def assert_read_only_look(widget: object, why: str) -> None:
    assert looks_read_only(widget), widget  # type: ignore[arg-type]
    assert why in widget.toolTip()  # type: ignore[attr-defined]
    if hasattr(widget, "isReadOnly"):
        assert widget.isReadOnly()  # type: ignore[attr-defined]
        palette = widget.palette()  # type: ignore[attr-defined]
        # Not the white of an editable field: the background of the window around it.
        assert palette.color(QPalette.ColorRole.Base) == palette.color(QPalette.ColorRole.Window)
        assert palette.color(QPalette.ColorRole.Base) != QApplication.palette().color(
            QPalette.ColorRole.Base
        )
    else:
        assert not widget.isEnabled()  # type: ignore[attr-defined]


@pytest.mark.asyncio
@settles
async def test_clerk_sees_read_only_fields_and_actions_that_say_why(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    incident_id = await new_incident(ui_ctx)
    clerk = replace(ui_ctx.actor, role=Role.CLERK)
    pane: IncidentDetailPane = await shown(
        UiContext(ui_ctx.services, clerk, ui_ctx.bridge), qtbot, incident_id
    )
    why = role_label(Role.CLERK)
    assert why == "Sachbearbeitung"
    for editor in pane.editors.values():
        assert_read_only_look(editor, why)
    assert_read_only_look(pane.note_edit, why)
    for button in (pane.save_button, pane.close_button, pane.assign_button, pane.note_button):
        assert not button.isEnabled() and why in button.toolTip(), button.objectName()
    # Typing changes nothing and nothing can be saved.
    pane.address_edit.setFocus()
    qtbot.keyClicks(pane.address_edit, "XYZ")
    assert pane.address_edit.text() == "Friedrich-Ebert-Platz 1"
    assert not pane.has_unsaved_changes() and not pane.save_button.isEnabled()


@pytest.mark.asyncio
@settles
async def test_dispatcher_fields_stay_editable(ui_ctx: UiContext, qtbot: QtBot) -> None:
    incident_id = await new_incident(ui_ctx)
    pane = await shown(ui_ctx, qtbot, incident_id)
    for editor in [*pane.editors.values(), pane.note_edit]:
        assert not looks_read_only(editor) and editor.isEnabled()
    assert not pane.address_edit.isReadOnly() and pane.address_edit.toolTip() == ""
