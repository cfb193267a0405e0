"""Dialogs for closing and reopening an incident (keyboard operable, never ``exec``)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import OUTCOMES_SOURCE, outcome_label
from app.domain.dto import IncidentDetail
from app.platform.i18n import tr as app_tr
from ui.commands import command_keys


def _is_ctrl_enter(event: QEvent) -> bool:
    return (
        isinstance(event, QKeyEvent)
        and event.type() == QEvent.Type.KeyPress
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
    )


class _IncidentActionDialog(QDialog):
    """Common frame: a form, a red message line, OK/Cancel; the pane does the service call.

    :attr:`submitted` carries the input; the dialog stays open until the pane calls
    :meth:`accept` (success) or :meth:`show_error` (refused), so typed text is never lost.
    """

    def __init__(self, detail: IncidentDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.message = QLabel(self)
        self.message.setObjectName("actionMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020; font-weight: bold;")
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.try_submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        shortcut = QShortcut(self)
        shortcut.setKeys([QKeySequence(k) for k in command_keys("form.submit")])
        shortcut.activated.connect(self.try_submit)
        self.busy = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Ctrl+Enter in a multi-line field submits the dialog (Enter alone starts a new line).
        if _is_ctrl_enter(event):
            self.try_submit()
            return True
        return super().eventFilter(watched, event)

    def try_submit(self) -> None:
        """Check the input; emit :attr:`submitted` when it is complete."""
        raise NotImplementedError

    def show_error(self, text: str) -> None:
        """Show why the action was refused; the input stays."""
        self.busy = False
        self.ok_button.setEnabled(True)
        self.message.setText(text)
        self.message.show()

    def set_busy(self) -> None:
        """The service call is running: no second submit."""
        self.busy = True
        self.ok_button.setEnabled(False)
        self.message.hide()


class CloseIncidentDialog(_IncidentActionDialog):
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


class ReopenIncidentDialog(_IncidentActionDialog):
    """Reopen a closed incident; a reason is required and journaled."""

    submitted = Signal(str)  # reason

    def __init__(self, detail: IncidentDetail, parent: QWidget | None = None) -> None:
        super().__init__(detail, parent)
        self.setObjectName("ReopenIncidentDialog")
        self.setWindowTitle(self.tr("Reopen incident %1").replace("%1", detail.number))
        was = QLabel(
            self.tr("Closed with outcome: %1").replace("%1", outcome_label(detail.outcome)), self
        )
        was.setWordWrap(True)
        self.form.addRow(was)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("reopenReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(self.tr("Why is the incident reopened?"))
        self.reason.installEventFilter(self)
        self.reason.setMinimumHeight(70)
        self.form.addRow(self.tr("&Reason"), self.reason)
        self.ok_button.setText(self.tr("Reopen"))
        self.reason.setFocus()
        self.resize(520, 220)

    def try_submit(self) -> None:
        if self.busy:
            return
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.show_error(app_tr("incidents", "Give a reason for reopening."))
            self.reason.setFocus()
            return
        self.set_busy()
        self.submitted.emit(reason)
