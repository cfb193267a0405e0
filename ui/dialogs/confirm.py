"""Asking before an action that cannot simply be taken back: a yes/no question, or a required
reason. Never ``exec``: the dialogs open window-modal and report through signals, so a second
click of a double click lands on the question, not on the next row."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.keys import is_ctrl_enter
from ui.widgets.messages import message_label


def ask(
    parent: QWidget, name: str, title: str, text: str, yes: str, then: Callable[[], None]
) -> QMessageBox:
    """Ask ``text``; ``then`` runs only if the user answers with ``yes`` (the default button).

    Esc and "Cancel" do nothing. Returns the (already open) box.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
    box.setParent(parent, Qt.WindowType.Dialog)
    box.setObjectName(name)
    confirm = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    confirm.setObjectName("confirmYes")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("confirmNo")
    box.setDefaultButton(confirm)
    box.setEscapeButton(cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def chosen(button: object) -> None:
        if button is confirm:
            then()

    box.buttonClicked.connect(chosen)
    box.open()
    return box


class ActionDialog(QDialog):
    """Common frame: a form, a red message line, OK/Cancel; the caller does the service call.

    :meth:`try_submit` checks the input and emits the subclass's ``submitted`` signal; the
    dialog stays open until the caller calls :meth:`accept` (success) or :meth:`show_error`
    (refused), so typed text is never lost.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.message = message_label(self, "actionMessage", bold=True)
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
        shortcut.setKeys([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        shortcut.activated.connect(self.try_submit)
        self.busy = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Ctrl+Enter in a multi-line field submits the dialog (Enter alone starts a new line).
        if is_ctrl_enter(event):
            self.try_submit()
            return True
        return super().eventFilter(watched, event)

    def try_submit(self) -> None:
        """Check the input; emit ``submitted`` when it is complete."""
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


class ReasonDialog(ActionDialog):
    """An action that needs a reason (journaled or stored with the action)."""

    submitted = Signal(str)  # reason

    def __init__(
        self,
        title: str,
        what: str,
        placeholder: str,
        ok_text: str,
        missing: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._missing = missing
        about = QLabel(what, self)
        about.setObjectName("reasonAbout")
        about.setWordWrap(True)
        self.form.addRow(about)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("reasonEdit")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(placeholder)
        self.reason.installEventFilter(self)
        self.reason.setMinimumHeight(70)
        self.form.addRow(self.tr("&Reason"), self.reason)
        self.ok_button.setText(ok_text)
        self.reason.setFocus()
        self.resize(520, 220)

    def try_submit(self) -> None:
        if self.busy:
            return
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.show_error(self._missing)
            self.reason.setFocus()
            return
        self.set_busy()
        self.submitted.emit(reason)
