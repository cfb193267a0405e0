"""The open offence cases by days left: Aktenzeichen, offence, person, Tatzeit, status, last day.

A clerk's list holds a few hundred open cases at most; it is loaded whole and reset on reload.
Rows running out soon are marked (``offences.warn_days``), those on their last days loudly.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from app.domain.offences.cases import CaseInfo, status_label
from app.platform.timeutil import format_local
from ui import theme

COL_NUMBER, COL_OFFENCE, COL_PERSON, COL_WHEN, COL_STATUS, COL_LAST_DAY, COL_DAYS = range(7)
#: The whole :class:`CaseInfo` of a row.
CaseRole = Qt.ItemDataRole.UserRole + 1
#: Days left from which a case is marked loudly.
URGENT_DAYS = 3

_Index = QModelIndex | QPersistentModelIndex


def person_text(case: CaseInfo) -> str:
    """``Muster, Max`` (surname first, as on the forms)."""
    p = case.concerned
    return f"{p.last_name}, {p.first_name}" if p.first_name else p.last_name


class OffenceCaseTableModel(QAbstractTableModel):
    """Open cases, the one running out first on top."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseInfo] = []
        self.today = date.today()
        self.warn_days = 14
        self._headers = (
            self.tr("File no."),
            self.tr("Offence"),
            self.tr("Person concerned"),
            self.tr("Time of act"),
            self.tr("Status"),
            self.tr("Time-barred after"),
            self.tr("Days left"),
        )

    def set_cases(self, cases: list[CaseInfo], today: date, warn_days: int) -> None:
        """Show ``cases`` (a full reload)."""
        self.beginResetModel()
        self._rows = list(cases)
        self.today, self.warn_days = today, warn_days
        self.endResetModel()

    def cases(self) -> list[CaseInfo]:
        """The cases shown."""
        return list(self._rows)

    def row_of(self, case_id: int) -> int:
        """Row of the case (-1 if not listed)."""
        return next((r for r, c in enumerate(self._rows) if c.id == case_id), -1)

    def running_out(self) -> list[CaseInfo]:
        """Listed cases within the warning period."""
        return [c for c in self._rows if c.days_left(self.today) <= self.warn_days]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        case = self._rows[index.row()]
        col = index.column()
        left = case.days_left(self.today)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(case, col, left)
        if role == CaseRole:
            return case
        if role == Qt.ItemDataRole.BackgroundRole and left <= self.warn_days:
            return QBrush(theme.qcolor("follow_up_due"))
        urgent = left <= URGENT_DAYS
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_LAST_DAY, COL_DAYS) and urgent:
            return QBrush(theme.qcolor("overdue"))
        if role == Qt.ItemDataRole.FontRole and urgent and col == COL_DAYS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_DAYS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col in (COL_LAST_DAY, COL_DAYS):
            return case.limitation_basis
        return None

    def _display(self, case: CaseInfo, col: int, left: int) -> str:
        if col == COL_NUMBER:
            return case.number
        if col == COL_OFFENCE:
            return case.offence
        if col == COL_PERSON:
            return person_text(case)
        if col == COL_WHEN:
            return format_local(case.committed_at)
        if col == COL_STATUS:
            return status_label(case.status)
        if col == COL_LAST_DAY:
            return case.limitation_date.strftime("%d.%m.%Y")
        if left < 0:
            return self.tr("time-barred")
        return str(left)
