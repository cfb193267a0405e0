"""The docking station's export folder, watched in the background (``KOD_RECORDING_INBOX``).

Every few seconds the folder is looked at (in a worker thread: it may be a share); files that
stopped changing are imported with their sidecar's details. Results appear unobtrusively: a
message in the status bar and a line there whose tooltip lists the latest results. A file that
cannot be imported without a person (details missing) stays and is not tried again until it
changes; refused files go to the quarantine folder as in the import dialog.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from app.evidence.inbox import InboxWatch
from app.platform.errors import KodError
from app.platform.timeutil import format_local, utcnow
from app.services.recording_batch import ImportBatch, ImportOutcome, Outcome
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext

LOOK_MS = 5000
#: Results listed in the status line's tooltip.
KEEP_RESULTS = 20


class InboxWatcher(QObject):
    """Imports what the docking station puts into ``folder``."""

    #: One file's result.
    imported = Signal(object)  # ImportOutcome
    #: A look at the folder ended (whatever it found).
    looked = Signal()

    def __init__(
        self, ctx: UiContext, folder: Path, status: QStatusBar | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.folder = folder
        self._watch = InboxWatch(folder)
        self._status = status
        self._busy = False
        self._given_up: dict[Path, tuple[int, int]] = {}
        self.results: deque[ImportOutcome] = deque(maxlen=KEEP_RESULTS)
        self.label = QLabel(QCoreApplication.translate("InboxWatcher", "Bodycam folder: watching"))
        self.label.setObjectName("inboxLabel")
        self.label.setToolTip(
            QCoreApplication.translate("InboxWatcher", "Watching %1 for new recordings.").replace(
                "%1", str(folder)
            )
        )
        if status is not None:
            status.addPermanentWidget(self.label)
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_MS)
        self._timer.timeout.connect(self.look)

    def start(self, interval_ms: int = LOOK_MS) -> None:
        """Look every ``interval_ms``."""
        self._timer.start(interval_ms)

    def stop(self) -> None:
        """Stop watching."""
        self._timer.stop()

    def look(self) -> None:
        """Look now (unless an import from the folder is still running)."""
        if not self._busy:
            self._busy = True
            spawn(self._look())

    async def _look(self) -> None:
        try:
            ready = await asyncio.to_thread(self._watch.ready)
            ready = [p for p in ready if self._given_up.get(p) != _stamp(p)]
            if not ready:
                return
            try:
                importer = self.ctx.services.recordings.importer()
            except KodError as exc:
                self._show(str(exc), error=True)
                self.stop()
                return
            batch = ImportBatch(importer, self.ctx.actor, ready)
            outcomes = await batch.run(self._on_outcome)
            self._report(outcomes)
        finally:
            self._busy = False
            self.looked.emit()

    def _on_outcome(self, result: ImportOutcome) -> None:
        if result.outcome is Outcome.KEPT:
            self._given_up[result.path] = _stamp(result.path)
        self.results.appendleft(result)
        self.imported.emit(result)

    def _report(self, outcomes: list[ImportOutcome]) -> None:
        ok = sum(1 for o in outcomes if o.outcome is Outcome.IMPORTED)
        refused = len(outcomes) - ok
        text = QCoreApplication.translate(
            "InboxWatcher", "Bodycam folder: %1 imported, %2 not"
        ).replace("%1", str(ok))
        text = text.replace("%2", str(refused))
        self._show(text, error=refused > 0)
        lines = [f"{o.path.name}: {o.message}" for o in list(self.results)[:KEEP_RESULTS]]
        self.label.setToolTip(
            QCoreApplication.translate("InboxWatcher", "Latest results (%1):").replace(
                "%1", format_local(utcnow())
            )
            + "\n"
            + "\n".join(lines)
        )

    def _show(self, text: str, error: bool = False) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(theme.error_style() if error else theme.ok_style())
        if self._status is not None:
            self._status.showMessage(text, 10000)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return (info.st_size, info.st_mtime_ns)
