"""The tables of the deletion and hold pane and of the clip-access report (small lists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt

from app.domain.retention import EXPIRED, EXPIRED_LABEL, HOLD_KIND_LABELS, HoldKind
from app.platform.timeutil import format_deadline, format_local
from app.services.recording_desk import HoldState, OpenHold, RecordingRef, UpcomingRow
from app.services.recording_report import ClipAccess, DeletionEntry
from ui.models.small_list import SmallListModel

#: The row's dataclass (for the pane's selection).
RowRole = Qt.ItemDataRole.UserRole + 1

UP_ID, UP_OFFICER, UP_INCIDENT, UP_RECORDED, UP_DUE, UP_HOLDS = range(6)
(
    HOLD_RECORDING,
    HOLD_STATE,
    HOLD_KIND,
    HOLD_FILE,
    HOLD_REASON,
    HOLD_PROPOSED_BY,
    HOLD_OFFICER,
    HOLD_INCIDENT,
) = range(8)


def kind_label(kind: HoldKind) -> str:
    """The German name of a kind of hold."""
    return QCoreApplication.translate("evidence", HOLD_KIND_LABELS[kind])


def state_label(state: HoldState) -> str:
    """Where a hold stands, in words."""
    return {
        HoldState.PROPOSED: QCoreApplication.translate(
            "RecordingHoldsPane", "proposed – waiting for confirmation"
        ),
        HoldState.IN_FORCE: QCoreApplication.translate("RecordingHoldsPane", "in force"),
        HoldState.RELEASE_PROPOSED: QCoreApplication.translate(
            "RecordingHoldsPane", "lifting proposed – waiting for confirmation"
        ),
    }[state]


@dataclass(frozen=True)
class UpcomingItem:
    """A deletion coming up, with an id for the list (the recording's)."""

    row: UpcomingRow

    @property
    def id(self) -> int:
        return self.row.recording.id


class UpcomingTableModel(SmallListModel[UpcomingItem]):
    """Recordings deleted within the days chosen (no hold keeps them)."""

    def headers(self) -> Sequence[str]:
        return [
            self.tr("Recording"),
            self.tr("Officer"),
            self.tr("Incident"),
            self.tr("Recorded"),
            self.tr("Deleted on"),
            self.tr("Holds"),
        ]

    def set_upcoming(self, rows: Sequence[UpcomingRow]) -> None:
        """Show ``rows``."""
        self.set_rows([UpcomingItem(r) for r in rows])

    def cell(self, row: UpcomingItem, column: int, role: int) -> object:
        if role == RowRole:
            return row.row.recording
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        rec = row.row.recording
        return {
            UP_ID: str(rec.id),
            UP_OFFICER: rec.officer,
            UP_INCIDENT: rec.incident_number or "–",
            UP_RECORDED: format_local(rec.started_at),
            UP_DUE: format_deadline(row.row.due_at),
            UP_HOLDS: self.tr("none"),
        }.get(column)


class HoldTableModel(SmallListModel[OpenHold]):
    """Holds not lifted; those waiting for a second person on top."""

    def headers(self) -> Sequence[str]:
        return [
            self.tr("Recording"),
            self.tr("State"),
            self.tr("Kind"),
            self.tr("File number"),
            self.tr("Reason"),
            self.tr("Proposed by"),
            self.tr("Officer"),
            self.tr("Incident"),
        ]

    def cell(self, row: OpenHold, column: int, role: int) -> object:
        if role == RowRole:
            return row
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        lifting = row.state is HoldState.RELEASE_PROPOSED
        return {
            HOLD_RECORDING: str(row.recording.id),
            HOLD_STATE: state_label(row.state),
            HOLD_KIND: kind_label(row.kind),
            HOLD_FILE: row.file_number or "–",
            HOLD_REASON: (row.release_reason or "") if lifting else row.reason,
            HOLD_PROPOSED_BY: (row.release_proposed_by or "") if lifting else row.proposed_by,
            HOLD_OFFICER: row.recording.officer,
            HOLD_INCIDENT: row.recording.incident_number or "–",
        }.get(column)


def recording_text(rec: RecordingRef) -> str:
    """One line naming a recording (for dialogs)."""
    return (
        QCoreApplication.translate("RecordingHoldsPane", "No. %1 · %2 · %3 · incident %4")
        .replace("%1", str(rec.id))
        .replace("%2", format_local(rec.started_at))
        .replace("%3", rec.officer)
        .replace("%4", rec.incident_number or "–")
    )


# -- the clip-access report ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Numbered:
    """A report line with a running number as its id (lines have no id of their own)."""

    id: int
    value: object


class AccessTableModel(SmallListModel[_Numbered]):
    """Who did what with which recording, when and why."""

    def headers(self) -> Sequence[str]:
        return [
            self.tr("Time"),
            self.tr("Person"),
            self.tr("Action"),
            self.tr("Recording"),
            self.tr("Reason"),
            self.tr("Recipient"),
            self.tr("Workstation"),
        ]

    def set_accesses(self, rows: Sequence[ClipAccess]) -> None:
        """Show ``rows``."""
        self.set_rows([_Numbered(i, r) for i, r in enumerate(rows)])

    def cell(self, row: _Numbered, column: int, role: int) -> object:
        if role != Qt.ItemDataRole.DisplayRole or not isinstance(row.value, ClipAccess):
            return None
        a = row.value
        values = (
            format_local(a.occurred_at, with_seconds=True),
            a.username,
            a.action_label,
            "" if a.recording_id is None else str(a.recording_id),
            a.reason or "",
            a.recipient or "",
            a.workstation or "",
        )
        return values[column] if 0 <= column < len(values) else None


class DeletionTableModel(SmallListModel[_Numbered]):
    """The deletion protocol (no personal data)."""

    def headers(self) -> Sequence[str]:
        return [
            self.tr("Recording"),
            self.tr("Recorded"),
            self.tr("Due"),
            self.tr("Deleted"),
            self.tr("Reason"),
            self.tr("File removed"),
            self.tr("SHA-256"),
        ]

    def set_deletions(self, rows: Sequence[DeletionEntry]) -> None:
        """Show ``rows``."""
        self.set_rows([_Numbered(i, r) for i, r in enumerate(rows)])

    def cell(self, row: _Numbered, column: int, role: int) -> object:
        if role != Qt.ItemDataRole.DisplayRole or not isinstance(row.value, DeletionEntry):
            return None
        d = row.value
        removed: datetime | None = d.file_removed_at
        values = (
            str(d.recording_id),
            format_local(d.started_at),
            format_deadline(d.due_at),
            format_local(d.deleted_at),
            EXPIRED_LABEL if d.reason == EXPIRED else d.reason,
            format_local(removed) if removed else self.tr("not yet"),
            d.sha256,
        )
        return values[column] if 0 <= column < len(values) else None
