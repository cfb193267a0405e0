"""The unit status board model: every active unit with its BOS status, updated live."""

from __future__ import annotations

import bisect
import contextlib
import logging
from collections.abc import Callable, Sequence
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
from PySide6.QtGui import QBrush, QColor, QFont

from app.domain.codes import unit_status_label
from app.domain.dto import ChangeBatch, UnitInfo
from app.domain.geo import format_coordinates, stadtteil_for
from app.platform.timeutil import format_local
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.incident_queue import format_duration

log = logging.getLogger(__name__)

# Column numbers
COL_CALL_SIGN = 0
COL_STATUS = 1
COL_STATUS_TEXT = 2
COL_SINCE = 3
COL_INCIDENT = 4
COL_MEMBERS = 5
COL_POSITION_AGE = 6
COLUMN_COUNT = 7

#: Role returning the row's unit id.
UnitIdRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the row's :class:`UnitInfo`.
UnitInfoRole = Qt.ItemDataRole.UserRole + 2
#: Role returning the row's status code (``"0"`` … ``"6"``, ``"N"``).
UnitStatusRole = Qt.ItemDataRole.UserRole + 3


class StatusStyle:
    """How a BOS status looks on the board."""

    def __init__(
        self,
        background: str,
        foreground: str = "",
        bold: bool = False,
        flash: str | None = None,
    ) -> None:
        self.background = QColor(background)
        self.foreground = QColor(foreground or theme.color("text"))
        self.bold = bold
        #: Second background colour: the row flashes between the two.
        self.flash = QColor(flash) if flash else None


#: Colours per status: available green, en route yellow, on scene orange, request to talk blue
#: (urgent request flashing), not available grey, emergency red.
STATUS_STYLES: dict[str, StatusStyle] = {
    code: StatusStyle(c.background, c.foreground, c.bold, c.flash)
    for code, c in theme.current().status.items()
}
UNKNOWN_STYLE = StatusStyle(theme.color("status_unknown"))

#: Order when sorting by status: what needs the dispatcher first.
STATUS_URGENCY = {"N": 0, "0": 1, "5": 2, "6": 3, "3": 4, "4": 5, "1": 6, "2": 7}

#: A position older than this (seconds) is shown as stale.
POSITION_STALE_S = 15 * 60


def _call_sign_key(call_sign: str) -> tuple[Any, ...]:
    """Natural order: ``KOD 2`` before ``KOD 10``."""
    parts: list[Any] = []
    number = ""
    text = ""
    for ch in call_sign.casefold():
        if ch.isdigit():
            if text:
                parts.append((1, text))
                text = ""
            number += ch
        else:
            if number:
                parts.append((0, int(number)))
                number = ""
            text += ch
    if number:
        parts.append((0, int(number)))
    if text:
        parts.append((1, text))
    return tuple(parts)


class UnitStatusTableModel(QAbstractTableModel):
    """All active units (a small table: loaded whole), live-updated without resets."""

    #: Emitted after a (re)load finished; carries the number of units.
    loaded = Signal(int)
    #: Emitted after live changes were applied.
    updated = Signal()

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._rows: list[UnitInfo] = []
        self._keys: list[tuple[Any, ...]] = []
        self._sort_column = COL_CALL_SIGN
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._generation = 0
        self._loading = False
        self._dirty: set[int] = set()
        self._full_reload = False
        self._flash_on = False
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        # Live updates are batched: the feed only marks units dirty, the timer applies them.
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(100)
        self._flush_timer.timeout.connect(self._flush)
        self._flush_timer.start()
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._tick_timers)
        self._tick.start()
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(500)
        self._flash_timer.timeout.connect(self._flash)
        self._flash_timer.start()
        ctx.bridge.changes.connect(self.on_changes)
        self._headers = [
            self.tr("Call sign"),
            self.tr("St."),
            self.tr("Status"),
            self.tr("Since"),
            self.tr("Incident"),
            self.tr("Crew"),
            self.tr("Position"),
        ]
        self._header_tips = [
            "",
            self.tr("BOS status code"),
            "",
            self.tr("Time since the last status change"),
            self.tr("Incident the unit is assigned to"),
            "",
            self.tr("Age of the last reported position"),
        ]

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Full reload (the only place that resets the model)."""
        self._generation += 1
        self._loading = True
        spawn(self._load(self._generation))

    async def _load(self, generation: int) -> None:
        try:
            units = await self._ctx.services.units.board(self._ctx.actor)
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows = sorted(units, key=self._key)
        self._keys = [self._key(u) for u in self._rows]
        self._dirty.clear()
        self.endResetModel()
        self.loaded.emit(len(self._rows))

    def stop(self) -> None:
        """Stop the timers and stop following the change feed (before the model goes away)."""
        for timer in (self._flush_timer, self._tick, self._flash_timer):
            timer.stop()
        with contextlib.suppress(RuntimeError):
            self._ctx.bridge.changes.disconnect(self.on_changes)

    async def wait_loaded(self) -> None:
        """For tests: load now and wait for it."""
        self._generation += 1
        await self._load(self._generation)

    # -- order ------------------------------------------------------------------------------

    def _key(self, u: UnitInfo) -> tuple[Any, ...]:
        tail = (_call_sign_key(u.call_sign), u.id)
        col = self._sort_column
        primary: Any
        if col in (COL_STATUS, COL_STATUS_TEXT):
            primary = STATUS_URGENCY.get(u.status, 99)
        elif col == COL_SINCE:
            primary = u.status_changed_at
        elif col == COL_INCIDENT:
            primary = (u.incident_number is None, u.incident_number or "")
        elif col == COL_MEMBERS:
            primary = ", ".join(u.members).casefold()
        elif col == COL_POSITION_AGE:
            primary = (
                u.position_at is None,
                -(u.position_at.timestamp()) if u.position_at else 0.0,
            )
        else:
            primary = 0
        key = (primary, *tail)
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            return (_Desc(key),)
        return key

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < COLUMN_COUNT):
            column = COL_CALL_SIGN
        self._sort_column = column
        self._sort_order = order
        self.layoutAboutToBeChanged.emit()
        old_ids = [u.id for u in self._rows]
        self._rows.sort(key=self._key)
        self._keys = [self._key(u) for u in self._rows]
        new = {u.id: i for i, u in enumerate(self._rows)}
        from_list, to_list = [], []
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(old_ids):
                from_list.append(index)
                to_list.append(self.index(new[old_ids[index.row()]], index.column()))
        self.changePersistentIndexList(from_list, to_list)
        self.layoutChanged.emit()

    # -- live updates -----------------------------------------------------------------------

    def on_changes(self, batch: ChangeBatch) -> None:
        """Mark changed units dirty; the flush timer applies them in one go."""
        for change in batch.changes:
            if change.entity == "unit":
                self._dirty.add(change.entity_id)
            elif change.entity == "incident":
                # Closing or releasing changes the incident shown on the board.
                self._dirty.update(u.id for u in self._rows if u.incident_id == change.entity_id)
            elif change.entity == "demo" or change.op == "reset":
                # New demo data, or the feed went back (restore, failover): reload everything.
                self._full_reload = True

    def _flush(self) -> None:
        if self._full_reload:
            self._full_reload = False
            self._dirty.clear()
            self.reload()
            return
        if not self._dirty or self._loading:
            return
        ids = sorted(self._dirty)
        self._dirty.clear()
        spawn(self._apply(self._generation, ids))

    async def _apply(self, generation: int, ids: Sequence[int]) -> None:
        units = await self._ctx.services.units.rows(self._ctx.actor, ids)
        if generation != self._generation:
            return
        self.apply_units(units, set(ids))

    def apply_units(self, units: Sequence[UnitInfo], ids: set[int]) -> None:
        """Update, move, insert or remove rows in place (keeps selection and scroll position).

        ``ids`` are the units that were asked for; those missing from ``units`` are gone.
        """
        by_id = {u.id: u for u in units}
        for unit_id in sorted(ids):
            unit = by_id.get(unit_id)
            at = self.row_of(unit_id)
            if unit is None:
                if at >= 0:
                    self.beginRemoveRows(QModelIndex(), at, at)
                    del self._rows[at]
                    del self._keys[at]
                    self.endRemoveRows()
                continue
            key = self._key(unit)
            if at < 0:
                to = bisect.bisect_left(self._keys, key)
                self.beginInsertRows(QModelIndex(), to, to)
                self._rows.insert(to, unit)
                self._keys.insert(to, key)
                self.endInsertRows()
                continue
            others = self._keys[:at] + self._keys[at + 1 :]
            to = bisect.bisect_left(others, key)
            if to != at:
                # A move keeps the selection on the unit (unlike remove + insert).
                destination = to + 1 if to > at else to
                self.beginMoveRows(QModelIndex(), at, at, QModelIndex(), destination)
                del self._rows[at]
                del self._keys[at]
                self._rows.insert(to, unit)
                self._keys.insert(to, key)
                self.endMoveRows()
            else:
                self._rows[at] = unit
                self._keys[at] = key
            self.dataChanged.emit(self.index(to, 0), self.index(to, COLUMN_COUNT - 1))
        self.updated.emit()

    def _tick_timers(self) -> None:
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_SINCE),
                self.index(len(self._rows) - 1, COL_POSITION_AGE),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole],
            )

    def _flash(self) -> None:
        self._flash_on = not self._flash_on
        for row, u in enumerate(self._rows):
            if STATUS_STYLES.get(u.status, UNKNOWN_STYLE).flash is not None:
                self.dataChanged.emit(
                    self.index(row, 0),
                    self.index(row, COLUMN_COUNT - 1),
                    [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole],
                )

    # -- access -----------------------------------------------------------------------------

    def unit_at(self, row: int) -> UnitInfo | None:
        """The cached unit at ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, unit_id: int) -> int:
        """Row number of a unit, or -1."""
        for i, u in enumerate(self._rows):
            if u.id == unit_id:
                return i
        return -1

    def units(self) -> list[UnitInfo]:
        """All units in display order."""
        return list(self._rows)

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < COLUMN_COUNT):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips[section] or None
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        u = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(u, col)
        if role == UnitIdRole:
            return u.id
        if role == UnitInfoRole:
            return u
        if role == UnitStatusRole:
            return u.status
        style = STATUS_STYLES.get(u.status, UNKNOWN_STYLE)
        flashing = style.flash is not None and self._flash_on
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(style.flash if flashing and style.flash else style.background)
        if role == Qt.ItemDataRole.ForegroundRole:
            if flashing:
                return QBrush(theme.qcolor("text"))
            if col == COL_POSITION_AGE and self._position_stale(u) and not style.bold:
                return QBrush(theme.qcolor("position_old_text"))
            return QBrush(style.foreground)
        if role == Qt.ItemDataRole.FontRole:
            if style.bold or col in (COL_CALL_SIGN, COL_STATUS):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            COL_STATUS,
            COL_SINCE,
            COL_POSITION_AGE,
        ):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(u, col)
        return None

    def _position_stale(self, u: UnitInfo) -> bool:
        return (
            u.position_at is not None
            and (self.now() - u.position_at).total_seconds() > POSITION_STALE_S
        )

    def _display(self, u: UnitInfo, col: int) -> str:
        if col == COL_CALL_SIGN:
            return u.call_sign
        if col == COL_STATUS:
            return u.status
        if col == COL_STATUS_TEXT:
            return unit_status_label(u.status)
        if col == COL_SINCE:
            return format_duration((self.now() - u.status_changed_at).total_seconds())
        if col == COL_INCIDENT:
            return u.incident_number or ""
        if col == COL_MEMBERS:
            return ", ".join(u.members)
        if col == COL_POSITION_AGE:
            if u.position_at is None:
                return "–"
            return format_duration((self.now() - u.position_at).total_seconds())
        return ""

    def _tooltip(self, u: UnitInfo, col: int) -> str | None:
        if col == COL_SINCE:
            return self.tr("Status since %1").replace(
                "%1", format_local(u.status_changed_at, with_seconds=True)
            )
        if col == COL_MEMBERS and u.members:
            return "\n".join(u.members)
        if col == COL_POSITION_AGE:
            if u.position_at is None or u.lat is None or u.lon is None:
                return self.tr("No position reported")
            where = stadtteil_for(u.lat, u.lon) or self.tr("outside the city")
            return (
                self.tr("%1 (%2), reported %3")
                .replace("%1", where)
                .replace("%2", format_coordinates(u.lat, u.lon))
                .replace("%3", format_local(u.position_at, with_seconds=True))
            )
        if col in (COL_STATUS, COL_STATUS_TEXT, COL_CALL_SIGN):
            return f"{u.call_sign} ({u.kind}): {unit_status_label(u.status)}"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class _Desc:
    """Wraps a key so that it sorts in reverse."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and other.v == self.v

    def __hash__(self) -> int:
        return hash(self.v)
