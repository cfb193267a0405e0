"""The frame shared by the work panes with lists and a detail (offence cases, recording holds).

Two parts in a splitter that never collapses (a list beside its detail, or two lists above each
other), tables that tell the pane when their current row changes, lists read again shortly
after the change feed touched them, a message line for the outcome of a step (red for a
refusal) and step dialogs opened without blocking the window.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.views.work_table_view import WorkTableView

#: The change feed comes in bursts: the lists are read once it has been quiet this long.
RELOAD_DELAY_MS = 150

#: One row of a part: a widget, a layout, or a widget with its stretch.
Row = QWidget | QLayout | tuple[QWidget, int]


def add_rows(layout: QBoxLayout, rows: tuple[Row | None, ...]) -> None:
    """Add ``rows`` to ``layout``; ``None`` is a stretch (in a header row: the gap)."""
    for row in rows:
        if row is None:
            layout.addStretch(1)
        elif isinstance(row, tuple):
            layout.addWidget(row[0], row[1])
        elif isinstance(row, QLayout):
            layout.addLayout(row)
        else:
            layout.addWidget(row)


def header(*items: QWidget | None) -> QHBoxLayout:
    """A row over a list, e.g. ``header(label, None, count)`` (``None`` takes the spare width)."""
    row = QHBoxLayout()
    add_rows(row, items)
    return row


class ListDetailPane(QWidget):
    """A work pane: two parts in a splitter, a message line, lists that follow the change feed.

    Subclasses read their lists in :meth:`_load` (setting ``_busy`` while they do), say what a
    saved dialog did in :meth:`_after_save` and put the keyboard in their list in
    :meth:`focus_main`.
    """

    def __init__(
        self, ctx: UiContext, name: str, message_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.ctx = ctx
        #: The step dialog open now (tests and the printing reach it here).
        self.dialog: QDialog | None = None
        self._busy = False
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        self.message = QLabel(self)
        self.message.setObjectName(message_name)
        self.message.setWordWrap(True)

    # -- building -----------------------------------------------------------------------------

    def work_table(
        self, name: str, model: QAbstractItemModel, stretch_column: int, min_width: int
    ) -> WorkTableView:
        """A table of ``model`` whose ``stretch_column`` takes the spare width."""
        table = WorkTableView(stretch_column, min_width, self)
        table.setObjectName(name)
        table.setModel(model)
        return table

    @staticmethod
    def follow_current(
        table: WorkTableView, slot: Callable[[WorkTableView, QModelIndex], None]
    ) -> None:
        """Call ``slot`` with the table and its new current row whenever that changes."""
        table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: slot(table, current)
        )

    def part(self, *rows: Row | None) -> QWidget:
        """One side of the splitter: ``rows`` one under the other, without margins."""
        widget = QWidget(self)
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        add_rows(layout, rows)
        return widget

    def arrange(
        self,
        orientation: Qt.Orientation,
        parts: tuple[QWidget, QWidget],
        below: tuple[Row, ...],
        share: tuple[int, int] | None = None,
    ) -> QSplitter:
        """Put ``parts`` in a splitter filling the pane, ``below`` under it.

        ``share`` gives the parts' proportions (e.g. 3:2 for a list beside its detail).
        """
        split = QSplitter(orientation, self)
        split.addWidget(parts[0])
        split.addWidget(parts[1])
        if share is not None:
            split.setStretchFactor(0, share[0])
            split.setStretchFactor(1, share[1])
            split.setSizes([share[0] * 1000, share[1] * 1000])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split, 1)
        add_rows(layout, below)
        return split

    # -- loading ------------------------------------------------------------------------------

    def start(self) -> None:
        """First load."""
        self.reload()

    def reload(self) -> None:
        """Read the lists again."""
        spawn(self._load())

    async def _load(self) -> None:
        raise NotImplementedError

    def idle(self) -> bool:
        """True when no reload is due or running."""
        return not self._reload_timer.isActive() and not self._busy

    def focus_main(self) -> None:
        """Put the keyboard in the pane's list."""
        raise NotImplementedError

    # -- steps --------------------------------------------------------------------------------

    def _open(self, dialog: WorkFormDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._after_save)
        self.dialog = dialog
        dialog.open()

    def _after_save(self, row: object) -> None:
        raise NotImplementedError

    def say(self, text: str, error: bool) -> None:
        """Show a message (red for a refusal)."""
        self.message.setText(text)
        self.message.setStyleSheet(theme.text_style("error" if error else "ok"))
