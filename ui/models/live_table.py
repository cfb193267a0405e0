"""One live table model for every large table: the queue, the unit board, Aufträge, Meldungen.

The model holds ids and cached row dataclasses in the service's order, loads further pages on
demand (``canFetchMore``/``fetchMore``), and follows the change feed without resets: changed
ids are marked dirty, read back in one query and applied with ``dataChanged``, moves
(``beginMoveRows``, so the selection follows a row) and inserts/removes. Only a full reload (a
new filter, or a change set that says "reload everything") resets the model.

The reading side (first page, further pages, batched reads of changes, generations) is the
model's :class:`~ui.models.live_loader.LiveLoader`; this module is the row store and Qt's view
of it.

A table supplies its service calls, its order (the Python key next to the SQL order in
:mod:`app.services.ordering`) and its cells.
"""

from __future__ import annotations

import bisect
import contextlib
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from PySide6 import QtGui
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from app.domain.changes import ChangeSet, Entity
from ui.context import UiContext
from ui.models.live_loader import MAX_READS, HasId, LiveLoader, alive

__all__ = [
    "MAX_READS",
    "PAGE_SIZE",
    "HasId",
    "LiveTableModel",
    "RowIdRole",
    "RowRole",
    "SortSpec",
    "alive",
]

PAGE_SIZE = 200

#: Role returning the row's id.
RowIdRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the row's dataclass.
RowRole = Qt.ItemDataRole.UserRole + 2


R = TypeVar("R", bound=HasId)
Q = TypeVar("Q")


def as_tooltip(text: str) -> str:
    """``text`` as a tooltip shows it, as written: Qt takes a tooltip that looks like markup as
    rich text, and a Meldung's or an Auftrag's text comes from outside (a citizen, a device)."""
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"


@dataclass(frozen=True)
class SortSpec:
    """How a table is sorted: a column (-1: the table's own order) and its direction."""

    column: int = -1
    descending: bool = False


class LiveTableModel(QAbstractTableModel, Generic[R, Q]):
    """Lazily loaded, live-updated table of row dataclasses (see the module docstring)."""

    #: Emitted after a (re)load; carries the number of matching rows.
    loaded = Signal(int)
    #: Emitted after live changes were applied.
    updated = Signal()

    #: The change-feed entity whose ids are this table's rows.
    entity: Entity | None = None
    column_count = 0
    #: Rows per page; None: the whole table comes in one load.
    page_size: int | None = PAGE_SIZE
    #: Repaint of clock-dependent cells every this many ms (0: never) ...
    tick_ms = 0
    #: ... in these columns (first, last; None: all) and roles (empty: all).
    tick_columns: tuple[int, int] | None = None
    tick_roles: tuple[int, ...] = ()

    def __init__(self, ctx: UiContext, query: Q, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._query = query
        self._sort = SortSpec()
        self._rows: list[R] = []
        self._keys: list[tuple[Any, ...]] = []
        self._pos: dict[int, int] = {}
        self._total = 0
        self._exact = True
        self._exhausted = True
        self._headers: list[str] = []
        self._header_tips: dict[int, str] = {}
        #: The clock of the time columns (tests set their own).
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._live: LiveLoader[R, Q] = LiveLoader(self)
        self._tick = QTimer(self)
        if self.tick_ms:
            self._tick.setInterval(self.tick_ms)
            self._tick.timeout.connect(self.refresh_times)
            self._tick.start()
        ctx.bridge.changes.connect(self.on_changes)

    # -- to be provided by each table -------------------------------------------------------

    def readable(self) -> bool:
        """False if the logged-in role may not read these rows (the table stays empty)."""
        return True

    def changed_ids(self, changes: ChangeSet) -> Iterable[int]:
        """Ids of rows that ``changes`` may have changed."""
        return changes.ids(self.entity) if self.entity is not None else ()

    async def fetch_first(self, query: Q) -> tuple[int, bool, list[R]]:
        """Total (exact?) and the first page; by default the count, then the page."""
        total = await self.fetch_count(query)
        rows = await self.fetch_page(query, 0, self.page_size or 0)
        return total, True, rows

    async def fetch_count(self, query: Q) -> int:
        """Number of rows matching ``query``."""
        raise NotImplementedError

    async def fetch_page(self, query: Q, offset: int, limit: int) -> list[R]:
        """One page in the service's order."""
        raise NotImplementedError

    async def fetch_rows(self, ids: Sequence[int]) -> list[R]:
        """Rows by id (missing ones are gone)."""
        raise NotImplementedError

    async def fetch_matches(self, query: Q, ids: Sequence[int]) -> set[int]:
        """Which ids match ``query`` (by default every one that still exists)."""
        return set(ids)

    def sort_key(self, row: R) -> tuple[Any, ...]:
        """The service's order in Python (to place changed rows)."""
        raise NotImplementedError

    def apply_sort(self, spec: SortSpec) -> None:
        """Sort as ``spec`` says (the table reloads or re-sorts; default: fixed order)."""

    def display(self, row: R, column: int) -> str:
        """Text of a cell."""
        raise NotImplementedError

    def cell_role(self, row: R, column: int, role: int) -> Any:
        """Colours, fonts, tool tips, alignment of a cell (None: default)."""
        return None

    # -- state ------------------------------------------------------------------------------

    @property
    def query(self) -> Q:
        """The current filter (and, for the queue, order)."""
        return self._query

    @property
    def sort_spec(self) -> SortSpec:
        """The current sort (column -1: the table's own order)."""
        return self._sort

    @property
    def total(self) -> int:
        """Rows matching the filter, loaded or not (a lower bound if not :attr:`exact`)."""
        return self._total

    @property
    def loading(self) -> bool:
        """True while the first page of a (re)load is being read."""
        return self._live.loading

    @property
    def exact(self) -> bool:
        """False if the count stopped at a cap."""
        return self._exact

    def row_at(self, row: int) -> R | None:
        """The cached row dataclass at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, row_id: int) -> int:
        """Row number of an id, or -1 if not loaded."""
        return self._pos.get(row_id, -1)

    def rows(self) -> list[R]:
        """The loaded rows in display order."""
        return list(self._rows)

    # -- loading ----------------------------------------------------------------------------

    def set_query(self, query: Q) -> None:
        """Apply a new filter: reload from the first page."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Full reload (the only place that resets the model)."""
        self._live.reload()

    async def wait_loaded(self) -> None:
        """For tests and benchmarks: load the first page now and wait for it."""
        await self._live.load_now()

    def replace_rows(self, rows: Sequence[R], total: int, exact: bool) -> None:
        """A first page arrived: it replaces every row (a reset); ``total`` matching."""
        self.beginResetModel()
        self._rows = list(rows)
        self._keys = [self.sort_key(r) for r in self._rows]
        self._reindex(0)
        self._exhausted = self.page_size is None or len(rows) < self.page_size
        self._exact = exact or self._exhausted
        self._total = len(rows) if self._exhausted else max(total, len(rows))
        self.endResetModel()
        self.loaded.emit(self._total)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._exhausted and self._live.idle

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        self._live.fetch_more(len(self._rows))

    def append_page(self, rows: Sequence[R]) -> None:
        """A further page arrived: its rows not shown yet go below the others."""
        assert self.page_size is not None
        if len(rows) < self.page_size:
            self._exhausted = True
        rows = [r for r in rows if r.id not in self._pos]
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self._keys.extend(self.sort_key(r) for r in rows)
            self._reindex(first)
            self.endInsertRows()
        if self._exhausted:
            self._total, self._exact = len(self._rows), True
        else:
            self._total = max(self._total, len(self._rows))

    # -- live updates -----------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        """Mark what changed; it is read back at once or, in a burst, right after."""
        if not self.readable():
            return
        self._live.mark(() if changes.reload else self.changed_ids(changes), changes.reload)

    def apply_rows(self, rows: Sequence[R], matching: set[int], ids: set[int]) -> None:
        """Update in place, move, insert or remove rows (keeps selection and scroll position).

        ``ids`` were asked for; those missing from ``rows`` or from ``matching`` leave the
        table. A row that still matches is updated in place or moved, never removed and
        re-inserted: the view's selection follows it.
        """
        by_id = {r.id: r for r in rows}
        for row_id in sorted(ids):
            row = by_id.get(row_id)
            at = self._pos.get(row_id, -1)
            keep = row is not None and row_id in matching
            if at < 0:
                if keep and row is not None:
                    self._insert_sorted(row)
                continue
            if not keep or row is None:
                self._remove_at(at)
                self._total = max(0, self._total - 1)
                continue
            self._update_at(at, row)
        self.updated.emit()

    def _update_at(self, at: int, row: R) -> None:
        key = self.sort_key(row)
        last = len(self._keys) - 1
        before_ok = at == 0 or self._keys[at - 1] <= key
        after_ok = at == last or key <= self._keys[at + 1]
        if before_ok and after_ok:
            self._rows[at] = row
            self._keys[at] = key
            self.dataChanged.emit(self.index(at, 0), self.index(at, self.column_count - 1))
            return
        # Position among the other rows (the list without this one).
        if not before_ok:
            target = bisect.bisect_left(self._keys, key, 0, at)
        else:
            target = bisect.bisect_left(self._keys, key, at + 1) - 1
        if target >= last and not self._exhausted:
            # It now sorts past the loaded pages: it comes back with a later page.
            self._remove_at(at)
            return
        # Qt's destination is counted in the list before the move.
        self.beginMoveRows(
            QModelIndex(), at, at, QModelIndex(), target if target < at else target + 1
        )
        del self._rows[at]
        del self._keys[at]
        self._rows.insert(target, row)
        self._keys.insert(target, key)
        self._reindex(min(at, target), max(at, target) + 1)
        self.endMoveRows()
        self.dataChanged.emit(self.index(target, 0), self.index(target, self.column_count - 1))

    def _remove_at(self, at: int) -> None:
        self.beginRemoveRows(QModelIndex(), at, at)
        del self._pos[self._rows[at].id]
        del self._rows[at]
        del self._keys[at]
        self._reindex(at)
        self.endRemoveRows()

    def _insert_sorted(self, row: R) -> None:
        key = self.sort_key(row)
        at = bisect.bisect_left(self._keys, key)
        self._total += 1
        if at >= len(self._rows) and not self._exhausted:
            return  # beyond what is loaded: it comes with a later page
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self._keys.insert(at, key)
        self._reindex(at)
        self.endInsertRows()

    def _reindex(self, start: int, stop: int | None = None) -> None:
        """Keep the id -> row index true for rows ``start`` … ``stop`` (default: to the end)."""
        if start == 0 and stop is None:
            self._pos = {r.id: i for i, r in enumerate(self._rows)}
            return
        rows = self._rows
        for i in range(start, len(rows) if stop is None else stop):
            self._pos[rows[i].id] = i

    # -- sorting ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.set_sort(SortSpec(column, order == Qt.SortOrder.DescendingOrder))

    def set_sort(self, spec: SortSpec) -> None:
        """Sort by ``spec`` (column -1: the table's own order)."""
        if not -1 <= spec.column < self.column_count:
            spec = SortSpec()
        self._sort = spec
        self.apply_sort(spec)

    # -- clock ------------------------------------------------------------------------------

    def refresh_times(self) -> None:
        """Repaint the clock-dependent cells (durations, due colours)."""
        if not self._rows:
            return
        first, last = self.tick_columns or (0, self.column_count - 1)
        self.dataChanged.emit(
            self.index(0, first), self.index(len(self._rows) - 1, last), list(self.tick_roles)
        )

    def stop(self) -> None:
        """Stop the timers and live updates (before the model goes away)."""
        self._live.stop()
        self._tick.stop()
        with contextlib.suppress(RuntimeError, TypeError):
            self._ctx.bridge.changes.disconnect(self.on_changes)

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.column_count

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(section) or None
        return None

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
        value = self.cell_role(row, index.column(), role)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str):
            return as_tooltip(value)
        return value

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
