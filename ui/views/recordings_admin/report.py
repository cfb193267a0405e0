"""The clip-access report of the data-protection officer: who did what with which recording,
when and why, and the deletion protocol. Read from the audit log (reading it is audited itself);
the view has no way to open or export a clip, and the server would refuse the role anyway."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QStandardPaths, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import KodError
from app.platform.i18n import count_text
from app.platform.timeutil import BERLIN, today
from app.services.recording_report import ClipAccess, DeletionEntry, accesses_csv, deletions_csv
from ui import theme
from ui.asyncutil import spawn
from ui.commands import pane_action
from ui.context import UiContext
from ui.models.work_table import alive
from ui.views.recordings_admin.models import AccessTableModel, DeletionTableModel
from ui.views.recordings_admin.pane import fit_columns_once
from ui.views.work_table_view import WorkTableView

#: How far back the report looks at first.
DEFAULT_DAYS = 30


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


class ClipAccessReportView(QWidget):
    """Accesses to recordings and the deletion protocol, for a period, with CSV export."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ClipAccessReportView")
        self.ctx = ctx
        self.accesses: list[ClipAccess] = []
        self.deletions: list[DeletionEntry] = []
        self._busy = False
        # Berlin's date, as the range is read (not the machine's: a UTC clock is behind).
        now = today()
        this_day = QDate(now.year, now.month, now.day)
        self.since = QDateEdit(this_day.addDays(-DEFAULT_DAYS), self)
        self.since.setObjectName("clipReportSince")
        self.until = QDateEdit(this_day, self)
        self.until.setObjectName("clipReportUntil")
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd.MM.yyyy")
        self.read_button = QPushButton(self.tr("&Show"), self)
        self.read_button.setObjectName("clipReportRead")
        self.read_button.clicked.connect(self.reload)
        self.export_button = QPushButton(self.tr("Export CSV …"), self)
        self.export_button.setObjectName("clipReportExport")
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.access_model = AccessTableModel(self)
        self.access_table = WorkTableView(4, 200, self)
        self.access_table.setObjectName("clipAccessTable")
        self.access_table.setModel(self.access_model)
        self.deletion_model = DeletionTableModel(self)
        self.deletion_table = WorkTableView(6, 200, self)
        self.deletion_table.setObjectName("clipDeletionTable")
        self.deletion_table.setModel(self.deletion_model)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("clipReportTabs")
        self.tabs.addTab(self.access_table, self.tr("Accesses"))
        self.tabs.addTab(self.deletion_table, self.tr("Deletion protocol"))
        self.status = QLabel(self)
        self.status.setObjectName("clipReportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel(
            self.tr(
                "Every access to a bodycam recording with person, time and stated reason. "
                "Reading this report is recorded too. Ctrl+Shift+G exports the tab shown."
            ),
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(theme.hint_style())
        head = QHBoxLayout()
        since_label = QLabel(self.tr("&From:"), self)
        since_label.setBuddy(self.since)
        head.addWidget(since_label)
        head.addWidget(self.since)
        head.addWidget(QLabel(self.tr("to:"), self))
        head.addWidget(self.until)
        head.addWidget(self.read_button)
        head.addStretch(1)
        head.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        pane_action("clip_report.export", self, lambda: self.export_csv())

    def start(self) -> None:
        """First load."""
        self.reload()

    def reload(self) -> None:
        """Read the report for the period chosen."""
        spawn(self._load())

    def idle(self) -> bool:
        """True when no read is running."""
        return not self._busy

    def focus_main(self) -> None:
        """Put the keyboard in the table shown."""
        self.tabs.currentWidget().setFocus()

    async def _load(self) -> None:
        report = self.ctx.services.recording_admin.report
        first: date = self.since.date().toPython()  # type: ignore[assignment]
        last: date = self.until.date().toPython()  # type: ignore[assignment]
        since, until = _local_start(first), _local_start(last + timedelta(days=1))
        self._busy = True
        try:
            accesses = await report.accesses(self.ctx.actor, since, until)
            deletions = await report.deletions(self.ctx.actor, since)
        except KodError as exc:
            if alive(self):
                self._say(str(exc), False)
            return
        finally:
            self._busy = False
        if not alive(self):
            return
        self.accesses = accesses
        self.deletions = [d for d in deletions if d.deleted_at < until]
        self.access_model.set_accesses(self.accesses)
        self.deletion_model.set_deletions(self.deletions)
        fit_columns_once(self.access_table, 4)
        fit_columns_once(self.deletion_table, 6)
        self._say(
            count_text(len(self.accesses), self.tr("1 access"), self.tr("%1 accesses"))
            + " · "
            + count_text(len(self.deletions), self.tr("1 deletion"), self.tr("%1 deletions")),
            None,
        )

    def _say(self, text: str, ok: bool | None) -> None:
        self.status.setText(text)
        if ok is None:
            self.status.setStyleSheet("")
        else:
            self.status.setStyleSheet(theme.ok_style() if ok else theme.error_style())

    def _default_path(self) -> Path:
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        folder = Path(docs) if docs and Path(docs).is_dir() else Path.home()
        stem = (
            self.tr("clip-accesses-%1")
            if self.tabs.currentIndex() == 0
            else self.tr("deletion-protocol-%1")
        )
        return folder / (stem.replace("%1", today().isoformat()) + ".csv")

    def export_csv(self, path: Path | None = None) -> None:
        """Write the tab shown as CSV to ``path`` (asked for when not given)."""
        if path is not None:
            spawn(self._write(path))
            return
        dialog = QFileDialog(self, self.tr("Export the report"), str(self._default_path()))
        dialog.setObjectName("clipReportExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def done(result: int) -> None:
            files = dialog.selectedFiles()
            if result == QDialog.DialogCode.Accepted and files:
                spawn(self._write(Path(files[0])))

        dialog.finished.connect(done)
        dialog.open()

    async def _write(self, path: Path) -> None:
        text = (
            accesses_csv(self.accesses)
            if self.tabs.currentIndex() == 0
            else deletions_csv(self.deletions)
        )
        partial = path.with_name(f".{path.name}.part")

        def write() -> None:
            partial.write_text(text, encoding="utf-8-sig", newline="")
            os.replace(partial, path)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            if alive(self):
                self._say(
                    self.tr("The file could not be written: %1").replace(
                        "%1", exc.strerror or str(exc)
                    ),
                    False,
                )
            return
        if alive(self):
            self._say(self.tr("Exported to %1.").replace("%1", str(path)), True)
