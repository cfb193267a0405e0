"""The frame of the Auftrag and Meldung dialogs: a form that saves through a service, stays open
when it is refused, cannot be submitted while a required field is empty, and looks read-only for
roles that may not save.

The fields themselves are shared widgets: :mod:`ui.widgets.dates` (Berlin date/time fields that
keep to the accepted range and never change by accident), :mod:`ui.widgets.address` (gazetteer
completion), :mod:`ui.widgets.category`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import ConflictError, KodError, ValidationError
from ui import theme
from ui.asyncutil import report_error, spawn
from ui.commands import command_keys
from ui.widgets.keys import is_ctrl_enter
from ui.widgets.messages import FormMessages, message_label
from ui.widgets.readonly import show_read_only

#: Inputs a read-only form shows as such.
INPUT_TYPES = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton)


class WorkFormDialog(QDialog):
    """A form that saves through an async service call and stays open when it is refused.

    Subclasses build the form into :attr:`form`, register the fields the service names in
    :attr:`field_widgets`, mark required ones with :meth:`require`, implement :meth:`submit`
    (returns the saved row) and may override :meth:`on_conflict`. Save is the default button
    (Enter) but stays disabled while a required field is empty; Ctrl+Enter saves from any field
    and names what is missing. The typed input is never lost on a refusal.
    """

    #: Emitted with the saved row before the dialog closes.
    saved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.message = message_label(self, "formMessage", bold=True)
        self.messages = FormMessages(self.message)
        self.missing_label = QLabel(self)
        self.missing_label.setObjectName("formMissing")
        self.missing_label.setWordWrap(True)
        self.missing_label.setStyleSheet(theme.text_style("warning"))
        self.missing_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setText(QCoreApplication.translate("WorkDialog", "&Save"))
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(QCoreApplication.translate("WorkDialog", "Cancel"))
        self.buttons.accepted.connect(self.try_submit)
        self.buttons.rejected.connect(self.reject)
        self.extra_buttons = QHBoxLayout()
        bottom = QHBoxLayout()
        bottom.addLayout(self.extra_buttons)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.missing_label)
        layout.addLayout(bottom)
        shortcut = QShortcut(self)
        shortcut.setKeys([QKeySequence(k) for k in command_keys("form.submit")])
        shortcut.activated.connect(self.try_submit)
        self.busy = False
        self.writable = True
        self.result_row: Any = None
        self._required: list[tuple[str, QLineEdit, str]] = []

    @property
    def field_widgets(self) -> dict[str, QWidget]:
        """Field name (as the service reports it) -> widget to focus on a refusal."""
        return self.messages.widgets

    @field_widgets.setter
    def field_widgets(self, widgets: dict[str, QWidget]) -> None:
        self.messages.widgets = dict(widgets)

    def add_multiline(self, edit: QPlainTextEdit) -> None:
        """Tab leaves a multi-line field and Ctrl+Enter saves from it."""
        edit.setTabChangesFocus(True)
        edit.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if is_ctrl_enter(event):
            self.try_submit()
            return True
        return super().eventFilter(watched, event)

    # -- required fields and read-only forms --------------------------------------------------

    def require(self, field: str, widget: QLineEdit, missing: str) -> None:
        """``widget`` must be filled before saving; ``missing`` says so (translated)."""
        self._required.append((field, widget, missing))
        widget.textChanged.connect(lambda _t: self.update_save_button())
        self.update_save_button()

    def missing(self) -> list[tuple[str, str]]:
        """(field, message) of every required field that is still empty."""
        return [(f, text) for f, w, text in self._required if not w.text().strip()]

    def update_save_button(self) -> None:
        """Save (and Enter) only for a complete form, not while saving, not when read-only."""
        missing = self.missing()
        self.save_button.setEnabled(self.writable and not self.busy and not missing)
        if self.writable and missing:
            self.missing_label.setText(
                QCoreApplication.translate("WorkDialog", "Not ready to save: %1").replace(
                    "%1", " ".join(text for _f, text in missing)
                )
            )
            self.missing_label.show()
        else:
            self.missing_label.hide()

    def set_read_only(self, reason: str) -> None:
        """The role may only look: every input shows read-only, Save says why it is off."""
        self.writable = False
        widget: QWidget
        for widget in self.findChildren(QWidget):
            parent: QWidget | None = widget.parentWidget()
            if (
                isinstance(widget, INPUT_TYPES)
                and widget not in self.buttons.buttons()
                and not isinstance(parent, QAbstractSpinBox | QComboBox | QDialogButtonBox)
            ):
                show_read_only(widget, True, reason)
        self.save_button.setToolTip(reason)
        self.cancel_button.setText(QCoreApplication.translate("WorkDialog", "Close"))
        self.update_save_button()

    # -- saving -------------------------------------------------------------------------------

    async def submit(self) -> Any:
        """Do the service call; return the saved row. Raise to refuse."""
        raise NotImplementedError

    def check_input(self) -> bool:
        """Quick checks before the service call (False: show_error was called)."""
        missing = self.missing()
        if missing:
            field, text = missing[0]
            self.show_error(text, field)
            return False
        return True

    def try_submit(self) -> None:
        """Save (once at a time)."""
        if self.busy or not self.writable or not self.check_input():
            return
        self.busy = True
        self.update_save_button()
        spawn(self._run())

    async def _run(self) -> None:
        try:
            row = await self.submit()
        except ValidationError as exc:
            self.show_error(str(exc), exc.field)
            return
        except ConflictError as exc:
            self.on_conflict(exc)
            return
        except KodError as exc:
            self.show_error(str(exc))
            return
        except Exception as exc:
            self.show_error(
                QCoreApplication.translate("WorkDialog", "Saving failed. Your input is still here.")
            )
            report_error(exc)
            return
        finally:
            self.busy = False
            self.update_save_button()
        self.result_row = row
        self.saved.emit(row)
        self.accept()

    def show_error(self, text: str, field: str | None = None) -> None:
        """Say why saving was refused and put the cursor where the problem is."""
        self.messages.show(text, field)

    def on_conflict(self, exc: ConflictError) -> None:
        """Someone else saved first (default: show the message)."""
        self.show_error(str(exc))

    def set_tab_order(self, widgets: Sequence[QWidget]) -> None:
        """Tab goes through ``widgets`` in form order, then the extra buttons, Save, Cancel."""
        chain = [
            *widgets,
            *(
                self.extra_buttons.itemAt(i).widget()
                for i in range(self.extra_buttons.count())
                if self.extra_buttons.itemAt(i).widget() is not None
            ),
            self.save_button,
            self.cancel_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def add_extra_button(self, text: str, name: str) -> QPushButton:
        """A button left of Save/Cancel (e.g. "Load their version")."""
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        self.extra_buttons.addWidget(button)
        return button
