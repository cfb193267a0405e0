"""A table view whose main text column stretches but never shrinks below a readable width;
helpers for the panes' tables (select a row, action menus, the "More" button)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QItemSelectionModel
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QToolButton,
    QWidget,
)

from ui.widgets.elide import keep_stretched, tooltip_when_cut


def select_row(table: QTableView, row: int, column: int) -> bool:
    """Make ``row`` the current and only selected row (at ``column``) and scroll it into view.

    False, changing nothing, for a negative ``row`` (what a model's ``row_of`` says for an id
    it has not loaded).
    """
    if row < 0:
        return False
    index = table.model().index(row, column)
    table.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    table.scrollTo(index)
    return True


T = TypeVar("T")


def current_item(table: QTableView, role: int, kind: type[T]) -> T | None:
    """The ``kind`` object the table's current row holds under ``role`` (None if none)."""
    value = table.model().data(table.currentIndex(), role)
    return value if isinstance(value, kind) else None


def keep_selection(
    model: QAbstractItemModel,
    selected_id: Callable[[], int | None],
    select: Callable[[int], object],
) -> None:
    """After ``model`` resets, select the item again that was selected before.

    By id, not by row: the reload may have moved the item (or dropped it: then nothing is).
    """
    remembered: list[int | None] = [None]

    def remember() -> None:
        remembered[0] = selected_id()

    def restore() -> None:
        if remembered[0] is not None:
            select(remembered[0])

    model.modelAboutToBeReset.connect(remember)
    model.modelReset.connect(restore)


def fill_menu(menu: QMenu, buttons: Sequence[QAbstractButton]) -> None:
    """Add one action per button (same text, same enabled state, clicking the button)."""
    for button in buttons:
        action = QAction(button.text(), menu)
        action.setEnabled(button.isEnabled())
        action.triggered.connect(button.click)
        menu.addAction(action)


def more_button(parent: QWidget, buttons: Sequence[QAbstractButton]) -> QToolButton:
    """A "More" button whose menu offers ``buttons`` (which are hidden from the button row)."""
    tool = QToolButton(parent)
    tool.setText(QCoreApplication.translate("WorkTableView", "More"))
    tool.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(tool)
    tool.setMenu(menu)

    def refill() -> None:
        menu.clear()
        fill_menu(menu, buttons)

    menu.aboutToShow.connect(refill)
    for button in buttons:
        button.hide()
    return tool


class WorkTableView(QTableView):
    """Row-selecting table; ``stretch_column`` takes the spare width, at least ``min_width``.

    In a narrow dock the other columns keep their widths and a horizontal scroll bar appears,
    instead of the title column shrinking to a few letters.
    """

    def __init__(self, stretch_column: int, min_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stretch_column = stretch_column
        self._min_width = min_width
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        header.setStretchLastSection(False)
        tooltip_when_cut(self)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            keep_stretched(self, self._stretch_column, lambda: self._min_width)
