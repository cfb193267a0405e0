"""The incident queue model: the live table of incidents (open ones always on top)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import DISPATCH_OVERDUE_MIN, category_label, status_label
from app.domain.dto import IncidentQuery, IncidentRow
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, local
from app.services.ordering import incident_sort_key
from ui import theme
from ui.context import UiContext
from ui.models.live_table import PAGE_SIZE, LiveTableModel, RowIdRole, RowRole, SortSpec

log = logging.getLogger(__name__)

#: Counting stops here: "more than 10,000" is all a dispatcher needs to know of the history.
COUNT_CAP = 10_000
#: A free-text search counts its matches up to here: past it the dispatcher narrows the search,
#: and counting tens of thousands of text matches would hold up the first page.
TEXT_COUNT_CAP = 1_000


def count_cap(query: IncidentQuery) -> int:
    """Up to how many matches of ``query`` are counted exactly."""
    return TEXT_COUNT_CAP if query.text.strip() else COUNT_CAP


# Column numbers
COL_NUMBER = 0
COL_PRIORITY = 1
COL_CATEGORY = 2
COL_STATUS = 3
COL_ADDRESS = 4
COL_STADTTEIL = 5
COL_UNITS = 6
COL_CREATED = 7
COL_SINCE_CREATED = 8
COL_SINCE_DISPATCH = 9
COLUMN_COUNT = 10

#: Role returning the row's incident id.
IncidentIdRole = RowIdRole
#: Role returning the row's :class:`IncidentRow`.
IncidentRowRole = RowRole

#: Sort field of each column (see ``app.services.ordering``).
SORT_FIELDS = {
    COL_NUMBER: "number",
    COL_PRIORITY: "priority",
    COL_CATEGORY: "category",
    COL_STATUS: "status",
    COL_ADDRESS: "address",
    COL_STADTTEIL: "stadtteil",
    COL_CREATED: "created_at",
    COL_SINCE_CREATED: "since_created",
    COL_SINCE_DISPATCH: "since_dispatch",
}
#: Column of each sort field (the header shows the arrow there).
SORT_COLUMNS = {field: column for column, field in SORT_FIELDS.items()}
SORT_COLUMNS["dispatched_at"] = COL_SINCE_DISPATCH

PRIORITY_COLOURS = {1: theme.qcolor("priority_1"), 2: theme.qcolor("priority_2")}
OVERDUE_COLOUR = theme.qcolor("overdue")
#: A unit of the incident is in Notruf (the unit board's emergency colours).
_EMERGENCY = theme.status_colours("N")
EMERGENCY_COLOUR = QColor(_EMERGENCY.background) if _EMERGENCY else theme.qcolor("overdue")
EMERGENCY_TEXT_COLOUR = QColor(_EMERGENCY.foreground) if _EMERGENCY else theme.qcolor("on_dark")
CLOSED_COLOUR = theme.qcolor("closed")
#: Incidents waiting in the offline outbox (negative ids).
PENDING_COLOUR = theme.qcolor("pending")


def format_duration(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above, ``>99 h`` for stale items."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 100:
        return ">99 h"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class IncidentQueueTableModel(LiveTableModel[IncidentRow, IncidentQuery]):
    """Lazily loaded incident queue (ids + cached row dataclasses), live-updated."""

    entity = Entity.INCIDENT
    column_count = COLUMN_COUNT
    tick_ms = 1000
    tick_columns = (COL_SINCE_CREATED, COL_SINCE_DISPATCH)
    tick_roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole)

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(ctx, IncidentQuery(), parent)
        self._headers = [
            self.tr("No."),
            self.tr("Prio"),
            self.tr("Category"),
            self.tr("Status"),
            self.tr("Address"),
            self.tr("District"),
            self.tr("Units"),
            self.tr("Received"),
            self.tr("Since call"),
            self.tr("Since dispatch"),
        ]
        #: Header tooltips for the columns whose short title needs explaining.
        self._header_tips = {
            COL_SINCE_CREATED: self.tr("Time since the call came in (until the incident closed)"),
            COL_SINCE_DISPATCH: self.tr(
                "Time since the first unit was dispatched (until the incident closed)"
            ),
        }

    # -- the table's part of the live model -------------------------------------------------

    def readable(self) -> bool:
        # A role that may not see incidents (data protection, administration) asks for none:
        # the queue stays empty instead of showing an error (and leaving a refusal in the log).
        return self._ctx.can(Permission.INCIDENT_READ)

    def changed_ids(self, changes: ChangeSet) -> Iterable[int]:
        return changes.ids(Entity.INCIDENT)

    async def fetch_first(self, query: IncidentQuery) -> tuple[int, bool, list[IncidentRow]]:
        svc = self._ctx.services.incidents
        cap = count_cap(query)
        # Two connections at once: the count and the first page cost about the same.
        total, rows = await asyncio.gather(
            svc.count(self._ctx.actor, query, limit=cap),
            svc.page(self._ctx.actor, query, 0, PAGE_SIZE),
        )
        return total, total <= cap, list(rows)

    async def fetch_page(self, query: IncidentQuery, offset: int, limit: int) -> list[IncidentRow]:
        return await self._ctx.services.incidents.page(self._ctx.actor, query, offset, limit)

    async def fetch_rows(self, ids: Sequence[int]) -> list[IncidentRow]:
        return await self._ctx.services.incidents.rows(self._ctx.actor, ids)

    async def fetch_matches(self, query: IncidentQuery, ids: Sequence[int]) -> set[int]:
        if query == IncidentQuery(sort=query.sort, descending=query.descending):
            # No filter: every incident that exists matches (the missing ones leave), so the
            # change is shown after one read instead of two.
            return set(ids)
        return await self._ctx.services.incidents.matches(self._ctx.actor, query, ids)

    def sort_key(self, row: IncidentRow) -> tuple[Any, ...]:
        return incident_sort_key(row, self._query)

    def apply_sort(self, spec: SortSpec) -> None:
        field = SORT_FIELDS.get(spec.column, "queue")
        descending = spec.descending and field != "queue"
        self.set_query(replace(self._query, sort=field, descending=descending))

    def set_query(self, query: IncidentQuery) -> None:
        """Apply a new filter/order: reload from the first page."""
        column = SORT_COLUMNS.get(query.sort, -1)
        self._sort = SortSpec(column, query.descending if column >= 0 else False)
        super().set_query(query)

    @property
    def count_cap(self) -> int:
        """Up to how many matches the current filter counts (see :func:`count_cap`)."""
        return count_cap(self._query)

    def set_queue_order(self) -> None:
        """Back to the default queue order (open first, by priority and age)."""
        self.set_sort(SortSpec())

    def display(self, row: IncidentRow, column: int) -> str:
        return self._display(row, column)

    def cell_role(self, r: IncidentRow, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole:
            if r.emergency:
                return QBrush(EMERGENCY_COLOUR)
            if r.closed_at is None and r.priority in PRIORITY_COLOURS:
                return QBrush(PRIORITY_COLOURS[r.priority])
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.emergency:
                return QBrush(EMERGENCY_TEXT_COLOUR)
            if r.id < 0:
                return QBrush(PENDING_COLOUR)
            if r.closed_at is not None:
                return QBrush(CLOSED_COLOUR)
            if self._overdue(r):
                return QBrush(OVERDUE_COLOUR)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if r.id < 0:
                font = QFont()
                font.setItalic(True)
                return font
            if r.closed_at is None and (r.priority == 1 or self._overdue(r)):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            COL_PRIORITY,
            COL_SINCE_CREATED,
            COL_SINCE_DISPATCH,
        ):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.id < 0:
                return self.tr(
                    "Saved on this workstation only – it is sent as soon as the database "
                    "connection is back."
                )
            if col == COL_ADDRESS:
                return r.address
            if col == COL_CREATED:
                return format_local(r.created_at, with_seconds=True)
            if col == COL_CATEGORY:
                return category_label(r.category)
        return None

    def _overdue(self, r: IncidentRow) -> bool:
        if r.closed_at is not None or r.dispatched_at is not None:
            return False
        limit = DISPATCH_OVERDUE_MIN.get(r.priority, 60) * 60
        return (self.now() - r.created_at).total_seconds() > limit

    def _display(self, r: IncidentRow, col: int) -> str:
        if col == COL_NUMBER:
            return r.number
        if col == COL_PRIORITY:
            return str(r.priority)
        if col == COL_CATEGORY:
            return category_label(r.category)
        if col == COL_STATUS:
            return status_label(r.status)
        if col == COL_ADDRESS:
            return r.address
        if col == COL_STADTTEIL:
            return r.stadtteil or ""
        if col == COL_UNITS:
            # A unit of the incident is in Notruf: said in words too, not only by colour.
            return self.tr("EMERGENCY · %1").replace("%1", r.units) if r.emergency else r.units
        if col == COL_CREATED:
            return self._short_time(r.created_at)
        if col == COL_SINCE_CREATED:
            end = r.closed_at or self.now()
            return format_duration((end - r.created_at).total_seconds())
        if col == COL_SINCE_DISPATCH:
            if r.dispatched_at is None:
                return ""
            end = r.closed_at or self.now()
            return format_duration((end - r.dispatched_at).total_seconds())
        return ""

    def _short_time(self, value: datetime) -> str:
        """``14:05`` today, ``27.11. 14:05`` this year, else with the year."""
        shown, today = local(value), local(self.now())
        if shown.date() == today.date():
            return shown.strftime("%H:%M")
        if shown.year == today.year:
            return shown.strftime("%d.%m. %H:%M")
        return shown.strftime("%d.%m.%Y %H:%M")
