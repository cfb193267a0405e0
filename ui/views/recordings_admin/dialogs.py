"""Proposing a hold on a recording, and proposing to lift one (a second person confirms)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.domain.retention import HoldKind
from app.services.recording_desk import OpenHold, RecordingRef
from app.services.recording_holds import MIN_REASON
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.views.recordings_admin.models import kind_label, recording_text

#: The kinds in the order the dialog offers them (the first is the default).
KINDS = (HoldKind.OFFENCE, HoldKind.CRIME, HoldKind.DANGER, HoldKind.REVIEW)


class ProposeHoldDialog(WorkFormDialog):
    """Kind (with the file number for proceedings) and reason of a hold."""

    def __init__(self, ctx: UiContext, recording: RecordingRef, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ProposeHoldDialog")
        self._ctx = ctx
        self.recording = recording
        self.setWindowTitle(
            self.tr("Propose a hold on recording no. %1").replace("%1", str(recording.id))
        )
        self.kind = QComboBox(self)
        self.kind.setObjectName("holdKind")
        for kind in KINDS:
            self.kind.addItem(kind_label(kind), kind.value)
        self.file_number = QLineEdit(self)
        self.file_number.setObjectName("holdFileNumber")
        self.file_number.setMaxLength(64)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("holdReason")
        self.reason.setFixedHeight(80)
        self.add_multiline(self.reason)
        explain = QLabel(
            self.tr(
                "The recording is kept from now on. The hold is in force once a second person "
                "(the shift lead) confirms it."
            ),
            self,
        )
        explain.setWordWrap(True)
        self.form.addRow(QLabel(recording_text(recording), self))
        self.form.addRow(self.tr("&Kind:"), self.kind)
        self.form.addRow(self.tr("&File number (Aktenzeichen):"), self.file_number)
        self.form.addRow(self.tr("&Reason:"), self.reason)
        self.form.addRow(explain)
        self.field_widgets = {
            "kind": self.kind,
            "file_number": self.file_number,
            "reason": self.reason,
        }
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.set_tab_order([self.kind, self.file_number, self.reason])
        self.setMinimumWidth(560)
        self._kind_changed()
        self.kind.setFocus()

    def selected_kind(self) -> HoldKind:
        """The kind chosen."""
        return HoldKind(self.kind.currentData())

    def _kind_changed(self) -> None:
        needed = self.selected_kind().needs_file_number
        self.file_number.setPlaceholderText(
            self.tr("required for proceedings") if needed else self.tr("if there is one")
        )

    async def submit(self) -> Any:
        return await self._ctx.services.recording_admin.holds.propose_hold(
            self.recording.id,
            self.selected_kind(),
            self.file_number.text(),
            self.reason.toPlainText(),
            self._ctx.actor,
        )


class ProposeReleaseDialog(WorkFormDialog):
    """Why a hold should be lifted (or a proposed one refused); a second person confirms."""

    def __init__(self, ctx: UiContext, hold: OpenHold, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ProposeReleaseDialog")
        self._ctx = ctx
        self.hold = hold
        self.setWindowTitle(
            self.tr("Propose lifting the hold on recording no. %1").replace(
                "%1", str(hold.recording.id)
            )
        )
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("releaseReason")
        self.reason.setFixedHeight(80)
        self.add_multiline(self.reason)
        what = f"{kind_label(hold.kind)} {hold.file_number}".strip()
        self.form.addRow(QLabel(recording_text(hold.recording), self))
        self.form.addRow(self.tr("Hold:"), QLabel(f"{what} – {hold.reason}", self))
        self.form.addRow(self.tr("&Reason for lifting:"), self.reason)
        note = QLabel(
            self.tr(
                "Once a second person confirms the lifting, the recording is deleted when its "
                "period has run out (at least %1 characters of reason)."
            ).replace("%1", str(MIN_REASON)),
            self,
        )
        note.setWordWrap(True)
        self.form.addRow(note)
        self.field_widgets = {"reason": self.reason}
        self.set_tab_order([self.reason])
        self.setMinimumWidth(520)
        self.reason.setFocus()

    async def submit(self) -> Any:
        await self._ctx.services.recording_admin.holds.propose_release(
            self._ctx.actor, self.hold.id, self.reason.toPlainText()
        )
        return self.hold
