"""The unit status board model: every active unit with its BOS status, updated live."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import unit_status_label
from app.domain.dto import UnitInfo
from app.domain.geo import format_coordinates
from app.domain.unit_state import alarm_overdue, state_text
from app.platform.timeutil import format_local, local
from app.services.ordering import Desc
from app.services.stadtteile import last_known_stadtteil
from ui import theme
from ui.context import UiContext
from ui.models.incident_queue import format_duration
from ui.models.live_table import LiveTableModel, RowIdRole, RowRole, SortSpec

log = logging.getLogger(__name__)

# Column numbers
COL_CALL_SIGN = 0
COL_STATUS = 1
COL_STATUS_TEXT = 2
COL_SINCE = 3
COL_INCIDENT = 4
COL_MEMBERS = 5
COL_POSITION_AGE = 6
#: The unit's field device: connected now, or how long ago it last called.
COL_DEVICE = 7
COLUMN_COUNT = 8

#: Role returning the row's unit id.
UnitIdRole = RowIdRole
#: Role returning the row's :class:`UnitInfo`.
UnitInfoRole = RowRole
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
_EMERGENCY = theme.status_colours("N")
#: An alarmed unit that has not confirmed yet; flashing red once the confirmation is overdue.
ALARMED_STYLE = StatusStyle(theme.color("unit_alarmed"), bold=True)
ALARM_OVERDUE_STYLE = StatusStyle(
    _EMERGENCY.background if _EMERGENCY else theme.color("overdue"),
    _EMERGENCY.foreground if _EMERGENCY else theme.color("on_dark"),
    bold=True,
    flash=theme.color("unit_alarmed"),
)

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


class UnitStatusTableModel(LiveTableModel[UnitInfo, None]):
    """All active units (a small table: loaded whole), live-updated without resets."""

    entity = Entity.UNIT
    column_count = COLUMN_COUNT
    page_size = None
    tick_ms = 1000
    tick_columns = (COL_SINCE, COL_DEVICE)
    tick_roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole)

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        super().__init__(ctx, None, parent)
        self._sort = SortSpec(COL_CALL_SIGN)
        self._flash_on = False
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(500)
        self._flash_timer.timeout.connect(self._flash)
        self._flash_timer.start()
        self._headers = [
            self.tr("Call sign"),
            self.tr("St."),
            self.tr("Status"),
            self.tr("Since"),
            self.tr("Incident"),
            self.tr("Crew"),
            self.tr("Position"),
            self.tr("Device"),
        ]
        self._header_tips = {
            COL_STATUS: self.tr("BOS status code"),
            COL_SINCE: self.tr("Time since the last status change"),
            COL_INCIDENT: self.tr("Incident the unit is assigned to"),
            COL_POSITION_AGE: self.tr("Age of the last reported position"),
            COL_DEVICE: self.tr("The unit's field device: connected, or when it last reported"),
        }

    # -- the table's part of the live model -------------------------------------------------

    def changed_ids(self, changes: ChangeSet) -> Iterable[int]:
        # Closing or releasing an incident changes the incident shown on the board.
        incidents = changes.ids(Entity.INCIDENT)
        mine = {u.id for u in self._rows if u.incident_id in incidents} if incidents else set()
        return changes.ids(Entity.UNIT) | mine

    async def fetch_first(self, query: None) -> tuple[int, bool, list[UnitInfo]]:
        units = await self._ctx.services.units.board(self._ctx.actor)
        return len(units), True, sorted(units, key=self.sort_key)

    async def fetch_rows(self, ids: Sequence[int]) -> list[UnitInfo]:
        return await self._ctx.services.units.rows(self._ctx.actor, ids)

    def sort_key(self, row: UnitInfo) -> tuple[Any, ...]:
        return unit_sort_key(row, self._sort)

    def apply_sort(self, spec: SortSpec) -> None:
        if spec.column < 0:
            self._sort = SortSpec(COL_CALL_SIGN)
        self._keys = [self.sort_key(u) for u in self._rows]
        self.resort()

    def resort(self) -> None:
        """Re-sort the loaded rows in place; persistent indexes (the selection) follow."""
        self.layoutAboutToBeChanged.emit()
        old_ids = [r.id for r in self._rows]
        order = sorted(range(len(self._rows)), key=lambda i: self._keys[i])
        self._rows = [self._rows[i] for i in order]
        self._keys = [self._keys[i] for i in order]
        self._reindex(0)
        moved_from, moved_to = [], []
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(old_ids):
                moved_from.append(index)
                moved_to.append(self.index(self._pos[old_ids[index.row()]], index.column()))
        self.changePersistentIndexList(moved_from, moved_to)
        self.layoutChanged.emit()

    def apply_units(self, units: Sequence[UnitInfo], ids: set[int]) -> None:
        """Update, move, insert or remove rows; ``ids`` missing from ``units`` are gone."""
        self.apply_rows(units, {u.id for u in units}, ids)

    def stop(self) -> None:
        """Stop the timers and stop following the change feed (before the model goes away)."""
        self._flash_timer.stop()
        super().stop()

    def refresh_times(self) -> None:
        """The running times, and the rows of alarmed units (their alarm may become overdue)."""
        super().refresh_times()
        for row, u in enumerate(self._rows):
            if u.alarmed_at is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, COLUMN_COUNT - 1))

    def style_of(self, u: UnitInfo) -> StatusStyle:
        """How the unit's row looks: its status, or its alarm while it has not confirmed."""
        if u.alarmed_at is not None:
            overdue = alarm_overdue(u.confirm_due_at, self.now())
            return ALARM_OVERDUE_STYLE if overdue else ALARMED_STYLE
        return STATUS_STYLES.get(u.status, UNKNOWN_STYLE)

    def _flash(self) -> None:
        self._flash_on = not self._flash_on
        for row, u in enumerate(self._rows):
            if self.style_of(u).flash is not None:
                self.dataChanged.emit(
                    self.index(row, 0),
                    self.index(row, COLUMN_COUNT - 1),
                    [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole],
                )

    # -- access -----------------------------------------------------------------------------

    def unit_at(self, row: int) -> UnitInfo | None:
        """The cached unit at ``row``."""
        return self.row_at(row)

    def units(self) -> list[UnitInfo]:
        """All units in display order."""
        return self.rows()

    def display(self, row: UnitInfo, column: int) -> str:
        return self._display(row, column)

    def cell_role(self, u: UnitInfo, col: int, role: int) -> Any:
        if role == UnitStatusRole:
            return u.status
        style = self.style_of(u)
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
            COL_DEVICE,
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
            if u.alarmed_at is not None:
                clock = local(u.alarmed_at).strftime("%H:%M")
                return state_text(u.status, u.alarmed_at, u.confirm_due_at, self.now(), clock)
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
        if col == COL_DEVICE:
            if u.device_link_live(self.now()):
                return self.tr("connected")
            if u.device_seen_at is None:
                return "–"
            return format_duration((self.now() - u.device_seen_at).total_seconds())
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
            where = last_known_stadtteil(u.lat, u.lon) or self.tr("outside the city")
            return (
                self.tr("%1 (%2), reported %3")
                .replace("%1", where)
                .replace("%2", format_coordinates(u.lat, u.lon))
                .replace("%3", format_local(u.position_at, with_seconds=True))
            )
        if col == COL_DEVICE:
            if u.device_seen_at is None:
                return self.tr("No field device has reported for this unit")
            return self.tr("Field device last reported %1").replace(
                "%1", format_local(u.device_seen_at, with_seconds=True)
            )
        if col in (COL_STATUS, COL_STATUS_TEXT, COL_CALL_SIGN):
            return f"{u.call_sign} ({u.kind}): {unit_status_label(u.status)}"
        return None


def unit_sort_key(u: UnitInfo, spec: SortSpec) -> tuple[Any, ...]:
    """The board's order by ``spec``'s column; call sign (natural order), then id, break ties."""
    tail = (_call_sign_key(u.call_sign), u.id)
    col = spec.column
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
        primary = (u.position_at is None, -(u.position_at.timestamp()) if u.position_at else 0.0)
    elif col == COL_DEVICE:
        seen = u.device_seen_at
        primary = (not u.device_connected, seen is None, -(seen.timestamp()) if seen else 0.0)
    else:
        primary = 0
    key = (primary, *tail)
    return (Desc(key),) if spec.descending else key
