"""Importing bodycam recordings by hand: drop files or folders, complete the details, import
with progress and cancel, read each file's result, confirm the proposed incidents.

The import runs in the service's worker threads (hashing, encrypting, reading back); the dialog
only reads the batch's progress on a timer, so the window never freezes. Refused files go to
the quarantine folder with a German reason; nothing is lost.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import KodError
from app.services.recording_batch import ImportBatch, ImportOutcome, Outcome, expand
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.views.recordings.import_details import ImportDetailsForm

COL_FILE, COL_STATUS, COL_MESSAGE = range(3)
PROGRESS_MS = 100
#: The proposal of an imported row (recording id, incident id) under this role of its file cell.
PROPOSAL_ROLE = Qt.ItemDataRole.UserRole + 1


def outcome_label(outcome: Outcome) -> str:
    """The status column's word."""
    return {
        Outcome.IMPORTED: QCoreApplication.translate("RecordingImportDialog", "imported"),
        Outcome.QUARANTINED: QCoreApplication.translate("RecordingImportDialog", "quarantine"),
        Outcome.KEPT: QCoreApplication.translate("RecordingImportDialog", "not imported"),
        Outcome.CANCELLED: QCoreApplication.translate("RecordingImportDialog", "cancelled"),
    }[outcome]


class RecordingImportDialog(QDialog):
    """Files in, results out."""

    #: The batch ended (all outcomes).
    finishedImport = Signal(object)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RecordingImportDialog")
        self.setWindowTitle(
            QCoreApplication.translate("RecordingImportDialog", "Import bodycam recordings")
        )
        self.setAcceptDrops(True)
        self.ctx = ctx
        intro = QLabel(
            QCoreApplication.translate(
                "RecordingImportDialog",
                "Drop video files or folders here (or choose them). Each file is checked, "
                "hashed and stored encrypted; the original leaves its folder only after the "
                "stored copy was read back and matched. Files that cannot be imported go to "
                "the quarantine folder with the reason.",
            ),
            self,
        )
        intro.setWordWrap(True)
        self.files = QTableWidget(0, 3, self)
        self.files.setObjectName("importFiles")
        self.files.setHorizontalHeaderLabels(
            [
                QCoreApplication.translate("RecordingImportDialog", "File"),
                QCoreApplication.translate("RecordingImportDialog", "Status"),
                QCoreApplication.translate("RecordingImportDialog", "Result"),
            ]
        )
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files.setWordWrap(True)
        header = self.files.horizontalHeader()
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.add_files_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Add files …"), self
        )
        self.add_files_button.setObjectName("importAddFiles")
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Add folder …"), self
        )
        self.add_folder_button.setObjectName("importAddFolder")
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.details = ImportDetailsForm(self)
        details_title = QLabel(
            QCoreApplication.translate(
                "RecordingImportDialog", "Details missing from the camera's metadata file"
            ),
            self,
        )
        details_title.setStyleSheet(theme.heading_style())
        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.current = QLabel(self)
        self.current.setObjectName("importCurrent")
        self.summary = QLabel(self)
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.import_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Import"), self
        )
        self.import_button.setObjectName("importStart")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Cancel import"), self
        )
        self.cancel_button.setObjectName("importCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.confirm_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Confirm the checked incidents"),
            self,
        )
        self.confirm_button.setObjectName("importConfirmLinks")
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(lambda: spawn(self.confirm_links()))
        self.close_button = QPushButton(
            QCoreApplication.translate("RecordingImportDialog", "Close"), self
        )
        self.close_button.setObjectName("importClose")
        self.close_button.clicked.connect(self.reject)
        pick = QHBoxLayout()
        pick.addWidget(self.add_files_button)
        pick.addWidget(self.add_folder_button)
        pick.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(pick)
        layout.addWidget(self.files, 1)
        layout.addWidget(details_title)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addWidget(self.current)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self.resize(900, 640)
        self._paths: list[Path] = []
        self.batch: ImportBatch | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(self._show_progress)

    # -- choosing files ---------------------------------------------------------------------

    def add_paths(self, paths: list[Path]) -> None:
        """Add files (folders: their files) to the list, each once."""
        if self.batch is not None and not self._finished():
            return
        if self._finished():
            self._reset()
        for path in expand(paths):
            if path in self._paths:
                continue
            self._paths.append(path)
            row = self.files.rowCount()
            self.files.insertRow(row)
            item = QTableWidgetItem(path.name)
            item.setToolTip(str(path))
            self.files.setItem(row, COL_FILE, item)
            self.files.setItem(
                row,
                COL_STATUS,
                QTableWidgetItem(QCoreApplication.translate("RecordingImportDialog", "waiting")),
            )
            self.files.setItem(row, COL_MESSAGE, QTableWidgetItem(""))
        self.import_button.setEnabled(bool(self._paths))
        self.summary.setText(
            QCoreApplication.translate("RecordingImportDialog", "%1 file(s) to import.").replace(
                "%1", str(len(self._paths))
            )
        )

    def _choose_files(self) -> None:
        dialog = QFileDialog(
            self, QCoreApplication.translate("RecordingImportDialog", "Choose recordings")
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda names: self.add_paths([Path(n) for n in names]))
        dialog.open()

    def _choose_folder(self) -> None:
        dialog = QFileDialog(
            self,
            QCoreApplication.translate("RecordingImportDialog", "Choose a folder with recordings"),
        )
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda name: self.add_paths([Path(name)]))
        dialog.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        self.add_paths(paths)
        event.acceptProposedAction()

    # -- importing --------------------------------------------------------------------------

    def start(self) -> None:
        """Import the listed files."""
        if not self._paths or (self.batch is not None and not self._finished()):
            return
        try:
            importer = self.ctx.services.recordings.importer()
        except KodError as exc:
            self._say(str(exc), error=True)
            return
        self.batch = ImportBatch(importer, self.ctx.actor, self._paths, self.details.details_for)
        for widget in (self.import_button, self.add_files_button, self.add_folder_button):
            widget.setEnabled(False)
        self.details.setEnabled(False)
        self.close_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._say(
            QCoreApplication.translate(
                "RecordingImportDialog",
                "Importing … the window stays usable; Cancel stops after the current step.",
            )
        )
        self._timer.start()
        spawn(self._run(self.batch))

    async def _run(self, batch: ImportBatch) -> None:
        try:
            await batch.run(self._show_outcome)
        finally:
            self._timer.stop()
            self._show_progress()
            self.cancel_button.setEnabled(False)
            self.close_button.setEnabled(True)
            self.add_files_button.setEnabled(True)
            self.add_folder_button.setEnabled(True)
            self.details.setEnabled(True)
            self.current.setText("")
            self._summarise(batch.outcomes)
            self.finishedImport.emit(batch.outcomes)

    def cancel(self) -> None:
        """Stop the import after the current step (the file being read stays where it is)."""
        if self.batch is not None:
            self.batch.cancel()
            self.cancel_button.setEnabled(False)
            self._say(QCoreApplication.translate("RecordingImportDialog", "Cancelling …"))

    def _finished(self) -> bool:
        return self.batch is not None and len(self.batch.outcomes) == len(self.batch.files)

    def _reset(self) -> None:
        self.batch = None
        self._paths = []
        self.files.setRowCount(0)
        self.progress.setValue(0)
        self.confirm_button.setEnabled(False)

    def _show_progress(self) -> None:
        batch = self.batch
        if batch is None:
            return
        self.progress.setValue(round(batch.progress * 1000))
        if batch.current is not None:
            self.current.setText(
                QCoreApplication.translate("RecordingImportDialog", "Now: %1").replace(
                    "%1", batch.current.name
                )
            )

    def _show_outcome(self, result: ImportOutcome) -> None:
        row = self._paths.index(result.path)
        status = QTableWidgetItem(outcome_label(result.outcome))
        role = "ok" if result.outcome is Outcome.IMPORTED else "error"
        status.setForeground(theme.qcolor(role))
        self.files.setItem(row, COL_STATUS, status)
        message = QTableWidgetItem(result.message)
        message.setToolTip(result.message)
        self.files.setItem(row, COL_MESSAGE, message)
        done = result.recording
        item = self.files.item(row, COL_FILE)
        if item is not None and done is not None and done.proposed_incident_id is not None:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setData(PROPOSAL_ROLE, (done.id, done.proposed_incident_id))
            item.setToolTip(
                QCoreApplication.translate(
                    "RecordingImportDialog", "Checked: link the recording to incident %1"
                ).replace("%1", done.proposed_incident_number or "")
            )
            self.confirm_button.setEnabled(True)
        self.files.resizeRowToContents(row)
        self._show_progress()

    def _summarise(self, outcomes: list[ImportOutcome]) -> None:
        count = {kind: sum(1 for o in outcomes if o.outcome is kind) for kind in Outcome}
        text = (
            QCoreApplication.translate(
                "RecordingImportDialog",
                "%1 imported, %2 moved to the quarantine folder, %3 not imported, %4 cancelled.",
            )
            .replace("%1", str(count[Outcome.IMPORTED]))
            .replace("%2", str(count[Outcome.QUARANTINED]))
            .replace("%3", str(count[Outcome.KEPT]))
            .replace("%4", str(count[Outcome.CANCELLED]))
        )
        if self.confirm_button.isEnabled():
            text += " " + QCoreApplication.translate(
                "RecordingImportDialog",
                "Check the proposed incidents and confirm them (unchecked ones stay unlinked).",
            )
        problems = count[Outcome.IMPORTED] < len(outcomes)
        self._say(text, error=problems)

    async def confirm_links(self) -> list[int]:
        """Link the checked imported recordings to their proposed incidents; their ids."""
        links = self.ctx.services.recordings.links
        confirmed: list[int] = []
        for row in range(self.files.rowCount()):
            item = self.files.item(row, COL_FILE)
            proposal = item.data(PROPOSAL_ROLE) if item is not None else None
            if item is None or not proposal or item.checkState() != Qt.CheckState.Checked:
                continue
            recording_id, incident_id = proposal
            try:
                await links.confirm_incident(self.ctx.actor, recording_id, incident_id, 1)
            except KodError as exc:
                self.files.setItem(row, COL_MESSAGE, QTableWidgetItem(str(exc)))
                continue
            confirmed.append(recording_id)
            item.setData(PROPOSAL_ROLE, None)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.setData(Qt.ItemDataRole.CheckStateRole, None)
            self.files.setItem(
                row,
                COL_STATUS,
                QTableWidgetItem(
                    QCoreApplication.translate("RecordingImportDialog", "imported, linked")
                ),
            )
        self.confirm_button.setEnabled(False)
        self._say(
            QCoreApplication.translate(
                "RecordingImportDialog", "%1 recording(s) linked to their incident."
            ).replace("%1", str(len(confirmed)))
        )
        return confirmed

    def _say(self, text: str, error: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(theme.error_style() if error else theme.hint_style())

    def reject(self) -> None:
        if self.batch is not None and not self._finished():
            return  # never close in the middle of an import: cancel first
        super().reject()
