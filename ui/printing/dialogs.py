"""Print preview, the system print dialog and "save as PDF" for any :class:`PrintDocument`.

Panes call these with a document and the letterhead (:func:`letterhead` reads it from the
settings). Printing and PDF writing run in a worker thread; only the preview paints in the
window's thread, because Qt's preview asks for its pages there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from app.platform.errors import KodError
from app.platform.timeutil import today
from app.services import Services
from ui.asyncutil import spawn
from ui.printing.document import PrintDocument
from ui.printing.render import Letterhead, in_worker, render, write_pdf_async


async def letterhead(services: Services) -> Letterhead:
    """The letterhead as the settings say (city, office, logo)."""
    values = await services.settings.all()
    return Letterhead(
        str(values["print.city_name"]),
        str(values["print.office_name"]),
        str(values["print.logo_path"]),
    )


def _printer() -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setFullPage(True)
    return printer


def preview(parent: QWidget, doc: PrintDocument, head: Letterhead) -> QPrintPreviewDialog:
    """Open Qt's print preview of ``doc`` (printing from there uses the same pages)."""
    printer = _printer()
    printer.setDocName(doc.title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setObjectName("printPreviewDialog")
    dialog.setWindowTitle(doc.title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.paintRequested.connect(lambda device: render(doc, head, device))
    dialog.resize(900, 1000)
    dialog.open()
    return dialog


def print_with_dialog(
    parent: QWidget,
    doc: PrintDocument,
    head: Letterhead,
    on_error: Callable[[str], None],
) -> QPrintDialog:
    """The system print dialog; once confirmed, the pages are made in a worker thread."""
    printer = _printer()
    printer.setDocName(doc.title)
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName("printDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    async def run() -> None:
        try:
            await in_worker(lambda: render(doc, head, printer))
        except KodError as exc:
            on_error(str(exc))

    def done(result: int) -> None:
        if result == QDialog.DialogCode.Accepted:
            spawn(run())

    dialog.finished.connect(done)
    # QDialog.open(): window-modal, not blocking (the stubs know only the receiver overload).
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    return dialog


def default_pdf_path(doc: PrintDocument, folder: Path | None = None) -> Path:
    """Where "save as PDF" proposes to write: the documents folder, the document's name."""
    if folder is None:
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        folder = Path(docs) if docs and Path(docs).is_dir() else Path.home()
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in doc.file_stem)
    return folder / f"{stem or today().isoformat()}.pdf"


def save_pdf(
    parent: QWidget,
    doc: PrintDocument,
    head: Letterhead,
    on_done: Callable[[Path | None, str], None],
) -> QFileDialog:
    """Ask for a file name, then write the PDF in a worker thread.

    ``on_done(path, "")`` after writing, ``on_done(None, message)`` if it failed.
    """
    target = default_pdf_path(doc)
    dialog = QFileDialog(
        parent, QCoreApplication.translate("PrintDialogs", "Save as PDF"), str(target)
    )
    dialog.setObjectName("savePdfDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(QCoreApplication.translate("PrintDialogs", "PDF files (*.pdf)"))
    dialog.setDefaultSuffix("pdf")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.selectFile(target.name)

    async def run(path: Path) -> None:
        try:
            await write_pdf_async(doc, head, path)
        except KodError as exc:
            on_done(None, str(exc))
            return
        on_done(path, "")

    def done(result: int) -> None:
        files = dialog.selectedFiles()
        if result == QDialog.DialogCode.Accepted and files:
            spawn(run(Path(files[0])))

    dialog.finished.connect(done)
    dialog.open()
    return dialog
