"""Record a witness of an offence case and what they saw."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.domain.offences.cases import CaseInfo, PersonDraft
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.views.offences.dialogs import parse_german_date


class WitnessDialog(WorkFormDialog):
    """Name, address (date of birth if known) and statement of a witness."""

    def __init__(self, ctx: UiContext, case: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WitnessDialog")
        self._ctx = ctx
        self.case = case
        self.setWindowTitle(self.tr("Witness for %1").replace("%1", case.number))
        self.last_name = QLineEdit(self)
        self.last_name.setObjectName("witnessLastName")
        self.last_name.setMaxLength(120)
        self.first_name = QLineEdit(self)
        self.first_name.setObjectName("witnessFirstName")
        self.first_name.setMaxLength(120)
        self.birth_date = QLineEdit(self)
        self.birth_date.setObjectName("witnessBirthDate")
        self.birth_date.setPlaceholderText(self.tr("DD.MM.YYYY (if known)"))
        self.address = QLineEdit(self)
        self.address.setObjectName("witnessAddress")
        self.address.setMaxLength(255)
        self.statement = QPlainTextEdit(self)
        self.statement.setObjectName("witnessStatement")
        self.statement.setFixedHeight(90)
        self.add_multiline(self.statement)
        self.form.addRow(QLabel(f"{case.number} – {case.offence}", self))
        self.form.addRow(self.tr("&Surname:"), self.last_name)
        self.form.addRow(self.tr("&First name:"), self.first_name)
        self.form.addRow(self.tr("Date of &birth:"), self.birth_date)
        self.form.addRow(self.tr("&Address:"), self.address)
        self.form.addRow(self.tr("S&tatement:"), self.statement)
        self.require("last_name", self.last_name, self.tr("surname"))
        self.require("address", self.address, self.tr("address"))
        self.field_widgets = {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "birth_date": self.birth_date,
            "address": self.address,
            "statement": self.statement,
        }
        self.set_tab_order(
            [self.last_name, self.first_name, self.birth_date, self.address, self.statement]
        )
        self.setMinimumWidth(520)
        self.last_name.setFocus()

    async def submit(self) -> Any:
        born = parse_german_date(self.birth_date.text(), "birth_date", self.tr("Date of birth"))
        witness = PersonDraft(
            self.last_name.text(), self.first_name.text(), born, self.address.text()
        )
        await self._ctx.services.offences.add_witness(
            self._ctx.actor, self.case.id, witness, self.statement.toPlainText()
        )
        return self.case
