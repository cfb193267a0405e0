"""File → Statistics: choose a month or a year, then preview, print, save as PDF or export the
tables as CSV files.

The figures are read by the service (its steps move the progress bar); the charts are drawn,
then the pages are written in a worker thread, so the window stays responsive while a year is
made. Errors are shown in the dialog in German; nothing is lost by a failed export.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.periods import MONTH_NAMES, Period, month, previous_month, year
from app.platform.errors import KodError
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.services.statistics import Statistics
from app.services.statistics_tables import write_csv_files
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.printing.dialogs import default_pdf_path, letterhead, preview
from ui.printing.document import PrintDocument
from ui.printing.render import write_pdf_async
from ui.printing.statistics import statistics_document
from ui.theme import error_style

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class StatisticsDialog(QDialog):
    """Choose the period; make the statistics as preview, PDF or CSV files."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statisticsDialog")
        self.setWindowTitle(self.tr("Statistics"))
        self._ctx = ctx
        self._busy = False
        #: The print preview opened last (kept alive, and for tests).
        self.preview: QWidget | None = None
        #: What was written last (PDF or CSV files), for the message and for tests.
        self.written: list[Path] = []
        last = previous_month(utcnow())
        self.by_month = QRadioButton(self.tr("Month"))
        self.by_year = QRadioButton(self.tr("Year"))
        self.by_month.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_month)
        group.addButton(self.by_year)
        self.month = QComboBox()
        self.month.setObjectName("statisticsMonth")
        for name in MONTH_NAMES:
            self.month.addItem(QCoreApplication.translate("periods", name))
        self.month.setCurrentIndex(last.first_day.month - 1)
        self.year = QSpinBox()
        self.year.setObjectName("statisticsYear")
        self.year.setRange(2000, 2100)
        self.year.setValue(last.first_day.year)
        self.by_year.toggled.connect(lambda on: self.month.setEnabled(not on))
        kind = QHBoxLayout()
        kind.addWidget(self.by_month)
        kind.addWidget(self.by_year)
        kind.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Period"), kind)
        form.addRow(self.tr("Month"), self.month)
        form.addRow(self.tr("Year"), self.year)

        self.progress = QProgressBar()
        self.progress.setObjectName("statisticsProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.status = QLabel()
        self.status.setObjectName("statisticsStatus")
        self.status.setWordWrap(True)
        self.preview_button = QPushButton(self.tr("&Preview and print …"))
        self.pdf_button = QPushButton(self.tr("Save as &PDF …"))
        self.csv_button = QPushButton(self.tr("Export tables as &CSV …"))
        close = QPushButton(self.tr("Close"))
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(lambda: self._start(self._preview()))
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.csv_button.clicked.connect(self._ask_csv)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.preview_button, self.pdf_button, self.csv_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        # German labels run long: the four buttons side by side, none cut.
        self.setMinimumWidth(max(720, self.sizeHint().width()))

    # -- choosing ---------------------------------------------------------------------------

    def period(self) -> Period:
        """The chosen month or year."""
        if self.by_year.isChecked():
            return year(self.year.value())
        return month(self.year.value(), self.month.currentIndex() + 1)

    def choose(self, period: Period) -> None:
        """Set the fields to ``period`` (a month or a year)."""
        self.year.setValue(period.first_day.year)
        if period.kind.value == "year":
            self.by_year.setChecked(True)
        else:
            self.by_month.setChecked(True)
            self.month.setCurrentIndex(period.first_day.month - 1)

    # -- making -----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self.preview_button, self.pdf_button, self.csv_button):
            w.setEnabled(not busy)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(error_style() if error else "")
        self.status.setText(text)

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        if self._busy:
            job.close()
            return
        self._set_busy(True)
        spawn(self._guarded(job))

    async def _guarded(self, job: Coroutine[Any, Any, None]) -> None:
        try:
            await job
        except KodError as exc:
            self.progress.setValue(0)
            self._say(str(exc), error=True)
        finally:
            self._set_busy(False)

    async def _statistics(self) -> Statistics:
        period = self.period()
        self.progress.setValue(0)
        self._say(self.tr("Reading the figures for %1 …").replace("%1", period.label()))

        def step(done: int, total: int) -> None:
            self.progress.setValue(round(60 * done / max(1, total)))

        return await self._ctx.services.statistics.build(self._ctx.actor, period, step)

    async def _preview(self) -> None:
        stats = await self._statistics()
        self._say(self.tr("Drawing the charts …"))
        document = statistics_document(stats)
        self.progress.setValue(100)
        self._say(self.tr("Preview of %1 opened.").replace("%1", stats.period.label()))
        self.preview = preview(self, document, await letterhead(self._ctx.services))

    async def write_pdf(self, path: Path) -> None:
        """Make the statistics of the chosen period and write them as a PDF to ``path``."""
        stats = await self._statistics()
        self._say(self.tr("Drawing the charts …"))
        document = statistics_document(stats)
        self.progress.setValue(70)
        self._say(self.tr("Writing the pages …"))
        pages = await write_pdf_async(document, await letterhead(self._ctx.services), path)
        self.progress.setValue(100)
        self.written = [path]
        self._say(
            self.tr("%1 written (%2 pages).").replace("%1", str(path)).replace("%2", str(pages))
        )

    async def write_csv(self, folder: Path) -> None:
        """Make the statistics of the chosen period and write every table as CSV to ``folder``."""
        stats = await self._statistics()
        self._say(self.tr("Writing the tables …"))
        self.written = await asyncio.to_thread(write_csv_files, stats, folder)
        self.progress.setValue(100)
        self._say(
            self.tr("%1 tables written to %2.")
            .replace("%1", str(len(self.written)))
            .replace("%2", str(folder))
        )

    def _file_dialog(self, title: str, target: Path, folder: bool) -> QFileDialog:
        dialog = QFileDialog(self, title, str(target))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        if folder:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setNameFilter(QCoreApplication.translate("PrintDialogs", "PDF files (*.pdf)"))
            dialog.setDefaultSuffix("pdf")
            dialog.selectFile(target.name)
        return dialog

    def _ask_pdf(self) -> None:
        stem = self.tr("Statistics-%1").replace("%1", self.period().file_stem())
        target = _proposed(stem)
        dialog = self._file_dialog(self.tr("Save statistics as PDF"), target, folder=False)
        dialog.fileSelected.connect(lambda name: self._start(self.write_pdf(Path(name))))
        dialog.open()

    def _ask_csv(self) -> None:
        dialog = self._file_dialog(
            self.tr("Folder for the CSV files"), _proposed("x").parent, folder=True
        )
        dialog.fileSelected.connect(lambda name: self._start(self.write_csv(Path(name))))
        dialog.open()


def _proposed(stem: str) -> Path:
    return default_pdf_path(PrintDocument(stem, stem))


def open_statistics(ctx: UiContext, parent: QWidget) -> StatisticsDialog:
    """Open the statistics dialog (non-modal: the window stays usable)."""
    dialog = StatisticsDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog


def install(window: MainWindow) -> None:
    """File → Statistics for roles that may see statistics."""
    if not window.ctx.can(Permission.STATISTICS):
        return

    def show() -> None:
        window.statistics_dialog = open_statistics(window.ctx, window)

    window.commands.bind("report.statistics", show)
