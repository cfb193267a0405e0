"""Long German texts are never cut silently.

* :func:`fit_popup` – a combo box's list is as wide as its longest entry.
* :func:`tooltip_when_cut` – a combo box or item view shows the full text as a tooltip where
  the text does not fit (tables elide with "…"; the tooltip tells the rest).
* :func:`stretch_or_scroll` / :func:`keep_stretched` – a table column stretches into spare
  width, but never below a readable width (at least its header title): with too little room
  the table scrolls sideways instead of cutting "Besatzung" to "satzu".
* :func:`share_spare` – a column with long texts (a category) takes what it needs from the
  stretching column (the address) whenever that one keeps enough.
* :func:`text_fits` – True if a text fits a widget's width (the tests' check, too).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics, QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QStyle,
    QStyleOptionComboBox,
    QTableView,
    QToolTip,
    QWidget,
)

#: Room a table cell's text needs besides the text (margins, focus frame).
CELL_PADDING = 10


def text_fits(widget: QWidget, text: str, available: int | None = None) -> bool:
    """True if ``text`` in ``widget``'s font fits ``available`` pixels (default: its width)."""
    width = widget.width() if available is None else available
    return widget.fontMetrics().horizontalAdvance(text) <= width


def combo_text_width(combo: QComboBox) -> int:
    """Pixels a closed combo box has for its text."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    rect = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return rect.width()


def fit_popup(combo: QComboBox) -> None:
    """Make ``combo``'s list at least as wide as its longest entry."""
    metrics = combo.view().fontMetrics()
    widest = max(
        (metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0
    )
    scroll = combo.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    combo.view().setMinimumWidth(widest + scroll + 4 * CELL_PADDING)


class _CutTextToolTips(QObject):
    """Shows the full text of a combo box or a table cell whose text is cut."""

    def __init__(self, target: QWidget, view: QAbstractItemView | None) -> None:
        super().__init__(target)
        self._view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        full = ""
        if isinstance(watched, QComboBox):
            text = watched.currentText()
            if not text_fits(watched, text, combo_text_width(watched)):
                full = text
        elif self._view is not None:
            index = self._view.indexAt(event.pos())
            if index.isValid() and not index.data(Qt.ItemDataRole.ToolTipRole):
                text = str(index.data() or "")
                width = self._view.visualRect(index).width() - CELL_PADDING
                if text and not text_fits(self._view, text, width):
                    full = text
        if not full:
            return False
        QToolTip.showText(
            event.globalPos(), full, watched if isinstance(watched, QWidget) else None
        )
        return True


def tooltip_when_cut(widget: QComboBox | QAbstractItemView) -> None:
    """Show the full text as a tooltip wherever ``widget`` cuts it."""
    if isinstance(widget, QAbstractItemView):
        widget.viewport().installEventFilter(_CutTextToolTips(widget.viewport(), widget))
    else:
        widget.installEventFilter(_CutTextToolTips(widget, None))


def header_width(table: QTableView, column: int) -> int:
    """Pixels the header title of ``column`` needs (with the sort arrow's room)."""
    header = table.horizontalHeader()
    title = str(table.model().headerData(column, Qt.Orientation.Horizontal) or "")
    return header.fontMetrics().horizontalAdvance(title) + 3 * CELL_PADDING


def stretch_or_scroll(table: QTableView, column: int, min_width: int) -> None:
    """``column`` takes the spare width when there is at least ``min_width`` of it; otherwise
    it keeps ``min_width`` and the table scrolls sideways (the other columns keep theirs)."""
    model = table.model()
    if model is None:
        return
    header = table.horizontalHeader()
    others = sum(
        header.sectionSize(c)
        for c in range(model.columnCount())
        if c != column and not header.isSectionHidden(c)
    )
    spare = table.viewport().width() - others
    mode = (
        QHeaderView.ResizeMode.Stretch if spare >= min_width else QHeaderView.ResizeMode.Interactive
    )
    if header.sectionResizeMode(column) != mode:
        header.setSectionResizeMode(column, mode)
    if mode == QHeaderView.ResizeMode.Interactive and header.sectionSize(column) < min_width:
        header.resizeSection(column, min_width)


class _Fitter(QObject):
    """Re-fits a table's stretching column when the table or a column changes width."""

    def __init__(self, table: QTableView, column: int, min_width: Callable[[], int]) -> None:
        super().__init__(table)
        self._table = table
        self._column = column
        self._min_width = min_width

    def fit(self, *_args: object) -> None:
        stretch_or_scroll(self._table, self._column, self._min_width())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def keep_stretched(table: QTableView, column: int, min_width: Callable[[], int]) -> None:
    """Keep :func:`stretch_or_scroll` applied to ``column`` whenever the table is resized."""
    fitter = _Fitter(table, column, min_width)
    table.viewport().installEventFilter(fitter)
    table.horizontalHeader().sectionResized.connect(fitter.fit)
    fitter.fit()


class _Sharer(QObject):
    """Widens one column into the spare width of the stretching column (see share_spare)."""

    def __init__(
        self, table: QTableView, column: int, wanted: int, stretch: int, keep: int
    ) -> None:
        super().__init__(table)
        self._table = table
        self._column = column
        self._wanted = wanted
        self._stretch = stretch
        self._keep = keep
        self._base = table.horizontalHeader().sectionSize(column)

    def fit(self) -> None:
        model = self._table.model()
        if model is None:
            return
        header = self._table.horizontalHeader()
        fixed = sum(
            header.sectionSize(c)
            for c in range(model.columnCount())
            if c not in (self._column, self._stretch) and not header.isSectionHidden(c)
        )
        available = self._table.viewport().width() - fixed - self._keep
        width = max(self._base, min(self._wanted, available))
        if header.sectionSize(self._column) != width:
            header.resizeSection(self._column, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def share_spare(table: QTableView, column: int, wanted: int, stretch: int, keep: int) -> None:
    """On every resize give ``column`` up to ``wanted`` pixels (never less than it has now) from
    the ``stretch`` column, as long as that one keeps ``keep`` pixels; where both do not fit,
    the cells are elided and the tooltip tells the rest."""
    sharer = _Sharer(table, column, wanted, stretch, keep)
    table.viewport().installEventFilter(sharer)
    sharer.fit()


def widest_text(widget: QWidget, texts: list[str], bold: bool = True) -> int:
    """Pixels the widest of ``texts`` needs in a table cell of ``widget`` (bold: as open rows)."""
    font = QFont(widget.font())
    font.setBold(bold)
    metrics = QFontMetrics(font)
    return max((metrics.horizontalAdvance(t) for t in texts), default=0) + 2 * CELL_PADDING
