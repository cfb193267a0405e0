"""The open offence cases by days left: Aktenzeichen, offence, person, Tatzeit, status, last day.

A clerk's list holds a few hundred open cases at most; it is loaded whole and reset on reload.
Rows running out soon are marked (``offences.warn_days``), those on their last days loudly.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QFont

from app.domain.offences.cases import CaseInfo, status_label
from app.platform.timeutil import format_local, today
from ui import theme
from ui.models.small_list import SmallListModel

COL_NUMBER, COL_OFFENCE, COL_PERSON, COL_WHEN, COL_STATUS, COL_LAST_DAY, COL_DAYS = range(7)
#: The whole :class:`CaseInfo` of a row.
CaseRole = Qt.ItemDataRole.UserRole + 1
#: Days left from which a case is marked loudly.
URGENT_DAYS = 3


def person_text(case: CaseInfo) -> str:
    """``Muster, Max`` (surname first, as on the forms)."""
    p = case.concerned
    return f"{p.last_name}, {p.first_name}" if p.first_name else p.last_name


class OffenceCaseTableModel(SmallListModel[CaseInfo]):
    """Open cases, the one running out first on top."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.today = today()
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

    def headers(self) -> tuple[str, ...]:
        return self._headers

    def set_cases(self, cases: list[CaseInfo], today: date, warn_days: int) -> None:
        """Show ``cases`` (a full reload) as of ``today``, marking ``warn_days`` ahead."""
        self.today, self.warn_days = today, warn_days
        self.set_rows(cases)

    def cases(self) -> list[CaseInfo]:
        """The cases shown."""
        return self.rows()

    def running_out(self) -> list[CaseInfo]:
        """Listed cases within the warning period."""
        return [c for c in self._rows if c.days_left(self.today) <= self.warn_days]

    def cell(self, case: CaseInfo, col: int, role: int) -> object:
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
