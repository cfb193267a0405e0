"""The one place where errors reach the user: a German dialog, never a dead window."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.platform.errors import ConflictError, DatabaseUnavailable, KodError

log = logging.getLogger(__name__)


class ErrorReporter(QObject):
    """Shows expected errors as their German message and unexpected ones as a generic dialog."""

    #: Emitted for every reported error (tests and the status bar listen).
    reported = Signal(str)
    #: Emitted when the database became unreachable during an action.
    connectionLost = Signal(str)

    def __init__(self, parent_widget: QWidget | None = None, log_path: str | None = None) -> None:
        super().__init__()
        self._parent = parent_widget
        self._log_path = log_path
        self._showing = False
        self.interactive = True

    def set_parent_widget(self, widget: QWidget | None) -> None:
        """Dialogs are shown over ``widget``."""
        self._parent = widget

    def message_for(self, exc: BaseException) -> str:
        """The text the user sees for ``exc``."""
        if isinstance(exc, KodError):
            return str(exc)
        where = (
            self.tr("Details are in the log file %1.").replace("%1", self._log_path)
            if self._log_path
            else ""
        )
        return (
            self.tr(
                "An unexpected error occurred (%1). The program keeps running; your data is safe. %2"
            )
            .replace("%1", type(exc).__name__)
            .replace("%2", where)
        )

    def report(self, exc: BaseException) -> None:
        """Log and show ``exc``."""
        if isinstance(exc, KodError):
            log.info("user-facing error: %s", exc)
        else:
            log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        text = self.message_for(exc)
        if isinstance(exc, DatabaseUnavailable):
            self.connectionLost.emit(text)
        self.reported.emit(text)
        if not self.interactive or self._showing or isinstance(exc, ConflictError):
            return
        # Show after the current event: never inside a paint or a model callback.
        QTimer.singleShot(0, lambda: self._show(text, isinstance(exc, KodError)))

    def _show(self, text: str, expected: bool) -> None:
        self._showing = True
        try:
            box = QMessageBox(self._parent)
            box.setIcon(QMessageBox.Icon.Warning if expected else QMessageBox.Icon.Critical)
            box.setWindowTitle(self.tr("KOD-Leitstelle"))
            box.setText(text)
            box.setObjectName("ErrorDialog")
            box.exec()
        finally:
            self._showing = False

    def excepthook(
        self, etype: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        """``sys.excepthook`` for exceptions escaping Qt slots."""
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        log.error("uncaught: %s", "".join(traceback.format_exception(etype, value, tb)))
        self.report(value)
