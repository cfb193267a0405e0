"""The scripted keyboard-only flow "new call → unit dispatched", with a key-press counter.

One implementation, used by ``tests/ui/test_call_taking.py`` and ``bench/call_to_dispatch.py``.
No pytest here: the benchmark imports it outside the test run.

Counting rule: every ``KeyPad.key`` is one press (a key with modifiers, such as Ctrl+N, is
one chord and counts once), every typed character is one press. Keys go where a real keyboard
sends them: to the open completion list if there is one, else to the focused widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.codes import category_label
from app.platform.uow import Actor
from app.services import Services
from tests.ui.waiting import wait_until
from ui.context import UiContext
from ui.dialogs.assign_unit import AssignUnitDialog
from ui.dialogs.call_taking import CallTakingActions, CallTakingDialog
from ui.main_window import MainWindow

#: What the dispatcher types: a category prefix and a street prefix with a house number.
CATEGORY_CODE = "noise"
ADDRESS_TYPED = "haup 5"


@dataclass
class KeyPad:
    """Types like a user and counts every key press."""

    presses: int = 0
    log: list[str] = field(default_factory=list)

    @staticmethod
    def target() -> QWidget:
        """Where the keyboard goes now: an open popup list, else the focused widget."""
        popup = QApplication.activePopupWidget()
        if popup is not None:
            return popup
        widget = QApplication.focusWidget() or QApplication.activeWindow()
        if widget is None:
            raise AssertionError("no widget has the keyboard focus")
        return widget

    def key(
        self,
        key: Qt.Key,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
        name: str = "",
    ) -> None:
        """Press one key (or one chord)."""
        QTest.keyClick(self.target(), key, modifier)
        self.presses += 1
        self.log.append(name or str(key))

    def type(self, text: str) -> None:
        """Type ``text``: one press per character."""
        for ch in text:
            # A key event carrying the character, as the keyboard sends it (QTest.keyClicks
            # only knows ASCII). The key code of a Latin-1 letter is its upper-case code point.
            upper = ch.upper()
            code = ord(upper) if len(upper) == 1 and ord(upper) < 0x100 else 0
            key = Qt.Key(code) if code else Qt.Key.Key_unknown
            target = self.target()
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch)
                )
            self.presses += 1
            self.log.append(ch)


@dataclass
class FlowResult:
    """What the flow did."""

    presses: int
    keys: list[str]
    incident_id: int
    unit_id: int
    address: str


def category_prefix(code: str = CATEGORY_CODE, letters: int = 3) -> str:
    """The first letters of the translated category label ("Lär" for Lärm)."""
    return category_label(code)[:letters].lower()


def build_window(ctx: UiContext, settings: QSettings) -> tuple[MainWindow, CallTakingActions]:
    """The workstation's real main window (every pane installed), shown and active."""
    from ui.workstation_window import build_window as build_main_window

    window = build_main_window(ctx, "Test", settings)
    actions = window.findChild(CallTakingActions, "callTakingActions")
    assert isinstance(actions, CallTakingActions), "call-taking is not installed"
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    window.queue.model.reload()
    return window, actions


async def call_to_dispatch(
    window: MainWindow,
    actions: CallTakingActions,
    address_typed: str = ADDRESS_TYPED,
) -> FlowResult:
    """From "new call" to "unit dispatched" with the keyboard alone; returns the count."""
    pad = KeyPad()
    await wait_until(lambda: QApplication.activeWindow() is window)
    window.queue.focus_table()

    pad.key(Qt.Key.Key_F2, name="F2")  # new incident
    await wait_until(lambda: actions.dialog is not None and actions.dialog.isActiveWindow())
    dialog: CallTakingDialog = actions.dialog  # type: ignore[assignment]
    await wait_until(lambda: dialog.category.lineEdit().hasFocus())

    pad.type(category_prefix())  # "lär"
    pad.key(Qt.Key.Key_Tab, name="Tab")  # best match taken, on to the address
    await wait_until(lambda: dialog.address.hasFocus())

    pad.type(address_typed)  # "haup 5"
    await wait_until(
        lambda: dialog.suggestions_ready() and dialog.address_completer.popup().isVisible()
    )
    pad.key(Qt.Key.Key_Down, name="Down")  # first suggestion
    pad.key(Qt.Key.Key_Return, name="Enter")  # take it
    await wait_until(lambda: dialog.chosen_address is not None)
    address = dialog.address.text()

    pad.key(Qt.Key.Key_F9, name="F9")  # save and dispatch
    await wait_until(lambda: dialog.assign_dialog is not None)
    assign: AssignUnitDialog = dialog.assign_dialog  # type: ignore[assignment]
    await wait_until(lambda: assign.loaded and assign.isActiveWindow())
    proposed = assign.current_unit_id()
    incident_id = assign.incident_id
    assigned: list[int] = []
    assign.assigned.connect(lambda _incident, unit: assigned.append(unit))

    pad.key(Qt.Key.Key_Return, name="Enter")  # assign the proposed unit
    await wait_until(lambda: assigned)
    assert assigned == [proposed]
    return FlowResult(pad.presses, pad.log, incident_id, assigned[0], address)


async def load_demo(services: Services, actor: Actor, incidents: int = 20) -> None:
    """The demo dataset (gazetteer, units at their positions) with a short history.

    The demo's due Wiedervorlagen are postponed by a shift first: the scripted call starts
    with a quiet desk, as a measured call should (a reminder window popping up mid-call
    would take the keyboard under the offscreen platform, which activates every window
    shown, WA_ShowWithoutActivating or not).
    """
    from demodata.generate import DEMO_PASSWORD, generate_demo

    await generate_demo(services, actor, incidents=incidents, seed=11)
    dispatcher = await services.users.authenticate("disponent", DEMO_PASSWORD)
    for task in await services.tasks.due_follow_ups(dispatcher):
        await services.tasks.snooze_follow_up(dispatcher, task.id, 8 * 60)
