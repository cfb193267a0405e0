"""The audit viewer's filter: person, object, action, period, refused attempts, row records.

Typing applies with Enter, Esc clears everything; choices (object kind, the two check boxes,
switching a date on or off) apply at once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.platform.timeutil import BERLIN, utcnow
from app.services.audit_labels import ACTION_LABELS, ENTITY_LABELS, action_label, entity_label
from app.services.audit_log import AuditQuery
from ui.views.flow_layout import FlowLayout
from ui.widgets.dates import OptionalDateTime

#: How far back "from" starts when it is switched on.
DEFAULT_DAYS_BACK = 7


def _start_of_day(days_back: int) -> datetime:
    day = (utcnow().astimezone(BERLIN) - timedelta(days=days_back)).date()
    return datetime.combine(day, time(0, 0), tzinfo=BERLIN)


class AuditFilterBar(QWidget):
    """Filter fields of the audit viewer; :meth:`query` reads them."""

    #: Apply the filter (Enter in a field, a choice changed, "Apply").
    applyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AuditFilterBar")
        self.person = QLineEdit(self)
        self.person.setObjectName("auditPerson")
        self.person.setPlaceholderText(self.tr("User name"))
        self.person.setClearButtonEnabled(True)
        self.person.setMaxLength(64)

        self.entity = QComboBox(self)
        self.entity.setObjectName("auditEntity")
        self.entity.addItem(self.tr("All objects"), "")
        for code in sorted(ENTITY_LABELS, key=entity_label):
            self.entity.addItem(entity_label(code), code)

        self.entity_id = QLineEdit(self)
        self.entity_id.setObjectName("auditEntityId")
        self.entity_id.setPlaceholderText(self.tr("any"))
        self.entity_id.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,15}"), self.entity_id)
        )
        self.entity_id.setMaximumWidth(self.fontMetrics().horizontalAdvance("0000000000") + 16)

        self.action = QLineEdit(self)
        self.action.setObjectName("auditAction")
        self.action.setPlaceholderText(self.tr("e.g. created, login.failed"))
        self.action.setClearButtonEnabled(True)
        self.action.setMaxLength(64)
        names = sorted({action_label(code) for code in ACTION_LABELS} | set(ACTION_LABELS))
        completer = QCompleter(names, self.action)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.action.setCompleter(completer)

        # The date fields keep to the range the service accepts (ui.widgets.dates).
        self.since = OptionalDateTime(self.tr("&From"), self)
        self.since.setObjectName("auditSince")
        self.until = OptionalDateTime(self.tr("&To"), self)
        self.until.setObjectName("auditUntil")
        for field in (self.since, self.until):
            field.check.toggled.connect(lambda _on: self.applyRequested.emit())
        self._reset_dates()

        self.refused = QCheckBox(self.tr("Only refused &attempts"), self)
        self.refused.setObjectName("auditRefusedOnly")
        self.refused.setToolTip(
            self.tr("Access refused, failed logins and accounts locked after failed logins")
        )
        self.row_changes = QCheckBox(self.tr("Server's &row records (db.*)"), self)
        self.row_changes.setObjectName("auditRowChanges")
        self.row_changes.setToolTip(
            self.tr(
                "The database server's own record of every changed row (PostgreSQL): many "
                "entries, hidden by default"
            )
        )
        self.apply_button = QPushButton(self.tr("Apply"), self)
        self.apply_button.setObjectName("auditApply")
        self.apply_button.setToolTip(self.tr("Apply the filter (Enter in a field)"))
        self.clear_button = QPushButton(self.tr("Clear"), self)
        self.clear_button.setObjectName("auditClear")
        self.clear_button.setToolTip(self.tr("Clear the filter (Esc)"))

        # Groups that wrap onto further lines in a narrow dock instead of being squeezed.
        self.person.setFixedWidth(170)
        self.entity.setFixedWidth(max(self.entity.sizeHint().width(), 190))
        self.action.setFixedWidth(230)
        flow = FlowLayout(self)
        flow.addWidget(self._group(self.tr("&Person"), self.person))
        flow.addWidget(
            self._group(self.tr("&Object"), self.entity, self.tr("N&o."), self.entity_id)
        )
        flow.addWidget(self._group(self.tr("A&ction"), self.action))
        flow.addWidget(self.since)
        flow.addWidget(self.until)
        flow.addWidget(self.refused)
        flow.addWidget(self.row_changes)
        flow.addWidget(self._group(None, self.apply_button, None, self.clear_button))

        for edit in (self.person, self.entity_id, self.action):
            edit.returnPressed.connect(self.applyRequested.emit)
        self.entity.activated.connect(lambda _i: self.applyRequested.emit())
        self.refused.toggled.connect(lambda _on: self.applyRequested.emit())
        self.row_changes.toggled.connect(lambda _on: self.applyRequested.emit())
        self.apply_button.clicked.connect(self.applyRequested.emit)
        self.clear_button.clicked.connect(self.clear)

    def _group(
        self,
        label: str | None,
        field: QWidget,
        second_label: str | None = None,
        second: QWidget | None = None,
    ) -> QWidget:
        """Labels with their fields, kept together on one line."""
        group = QWidget(self)
        row = QHBoxLayout(group)
        row.setContentsMargins(0, 0, 8, 0)
        row.setSpacing(4)
        for text, widget in ((label, field), (second_label, second)):
            if widget is None:
                continue
            if text is not None:
                buddy = QLabel(text, group)
                buddy.setBuddy(widget)
                row.addSpacing(4 if widget is second else 0)
                row.addWidget(buddy)
            row.addWidget(widget)
        return group

    def _reset_dates(self) -> None:
        self.since.set_value(None, _start_of_day(DEFAULT_DAYS_BACK))
        self.until.set_value(None, _start_of_day(-1))

    def query(self) -> AuditQuery:
        """The filter as the service takes it."""
        number = self.entity_id.text().strip()
        return AuditQuery(
            person=self.person.text().strip(),
            entity=str(self.entity.currentData() or ""),
            entity_id=int(number) if number else None,
            action=self.action.text().strip(),
            since=self.since.value(),
            until=self.until.value(),
            refused_only=self.refused.isChecked(),
            row_changes=self.row_changes.isChecked(),
        )

    def is_clear(self) -> bool:
        """True if no filter is set."""
        return self.query() == AuditQuery()

    def clear(self) -> None:
        """Empty every field and apply (Esc)."""
        widgets = (self.person, self.entity_id, self.action, self.entity, self.refused)
        for widget in (*widgets, self.row_changes, self.since.check, self.until.check):
            widget.blockSignals(True)
        try:
            self.person.clear()
            self.entity_id.clear()
            self.action.clear()
            self.entity.setCurrentIndex(0)
            self.refused.setChecked(False)
            self.row_changes.setChecked(False)
            self._reset_dates()
        finally:
            for widget in (*widgets, self.row_changes, self.since.check, self.until.check):
                widget.blockSignals(False)
        self.applyRequested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys the fields leave alone come here: Enter in a date field or on a check box
        # applies, Esc anywhere in the filter clears it.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.applyRequested.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            return
        super().keyPressEvent(event)
