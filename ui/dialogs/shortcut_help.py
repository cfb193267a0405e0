"""The keyboard help: every shortcut of the workstation, grouped (F1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.shortcuts import ShortcutRegistry

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class ShortcutHelpDialog(QDialog):
    """Lists the registered shortcuts (group, keys, what they do)."""

    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutHelpDialog")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        items = registry.items()
        self.table = QTableWidget(len(items), 3, self)
        self.table.setObjectName("shortcutTable")
        self.table.setHorizontalHeaderLabels([self.tr("Area"), self.tr("Keys"), self.tr("Action")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, info in enumerate(items):
            for col, value in enumerate((info.group, info.keys, info.description)):
                self.table.setItem(row, col, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 620)


def install(window: MainWindow) -> None:
    """F1 opens the shortcut help (it lists itself too)."""
    action = window.shortcuts.add_action(
        window, window.tr("General"), window.tr("Keyboard shortcuts"), "F1", "actionShortcutHelp"
    )
    window.help_menu.addAction(action)

    def show() -> None:
        dialog = ShortcutHelpDialog(window.shortcuts, window)
        dialog.open()

    action.triggered.connect(show)
