"""The keyboard help: every shortcut of the workstation, grouped (F1), read from the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.commands import CommandRegistry

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class ShortcutHelpDialog(QDialog):
    """Lists the registered shortcuts (group, keys, what they do)."""

    def __init__(self, registry: CommandRegistry, parent: QWidget | None = None) -> None:
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

    def show() -> None:
        dialog = ShortcutHelpDialog(window.commands, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    window.commands.bind("app.help", show)
