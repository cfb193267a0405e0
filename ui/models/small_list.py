"""A table model for small lists loaded whole (a city's units, a clerk's open cases).

It holds the rows (frozen dataclasses with an ``id``), resets on every reload and finds a row by
id; a subclass names its column headers and answers :meth:`cell` for one row, column and role.
Large, paged tables use :class:`ui.models.live_table.LiveTableModel` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

_Index = QModelIndex | QPersistentModelIndex


class HasId(Protocol):
    """A row with an id."""

    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=HasId)


class SmallListModel(QAbstractTableModel, Generic[T]):
    """Rows of one kind, shown whole; subclasses give :meth:`headers` and :meth:`cell`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def headers(self) -> Sequence[str]:
        """The column headers (translated)."""
        raise NotImplementedError

    def cell(self, row: T, column: int, role: int) -> object:
        """What ``row`` shows in ``column`` for ``role`` (None: nothing)."""
        raise NotImplementedError

    def set_rows(self, rows: Sequence[T]) -> None:
        """Show ``rows`` (a full reload)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        """The rows shown."""
        return list(self._rows)

    def row_of(self, item_id: int) -> int:
        """Row of the item ``item_id`` (-1 if not listed)."""
        return next((r for r, item in enumerate(self._rows) if item.id == item_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        headers = self.headers()
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(headers)
        ):
            return headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)
