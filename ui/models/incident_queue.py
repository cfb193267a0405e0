"""The incident queue model: lazy pages from the service, live updates without resets."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont

from app.domain.codes import category_label, status_label
from app.domain.dto import ChangeBatch, IncidentQuery, IncidentRow
from app.platform.changefeed import RESET_ENTITY
from app.platform.permissions import Permission
from app.platform.timeutil import format_local, local
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext

log = logging.getLogger(__name__)

PAGE_SIZE = 200
#: Live changes are applied at most this often (ms); a burst becomes one update.
FLUSH_MS = 20
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
IncidentIdRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the row's :class:`IncidentRow`.
IncidentRowRole = Qt.ItemDataRole.UserRole + 2

#: Sort key of each sortable column (service sort names).
SORT_FIELDS = {
    COL_NUMBER: "number",
    COL_PRIORITY: "priority",
    COL_CATEGORY: "category",
    COL_STATUS: "status",
    COL_ADDRESS: "address",
    COL_STADTTEIL: "stadtteil",
    COL_CREATED: "created_at",
    COL_SINCE_DISPATCH: "dispatched_at",
}

PRIORITY_COLOURS = {1: theme.qcolor("priority_1"), 2: theme.qcolor("priority_2")}
OVERDUE_COLOUR = theme.qcolor("overdue")
CLOSED_COLOUR = theme.qcolor("closed")
#: Incidents waiting in the offline outbox (negative ids).
PENDING_COLOUR = theme.qcolor("pending")
#: Open incidents not dispatched after this many minutes are shown as overdue (by priority).
DISPATCH_OVERDUE_MIN = {1: 3, 2: 15, 3: 60}


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


class _Smallest:
    """Sorts before every other value (SQL NULL in an ascending sort)."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Smallest)

    def __gt__(self, other: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Smallest)

    def __hash__(self) -> int:
        return 0


def sort_key(row: IncidentRow, q: IncidentQuery) -> tuple[Any, ...]:
    """The service's SQL order, computed in Python (to place live-inserted rows)."""
    if q.sort in SORT_FIELDS.values():
        value: Any = getattr(row, q.sort if q.sort != "number" else "id")
        if value is None:
            value = _Smallest()
        if q.descending:
            return (_Desc(value), _Desc(row.id))
        return (value, row.id)
    if row.closed_at is None:
        return (False, row.priority, row.created_at, row.id)
    if q.closed_by_number:
        return (True, _Desc(row.id))
    return (True, _Desc(row.closed_at), _Desc(row.id))


class _Desc:
    """Wraps a value so that it sorts in reverse."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and other.v == self.v

    def __hash__(self) -> int:
        return hash(self.v)


class IncidentQueueTableModel(QAbstractTableModel):
    """Lazily loaded incident queue (ids + cached row dataclasses), live-updated."""

    #: Emitted after a (re)load finished; carries the total number of matching incidents.
    loaded = Signal(int)
    #: Emitted after live changes were applied.
    updated = Signal()

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._query = IncidentQuery()
        self._rows: list[IncidentRow] = []
        self._keys: list[tuple[Any, ...]] = []
        self._total = 0
        self._exact = True
        self._exhausted = True
        self._fetching = False
        self._generation = 0
        self._dirty: set[int] = set()
        self._full_reload = False
        self.now = lambda: datetime.now(UTC)
        # Live updates are batched (Electrum's need_update): the feed only marks rows dirty.
        self._flush_timer = QTimer(self)
        # Short enough that a change reaches the queue in well under 50 ms, long enough to
        # batch a burst of changes into one update.
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._flush_timer.start()
        self._stopped = False
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_timers)
        self._tick.start()
        ctx.bridge.changes.connect(self.on_changes)
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

    def stop(self) -> None:
        """Stop the timers and live updates (before the model goes away)."""
        self._stopped = True
        self._flush_timer.stop()
        self._tick.stop()
        with contextlib.suppress(RuntimeError, TypeError):
            self._ctx.bridge.changes.disconnect(self.on_changes)
        self._generation += 1

    # -- loading --------------------------------------------------------------------------

    @property
    def query(self) -> IncidentQuery:
        """The current filter and order."""
        return self._query

    @property
    def total(self) -> int:
        """Number of incidents matching the filter (a lower bound if not :attr:`exact`)."""
        return self._total

    @property
    def exact(self) -> bool:
        """False if there are more than :attr:`count_cap` matches (not counted further)."""
        return self._exact

    @property
    def count_cap(self) -> int:
        """Up to how many matches the current filter counts (see :func:`count_cap`)."""
        return count_cap(self._query)

    def set_query(self, query: IncidentQuery) -> None:
        """Apply a new filter/order: reload from the first page."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Full reload (the only place that resets the model).

        A role that may not see incidents (data protection, administration) asks for none:
        the queue stays empty instead of showing an error (and leaving a refusal in the log).
        """
        if not self._ctx.can(Permission.INCIDENT_READ):
            return
        self._generation += 1
        generation = self._generation
        spawn(self._load_first(generation))

    async def _load_first(self, generation: int) -> None:
        svc = self._ctx.services.incidents
        # Two connections at once: the count and the first page cost about the same.
        total, rows = await asyncio.gather(
            svc.count(self._ctx.actor, self._query, limit=count_cap(self._query)),
            svc.page(self._ctx.actor, self._query, 0, PAGE_SIZE),
        )
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows = list(rows)
        self._keys = [sort_key(r, self._query) for r in rows]
        self._exact = total <= count_cap(self._query)
        self._total = max(total, len(rows))
        self._exhausted = len(rows) < PAGE_SIZE
        self._fetching = False
        self._dirty.clear()
        self.endResetModel()
        self.loaded.emit(self._total)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._exhausted and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._fetching:
            return
        self._fetching = True
        spawn(self._load_more(self._generation, len(self._rows)))

    async def _load_more(self, generation: int, offset: int) -> None:
        try:
            rows = await self._ctx.services.incidents.page(
                self._ctx.actor, self._query, offset, PAGE_SIZE
            )
        finally:
            if generation == self._generation:
                self._fetching = False
        if generation != self._generation or offset != len(self._rows):
            return
        if len(rows) < PAGE_SIZE:
            self._exhausted = True
        known = {r.id for r in self._rows}
        rows = [r for r in rows if r.id not in known]
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._keys.extend(sort_key(r, self._query) for r in rows)
        self._total = max(self._total, len(self._rows))
        self.endInsertRows()

    async def wait_loaded(self) -> None:
        """For tests and benchmarks: await the current load."""
        await self._load_first(self._generation)

    # -- live updates -----------------------------------------------------------------------

    def on_changes(self, batch: ChangeBatch) -> None:
        """Mark changed incidents dirty; the flush timer applies them in one go."""
        if not self._ctx.can(Permission.INCIDENT_READ):
            return
        for change in batch.changes:
            if change.entity == "incident":
                self._dirty.add(change.entity_id)
            elif change.entity == "unit" and change.op in ("status",):
                continue
            elif change.entity in ("demo", RESET_ENTITY):
                self._full_reload = True

    def _flush(self) -> None:
        if self._stopped:
            return
        if self._full_reload:
            self._full_reload = False
            self._dirty.clear()
            self.reload()
            return
        if not self._dirty or self._fetching:
            return
        ids = sorted(self._dirty)
        self._dirty.clear()
        spawn(self._apply(self._generation, ids))

    async def _apply(self, generation: int, ids: Sequence[int]) -> None:
        svc = self._ctx.services.incidents
        rows = await svc.rows(self._ctx.actor, ids)
        matching = await svc.matches(self._ctx.actor, self._query, ids)
        if generation != self._generation:
            return
        self.apply_rows(rows, matching, set(ids))

    def apply_rows(self, rows: Sequence[IncidentRow], matching: set[int], ids: set[int]) -> None:
        """Update, move, insert or remove rows (keeps selection and scroll position).

        A changed row that still matches is updated in place or moved with ``beginMoveRows``,
        never removed and re-inserted: the view's selection follows it.
        """
        by_id = {r.id: r for r in rows}
        for incident_id in sorted(ids):
            row = by_id.get(incident_id)
            at = self.row_of(incident_id)
            keep = row is not None and incident_id in matching
            if at < 0:
                if keep:
                    assert row is not None
                    self._insert_sorted(row)
                continue
            if not keep:
                self._remove_at(at)
                self._total -= 1
                continue
            assert row is not None
            self._update_at(at, row)
        self.updated.emit()

    def _update_at(self, at: int, row: IncidentRow) -> None:
        key = sort_key(row, self._query)
        others = self._keys[:at] + self._keys[at + 1 :]
        target = bisect.bisect_left(others, key)
        if target >= len(others) and not self._exhausted and target != at:
            # It now sorts past the loaded pages: it comes back with a later page.
            self._remove_at(at)
            return
        if target != at:
            # Qt's destination is counted in the list before the move.
            destination = target if target < at else target + 1
            self.beginMoveRows(QModelIndex(), at, at, QModelIndex(), destination)
            del self._rows[at]
            del self._keys[at]
            self._rows.insert(target, row)
            self._keys.insert(target, key)
            self.endMoveRows()
        else:
            self._rows[at] = row
            self._keys[at] = key
        self.dataChanged.emit(self.index(target, 0), self.index(target, COLUMN_COUNT - 1))

    def _remove_at(self, at: int) -> None:
        self.beginRemoveRows(QModelIndex(), at, at)
        del self._rows[at]
        del self._keys[at]
        self.endRemoveRows()

    def _insert_sorted(self, row: IncidentRow) -> None:
        key = sort_key(row, self._query)
        at = bisect.bisect_left(self._keys, key)
        self._total += 1
        if at >= len(self._rows) and not self._exhausted:
            # Beyond what is loaded: it will come with a later page.
            return
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self._keys.insert(at, key)
        self.endInsertRows()

    def _tick_timers(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_SINCE_CREATED),
                self.index(len(self._rows) - 1, COL_SINCE_DISPATCH),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole],
            )

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(section)
        return None

    def row_at(self, row: int) -> IncidentRow | None:
        """The cached row dataclass at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, incident_id: int) -> int:
        """Row number of an incident, or -1 if not loaded."""
        for i, r in enumerate(self._rows):
            if r.id == incident_id:
                return i
        return -1

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == IncidentIdRole:
            return r.id
        if role == IncidentRowRole:
            return r
        if role == Qt.ItemDataRole.BackgroundRole:
            if r.closed_at is None and r.priority in PRIORITY_COLOURS:
                return QBrush(PRIORITY_COLOURS[r.priority])
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
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
            return r.units
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

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = SORT_FIELDS.get(column, "queue")
        descending = order == Qt.SortOrder.DescendingOrder
        if column == COL_SINCE_DISPATCH:
            descending = not descending
        self.set_query(replace(self._query, sort=field, descending=descending))

    def set_queue_order(self) -> None:
        """Back to the default queue order (open first, by priority and age)."""
        self.set_query(replace(self._query, sort="queue", descending=False))
