"""Every keyboard shortcut of the workstation, registered once so the help dialog lists them."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ShortcutInfo:
    """One line of the shortcut help."""

    group: str
    keys: str
    description: str


class ShortcutRegistry(QObject):
    """Collects actions with shortcuts (per main window)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[tuple[str, QAction | None, str, str]] = []

    def add_action(
        self,
        window: QWidget,
        group: str,
        text: str,
        keys: QKeySequence | str | list[QKeySequence],
        object_name: str,
    ) -> QAction:
        """Create an action with ``keys`` on ``window`` (works wherever the focus is)."""
        action = QAction(text, window)
        action.setObjectName(object_name)
        if isinstance(keys, list):
            action.setShortcuts(keys)
        else:
            action.setShortcut(QKeySequence(keys))
        window.addAction(action)
        self._items.append((group, action, "", ""))
        return action

    def add_action_object(self, group: str, action: QAction) -> None:
        """List an existing action (with its shortcut) in the help."""
        self._items.append((group, action, "", ""))

    def add_info(self, group: str, keys: str, description: str) -> None:
        """List a key that is handled inside a widget (e.g. status digits on the unit board)."""
        self._items.append((group, None, keys, description))

    def items(self) -> list[ShortcutInfo]:
        """Everything registered, in registration order."""
        result: list[ShortcutInfo] = []
        for group, action, keys, description in self._items:
            if action is not None:
                seqs = action.shortcuts()
                if not seqs:
                    continue
                keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in seqs)
                description = action.text().replace("&", "")
            result.append(ShortcutInfo(group, keys, description))
        return result


def group_name(source: str) -> str:
    """Translate a shortcut group name (context ``Shortcuts``)."""
    return QCoreApplication.translate("Shortcuts", source)
