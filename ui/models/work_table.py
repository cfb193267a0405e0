"""Shared machinery of the Aufträge and Meldungen tables: lazy pages, batched live updates.

Works like the incident queue model: it holds ids and cached row dataclasses, fetches further
pages on demand, and applies changes from the change feed in batches (a timer flushes the ids
the feed marked dirty) with inserts, removes and ``dataChanged`` — never a reset, so selection
and scroll position survive. Subclasses supply the service calls, the order and the columns.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import total_ordering
from typing import Any, Generic, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from app.domain.dto import ChangeBatch
from ui.asyncutil import spawn
from ui.context import UiContext

PAGE_SIZE = 200

#: Role returning the row's id.
RowIdRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the row's dataclass.
RowRole = Qt.ItemDataRole.UserRole + 2


def alive(obj: QObject) -> bool:
    """False once Qt has deleted ``obj`` (a coroutine may finish after its widget closed)."""
    return bool(shiboken6.isValid(obj))


class HasId(Protocol):
    """A row dataclass: it has an id."""

    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=HasId)
Q = TypeVar("Q")


@total_ordering
class Desc:
    """Wraps a value so that it sorts in reverse."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and other.v == self.v

    def __hash__(self) -> int:
        return hash(self.v)


class WorkTableModel(QAbstractTableModel, Generic[R, Q]):
    """Lazily loaded, live-updated table of work items of one change-feed ``entity``."""

    #: Emitted after a (re)load; carries the number of matching rows.
    loaded = Signal(int)
    #: Emitted after live changes were applied.
    updated = Signal()

    entity = ""
    column_count = 0

    def __init__(self, ctx: UiContext, query: Q, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._query = query
        self._rows: list[R] = []
        self._keys: list[tuple[Any, ...]] = []
        self._total = 0
        self._fetching = False
        self._generation = 0
        self._dirty: set[int] = set()
        self._full_reload = False
        self._headers: list[str] = []
        self.now = lambda: datetime.now(UTC)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(150)
        self._flush_timer.timeout.connect(self._flush)
        self._flush_timer.start()
        # Due times pass while the table is shown: repaint the colours once a minute.
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.refresh_times)
        self._tick.start()
        ctx.bridge.changes.connect(self.on_changes)

    # -- to be provided by subclasses ----------------------------------------------------------

    async def fetch_count(self, query: Q) -> int:
        """Number of rows matching ``query``."""
        raise NotImplementedError

    async def fetch_page(self, query: Q, offset: int, limit: int) -> list[R]:
        """One page in the service's order."""
        raise NotImplementedError

    async def fetch_rows(self, ids: Sequence[int]) -> list[R]:
        """Rows by id."""
        raise NotImplementedError

    async def fetch_matches(self, query: Q, ids: Sequence[int]) -> set[int]:
        """Which ids match ``query``."""
        raise NotImplementedError

    def sort_key(self, row: R) -> tuple[Any, ...]:
        """The service's SQL order in Python (to place live-inserted rows)."""
        raise NotImplementedError

    def display(self, row: R, column: int) -> str:
        """Text of a cell."""
        raise NotImplementedError

    def cell_role(self, row: R, column: int, role: int) -> Any:
        """Colours, fonts, tool tips of a cell (None: default)."""
        return None

    # -- loading -------------------------------------------------------------------------------

    @property
    def query(self) -> Q:
        """The current filter."""
        return self._query

    @property
    def total(self) -> int:
        """Rows matching the filter (loaded or not)."""
        return self._total

    def set_query(self, query: Q) -> None:
        """Apply a new filter: reload from the first page."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Full reload (the only place that resets the model)."""
        self._generation += 1
        spawn(self._load_first(self._generation))

    async def wait_loaded(self) -> None:
        """For tests: load the first page now."""
        self._generation += 1
        await self._load_first(self._generation)

    async def _load_first(self, generation: int) -> None:
        total = await self.fetch_count(self._query)
        rows = await self.fetch_page(self._query, 0, PAGE_SIZE)
        if generation != self._generation or not alive(self):
            return
        self.beginResetModel()
        self._rows = list(rows)
        self._keys = [self.sort_key(r) for r in rows]
        self._total = max(total, len(rows))
        self._fetching = False
        self._dirty.clear()
        self.endResetModel()
        self.loaded.emit(self._total)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return len(self._rows) < self._total and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._fetching:
            return
        self._fetching = True
        spawn(self._load_more(self._generation, len(self._rows)))

    async def _load_more(self, generation: int, offset: int) -> None:
        try:
            rows = await self.fetch_page(self._query, offset, PAGE_SIZE)
        finally:
            if generation == self._generation:
                self._fetching = False
        if generation != self._generation or offset != len(self._rows) or not alive(self):
            return
        known = {r.id for r in self._rows}
        rows = [r for r in rows if r.id not in known]
        if not rows:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._keys.extend(self.sort_key(r) for r in rows)
        self.endInsertRows()

    # -- live updates --------------------------------------------------------------------------

    def on_changes(self, batch: ChangeBatch) -> None:
        """Mark changed rows dirty; the flush timer applies them in one go."""
        for change in batch.changes:
            if change.entity == self.entity:
                self._dirty.add(change.entity_id)
            elif change.entity == "demo":
                self._full_reload = True

    def _flush(self) -> None:
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
        rows = await self.fetch_rows(ids)
        matching = await self.fetch_matches(self._query, ids)
        if generation != self._generation or not alive(self):
            return
        self.apply_rows(rows, matching, set(ids))

    def apply_rows(self, rows: Sequence[R], matching: set[int], ids: set[int]) -> None:
        """Update in place, move, insert or remove rows (keeps selection and scroll position)."""
        by_id = {r.id: r for r in rows}
        for row_id in sorted(ids):
            row = by_id.get(row_id)
            at = self.row_of(row_id)
            keep = row is not None and row_id in matching
            if at >= 0 and keep and row is not None:
                key = self.sort_key(row)
                before_ok = at == 0 or self._keys[at - 1] <= key
                after_ok = at == len(self._keys) - 1 or key <= self._keys[at + 1]
                if before_ok and after_ok:
                    # Same place: change in place (the view keeps its selection).
                    self._rows[at] = row
                    self._keys[at] = key
                    self.dataChanged.emit(self.index(at, 0), self.index(at, self.column_count - 1))
                    continue
            if at >= 0:
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._rows[at]
                del self._keys[at]
                self.endRemoveRows()
                self._total -= 1
            if keep and row is not None:
                self._insert_sorted(row)
        self.updated.emit()

    def _insert_sorted(self, row: R) -> None:
        key = self.sort_key(row)
        at = bisect.bisect_left(self._keys, key)
        self._total += 1
        if at >= len(self._rows) and len(self._rows) < self._total - 1:
            return  # beyond what is loaded: it comes with a later page
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self._keys.insert(at, key)
        self.endInsertRows()

    def refresh_times(self) -> None:
        """Repaint every row (due and follow-up colours depend on the clock)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, self.column_count - 1)
            )

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.column_count

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return None

    def row_at(self, row: int) -> R | None:
        """The cached row dataclass at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, row_id: int) -> int:
        """Row number of an id, or -1 if not loaded."""
        for i, r in enumerate(self._rows):
            if r.id == row_id:
                return i
        return -1

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, index.column())
        if role == RowIdRole:
            return row.id
        if role == RowRole:
            return row
        return self.cell_role(row, index.column(), role)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
