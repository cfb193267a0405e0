"""The audit log as a table: newest first, loaded page by page, read-only.

Holds the loaded records (frozen :class:`AuditEntry` rows) and asks the service for the next
page after the last record shown (stable while new records are written). The log does not
follow the change feed: it is a snapshot as of the last (re)load, which the pane says.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from app.platform.errors import KodError
from app.platform.timeutil import format_local
from app.platform.uow import Actor
from app.services.audit_labels import action_label, entity_label
from app.services.audit_log import AuditEntry, AuditLogService, AuditQuery
from ui import theme
from ui.asyncutil import spawn
from ui.models.work_table import alive

PAGE_SIZE = 200
#: The count stops here ("more than 100.000 entries"): counting millions costs time.
COUNT_LIMIT = 100_000

COL_ID, COL_TIME, COL_PERSON, COL_ACTION, COL_OBJECT, COL_WORKSTATION = range(6)
COLUMN_COUNT = 6

#: Role returning the row's :class:`AuditEntry`.
EntryRole = Qt.ItemDataRole.UserRole + 1
#: Role returning True for a refused attempt.
RefusedRole = Qt.ItemDataRole.UserRole + 2

REFUSED_COLOUR = theme.qcolor("error")


def object_text(entry: AuditEntry) -> str:
    """The object a record is about, e.g. "Einsatz 7" ("" for none)."""
    label = entity_label(entry.entity)
    if entry.entity_id is None:
        return label
    return f"{label} {entry.entity_id}".strip()


class AuditLogTableModel(QAbstractTableModel):
    """Audit records matching a filter; further pages load as the view scrolls."""

    #: Emitted after a (re)load; carries the number of matching records (capped).
    loaded = Signal(int)
    #: Emitted with a German message when loading failed (refused, server gone, bad filter).
    failed = Signal(str)

    def __init__(
        self, service: AuditLogService, actor: Actor, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._actor = actor
        self._query = AuditQuery()
        self._rows: list[AuditEntry] = []
        self._total = 0
        self._exhausted = True
        self._fetching = False
        self._generation = 0
        self._headers = [
            self.tr("No."),
            self.tr("Time"),
            self.tr("Person"),
            self.tr("Action"),
            self.tr("Object"),
            self.tr("Workstation"),
        ]
        self._bold = QFont()
        self._bold.setBold(True)
        self._refused_icon: QIcon | None = None

    # -- loading ------------------------------------------------------------------------------

    @property
    def query(self) -> AuditQuery:
        """The current filter."""
        return self._query

    @property
    def total(self) -> int:
        """Matching records (more than :data:`COUNT_LIMIT` counts as ``COUNT_LIMIT + 1``)."""
        return self._total

    @property
    def exact(self) -> bool:
        """False if more records match than were counted."""
        return self._total <= COUNT_LIMIT

    @property
    def loading(self) -> bool:
        """True while a page is being read."""
        return self._fetching

    def set_query(self, query: AuditQuery) -> None:
        """Apply a new filter: reload from the newest record."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Full reload (the only place that resets the model)."""
        self._generation += 1
        self._fetching = True
        spawn(self._load_first(self._generation))

    async def wait_loaded(self) -> None:
        """For tests: load the first page now."""
        self._generation += 1
        await self._load_first(self._generation)

    async def _load_first(self, generation: int) -> None:
        try:
            total, rows = await asyncio.gather(
                self._service.count(self._actor, self._query, limit=COUNT_LIMIT),
                self._service.page(self._actor, self._query, 0, PAGE_SIZE),
            )
        except KodError as exc:
            if generation == self._generation and alive(self):
                self._fetching = False
                self._set_rows([], 0)
                self.failed.emit(str(exc))
            return
        if generation != self._generation or not alive(self):
            return
        self._fetching = False
        self._set_rows(rows, max(total, len(rows)))
        self.loaded.emit(self._total)

    def _set_rows(self, rows: list[AuditEntry], total: int) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._total = total
        self._exhausted = len(rows) < PAGE_SIZE
        self.endResetModel()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._exhausted and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._fetching or self._exhausted or not self._rows:
            return
        self._fetching = True
        spawn(self._load_more(self._generation, self._rows[-1].id))

    async def _load_more(self, generation: int, before_id: int) -> None:
        try:
            rows = await self._service.page(
                self._actor, self._query, 0, PAGE_SIZE, before_id=before_id
            )
        except KodError as exc:
            if generation == self._generation and alive(self):
                self._fetching = False
                self.failed.emit(str(exc))
            return
        if generation != self._generation or not alive(self):
            return
        self._fetching = False
        if len(rows) < PAGE_SIZE:
            self._exhausted = True
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._total = max(self._total, len(self._rows))
        self.endInsertRows()

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < COLUMN_COUNT
        ):
            return self._headers[section]
        return None

    def entry_at(self, row: int) -> AuditEntry | None:
        """The loaded record at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, entry_id: int) -> int:
        """Row number of a record, or -1 if not loaded."""
        for i, r in enumerate(self._rows):
            if r.id == entry_id:
                return i
        return -1

    def display(self, entry: AuditEntry, column: int) -> str:
        """The text of a cell."""
        if column == COL_ID:
            return str(entry.id)
        if column == COL_TIME:
            return format_local(entry.occurred_at, with_seconds=True)
        if column == COL_PERSON:
            return entry.username
        if column == COL_ACTION:
            return action_label(entry.action)
        if column == COL_OBJECT:
            return object_text(entry)
        if column == COL_WORKSTATION:
            return entry.workstation or ""
        return ""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(entry, column)
        if role == EntryRole:
            return entry
        if role == RefusedRole:
            return entry.refused
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_ACTION:
            if entry.refused:
                return self.tr("Refused attempt: %1").replace("%1", entry.action)
            return entry.action
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and entry.refused:
            return self.tr("Refused attempt")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_ID:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if not entry.refused:
            return None
        # A refused attempt: red, bold and (in the action column) a stop sign, not only colour.
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(REFUSED_COLOUR)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and column == COL_ACTION:
            return self._icon()
        return None

    def _icon(self) -> QIcon:
        if self._refused_icon is None:
            style = QApplication.style()
            self._refused_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        return self._refused_icon

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Read-only: the log cannot be edited here (nor anywhere else).
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
