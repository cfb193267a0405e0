"""Parts of the unit status board: the row delegate that keeps the status colour on the
selected row, and the status history dialog."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import unit_status_display
from app.domain.dto import StatusChange, UnitInfo
from app.platform.timeutil import format_local
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.unit_board import STATUS_STYLES


class StatusRowDelegate(QStyledItemDelegate):
    """Keeps the status colour on the selected row and marks the selection with a dark frame."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        opt.state &= ~QStyle.StateFlag.State_Selected  # type: ignore[attr-defined]
        opt.state &= ~QStyle.StateFlag.State_HasFocus  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if not selected:
            return
        rect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.setPen(QPen(theme.qcolor("unit_marker"), 2))
        painter.drawLine(rect.left(), rect.top() + 1, rect.right(), rect.top() + 1)
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        model = index.model()
        if index.column() == 0:
            painter.fillRect(rect.left(), rect.top(), 5, rect.height(), theme.qcolor("unit_marker"))
        elif model is not None and index.column() == model.columnCount() - 1:
            painter.drawLine(rect.right(), rect.top(), rect.right(), rect.bottom())
        painter.restore()


class UnitStatusHistoryDialog(QDialog):
    """A unit's status history: time (Berlin), status, previous status, user, incident, note."""

    COLUMNS = 6

    def __init__(self, ctx: UiContext, unit: UnitInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UnitStatusHistoryDialog")
        self.setWindowTitle(self.tr("Status history – %1").replace("%1", unit.call_sign))
        self._ctx = ctx
        self.unit = unit
        self.table = QTableWidget(0, self.COLUMNS, self)
        self.table.setObjectName("statusHistoryTable")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Time"),
                self.tr("Status"),
                self.tr("Previous"),
                self.tr("User"),
                self.tr("Incident"),
                self.tr("Note"),
            ]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.info = QLabel(self.tr("Loading …"), self)
        self.info.setObjectName("statusHistoryInfo")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.info)
        layout.addWidget(buttons)
        self.resize(860, 440)
        self.loaded = False
        spawn(self._load())

    async def _load(self) -> None:
        rows = await self._ctx.services.units.history(self._ctx.actor, self.unit.id)
        self.set_rows(rows)

    def set_rows(self, rows: list[StatusChange]) -> None:
        """Fill the table (newest first, as the service returns them)."""
        self.table.setRowCount(len(rows))
        for r, change in enumerate(rows):
            values = (
                format_local(change.changed_at, with_seconds=True),
                unit_status_display(change.status),
                unit_status_display(change.previous_status) if change.previous_status else "",
                change.username or "–",
                change.incident_number or "",
                change.note or "",
            )
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 1:
                    style = STATUS_STYLES.get(change.status)
                    if style is not None:
                        item.setBackground(style.background)
                        item.setForeground(style.foreground)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            self.COLUMNS - 1, QHeaderView.ResizeMode.Stretch
        )
        self.info.setText(
            self.tr("%1 status changes (newest first)").replace("%1", str(len(rows)))
            if rows
            else self.tr("No status changes recorded.")
        )
        self.loaded = True
