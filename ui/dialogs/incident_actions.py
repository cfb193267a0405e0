"""Dialogs for closing and reopening an incident (keyboard operable, never ``exec``)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QWidget

from app.domain.codes import OUTCOMES_SOURCE, outcome_label
from app.domain.dto import IncidentDetail
from app.platform.i18n import tr as app_tr
from ui.dialogs.confirm import ActionDialog, ReasonDialog


class IncidentActionDialog(ActionDialog):
    """An action on one incident (the pane does the service call)."""

    def __init__(self, detail: IncidentDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail


class CloseIncidentDialog(IncidentActionDialog):
    """Close with an outcome (required) and an optional note."""

    submitted = Signal(str, str)  # outcome code, note

    def __init__(self, detail: IncidentDetail, parent: QWidget | None = None) -> None:
        super().__init__(detail, parent)
        self.setObjectName("CloseIncidentDialog")
        self.setWindowTitle(self.tr("Close incident %1").replace("%1", detail.number))
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("closeOutcome")
        self.outcome.addItem(self.tr("– choose an outcome –"), "")
        for code in OUTCOMES_SOURCE:
            self.outcome.addItem(outcome_label(code), code)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("closeNote")
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText(self.tr("Optional: what was done, what was found"))
        self.note.installEventFilter(self)
        self.note.setMinimumHeight(70)
        self.form.addRow(self.tr("&Outcome"), self.outcome)
        self.form.addRow(self.tr("&Note"), self.note)
        units = ", ".join(a.call_sign for a in detail.active_assignments)
        if units:
            hint = QLabel(
                self.tr("Units still assigned are released to status 1: %1").replace("%1", units),
                self,
            )
            hint.setObjectName("closeUnitsHint")
            hint.setWordWrap(True)
            self.form.addRow(hint)
        self.ok_button.setText(self.tr("Close incident"))
        self.outcome.setFocus()
        self.resize(520, 260)

    def selected_outcome(self) -> str:
        """The chosen outcome code ("" if none)."""
        return str(self.outcome.currentData() or "")

    def set_outcome(self, code: str) -> None:
        """Choose an outcome by code."""
        self.outcome.setCurrentIndex(max(0, self.outcome.findData(code)))

    def try_submit(self) -> None:
        if self.busy:
            return
        outcome = self.selected_outcome()
        if not outcome:
            # The service's own message, so the German text exists once.
            self.show_error(app_tr("incidents", "Choose an outcome to close the incident."))
            self.outcome.setFocus()
            return
        self.set_busy()
        self.submitted.emit(outcome, self.note.toPlainText().strip())


class ReopenIncidentDialog(ReasonDialog):
    """Reopen a closed incident; a reason is required and journaled."""

    def __init__(self, detail: IncidentDetail, parent: QWidget | None = None) -> None:
        super().__init__(
            QCoreApplication.translate("ReopenIncidentDialog", "Reopen incident %1").replace(
                "%1", detail.number
            ),
            QCoreApplication.translate("ReopenIncidentDialog", "Closed with outcome: %1").replace(
                "%1", outcome_label(detail.outcome)
            ),
            QCoreApplication.translate("ReopenIncidentDialog", "Why is the incident reopened?"),
            QCoreApplication.translate("ReopenIncidentDialog", "Reopen"),
            # The service's own message, so the German text exists once.
            app_tr("incidents", "Give a reason for reopening."),
            parent,
        )
        self.setObjectName("ReopenIncidentDialog")
        self.detail = detail
        self.reason.setObjectName("reopenReason")
