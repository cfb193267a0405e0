"""The table of bodycam recordings (per incident, per officer or all): start, length, officer,
camera, incident, deletion date. Small lists, loaded whole."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt

from app.platform.timeutil import format_local
from app.services.recording_list import RecordingRow
from ui import theme
from ui.models.recording_text import deletion_text, duration_text, incident_text
from ui.models.small_list import SmallListModel

COL_START, COL_LENGTH, COL_OFFICER, COL_CAMERA, COL_INCIDENT, COL_DELETION = range(6)
#: The recording's id on every cell.
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class RecordingTableModel(SmallListModel[RecordingRow]):
    """Recordings, newest first."""

    def headers(self) -> Sequence[str]:
        tr = QCoreApplication.translate
        return (
            tr("RecordingTableModel", "Start"),
            tr("RecordingTableModel", "Length"),
            tr("RecordingTableModel", "Officer"),
            tr("RecordingTableModel", "Camera"),
            tr("RecordingTableModel", "Incident"),
            tr("RecordingTableModel", "Deletion"),
        )

    def cell(self, row: RecordingRow, column: int, role: int) -> object:
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_START:
                return format_local(row.started_at, with_seconds=True)
            if column == COL_LENGTH:
                return duration_text(row)
            if column == COL_OFFICER:
                unit = f" ({row.unit_call_sign})" if row.unit_call_sign else ""
                return row.officer_name + unit
            if column == COL_CAMERA:
                return row.device_id
            if column == COL_INCIDENT:
                return incident_text(row)
            if column == COL_DELETION:
                return deletion_text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.reason
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_INCIDENT and row.incident_id is None:
                return theme.qcolor("muted")
            if column == COL_DELETION and row.deletion_at is None:
                return theme.qcolor("ok")
        return None
