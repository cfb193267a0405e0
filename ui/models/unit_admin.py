"""The units as their management lists them: call sign, kind, status, crew, in service.

A small list (a city has a few dozen units), loaded whole and reset on every reload.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QFont

from app.domain.codes import unit_status_display
from app.services.unit_admin import ManagedUnit
from ui import theme

COL_CALL_SIGN, COL_KIND, COL_STATUS, COL_CREW, COL_SERVICE = range(5)
#: The whole :class:`ManagedUnit` of a row.
UnitRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


class UnitAdminTableModel(QAbstractTableModel):
    """Every unit, those in service first (see :meth:`UnitAdminService.units`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ManagedUnit] = []
        self._headers = (
            self.tr("Call sign"),
            self.tr("Kind"),
            self.tr("Status"),
            self.tr("Crew"),
            self.tr("Service"),
        )

    def set_units(self, units: list[ManagedUnit]) -> None:
        """Show ``units`` (a full reload)."""
        self.beginResetModel()
        self._rows = list(units)
        self.endResetModel()

    def units(self) -> list[ManagedUnit]:
        """The units shown."""
        return list(self._rows)

    def row_of(self, unit_id: int) -> int:
        """Row of the unit ``unit_id`` (-1 if not listed)."""
        return next((r for r, u in enumerate(self._rows) if u.id == unit_id), -1)

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
        unit = self._rows[index.row()]
        col = index.column()
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
