"""The units as their management lists them: call sign, kind, status, crew, in service.

A small list (a city has a few dozen units), loaded whole and reset on every reload.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    Qt,
)
from PySide6.QtGui import QBrush, QFont

from app.domain.codes import unit_status_display
from app.services.unit_admin import ManagedUnit
from ui import theme
from ui.models.small_list import SmallListModel

COL_CALL_SIGN, COL_KIND, COL_STATUS, COL_CREW, COL_SERVICE = range(5)
#: The whole :class:`ManagedUnit` of a row.
UnitRole = Qt.ItemDataRole.UserRole + 1


class UnitAdminTableModel(SmallListModel[ManagedUnit]):
    """Every unit, those in service first (see :meth:`UnitAdminService.units`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = (
            self.tr("Call sign"),
            self.tr("Kind"),
            self.tr("Status"),
            self.tr("Crew"),
            self.tr("Service"),
        )

    def headers(self) -> tuple[str, ...]:
        return self._headers

    def set_units(self, units: list[ManagedUnit]) -> None:
        """Show ``units`` (a full reload)."""
        self.set_rows(units)

    def units(self) -> list[ManagedUnit]:
        """The units shown."""
        return self.rows()

    def cell(self, unit: ManagedUnit, col: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(unit, col)
        if role == UnitRole:
            return unit
        if role == Qt.ItemDataRole.ForegroundRole and not unit.active:
            return QBrush(theme.qcolor("out_of_service"))
        if role == Qt.ItemDataRole.FontRole and col == COL_CALL_SIGN:
            font = QFont()
            font.setBold(unit.active)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_CREW and unit.crew:
            return "\n".join(f"{m.display_name} ({m.username})" for m in unit.crew)
        return None

    def _display(self, unit: ManagedUnit, col: int) -> str:
        if col == COL_CALL_SIGN:
            return unit.call_sign
        if col == COL_KIND:
            return unit.kind
        if col == COL_STATUS:
            return unit_status_display(unit.status) if unit.active else "–"
        if col == COL_CREW:
            return crew_text(unit)
        return self.tr("in service") if unit.active else self.tr("out of service")


def crew_text(unit: ManagedUnit) -> str:
    """ "Doppelstreife: A, B", "Einzelstreife: A", "ohne Besatzung"."""
    n = len(unit.crew)
    if n == 0:
        return QCoreApplication.translate("UnitAdminTableModel", "no crew")
    if n == 1:
        kind = QCoreApplication.translate("UnitAdminTableModel", "single patrol")
    elif n == 2:
        kind = QCoreApplication.translate("UnitAdminTableModel", "double patrol")
    else:
        kind = QCoreApplication.translate("UnitAdminTableModel", "%1 people").replace("%1", str(n))
    return f"{kind}: {unit.crew_label}"
