"""Which shift the Schichtbericht is about: a date and one of that day's shifts (setting
``shifts.starts``); proposed is the shift ending now (early in a shift, the one just ended)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, time

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QWidget,
)

from app.domain.shifts import Shift, shift_ending_now, shifts_of_day
from app.platform.timeutil import local, today, utcnow


class ShiftChoiceDialog(QDialog):
    """Choose the day and the shift; ``chosen`` is called with the shift on OK."""

    def __init__(
        self,
        starts: Sequence[time],
        chosen: Callable[[Shift], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shiftChoiceDialog")
        self.setWindowTitle(self.tr("Shift report"))
        self._starts = tuple(starts)
        self._chosen = chosen
        proposed = shift_ending_now(utcnow(), self._starts)
        first = local(proposed.start).date()
        self.day = QDateEdit(QDate(first.year, first.month, first.day))
        self.day.setObjectName("shiftDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("dd.MM.yyyy")
        self.day.setMinimumDate(QDate(2000, 1, 1))
        now = today()
        self.day.setMaximumDate(QDate(now.year, now.month, now.day))
        self.shift = QComboBox()
        self.shift.setObjectName("shiftChoice")
        form = QFormLayout(self)
        form.addRow(self.tr("Day the shift starts"), self.day)
        form.addRow(self.tr("Shift"), self.shift)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Preview and print …"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.day.dateChanged.connect(lambda _d: self._fill(None))
        self._fill(proposed)
        self.setMinimumWidth(380)

    def _day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def _fill(self, select: Shift | None) -> None:
        keep = self.shift.currentIndex()
        self.shift.clear()
        for shift in shifts_of_day(self._day(), self._starts):
            start, end = local(shift.start), local(shift.end)
            self.shift.addItem(f"{start:%H:%M}–{end:%H:%M}", shift)
            if shift == select:
                self.shift.setCurrentIndex(self.shift.count() - 1)
        if select is None and 0 <= keep < self.shift.count():
            self.shift.setCurrentIndex(keep)

    def selected(self) -> Shift:
        """The chosen shift."""
        shift = self.shift.currentData(Qt.ItemDataRole.UserRole)
        assert isinstance(shift, Shift)
        return shift

    def accept(self) -> None:
        self._chosen(self.selected())
        super().accept()
