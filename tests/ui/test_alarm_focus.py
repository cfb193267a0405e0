"""An alarm never takes the keyboard; the alarm shortcuts work from every window and dialog.

Two "workstations" share one database: the dispatcher here types into the call-taking form
while a Notruf is raised through the other one's services and arrives through the change feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.ui.flows import KeyPad, build_window
from tests.ui.waiting import wait_until
from ui.context import UiContext
from ui.dialogs.call_taking import CallTakingActions, CallTakingDialog
from ui.main_window import MainWindow
from ui.views.emergency import EmergencyAlarm

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
FIELD = Actor(None, "cli:field", Role.FIELD_OFFICER)
WIESDORF = (51.0325, 6.9870)

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest_asyncio.fixture
async def other_workstation(db_target: DatabaseTarget) -> AsyncIterator[Services]:
    """The services of a second workstation (own connection, own workstation name)."""
    db2 = Database(db_target, workstation="test-ws-2")
    await db2.check()
    try:
        yield Services.create(db2)
    finally:
        await db2.dispose()


def _alarm(window: QWidget) -> EmergencyAlarm:
    alarm = window.findChild(EmergencyAlarm)
    assert isinstance(alarm, EmergencyAlarm)
    return alarm


async def _description_of_new_call(
    window: MainWindow, actions: CallTakingActions, pad: KeyPad
) -> CallTakingDialog:
    """F2 in the main window, then the cursor in the description of the call-taking form.

    (No category is typed: its completion popup would count as the active window offscreen.)
    """
    await wait_until(lambda: QApplication.activeWindow() is window)
    pad.key(Qt.Key.Key_F2, name="F2")
    await wait_until(lambda: actions.dialog is not None and actions.dialog.isActiveWindow())
    dialog = actions.dialog
    assert dialog is not None
    dialog.description.setFocus()
    await wait_until(lambda: dialog.description.hasFocus())
    return dialog


@pytest.mark.asyncio
async def test_notruf_from_another_workstation_never_takes_the_keyboard(
    ui_ctx: UiContext,
    other_workstation: Services,
    ui_settings: QSettings,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    alerts: list[object] = []
    monkeypatch.setattr(QApplication, "alert", staticmethod(lambda w, ms=0: alerts.append(w)))
    unit = await ui_ctx.services.units.create(LEAD, "KOD 12", home=WIESDORF)
    window, actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    alarm = _alarm(window)
    title = window.windowTitle()
    pad = KeyPad()
    dialog = await _description_of_new_call(window, actions, pad)
    moves: list[object] = []
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.focusChanged.connect(lambda _old, new: moves.append(new))

    first, rest = "Zwei Personen streiten laut, ", "einer hat ein Messer."
    pad.type(first)
    await other_workstation.units.raise_emergency(FIELD, unit.id)
    await wait_until(lambda: alarm.banner.isVisible() and alarm.is_sounding)
    # Let the alarm run a full flash cycle (everything it does on arrival has happened).
    phase = alarm.banner.phase
    await wait_until(lambda: alarm.banner.phase != phase, timeout=3)
    pad.type(rest)

    assert dialog.description.toPlainText() == first + rest
    assert moves == [], "the focus moved while the alarm came in"
    assert QApplication.activeWindow() is dialog
    assert window.queue.search.text() == ""
    # Impossible to miss all the same: taskbar alert and a changing window title.
    assert alerts and window in alerts
    await wait_until(lambda: window.windowTitle() != title)
    assert "NOTRUF" in window.windowTitle().upper()


@pytest.mark.asyncio
async def test_acknowledge_and_navigation_shortcuts_work_from_the_call_form_and_dialogs(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    a = await ui_ctx.services.units.create(LEAD, "KOD 21", home=WIESDORF)
    b = await ui_ctx.services.units.create(LEAD, "KOD 22", home=WIESDORF)
    window, actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    alarm = _alarm(window)
    pad = KeyPad()
    dialog = await _description_of_new_call(window, actions, pad)
    pad.type("Streit")

    await ui_ctx.services.units.raise_emergency(FIELD, a.id)
    await ui_ctx.services.units.raise_emergency(FIELD, b.id)
    await wait_until(lambda: len(alarm.open_emergencies) == 2)

    # Ctrl+Shift+A typed in the call-taking form acknowledges the oldest Notruf.
    pad.key(Qt.Key.Key_A, CTRL_SHIFT, name="Ctrl+Shift+A")
    await wait_until(lambda: [e.unit_id for e in alarm.open_emergencies] == [b.id])
    assert dialog.isActiveWindow() and dialog.description.hasFocus()

    # Inside a modal question (Esc asks before discarding the call) it works too.
    pad.key(Qt.Key.Key_Escape, name="Esc")
    await wait_until(lambda: dialog.confirm_box is not None and dialog.confirm_box.isVisible())
    box = dialog.confirm_box
    assert isinstance(box, QMessageBox)
    await wait_until(lambda: QApplication.activeWindow() is box)
    pad.key(Qt.Key.Key_A, CTRL_SHIFT, name="Ctrl+Shift+A")
    await wait_until(lambda: alarm.open_emergencies == [] and not alarm.is_sounding)
    pad.key(Qt.Key.Key_Escape, name="Esc")  # keep the call
    await wait_until(lambda: dialog.confirm_box is None and dialog.isActiveWindow())

    # Navigation from the form: Ctrl+1 goes to the queue, the form stays open with its input.
    pad.key(Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier, name="Ctrl+1")
    await wait_until(lambda: window.queue.table.hasFocus())
    assert dialog.isVisible() and dialog.description.toPlainText() == "Streit"
