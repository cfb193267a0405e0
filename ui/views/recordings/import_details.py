"""The details the import dialog asks for: they complete what the camera's metadata file lacks
(a value the camera wrote is kept), for every file of the batch."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from app.evidence.sidecar import RecordingDetails, read_sidecar
from app.platform.errors import KodError
from app.platform.timeutil import BERLIN


class ImportDetailsForm(QWidget):
    """Officer, camera, unit, start, reason, announced, inside a home (each optional)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ImportDetailsForm")
        self.officer = QLineEdit(self)
        self.officer.setObjectName("importOfficer")
        self.officer.setPlaceholderText(
            QCoreApplication.translate("ImportDetailsForm", "user name, e.g. m.mueller")
        )
        self.device = QLineEdit(self)
        self.device.setObjectName("importDevice")
        self.device.setPlaceholderText(
            QCoreApplication.translate("ImportDetailsForm", "e.g. BC-017")
        )
        self.unit = QLineEdit(self)
        self.unit.setObjectName("importUnit")
        self.unit.setPlaceholderText(
            QCoreApplication.translate(
                "ImportDetailsForm", "call sign; empty: the officer's unit at that time"
            )
        )
        self.has_start = QCheckBox(
            QCoreApplication.translate("ImportDetailsForm", "given here:"), self
        )
        self.has_start.setObjectName("importHasStart")
        self.start = QDateTimeEdit(QDateTime.currentDateTime(), self)
        self.start.setObjectName("importStart")
        self.start.setDisplayFormat("dd.MM.yyyy HH:mm:ss")
        self.start.setCalendarPopup(True)
        self.start.setEnabled(False)
        self.has_start.toggled.connect(self.start.setEnabled)
        start_row = QHBoxLayout()
        start_row.setContentsMargins(0, 0, 0, 0)
        start_row.addWidget(self.has_start)
        start_row.addWidget(self.start, 1)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("importReason")
        self.reason.setPlaceholderText(
            QCoreApplication.translate(
                "ImportDetailsForm", "the concrete danger, e.g. Bedrohung mit einer Flasche"
            )
        )
        self.announced = QComboBox(self)
        self.announced.setObjectName("importAnnounced")
        self.announced.addItems(
            [
                QCoreApplication.translate("ImportDetailsForm", "as in the metadata"),
                QCoreApplication.translate("ImportDetailsForm", "yes, announced"),
                QCoreApplication.translate("ImportDetailsForm", "no (imminent danger)"),
            ]
        )
        self.inside_home = QCheckBox(
            QCoreApplication.translate("ImportDetailsForm", "inside a home (needs an order)"), self
        )
        self.inside_home.setObjectName("importInsideHome")
        self.ordered_by = QLineEdit(self)
        self.ordered_by.setObjectName("importOrderedBy")
        self.ordered_by.setPlaceholderText(
            QCoreApplication.translate("ImportDetailsForm", "who ordered it")
        )
        self.ordered_by.setEnabled(False)
        self.inside_home.toggled.connect(self.ordered_by.setEnabled)
        home_row = QHBoxLayout()
        home_row.setContentsMargins(0, 0, 0, 0)
        home_row.addWidget(self.inside_home)
        home_row.addWidget(self.ordered_by, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(
            QCoreApplication.translate("ImportDetailsForm", "Recording officer"), self.officer
        )
        form.addRow(QCoreApplication.translate("ImportDetailsForm", "Camera"), self.device)
        form.addRow(QCoreApplication.translate("ImportDetailsForm", "Unit"), self.unit)
        form.addRow(QCoreApplication.translate("ImportDetailsForm", "Start"), start_row)
        form.addRow(
            QCoreApplication.translate("ImportDetailsForm", "Reason for recording"), self.reason
        )
        form.addRow(QCoreApplication.translate("ImportDetailsForm", "Announced"), self.announced)
        form.addRow(QCoreApplication.translate("ImportDetailsForm", "Place"), home_row)

    def entered(self) -> RecordingDetails:
        """What was entered (None where a field was left empty)."""

        def text(edit: QLineEdit) -> str | None:
            value = edit.text().strip()
            return value or None

        start = None
        if self.has_start.isChecked():
            moment = self.start.dateTime().toPython()
            assert isinstance(moment, datetime)
            start = moment.replace(tzinfo=BERLIN)
        announced = {1: True, 2: False}.get(self.announced.currentIndex())
        return RecordingDetails(
            officer=text(self.officer),
            device=text(self.device),
            unit=text(self.unit),
            started_at=start,
            reason=text(self.reason),
            announced=announced,
            inside_home=True if self.inside_home.isChecked() else None,
            ordered_by=text(self.ordered_by) if self.inside_home.isChecked() else None,
        )

    def details_for(self, path: Path) -> RecordingDetails:
        """What this form adds to ``path``'s own metadata."""
        fill = self.entered()
        try:
            return read_sidecar(path).gaps_from(fill)
        except KodError:
            return fill  # a malformed sidecar: the import says so, with the file kept
