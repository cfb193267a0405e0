"""The dialogs of offence-case work: capture a case, give a Verwarnung, send the hearing
notice, discontinue. Each saves through the case service and stays open when refused, with the
service's German message beside the field concerned; nothing typed is lost."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import IncidentDetail
from app.domain.offences.cases import CaseDraft, CaseInfo, PersonDraft
from app.domain.offences.catalogue import CatalogueEntry
from app.domain.offences.caution import DEFAULT_PERIOD, period_proposed
from app.domain.offences.limitation import Culpability
from app.platform.errors import KodError, ValidationError
from app.platform.timeutil import today, utcnow
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.dialogs.work_common import WorkFormDialog
from ui.models.work_table import alive
from ui.widgets.address import AddressField
from ui.widgets.dates import BerlinDateTimeEdit

#: Catalogue search waits this long after the last key.
SEARCH_DEBOUNCE_MS = 200
EntryRole = Qt.ItemDataRole.UserRole + 1


def parse_german_date(text: str, field: str, label: str) -> date | None:
    """``17.05.1980`` → date; empty → None; anything else a German refusal naming ``label``."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        raise ValidationError(
            QCoreApplication.translate(
                "OffenceDialogs", "%1: please enter as DD.MM.YYYY, e.g. 17.05.1980"
            ).replace("%1", label),
            field,
        ) from None


def euros_text(cents: int | None) -> str:
    """``25,00 €``."""
    return "" if cents is None else f"{cents / 100:.2f} €".replace(".", ",")


class CatalogueChooser(QWidget):
    """A search field over the current catalogue and the matching entries."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.search = QLineEdit(self)
        self.search.setObjectName("catalogueSearch")
        self.search.setPlaceholderText(self.tr("Number, words or law, e.g. 141312 or Hundekot"))
        self.results = QListWidget(self)
        self.results.setObjectName("catalogueResults")
        self.results.setMinimumHeight(120)
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: spawn(self._fetch()))
        self.search.textEdited.connect(lambda _t: self._timer.start())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.search.returnPressed.connect(self._to_results)

    def start(self) -> None:
        """First list (everything, by group)."""
        spawn(self._fetch())

    def chosen(self) -> CatalogueEntry | None:
        """The entry selected in the list."""
        item = self.results.currentItem()
        value = item.data(EntryRole) if item is not None else None
        return value if isinstance(value, CatalogueEntry) else None

    def _to_results(self) -> None:
        if self.results.count():
            if self.results.currentRow() < 0:
                self.results.setCurrentRow(0)
            self.results.setFocus()

    async def _fetch(self) -> None:
        self._generation += 1
        generation = self._generation
        try:
            entries = await self._ctx.services.catalogue.search(self._ctx.actor, self.search.text())
        except KodError as exc:
            if alive(self):
                self.results.clear()
                self.results.addItem(str(exc))
            return
        if not alive(self) or generation != self._generation:
            return
        self.results.clear()
        for e in entries:
            number = e.catalogue_number or e.key
            text = f"{number} – {e.description} ({euros_text(e.amount_min_cents)})"
            if not e.verified:
                text += "  " + self.tr("[unverified]")
            item = QListWidgetItem(text)
            item.setData(EntryRole, e)
            item.setToolTip(e.legal_basis)
            self.results.addItem(item)
        if entries:
            self.results.setCurrentRow(0)


class CaptureCaseDialog(WorkFormDialog):
    """Record a new offence case (status "Recorded")."""

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        *,
        incident: IncidentDetail | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("CaptureCaseDialog")
        self._ctx = ctx
        self._incident = incident
        #: Set by "Save and give Verwarnung": the pane opens the caution dialog next.
        self.then_caution = False
        self.setWindowTitle(self.tr("New offence case"))
        self.catalogue = CatalogueChooser(ctx, self)
        self.when = BerlinDateTimeEdit(self)
        self.when.setObjectName("caseWhen")
        self.when.set_value(utcnow())
        self.place = AddressField(ctx, self)
        self.place.setObjectName("casePlace")
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("caseDescription")
        self.description.setFixedHeight(70)
        self.add_multiline(self.description)
        self.intent = QRadioButton(self.tr("intent"), self)
        self.negligence = QRadioButton(self.tr("negligence"), self)
        self.negligence.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.intent)
        group.addButton(self.negligence)
        culpability = QHBoxLayout()
        culpability.addWidget(self.negligence)
        culpability.addWidget(self.intent)
        culpability.addStretch(1)
        self.last_name = QLineEdit(self)
        self.last_name.setObjectName("caseLastName")
        self.first_name = QLineEdit(self)
        self.first_name.setObjectName("caseFirstName")
        self.birth_date = QLineEdit(self)
        self.birth_date.setObjectName("caseBirthDate")
        self.birth_date.setPlaceholderText(self.tr("DD.MM.YYYY"))
        self.address = QLineEdit(self)
        self.address.setObjectName("caseAddress")
        self.address.setPlaceholderText(self.tr("Street no., postcode town"))
        for edit in (self.last_name, self.first_name, self.address):
            edit.setMaxLength(120 if edit is not self.address else 255)
        self.link_incident = QCheckBox(self)
        self.link_incident.setObjectName("caseIncident")
        if incident is not None:
            self.link_incident.setText(
                self.tr("For incident %1 (%2)")
                .replace("%1", incident.number)
                .replace("%2", incident.address)
            )
            self.link_incident.setChecked(True)
            self.form.addRow(self.tr("Incident:"), self.link_incident)
            self.when.set_value(incident.created_at)
            self.place.set_address(incident.address, incident.lat, incident.lon)
        else:
            self.link_incident.hide()
        self.form.addRow(self.tr("&Offence:"), self.catalogue)
        self.form.addRow(self.tr("&Time of act:"), self.when)
        self.form.addRow(self.tr("&Place of act:"), self.place)
        self.form.addRow(self.tr("&Description:"), self.description)
        self.form.addRow(self.tr("Culpability:"), culpability)
        self.form.addRow(QLabel("<b>" + self.tr("Person concerned") + "</b>", self))
        self.form.addRow(self.tr("&Surname:"), self.last_name)
        self.form.addRow(self.tr("&First name:"), self.first_name)
        self.form.addRow(self.tr("Date of &birth:"), self.birth_date)
        self.form.addRow(self.tr("&Address:"), self.address)
        self.require("last_name", self.last_name, self.tr("surname"))
        self.require("address", self.address, self.tr("address"))
        self.require("place", self.place, self.tr("place of act"))
        self.field_widgets = {
            "catalogue_entry_id": self.catalogue.search,
            "committed_at": self.when,
            "place": self.place,
            "act_description": self.description,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "birth_date": self.birth_date,
            "address": self.address,
        }
        self.set_tab_order(
            [
                self.catalogue.search,
                self.catalogue.results,
                self.when,
                self.place,
                self.description,
                self.negligence,
                self.intent,
                self.last_name,
                self.first_name,
                self.birth_date,
                self.address,
            ]
        )
        self.caution_button = self.add_extra_button(
            self.tr("Save and give &Verwarnung …"), "saveAndCaution"
        )
        self.caution_button.clicked.connect(self._save_then_caution)
        self.setMinimumWidth(620)
        self.catalogue.search.setFocus()
        self.catalogue.start()

    def _save_then_caution(self) -> None:
        self.then_caution = True
        self.try_submit()

    async def submit(self) -> Any:
        entry = self.catalogue.chosen()
        if entry is None:
            raise ValidationError(
                self.tr("Choose the offence from the catalogue."), "catalogue_entry_id"
            )
        born = parse_german_date(self.birth_date.text(), "birth_date", self.tr("Date of birth"))
        coordinates = self.place.coordinates
        draft = CaseDraft(
            catalogue_entry_id=entry.id,
            act_description=self.description.toPlainText() or entry.description,
            committed_at=self.when.value(),
            place=self.place.text(),
            culpability=Culpability.INTENT if self.intent.isChecked() else Culpability.NEGLIGENCE,
            concerned=PersonDraft(
                self.last_name.text(), self.first_name.text(), born, self.address.text()
            ),
            lat=coordinates[0] if coordinates else None,
            lon=coordinates[1] if coordinates else None,
            incident_id=(
                self._incident.id
                if self._incident is not None and self.link_incident.isChecked()
                else None
            ),
        )
        return await self._ctx.services.offences.capture(self._ctx.actor, draft)


class CautionDialog(WorkFormDialog):
    """Give a Verwarnung (§ 56 OWiG): amount, consent after the instruction, payment."""

    def __init__(self, ctx: UiContext, case: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CautionDialog")
        self._ctx = ctx
        self.case = case
        self.setWindowTitle(self.tr("Verwarnung for %1").replace("%1", case.number))
        self.amount = QDoubleSpinBox(self)
        self.amount.setObjectName("cautionAmount")
        self.amount.setRange(0, 55)
        self.amount.setDecimals(2)
        self.amount.setSuffix(" €")
        self.amount.setSpecialValueText(self.tr("without a fee"))
        self.amount.setValue((case.fine_cents or 0) / 100)
        self.consent = QCheckBox(self.tr("The person was told they may refuse, and agreed"), self)
        self.consent.setObjectName("cautionConsent")
        self.at_once = QCheckBox(self.tr("Paid at once"), self)
        self.at_once.setObjectName("cautionAtOnce")
        self.period_hint = QLabel(self)
        self.period_hint.setWordWrap(True)
        self.form.addRow(QLabel(f"{case.number} – {case.offence}", self))
        self.form.addRow(self.tr("&Amount:"), self.amount)
        self.form.addRow("", self.consent)
        self.form.addRow("", self.at_once)
        self.form.addRow("", self.period_hint)
        self.field_widgets = {"fee": self.amount, "consent": self.consent, "due_on": self.at_once}
        self.amount.valueChanged.connect(self._update_hint)
        self.at_once.toggled.connect(self._update_hint)
        self._update_hint()
        self.set_tab_order([self.amount, self.consent, self.at_once])
        self.setMinimumWidth(480)
        self.amount.setFocus()

    def fee_cents(self) -> int | None:
        """The amount in cents (None: a caution without a fee)."""
        cents = round(self.amount.value() * 100)
        return cents or None

    def _update_hint(self) -> None:
        fee = self.fee_cents()
        if fee is None or self.at_once.isChecked():
            self.period_hint.setText("")
        elif period_proposed(fee):
            self.period_hint.setText(
                self.tr("Payment period: one week (until %1).").replace(
                    "%1", (today() + DEFAULT_PERIOD).strftime("%d.%m.%Y")
                )
            )
        else:
            self.period_hint.setText(
                self.tr("Up to 10 € a period is granted only if the person cannot pay at once.")
            )

    async def submit(self) -> Any:
        return await self._ctx.services.offences.give_caution(
            self._ctx.actor,
            self.case.id,
            self.case.version,
            self.fee_cents(),
            self.consent.isChecked(),
            self.at_once.isChecked(),
        )


class HearingDialog(WorkFormDialog):
    """The hearing notice (Anhörung) went out on a day."""

    def __init__(self, ctx: UiContext, case: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HearingDialog")
        self._ctx = ctx
        self.case = case
        self.setWindowTitle(self.tr("Hearing notice for %1").replace("%1", case.number))
        self.sent_on = QLineEdit(today().strftime("%d.%m.%Y"), self)
        self.sent_on.setObjectName("hearingSentOn")
        self.form.addRow(QLabel(f"{case.number} – {case.offence}", self))
        self.form.addRow(self.tr("&Sent on:"), self.sent_on)
        self.form.addRow(
            "",
            QLabel(
                self.tr("The first hearing notice restarts the limitation period (§ 33 OWiG)."),
                self,
            ),
        )
        self.require("hearing_date", self.sent_on, self.tr("date"))
        self.field_widgets = {"hearing_date": self.sent_on}
        self.setMinimumWidth(440)
        self.sent_on.setFocus()
        self.sent_on.selectAll()

    async def submit(self) -> Any:
        sent = parse_german_date(self.sent_on.text(), "hearing_date", self.tr("Sent on"))
        assert sent is not None  # required
        return await self._ctx.services.offences.send_hearing(
            self._ctx.actor, self.case.id, self.case.version, sent
        )


class DiscontinueDialog(WorkFormDialog):
    """Discontinue the proceedings, with a reason."""

    def __init__(self, ctx: UiContext, case: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DiscontinueDialog")
        self._ctx = ctx
        self.case = case
        self.setWindowTitle(self.tr("Discontinue %1").replace("%1", case.number))
        self.reason = QLineEdit(self)
        self.reason.setObjectName("discontinueReason")
        self.reason.setMaxLength(2000)
        self.form.addRow(QLabel(f"{case.number} – {case.offence}", self))
        self.form.addRow(self.tr("&Reason:"), self.reason)
        self.require("reason", self.reason, self.tr("reason"))
        self.field_widgets = {"reason": self.reason}
        self.setMinimumWidth(440)
        self.reason.setFocus()

    async def submit(self) -> Any:
        return await self._ctx.services.offences.discontinue(
            self._ctx.actor, self.case.id, self.case.version, self.reason.text()
        )
