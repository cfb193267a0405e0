"""Typing a call sign on the unit status board: only an exact call sign selects a unit.

Qt's own keyboard search selects the first unit whose call sign *starts* with what was typed,
so "KOD 1" and a pause selected KOD 11, and the next digit set KOD 11's status. Here the typed
text selects a unit only when it is that unit's whole call sign; anything else leaves no unit
selected (a digit then changes nothing) and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QTableView

from app.domain.dto import UnitInfo

#: Keys that also are commands of the board (status digits, N for Notruf, space).
_COMMAND_KEYS = {getattr(Qt.Key, f"Key_{d}") for d in range(10)} | {Qt.Key.Key_N}
_TYPING_MODIFIERS = (
    Qt.KeyboardModifier.NoModifier,
    Qt.KeyboardModifier.KeypadModifier,
    Qt.KeyboardModifier.ShiftModifier,
)


def normalised(call_sign: str) -> str:
    """A call sign as compared: case and runs of spaces do not matter."""
    return " ".join(call_sign.casefold().split())


class CallSignTyping(QObject):
    """Collects typed characters into a call sign and selects the unit that has exactly it."""

    def __init__(
        self,
        table: QTableView,
        units: Callable[[], list[UnitInfo]],
        select: Callable[[int], bool],
        label: QLabel,
    ) -> None:
        super().__init__(table)
        self._table = table
        self._units = units
        self._select = select
        self._label = label
        #: What has been typed of the call sign so far.
        self.typed = ""
        #: Until when (monotonic seconds) keys continue the call sign.
        self._until = 0.0

    def typing(self) -> bool:
        """True while a call sign is being typed (within the keyboard input interval)."""
        return time.monotonic() < self._until

    def feed(self, event: QKeyEvent) -> bool:
        """Take ``event`` if it belongs to a call sign; True if it was taken.

        A letter starts a call sign; while it is being typed, digits, N and spaces continue it,
        so typing "KOD 33" selects KOD 33 instead of setting status 3 twice. After a pause
        (the system's keyboard input interval) the digits are commands again.
        """
        key = Qt.Key(event.key())
        text = event.text()
        if event.modifiers() not in _TYPING_MODIFIERS:
            return False
        if key == Qt.Key.Key_Backspace and self.typing() and self.typed:
            self._set(self.typed[:-1])
            return True
        if not text or not text.isprintable():
            return False
        command = key in _COMMAND_KEYS or text.isspace()
        if not self.typing():
            if command:
                return False
            self.typed = ""
        self._set(self.typed + text)
        return True

    def _set(self, typed: str) -> None:
        self.typed = typed
        self._until = time.monotonic() + QApplication.keyboardInputInterval() / 1000
        wanted = normalised(typed)
        match = next((u for u in self._units() if normalised(u.call_sign) == wanted), None)
        if match is not None:
            self._select(match.id)
            self._label.setText(self.tr("Call sign: %1").replace("%1", match.call_sign))
            self._label.setProperty("found", True)
        else:
            # No unit has exactly this call sign (yet): none is selected, so a digit typed
            # after a pause changes nothing.
            self._table.clearSelection()
            self._table.setCurrentIndex(QModelIndex())
            self._label.setText(
                self.tr("Call sign: %1 – no unit with exactly this call sign").replace(
                    "%1", typed.strip()
                )
            )
            self._label.setProperty("found", False)
        self._label.show()
