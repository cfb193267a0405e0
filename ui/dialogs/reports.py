"""Dialogs for Meldungen: record/edit one, and turn one into an Einsatz."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.domain.codes import CATEGORY_BY_CODE, priority_label
from app.domain.dto_work import REPORT_SOURCES, ReportDraft, ReportInfo, report_source_label
from app.platform.timeutil import utcnow
from app.services.reports import MAX_SUBJECT
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.dialogs.work_item import WorkItemDialog
from ui.models.reports import platform_text
from ui.widgets.address import AddressField, PlaceLabel, address_with_place
from ui.widgets.category import CategoryCombo, default_priority
from ui.widgets.dates import BerlinDateTimeEdit, same_minute

#: Fields compared to tell the user what someone else changed.
COMPARED_FIELDS = (
    "source",
    "subject",
    "text",
    "reporter_name",
    "reporter_contact",
    "received_at",
    "category",
    "address",
    "status",
)


class ReportDialog(WorkItemDialog[ReportInfo]):
    """Record a new Meldung or edit one."""

    row_type = ReportInfo
    compared_fields = COMPARED_FIELDS

    def __init__(
        self, ctx: UiContext, report: ReportInfo | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, report, parent)
        self.setObjectName("ReportDialog")
        self.setWindowTitle(
            self.tr("Report %1").replace("%1", report.number) if report else self.tr("New report")
        )
        self.source = QComboBox(self)
        self.source.setObjectName("reportSource")
        for code in REPORT_SOURCES:
            self.source.addItem(report_source_label(code), code)
        self.received = BerlinDateTimeEdit(self)
        self.received.setObjectName("reportReceived")
        self.received.set_value(utcnow())
        self.subject = QLineEdit(self)
        self.subject.setObjectName("reportSubject")
        self.subject.setMaxLength(MAX_SUBJECT)
        self.subject.setPlaceholderText(self.tr("In a few words: what is reported?"))
        self.category = CategoryCombo(self.tr("– none –"), self)
        self.category.setObjectName("reportCategory")
        self.address = AddressField(ctx, self, full_label=False)
        self.address.setObjectName("reportAddress")
        self.address.setPlaceholderText(self.tr("Street and house number"))
        self.place = PlaceLabel(self.address, self)
        self.place.setObjectName("reportPlace")
        self.reporter_name = QLineEdit(self)
        self.reporter_name.setObjectName("reportReporterName")
        self.reporter_name.setMaxLength(120)
        self.reporter_contact = QLineEdit(self)
        self.reporter_contact.setObjectName("reportReporterContact")
        self.reporter_contact.setMaxLength(200)
        self.reporter_contact.setPlaceholderText(self.tr("Phone or e-mail"))
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("reportText")
        self.text.setMinimumHeight(100)
        self.add_multiline(self.text)
        # What the citizens' platform says about an Open311 request (read-only, as in the list).
        self.platform = QLabel(self)
        self.platform.setObjectName("reportPlatform")
        self.platform.setWordWrap(True)
        self.platform.setTextFormat(Qt.TextFormat.PlainText)
        self.platform.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.form.addRow(self.tr("&Subject:"), self.subject)
        self.form.addRow(self.tr("S&ource:"), self.source)
        self.form.addRow(self.tr("&Received:"), self.received)
        self.form.addRow(self.tr("&Category:"), self.category)
        address_label = QLabel(self.tr("&Address:"), self)
        address_label.setBuddy(self.address)
        self.form.addRow(address_label, address_with_place(self.address, self.place))
        self.form.addRow(self.tr("Reported &by:"), self.reporter_name)
        self.form.addRow(self.tr("C&ontact:"), self.reporter_contact)
        self.form.addRow(self.tr("&Text:"), self.text)
        self.form.addRow(self.tr("Citizens' platform:"), self.platform)
        self.form.setRowVisible(self.platform, False)
        self.field_widgets = {
            "subject": self.subject,
            "source": self.source,
            "received_at": self.received,
            "category": self.category,
            "address": self.address,
            "lat": self.address,
            "reporter_name": self.reporter_name,
            "reporter_contact": self.reporter_contact,
            "text": self.text,
        }
        self.require("subject", self.subject, self.tr("Enter a subject for the report."))
        self.add_reload_button()
        self.set_tab_order(
            [
                self.subject,
                self.source,
                self.received,
                self.category,
                self.address,
                self.reporter_name,
                self.reporter_contact,
                self.text,
            ]
        )
        if report is not None:
            self.fill(report)
        self.subject.setFocus()
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    def fill(self, r: ReportInfo) -> None:
        """Show the values of ``r``."""
        self.source.setCurrentIndex(max(self.source.findData(r.source), 0))
        self.received.set_value(r.received_at)
        self.subject.setText(r.subject)
        self.category.set_code(r.category)
        self.address.set_address(r.address, r.lat, r.lon)
        self.reporter_name.setText(r.reporter_name or "")
        self.reporter_contact.setText(r.reporter_contact or "")
        self.text.setPlainText(r.text)
        note = platform_text(r)
        self.platform.setText(note)
        self.form.setRowVisible(self.platform, bool(note))

    def values(self) -> dict[str, Any]:
        """The form as report fields."""
        coords = self.address.coordinates
        return {
            "source": self.source.currentData(),
            "subject": self.subject.text().strip(),
            "text": self.text.toPlainText().strip(),
            "reporter_name": self.reporter_name.text().strip() or None,
            "reporter_contact": self.reporter_contact.text().strip() or None,
            "received_at": self.received.value(),
            "category": self.category.code(),
            "address": self.address.text().strip(),
            "lat": coords[0] if coords else None,
            "lon": coords[1] if coords else None,
        }

    def unchanged(self, field: str, old: Any, new: Any) -> bool:
        if field == "received_at" and same_minute(old, new):
            return True
        return super().unchanged(field, old, new)

    async def create_item(self, values: dict[str, Any]) -> Any:
        return await self._ctx.services.reports.create(self._ctx.actor, ReportDraft(**values))

    async def update_item(self, item_id: int, version: int, changes: dict[str, Any]) -> Any:
        return await self._ctx.services.reports.update(self._ctx.actor, item_id, version, changes)

    def field_labels(self) -> dict[str, str]:
        return {
            "source": self.tr("Source"),
            "subject": self.tr("Subject"),
            "text": self.tr("Text"),
            "reporter_name": self.tr("Reported by"),
            "reporter_contact": self.tr("Contact"),
            "received_at": self.tr("Received"),
            "category": self.tr("Category"),
            "address": self.tr("Address"),
            "status": self.tr("Status"),
        }


class ConvertToIncidentDialog(WorkFormDialog):
    """Open an Einsatz from a Meldung: category and priority, then the service links both."""

    def __init__(self, ctx: UiContext, report: ReportInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConvertToIncidentDialog")
        self._ctx = ctx
        self.report = report
        self.setWindowTitle(self.tr("Open an incident from report %1").replace("%1", report.number))
        self.save_button.setText(self.tr("&Open incident"))
        summary = QLabel(f"{report.number} – {report.subject}\n{report.address or '–'}", self)
        summary.setWordWrap(True)
        self.category = CategoryCombo(self.tr("– choose –"), self)
        self.category.setObjectName("convertCategory")
        self.category.removeItem(0)
        self.category.set_code(report.category if report.category in CATEGORY_BY_CODE else "other")
        self.priority = QComboBox(self)
        self.priority.setObjectName("convertPriority")
        for p in (1, 2, 3):
            self.priority.addItem(priority_label(p), p)
        self.form.addRow(summary)
        self.form.addRow(self.tr("&Category:"), self.category)
        self.form.addRow(self.tr("&Priority:"), self.priority)
        self.field_widgets = {"category": self.category, "priority": self.priority}
        self.category.currentIndexChanged.connect(lambda _i: self._default_priority())
        self._default_priority()
        self.set_tab_order([self.category, self.priority])
        self.category.setFocus()

    def _default_priority(self) -> None:
        wanted = default_priority(self.category.code())
        self.priority.setCurrentIndex(max(self.priority.findData(wanted), 0))

    async def submit(self) -> Any:
        return await self._ctx.services.reports.convert_to_incident(
            self._ctx.actor,
            self.report.id,
            self.report.version,
            self.category.code(),
            int(self.priority.currentData()),
        )
