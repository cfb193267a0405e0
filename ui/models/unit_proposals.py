"""Units proposed for an incident: available first, nearest first (a small table model)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QFont

from app.domain.codes import unit_status_display
from app.domain.dto import UnitProposal
from ui import theme
from ui.position_age import position_age

COL_CALL_SIGN = 0
COL_STATUS = 1
COL_DISTANCE = 2
COL_POSITION = 3
COL_INCIDENT = 4
COL_MEMBERS = 5
COLUMN_COUNT = 6

#: Role returning the row's unit id.
UnitIdRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the row's :class:`UnitProposal`.
ProposalRole = Qt.ItemDataRole.UserRole + 2
#: Role returning True if the unit can take the job.
AvailableRole = Qt.ItemDataRole.UserRole + 3

_UNAVAILABLE_FG = theme.qcolor("proposal_unavailable")
_AVAILABLE_BG = theme.qcolor("proposal_available")
#: An old position (its distance may be far off): amber position cell, distance in italics.
_STALE_BG = theme.qcolor("position_old")


def format_distance(distance_m: float | None) -> str:
    """``1,2 km`` in the user's locale; ``–`` without a known position."""
    if distance_m is None:
        return "–"
    if distance_m < 1000:
        return f"{QLocale().toString(round(distance_m / 10) * 10)} m"
    # The stub declares C++'s char format as int; PySide takes the one-letter string.
    return f"{QLocale().toString(distance_m / 1000, 'f', 1)} km"  # type: ignore[call-overload]


class UnitProposalTableModel(QAbstractTableModel):
    """Rows of :class:`UnitProposal` in the service's order (available, then by distance)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[UnitProposal] = []
        self._headers = [
            self.tr("Unit"),
            self.tr("Status"),
            self.tr("Distance"),
            self.tr("Position"),
            self.tr("Current incident"),
            self.tr("Crew"),
        ]

    def set_proposals(self, proposals: Sequence[UnitProposal]) -> None:
        """Replace all rows (a handful of units: a reset is cheap and clear)."""
        self.beginResetModel()
        self._rows = list(proposals)
        self.endResetModel()

    def proposal_at(self, row: int) -> UnitProposal | None:
        """The proposal in ``row`` (None outside the table)."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, unit_id: int) -> int:
        """Row of a unit, -1 if not listed."""
        for i, p in enumerate(self._rows):
            if p.unit.id == unit_id:
                return i
        return -1

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

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        p = self.proposal_at(index.row())
        if p is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(p, col)
        if role == UnitIdRole:
            return p.unit.id
        if role == ProposalRole:
            return p
        if role == AvailableRole:
            return p.available
        stale = col in (COL_DISTANCE, COL_POSITION) and self._stale(p)
        if role == Qt.ItemDataRole.ForegroundRole and not p.available:
            return QBrush(_UNAVAILABLE_FG)
        if role == Qt.ItemDataRole.BackgroundRole and stale and col == COL_POSITION:
            return QBrush(_STALE_BG)
        if role == Qt.ItemDataRole.BackgroundRole and p.available:
            return QBrush(_AVAILABLE_BG)
        if role == Qt.ItemDataRole.FontRole and (col == COL_CALL_SIGN or stale):
            font = QFont()
            # An old position's distance is a guess: in italics.
            font.setBold(p.available or (stale and col == COL_POSITION))
            font.setItalic(stale and col == COL_DISTANCE)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_DISTANCE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if stale:
                return self.tr(
                    "Position reported %1: the unit may be somewhere else by now."
                ).replace("%1", position_age(p.unit.position_at).text)
            if not p.available:
                return self.tr("Not available: assigning it asks for confirmation or is refused.")
            return None
        return None

    def _display(self, p: UnitProposal, col: int) -> str:
        if col == COL_CALL_SIGN:
            return p.unit.call_sign
        if col == COL_STATUS:
            return unit_status_display(p.unit.status)
        if col == COL_DISTANCE:
            return format_distance(p.distance_m)
        if col == COL_POSITION:
            if p.unit.lat is None:
                return "–"
            age = position_age(p.unit.position_at)
            return ("\u26a0 " if age.stale else "") + age.text
        if col == COL_INCIDENT:
            return p.unit.incident_number or ""
        if col == COL_MEMBERS:
            return ", ".join(p.unit.members)
        return ""

    @staticmethod
    def _stale(p: UnitProposal) -> bool:
        return p.unit.lat is not None and position_age(p.unit.position_at).stale

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
