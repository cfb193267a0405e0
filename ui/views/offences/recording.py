"""Take a bodycam recording as evidence of an offence case: one of the recordings of the case's
officer or incident, or made around the time of the offence. Saving proposes a hold on it for
the OWi proceedings with the case's number as file number; a second person (the shift lead)
confirms it in the pane of deletion periods and holds."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from app.domain.offences.cases import CaseInfo
from app.platform.errors import KodError, ValidationError
from app.services.recording_desk import RecordingRef
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.models.work_table import alive
from ui.views.recordings_admin.models import recording_text

RecordingRole = Qt.ItemDataRole.UserRole + 1


class LinkRecordingDialog(WorkFormDialog):
    """Choose a recording for the case; a hold is proposed with the case's number."""

    def __init__(self, ctx: UiContext, case: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LinkRecordingDialog")
        self._ctx = ctx
        self.case = case
        self.setWindowTitle(
            self.tr("Bodycam recording as evidence for %1").replace("%1", case.number)
        )
        self.recordings = QListWidget(self)
        self.recordings.setObjectName("linkRecordingList")
        self.recordings.setMinimumHeight(160)
        self.note = QLineEdit(self)
        self.note.setObjectName("linkRecordingNote")
        self.note.setMaxLength(500)
        self.note.setPlaceholderText(self.tr("optional, e.g. minute 0:40 shows the act"))
        explain = QLabel(
            self.tr(
                "A hold (OWi proceedings, file number %1) is proposed on the recording; it is "
                "kept from now on and a second person confirms the hold."
            ).replace("%1", case.number),
            self,
        )
        explain.setWordWrap(True)
        self.form.addRow(QLabel(f"{case.number} – {case.offence}", self))
        self.form.addRow(self.tr("&Recording:"), self.recordings)
        self.form.addRow(self.tr("&Note:"), self.note)
        self.form.addRow(explain)
        self.field_widgets = {"recording": self.recordings, "note": self.note}
        self.set_tab_order([self.recordings, self.note])
        self.setMinimumWidth(600)
        self.save_button.setEnabled(False)
        self.recordings.currentRowChanged.connect(lambda _r: self.update_save_button())
        self.recordings.setFocus()
        spawn(self._load())

    async def _load(self) -> None:
        desk = self._ctx.services.recording_admin.desk
        try:
            found = await desk.for_case(self._ctx.actor, self.case.id)
        except KodError as exc:
            if alive(self):
                self.show_error(str(exc))
            return
        if not alive(self):
            return
        for rec in found:
            item = QListWidgetItem(recording_text(rec))
            item.setData(RecordingRole, rec)
            self.recordings.addItem(item)
        if found:
            self.recordings.setCurrentRow(0)
        else:
            self.show_error(
                self.tr("There is no recording of this case's officer, incident or time.")
            )

    def chosen(self) -> RecordingRef | None:
        """The recording selected."""
        item = self.recordings.currentItem()
        value = item.data(RecordingRole) if item is not None else None
        return value if isinstance(value, RecordingRef) else None

    def update_save_button(self) -> None:
        super().update_save_button()
        if self.chosen() is None:
            self.save_button.setEnabled(False)

    async def submit(self) -> Any:
        rec = self.chosen()
        if rec is None:
            raise ValidationError(self.tr("Please choose a recording."), "recording")
        await self._ctx.services.offences.link_recording(
            self._ctx.actor, self.case.id, rec.id, self.note.text()
        )
        return self.case
