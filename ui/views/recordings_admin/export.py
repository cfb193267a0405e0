"""The evidence export: chosen recordings as packages for the Bußgeldstelle or the prosecutor.

Recipient, reason, target folder and an optional password (typed twice) are asked; the packages
are written one after the other in a worker (hashing, decrypting, the chain-of-custody PDF), with
one progress bar over all of them and a Cancel that stops the running package and leaves no
files of it. The window stays usable meanwhile. The service audits every export.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.evidence.errors import ExportCancelled
from app.evidence.package import MIN_PASSWORD
from app.platform.errors import KodError, ValidationError
from app.services.recording_desk import RecordingRef
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.work_table import alive
from ui.printing.custody import custody_writer
from ui.printing.dialogs import letterhead
from ui.views.recordings_admin.models import recording_text
from ui.widgets.messages import message_label

#: Progress steps of the bar for each package.
STEPS = 1000


class _Progress(QObject):
    """Carries the worker's progress into the window's thread (a queued signal)."""

    moved = Signal(int, int, int)


class EvidenceExportDialog(QDialog):
    """Export recordings as evidence packages, with progress and cancel."""

    #: Emitted with the package folders once every package is written.
    exported = Signal(list)

    def __init__(
        self, ctx: UiContext, recordings: Sequence[RecordingRef], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("EvidenceExportDialog")
        self.setWindowTitle(self.tr("Export recordings as evidence"))
        self.ctx = ctx
        self.recordings = list(recordings)
        self.packages: list[Path] = []
        self.running = False
        self._cancel = threading.Event()
        #: The worker's progress (package index, bytes done, bytes in all), in this thread.
        self.progress = _Progress(self)
        self.progress.moved.connect(self._moved)

        names = QLabel("\n".join(recording_text(r) for r in self.recordings), self)
        names.setObjectName("exportRecordings")
        self.recipient_kind = QComboBox(self)
        self.recipient_kind.setObjectName("exportRecipientKind")
        for label in (
            self.tr("Bußgeldstelle"),
            self.tr("Staatsanwaltschaft"),
            self.tr("Other recipient"),
        ):
            self.recipient_kind.addItem(label)
        self.recipient_name = QLineEdit(self)
        self.recipient_name.setObjectName("exportRecipientName")
        self.recipient_name.setMaxLength(200)
        self.recipient_name.setPlaceholderText(
            self.tr("authority or person, e.g. Stadt Leverkusen")
        )
        self.reason = QLineEdit(self)
        self.reason.setObjectName("exportReason")
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText(self.tr("e.g. request of the Bußgeldstelle, Az. …"))
        self.folder = QLineEdit(self)
        self.folder.setObjectName("exportFolder")
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        self.folder.setText(docs or str(Path.home()))
        self.browse = QPushButton(self.tr("Choose …"), self)
        self.browse.setObjectName("exportBrowse")
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        self.password = QLineEdit(self)
        self.password.setObjectName("exportPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(
            self.tr(
                "optional: the package is then an encrypted archive (at least %1 characters)"
            ).replace("%1", str(MIN_PASSWORD))
        )
        self.password_again = QLineEdit(self)
        self.password_again.setObjectName("exportPasswordAgain")
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("exportProgress")
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.message = message_label(self, "exportMessage", bold=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.tr("Recordings:"), names)
        form.addRow(self.tr("&Recipient:"), self.recipient_kind)
        form.addRow(self.tr("&Name of the recipient:"), self.recipient_name)
        form.addRow(self.tr("R&eason:"), self.reason)
        form.addRow(self.tr("Target &folder:"), folder_row)
        form.addRow(self.tr("&Password:"), self.password)
        form.addRow(self.tr("Password &again:"), self.password_again)
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton(
            self.tr("&Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.start_button.setObjectName("exportStart")
        self.start_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(
            self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.cancel_button.setObjectName("exportCancel")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        self.recipient_kind.setFocus()

    def recipient(self) -> str:
        """The recipient as the package and the log name it."""
        kind, name = self.recipient_kind.currentText(), self.recipient_name.text().strip()
        if self.recipient_kind.currentIndex() == 2:
            return name
        return f"{kind} {name}".strip()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self,
            self.tr("Target folder of the evidence package"),
            self.folder.text(),
            QFileDialog.Option.DontUseNativeDialog,
        )
        if chosen:
            self.folder.setText(chosen)

    def _checked(self) -> tuple[str, Path, str | None] | None:
        """Recipient, folder, password; None after showing what is wrong."""
        recipient = self.recipient()
        if not recipient:
            self._say(self.tr("Please name the recipient of the export."), self.recipient_name)
            return None
        folder = Path(self.folder.text().strip())
        if not self.folder.text().strip() or not folder.is_dir():
            self._say(self.tr("Please choose an existing target folder."), self.folder)
            return None
        password = self.password.text()
        if password != self.password_again.text():
            self._say(
                self.tr("The two passwords differ. Please type the password twice alike."),
                self.password_again,
            )
            return None
        return recipient, folder, password or None

    def _say(self, text: str, field: QWidget | None = None, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(theme.error_style(True) if error else theme.ok_style())
        self.message.show()
        if field is not None:
            field.setFocus()

    def start(self) -> None:
        """Write the packages (once at a time)."""
        if self.running:
            return
        checked = self._checked()
        if checked is None:
            return
        self._cancel.clear()
        self._set_running(True)
        spawn(self._export(*checked))

    def cancel(self) -> None:
        """Stop a running export (its package leaves no files), else close the dialog."""
        if self.running:
            self._cancel.set()
            self._say(self.tr("Cancelling …"), error=False)
        else:
            self.reject()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.start_button.setEnabled(not running)
        widgets: tuple[QWidget, ...] = (
            self.recipient_kind,
            self.recipient_name,
            self.reason,
            self.folder,
            self.browse,
            self.password,
            self.password_again,
        )
        for w in widgets:
            w.setEnabled(not running)

    def _moved(self, index: int, done: int, total: int) -> None:
        share = done / total if total else 1.0
        count = max(len(self.recordings), 1)
        self.bar.setValue(round(100 * (index + share) / count))

    def _reporter(self, index: int) -> Callable[[int, int], None]:
        """The progress callback of package ``index`` (called in the worker thread)."""
        moved = self.progress.moved

        def report(done: int, total: int) -> None:
            moved.emit(index, done, total)

        return report

    async def _export(self, recipient: str, folder: Path, password: str | None) -> None:
        admin = self.ctx.services.recording_admin
        self._say(self.tr("Exporting …"), error=False)
        self.packages = []
        try:
            exporter = admin.exporter(custody_writer(await letterhead(self.ctx.services)))
            for index, rec in enumerate(self.recordings):
                files = await exporter.export(
                    self.ctx.actor,
                    rec.id,
                    self.reason.text(),
                    recipient,
                    folder,
                    password,
                    progress=self._reporter(index),
                    cancelled=self._cancel.is_set,
                )
                self.packages.append(files.folder)
        except ExportCancelled:
            if alive(self):
                self._done_with(self.tr("Cancelled: the package being written was removed."))
            return
        except ValidationError as exc:
            if alive(self):
                field = {"reason": self.reason, "recipient": self.recipient_name}.get(
                    exc.field or "", self.password if exc.field == "password" else None
                )
                self._done_with(str(exc), field)
            return
        except KodError as exc:
            if alive(self):
                self._done_with(str(exc))
            return
        if not alive(self):
            return
        self._set_running(False)
        self._say(
            self.tr("Exported to:") + "\n" + "\n".join(str(p) for p in self.packages),
            error=False,
        )
        self.cancel_button.setText(self.tr("Close"))
        self.exported.emit(list(self.packages))

    def _done_with(self, text: str, field: QWidget | None = None) -> None:
        self._set_running(False)
        done = self.tr("Already written:") + "\n" + "\n".join(str(p) for p in self.packages)
        self._say(text + ("\n" + done if self.packages else ""), field)
