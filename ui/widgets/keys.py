"""Recognising the keys that submit a form."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence


def is_ctrl_enter(event: QEvent) -> bool:
    """Ctrl+Enter (submits a dialog also from a multi-line field)."""
    return (
        isinstance(event, QKeyEvent)
        and event.type() == QEvent.Type.KeyPress
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
    )


def matches(event: QKeyEvent, sequences: tuple[str, ...]) -> bool:
    """True if the pressed key (chord) is exactly one of ``sequences``."""
    pressed = QKeySequence(event.keyCombination())
    return any(
        pressed.matches(QKeySequence(s)) == QKeySequence.SequenceMatch.ExactMatch for s in sequences
    )
