"""The editable fields of the incident detail, and the notice about changes from elsewhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import CATEGORIES, priority_label
from app.domain.dto import IncidentDetail
from app.services.incidents import field_label
from ui import theme
from ui.dialogs.incident_conflict import DETAIL_FIELDS, normalized
from ui.widgets.elide import fit_popup, tooltip_when_cut
from ui.widgets.readonly import show_read_only


class ChangeNotice(QLabel):
    """Says which fields another workstation changed while the user edits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailNotice")
        self.setWordWrap(True)
        self.setStyleSheet(theme.notice_style())
        self.hide()

    def show_fields(self, fields: list[str], taken_over: bool = False) -> None:
        """Name ``fields``; ``taken_over``: their new values are shown, the user's edits kept."""
        names = ", ".join(field_label(f) for f in fields)
        if taken_over:
            text = self.tr(
                "Changed by another workstation: %1 (now shown). Your unsaved changes to other "
                "fields are kept."
            )
        else:
            text = self.tr(
                "Changed by another workstation: %1. Your unsaved input is kept; saving shows "
                "both versions. “Revert” shows the current data."
            )
        self.setText(text.replace("%1", names))
        self.setProperty("conflict", not taken_over)
        self.show()


class IncidentFieldsForm(QGroupBox):
    """Category, priority, address, caller, phone and description with Save and Revert.

    The form knows what it shows; :class:`ui.incident_session.IncidentEditSession` decides
    when to fill it and what to save.
    """

    #: The user changed a field.
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Incident data"))
        self.setObjectName("detailFields")
        self._filling = False
        self.category_edit = QComboBox(self)
        self.category_edit.setObjectName("detailCategoryEdit")
        # Long German category names must not dictate the pane's minimum width: the closed
        # box may cut the name (its tooltip and the header show it in full), the list never.
        self.category_edit.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.category_edit.setMinimumContentsLength(14)
        for cat in sorted(CATEGORIES, key=lambda c: c.label):
            self.category_edit.addItem(cat.label, cat.code)
        fit_popup(self.category_edit)
        tooltip_when_cut(self.category_edit)
        self.priority_edit = QComboBox(self)
        self.priority_edit.setObjectName("detailPriorityEdit")
        for p in (1, 2, 3):
            self.priority_edit.addItem(priority_label(p), p)
        self.address_edit = QLineEdit(self)
        self.address_edit.setObjectName("detailAddressEdit")
        self.caller_name_edit = QLineEdit(self)
        self.caller_name_edit.setObjectName("detailCallerNameEdit")
        self.caller_phone_edit = QLineEdit(self)
        self.caller_phone_edit.setObjectName("detailCallerPhoneEdit")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("detailDescriptionEdit")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setMinimumHeight(48)
        self.editors: dict[str, QWidget] = {
            "category": self.category_edit,
            "priority": self.priority_edit,
            "address": self.address_edit,
            "caller_name": self.caller_name_edit,
            "caller_phone": self.caller_phone_edit,
            "description": self.description_edit,
        }
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for key, editor in self.editors.items():
            form.addRow(field_label(key), editor)
        self.category_edit.currentIndexChanged.connect(self._on_edited)
        self.priority_edit.currentIndexChanged.connect(self._on_edited)
        for line in (self.address_edit, self.caller_name_edit, self.caller_phone_edit):
            line.textEdited.connect(self._on_edited)
        self.description_edit.textChanged.connect(self._on_edited)

        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("detailSave")
        self.save_button.setToolTip(self.tr("Save the changed fields (Ctrl+S)"))
        self.revert_button = QPushButton(self.tr("Revert"), self)
        self.revert_button.setObjectName("detailRevert")
        self.revert_button.setToolTip(self.tr("Discard your changes and show the current data"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(form, 1)
        layout.addLayout(buttons)

    # -- values -------------------------------------------------------------------------------

    def editor_value(self, field: str) -> Any:
        """What the form shows for ``field`` (as the service would store it)."""
        editor = self.editors[field]
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QLineEdit):
            return editor.text()
        assert isinstance(editor, QPlainTextEdit)
        return editor.toPlainText()

    def edited_changes(self, base: IncidentDetail | None) -> dict[str, Any]:
        """The fields that differ from ``base``, with the form's values."""
        if base is None:
            return {}
        changes: dict[str, Any] = {}
        for f in DETAIL_FIELDS:
            mine = normalized(f, self.editor_value(f))
            if mine != normalized(f, getattr(base, f)):
                changes[f] = mine
        return changes

    def fill(self, detail: IncidentDetail, fields: list[str] | None = None) -> None:
        """Put ``detail``'s values into the form (all fields, or only ``fields``)."""
        wanted = set(DETAIL_FIELDS if fields is None else fields)
        self._filling = True
        try:
            if "category" in wanted:
                self.category_edit.setCurrentIndex(self.category_edit.findData(detail.category))
                if self.category_edit.currentIndex() < 0:
                    # An unknown (retired) code stays visible instead of becoming another one.
                    self.category_edit.addItem(detail.category, detail.category)
                    self.category_edit.setCurrentIndex(self.category_edit.count() - 1)
            if "priority" in wanted:
                index = self.priority_edit.findData(detail.priority)
                self.priority_edit.setCurrentIndex(max(0, index))
            for key, line in (
                ("address", self.address_edit),
                ("caller_name", self.caller_name_edit),
                ("caller_phone", self.caller_phone_edit),
            ):
                if key in wanted:
                    line.setText(getattr(detail, key) or "")
                    line.setCursorPosition(0)
            if (
                "description" in wanted
                and self.description_edit.toPlainText() != detail.description
            ):
                self.description_edit.setPlainText(detail.description)
        finally:
            self._filling = False

    def mark_modified(self, changes: dict[str, Any]) -> None:
        """Tint the fields the user changed."""
        for key, editor in self.editors.items():
            editor.setStyleSheet(theme.field_style("modified_field") if key in changes else "")

    def focus_field(self, field: str | None) -> None:
        """Put the cursor into ``field`` (if the form has it)."""
        editor = self.editors.get(field or "")
        if editor is not None:
            editor.setFocus()

    def set_state(self, shown: bool, writable: bool, reason: str) -> None:
        """Fields usable while an incident is shown; read-only (and looking so) otherwise."""
        for editor in self.editors.values():
            if isinstance(editor, QComboBox):
                show_read_only(editor, not (shown and writable), "" if writable else reason)
            else:
                editor.setEnabled(shown)
                show_read_only(editor, not writable, reason)

    def _on_edited(self, *_args: object) -> None:
        if not self._filling:
            self.edited.emit()
