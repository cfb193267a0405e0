"""One offence case in detail: its data with the catalogue revision and the limitation (with the
rule behind it), its evidence and its history. Filled by :class:`OffenceCasePane`."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.offences.cases import CaseEvent, CaseInfo, status_label
from app.platform.timeutil import format_local
from app.services.offence_evidence import EvidenceItem
from ui import theme
from ui.models.offence_cases import person_text
from ui.views.offences.dialogs import euros_text


def person_block(case: CaseInfo) -> str:
    """The person concerned as the detail shows them (or why not)."""
    p = case.concerned
    if case.anonymised_at is not None:
        return QCoreApplication.translate("OffenceCasePane", "personal data removed on %1").replace(
            "%1", format_local(case.anonymised_at)
        )
    if not p.last_name:
        return "…"  # a list read by another role: the case itself shows the person
    born = (
        p.birth_date.strftime("%d.%m.%Y")
        if p.birth_date
        else QCoreApplication.translate("OffenceCasePane", "unknown")
    )
    return f"{person_text(case)}, * {born}\n{p.address}"


def evidence_text(item: EvidenceItem) -> str:
    """One line of the evidence list."""
    if item.kind == "witness" and item.witness is not None:
        who = item.witness.last_name or QCoreApplication.translate("OffenceCasePane", "(removed)")
        if item.witness.first_name:
            who += f", {item.witness.first_name}"
        return (
            QCoreApplication.translate("OffenceCasePane", "Witness %1: %2")
            .replace("%1", who)
            .replace("%2", item.description)
        )
    if item.kind == "recording" and item.recording_id is not None:
        return (
            QCoreApplication.translate("OffenceCasePane", "Bodycam recording no. %1: %2")
            .replace("%1", str(item.recording_id))
            .replace("%2", item.description)
        )
    return f"{item.kind}: {item.description}"


class OffenceCaseDetail(QWidget):
    """Heading, case data, evidence (with "Add witness") and history of one case."""

    def __init__(
        self, can_write: bool, parent: QWidget | None = None, can_link: bool = False
    ) -> None:
        super().__init__(parent)
        tr = QCoreApplication.translate
        self.heading = QLabel(self)
        self.heading.setObjectName("offenceHeading")
        self.heading.setStyleSheet(theme.heading_style())
        self.fields: dict[str, QLabel] = {}
        details = QGroupBox(tr("OffenceCasePane", "Case"), self)
        form = QFormLayout(details)
        for key, label in (
            ("status", tr("OffenceCasePane", "Status")),
            ("offence", tr("OffenceCasePane", "Offence")),
            ("law", tr("OffenceCasePane", "Legal basis")),
            ("person", tr("OffenceCasePane", "Person concerned")),
            ("act", tr("OffenceCasePane", "Time and place")),
            ("description", tr("OffenceCasePane", "Description")),
            ("culpability", tr("OffenceCasePane", "Culpability")),
            ("fine", tr("OffenceCasePane", "Amount")),
            ("limitation", tr("OffenceCasePane", "Time-barred after")),
        ):
            value = QLabel(self)
            value.setObjectName(f"offence_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(label, value)
            self.fields[key] = value
        self.history = QListWidget(self)
        self.history.setObjectName("offenceHistory")
        self.evidence = QListWidget(self)
        self.evidence.setObjectName("offenceEvidence")
        self.evidence.setMaximumHeight(90)
        self.witness_button = QPushButton(tr("OffenceCasePane", "Add witness …"), self)
        self.witness_button.setObjectName("offenceWitness")
        self.witness_button.setVisible(can_write)
        self.recording_button = QPushButton(
            tr("OffenceCasePane", "Bodycam recording as evidence …"), self
        )
        self.recording_button.setObjectName("offenceRecording")
        self.recording_button.setVisible(can_link)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(details)
        evidence_head = QHBoxLayout()
        evidence_head.addWidget(QLabel(tr("OffenceCasePane", "Evidence"), self))
        evidence_head.addStretch(1)
        evidence_head.addWidget(self.recording_button)
        evidence_head.addWidget(self.witness_button)
        layout.addLayout(evidence_head)
        layout.addWidget(self.evidence)
        layout.addWidget(QLabel(tr("OffenceCasePane", "History"), self))
        layout.addWidget(self.history, 1)

    def show_case(
        self,
        case: CaseInfo | None,
        events: Sequence[CaseEvent] = (),
        evidence: Sequence[EvidenceItem] = (),
    ) -> None:
        """Show ``case`` (None: nothing selected) with its history and evidence."""
        tr = QCoreApplication.translate
        self.history.clear()
        self.evidence.clear()
        if case is None:
            self.heading.setText(tr("OffenceCasePane", "No case selected"))
            for label in self.fields.values():
                label.setText("")
            return
        self.heading.setText(case.number)
        intent = case.culpability.value == "intent"
        values = {
            "status": status_label(case.status),
            "offence": f"{case.offence} ({case.catalogue_key}, "
            + tr("OffenceCasePane", "revision %1").replace("%1", str(case.catalogue_revision))
            + ")",
            "law": case.legal_basis,
            "person": person_block(case),
            "act": f"{format_local(case.committed_at)}, {case.place}",
            "description": case.act_description,
            "culpability": tr("OffenceCasePane", "intent")
            if intent
            else tr("OffenceCasePane", "negligence"),
            "fine": euros_text(case.fine_cents) or tr("OffenceCasePane", "without a fee"),
            "limitation": f"{case.limitation_date:%d.%m.%Y} – {case.limitation_basis}",
        }
        for key, text in values.items():
            self.fields[key].setText(text)
        for e in events:
            self.history.addItem(f"{format_local(e.at)}  {e.username}: {e.text}")
        for item in evidence:
            self.evidence.addItem(evidence_text(item))
