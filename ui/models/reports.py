"""The Meldungen table model: open reports first, newest first, live from the change feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QBrush, QFont

from app.domain.changes import Entity
from app.domain.codes import category_label
from app.domain.dto_work import (
    ReportInfo,
    ReportQuery,
    platform_mark_label,
    report_origin_label,
    report_source_label,
    report_status_label,
)
from app.platform.timeutil import format_local
from app.services.ordering import report_sort_key
from ui import theme
from ui.context import UiContext
from ui.models.work_table import RowIdRole, RowRole, WorkTableModel

# Column numbers
COL_NUMBER = 0
COL_RECEIVED = 1
COL_SUBJECT = 2
COL_STATUS = 3
COL_CATEGORY = 4
COL_ADDRESS = 5
COL_STADTTEIL = 6
COL_SOURCE = 7
COL_LINK = 8
COLUMN_COUNT = 9

#: Role returning the report id / the :class:`ReportInfo`.
ReportIdRole = RowIdRole
ReportRole = RowRole

CLOSED_COLOUR = theme.qcolor("closed")
LINK_COLOUR = theme.qcolor("link")
#: A Meldung the citizens' platform closed (or reopened) while it is not so here.
PLATFORM_MARK_COLOUR = theme.qcolor("warning")


class ReportTableModel(WorkTableModel[ReportInfo, ReportQuery]):
    """Meldungen: lazily loaded and live-updated."""

    entity = Entity.REPORT
    column_count = COLUMN_COUNT

    def __init__(
        self, ctx: UiContext, query: ReportQuery | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(ctx, query or ReportQuery(open_only=True), parent)
        headers = {
            COL_NUMBER: self.tr("No."),
            COL_RECEIVED: self.tr("Received"),
            COL_SOURCE: self.tr("Source"),
            COL_SUBJECT: self.tr("Subject"),
            COL_CATEGORY: self.tr("Category"),
            COL_ADDRESS: self.tr("Address"),
            COL_STADTTEIL: self.tr("District"),
            COL_STATUS: self.tr("Status"),
            COL_LINK: self.tr("Became"),
        }
        self._headers = [headers[c] for c in range(COLUMN_COUNT)]

    async def fetch_count(self, query: ReportQuery) -> int:
        return await self._ctx.services.reports.count(self._ctx.actor, query)

    async def fetch_page(self, query: ReportQuery, offset: int, limit: int) -> list[ReportInfo]:
        return await self._ctx.services.reports.page(self._ctx.actor, query, offset, limit)

    async def fetch_rows(self, ids: Sequence[int]) -> list[ReportInfo]:
        return await self._ctx.services.reports.rows(self._ctx.actor, ids)

    async def fetch_matches(self, query: ReportQuery, ids: Sequence[int]) -> set[int]:
        return await self._ctx.services.reports.matches(self._ctx.actor, query, ids)

    def sort_key(self, row: ReportInfo) -> tuple[Any, ...]:
        return report_sort_key(row)

    def link_text(self, row: ReportInfo) -> str:
        """What the Meldung became: ``Einsatz E-…`` or ``Auftrag A-…`` (empty if nothing)."""
        if row.incident_number:
            return self.tr("Incident %1").replace("%1", row.incident_number)
        if row.task_number:
            return self.tr("Task %1").replace("%1", row.task_number)
        return ""

    def display(self, row: ReportInfo, column: int) -> str:
        if column == COL_NUMBER:
            return row.number
        if column == COL_RECEIVED:
            return format_local(row.received_at)
        if column == COL_SOURCE:
            # Marked by who it comes from: field, citizen or desk, then the channel.
            origin, channel = report_origin_label(row.source), report_source_label(row.source)
            return origin if row.source == "field" else f"{origin} · {channel}"
        if column == COL_SUBJECT:
            return row.subject
        if column == COL_CATEGORY:
            return category_label(row.category) if row.category else ""
        if column == COL_ADDRESS:
            return row.address
        if column == COL_STADTTEIL:
            return row.stadtteil or ""
        if column == COL_STATUS:
            mark = row.platform_mark
            status = report_status_label(row.status)
            return f"{status} · {platform_mark_label(mark)}" if mark else status
        if column == COL_LINK:
            return self.link_text(row)
        return ""

    def platform_text(self, row: ReportInfo) -> str:
        """What the citizens' platform says about the request (empty if nothing)."""
        return platform_text(row)

    def cell_role(self, row: ReportInfo, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_STATUS and row.platform_mark:
                return QBrush(PLATFORM_MARK_COLOUR)
            if column == COL_LINK and (row.incident_id or row.task_id):
                return QBrush(LINK_COLOUR)
            if not row.is_open:
                return QBrush(CLOSED_COLOUR)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if (
                (row.status == "new" and column in (COL_NUMBER, COL_SUBJECT))
                or (column == COL_SOURCE and row.source == "field")
                or (column == COL_STATUS and row.platform_mark)
            ):
                font = QFont()
                font.setBold(True)
                return font
            if column == COL_LINK and (row.incident_id or row.task_id):
                font = QFont()
                font.setUnderline(True)
                return font
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_SUBJECT and row.text:
                return row.text
            if column == COL_STATUS and row.external_status is not None:
                return self.display(row, column) + "\n" + self.platform_text(row)
            if column in (COL_CATEGORY, COL_ADDRESS, COL_STATUS):
                return self.display(row, column) or None
            if column == COL_LINK and row.incident_id:
                return self.tr("Double-click to show the incident in the queue")
            if column == COL_LINK and row.task_id:
                return self.tr("Double-click to show the task")
            return None
        return None


def platform_text(row: ReportInfo) -> str:
    """What the citizens' platform says about an Open311 request: its state there, when it last
    changed, the platform's note, and what to do when it differs from here (empty if nothing).
    Shown in the work list's tooltip and, read-only, in the report dialog."""
    if row.source != "open311" or row.external_status is None:
        return ""
    if row.external_status == "closed":
        text = QCoreApplication.translate("ReportTableModel", "Closed on the citizens' platform")
    else:
        text = QCoreApplication.translate("ReportTableModel", "Open on the citizens' platform")
    if row.external_updated_at is not None:
        text += QCoreApplication.translate("ReportTableModel", " (last change %1)").replace(
            "%1", format_local(row.external_updated_at)
        )
    if row.external_note:
        text += "\n" + QCoreApplication.translate("ReportTableModel", "Note: %1").replace(
            "%1", row.external_note
        )
    if row.platform_mark == "closed_there":
        text += "\n" + QCoreApplication.translate(
            "ReportTableModel", "Close the report here once you have checked it."
        )
    return text
