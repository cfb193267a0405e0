"""Printing from the offence cases: the Bescheinigung of a Verwarnung, the Anhörungsbogen, the
Anzeige (each in Qt's print preview, from where it prints or is saved), and the hand-over file
for the Bußgeldstelle. Ctrl+P in the pane opens this menu for the selected case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from app.domain.offences.cases import CaseInfo, CaseStatus
from app.platform.errors import KodError
from app.services.offence_export import EXPORTABLE, Document
from ui.asyncutil import spawn
from ui.models.work_table import alive
from ui.printing.dialogs import letterhead, preview
from ui.printing.handover import write_handover
from ui.printing.offence_documents import offence_document

if TYPE_CHECKING:
    from ui.views.offences.pane import OffenceCasePane

#: The Bescheinigung exists once a Verwarnung was given.
CAUTIONED = frozenset({CaseStatus.CAUTION, CaseStatus.PAID})


def print_menu(pane: OffenceCasePane, at: QPoint | None = None) -> QMenu | None:
    """The documents of the selected case (those its status allows) and the hand-over file."""
    case = pane.selected()
    if case is None:
        return None
    menu = QMenu(pane)
    menu.setObjectName("offencePrintMenu")
    entries = (
        (
            QCoreApplication.translate("OffencePrinting", "&1 Bescheinigung (Verwarnung) …"),
            Document.CAUTION_CERTIFICATE,
            case.status in CAUTIONED,
        ),
        (
            QCoreApplication.translate("OffencePrinting", "&2 Anhörungsbogen …"),
            Document.HEARING_FORM,
            case.status is not CaseStatus.DISCONTINUED,
        ),
        (QCoreApplication.translate("OffencePrinting", "&3 Anzeige …"), Document.COMPLAINT, True),
    )
    for text, document, enabled in entries:
        action = QAction(text, menu)
        action.setEnabled(enabled)
        action.triggered.connect(lambda _c=False, d=document: spawn(show_document(pane, case, d)))
        menu.addAction(action)
    menu.addSeparator()
    handover = QAction(
        QCoreApplication.translate("OffencePrinting", "&4 Hand-over file for the Bußgeldstelle …"),
        menu,
    )
    handover.setEnabled(case.status in EXPORTABLE and pane.can_export)
    handover.triggered.connect(lambda: choose_handover_folder(pane, case))
    menu.addAction(handover)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if at is None:
        rect = pane.table.visualRect(pane.table.currentIndex())
        at = pane.table.viewport().mapToGlobal(rect.bottomLeft())
    menu.popup(at)
    return menu


async def show_document(pane: OffenceCasePane, case: CaseInfo, document: Document) -> None:
    """Open the print preview of one document of ``case``."""
    services, actor = pane.ctx.services, pane.ctx.actor
    try:
        doc = await offence_document(services, actor, case.id, document)
        head = await letterhead(services)
    except KodError as exc:
        if alive(pane):
            pane.say(str(exc), error=True)
        return
    if alive(pane):
        pane.preview_dialog = preview(pane, doc, head)


def choose_handover_folder(pane: OffenceCasePane, case: CaseInfo) -> QFileDialog:
    """Ask where to write the hand-over file and the Anzeige of ``case``."""
    dialog = QFileDialog(
        pane, QCoreApplication.translate("OffencePrinting", "Folder for the hand-over file")
    )
    dialog.setObjectName("handoverFolderDialog")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.fileSelected.connect(lambda folder: spawn(write_to(pane, case, Path(folder))))
    dialog.open()
    return dialog


async def write_to(pane: OffenceCasePane, case: CaseInfo, folder: Path) -> None:
    """Write the hand-over of ``case`` into ``folder`` and say so."""
    try:
        files = await write_handover(pane.ctx.services, pane.ctx.actor, [case.id], folder)
    except KodError as exc:
        if alive(pane):
            pane.say(str(exc), error=True)
        return
    if alive(pane):
        names = ", ".join(p.name for p in (files.data_file, *files.reports))
        pane.say(
            QCoreApplication.translate("OffencePrinting", "Hand-over written: %1").replace(
                "%1", names
            ),
            error=False,
        )
