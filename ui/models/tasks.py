"""The Aufträge table model: open tasks first by due time, live from the change feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QFont

from app.domain.changes import Entity
from app.domain.codes import category_label
from app.domain.dto_work import TaskInfo, TaskQuery, task_status_label
from app.platform.timeutil import format_local
from app.services.ordering import task_sort_key
from ui import theme
from ui.context import UiContext
from ui.models.work_table import RowIdRole, RowRole, WorkTableModel

# Column numbers
COL_NUMBER = 0
COL_TITLE = 1
COL_DUE = 2
COL_FOLLOW_UP = 3
COL_ASSIGNEE = 4
COL_STATUS = 5
COL_ADDRESS = 6
COL_STADTTEIL = 7
COL_CATEGORY = 8
COL_SOURCE = 9
COLUMN_COUNT = 10

#: Role returning the task id / the :class:`TaskInfo`.
TaskIdRole = RowIdRole
TaskRole = RowRole

OVERDUE_COLOUR = theme.qcolor("overdue")
FOLLOW_UP_COLOUR = theme.qcolor("follow_up_due")
CLOSED_COLOUR = theme.qcolor("closed")


class TaskTableModel(WorkTableModel[TaskInfo, TaskQuery]):
    """Aufträge: lazily loaded and live-updated."""

    entity = Entity.TASK
    column_count = COLUMN_COUNT

    def __init__(
        self, ctx: UiContext, query: TaskQuery | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(ctx, query or TaskQuery(open_only=True), parent)
        headers = {
            COL_NUMBER: self.tr("No."),
            COL_TITLE: self.tr("Task"),
            COL_STATUS: self.tr("Status"),
            COL_DUE: self.tr("Due"),
            COL_FOLLOW_UP: self.tr("Follow-up"),
            COL_ASSIGNEE: self.tr("Assigned to"),
            COL_ADDRESS: self.tr("Address"),
            COL_STADTTEIL: self.tr("District"),
            COL_CATEGORY: self.tr("Category"),
            COL_SOURCE: self.tr("From report"),
        }
        self._headers = [headers[c] for c in range(COLUMN_COUNT)]

    async def fetch_count(self, query: TaskQuery) -> int:
        return await self._ctx.services.tasks.count(self._ctx.actor, query)

    async def fetch_page(self, query: TaskQuery, offset: int, limit: int) -> list[TaskInfo]:
        return await self._ctx.services.tasks.page(self._ctx.actor, query, offset, limit)

    async def fetch_rows(self, ids: Sequence[int]) -> list[TaskInfo]:
        return await self._ctx.services.tasks.rows(self._ctx.actor, ids)

    async def fetch_matches(self, query: TaskQuery, ids: Sequence[int]) -> set[int]:
        return await self._ctx.services.tasks.matches(self._ctx.actor, query, ids)

    def sort_key(self, row: TaskInfo) -> tuple[Any, ...]:
        return task_sort_key(row)

    def display(self, row: TaskInfo, column: int) -> str:
        if column == COL_NUMBER:
            return row.number
        if column == COL_TITLE:
            return row.title
        if column == COL_STATUS:
            return task_status_label(row.status)
        if column == COL_DUE:
            return format_local(row.due_at)
        if column == COL_FOLLOW_UP:
            return format_local(row.follow_up_at) if row.is_open else ""
        if column == COL_ASSIGNEE:
            return row.assignee
        if column == COL_ADDRESS:
            return row.address
        if column == COL_STADTTEIL:
            return row.stadtteil or ""
        if column == COL_CATEGORY:
            return category_label(row.category) if row.category else ""
        if column == COL_SOURCE:
            return row.source_report_number or ""
        return ""

    def cell_role(self, row: TaskInfo, column: int, role: int) -> Any:
        now = self.now()
        if role == Qt.ItemDataRole.ForegroundRole:
            if not row.is_open:
                return QBrush(CLOSED_COLOUR)
            if row.overdue(now) and column in (COL_NUMBER, COL_TITLE, COL_DUE):
                return QBrush(OVERDUE_COLOUR)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.follow_up_due(now):
                return QBrush(FOLLOW_UP_COLOUR)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if row.overdue(now) and column in (COL_NUMBER, COL_TITLE, COL_DUE):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_TITLE and row.description:
                return row.description
            if column == COL_FOLLOW_UP and row.follow_up_note:
                return row.follow_up_note
            if column == COL_DUE and row.overdue(now):
                return self.tr("Overdue")
            return None
        return None
