"""Checking the audit log's hash chain from the viewer: the newest hash to copy, an optional
anchor from a shift report, and the German result as a green or red line.

The check runs in a worker thread (the service hands it to one): the window keeps working.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.platform.errors import KodError
from app.services.audit_log import describe_result
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.work_table import alive
from ui.widgets.readonly import show_read_only

_HASH = re.compile(r"[0-9a-f]{64}")

OK_STYLE = theme.banner_style("chain_ok")
BROKEN_STYLE = theme.banner_style("chain_broken")
NEUTRAL_STYLE = theme.plain_banner_style()


class ChainCheckPanel(QWidget):
    """Newest hash, expected anchor, "Verify chain" and the result."""

    #: Emitted with the result of each completed check.
    verified = Signal(object)  # VerifyResult

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChainCheckPanel")
        self.ctx = ctx
        self.head = QLineEdit(self)
        self.head.setObjectName("auditHead")
        show_read_only(self.head, True)  # a hash to copy, never to type: looks read-only
        self.head.setPlaceholderText(self.tr("not read yet"))
        self.head.setToolTip(
            self.tr(
                "The newest record's hash. Keep it outside the database (e.g. in the shift "
                "report): a later check against it shows whether records were removed."
            )
        )
        self.copy_button = QPushButton(self.tr("Copy"), self)
        self.copy_button.setObjectName("auditCopyHead")
        self.copy_button.setToolTip(self.tr("Copy the newest hash to the clipboard (Ctrl+Shift+C)"))
        self.anchor = QLineEdit(self)
        self.anchor.setObjectName("auditAnchor")
        self.anchor.setPlaceholderText(self.tr("optional: a hash from a shift report"))
        self.anchor.setMaxLength(80)
        self.verify_button = QPushButton(self.tr("Verify chain"), self)
        self.verify_button.setObjectName("auditVerify")
        self.result = QLabel(self)
        self.result.setObjectName("auditVerifyResult")
        self.result.setWordWrap(True)
        self.result.setStyleSheet(NEUTRAL_STYLE)
        self.result.setText(self.tr("The chain has not been checked in this session yet."))

        head_label = QLabel(self.tr("Newest &hash"), self)
        head_label.setBuddy(self.head)
        anchor_label = QLabel(self.tr("Expected a&nchor"), self)
        anchor_label.setBuddy(self.anchor)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        grid.addWidget(head_label, 0, 0)
        grid.addWidget(self.head, 0, 1)
        grid.addWidget(self.copy_button, 0, 2)
        grid.addWidget(anchor_label, 1, 0)
        grid.addWidget(self.anchor, 1, 1)
        grid.addWidget(self.verify_button, 1, 2)
        grid.addWidget(self.result, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)

        self.copy_button.clicked.connect(self.copy_head)
        self.verify_button.clicked.connect(self.verify)
        self.anchor.returnPressed.connect(self.verify)
        self._running = False

    @property
    def running(self) -> bool:
        """True while a check runs."""
        return self._running

    def refresh_head(self) -> None:
        """Read the newest hash again."""

        async def run() -> None:
            try:
                value = await self.ctx.services.audit_log.head(self.ctx.actor)
            except KodError as exc:
                if alive(self):
                    self.head.clear()
                    self.head.setPlaceholderText(str(exc))
                return
            if alive(self):
                self.head.setText(value or "")
                self.head.setPlaceholderText(self.tr("the log is empty"))
                self.head.setCursorPosition(0)

        spawn(run())

    def copy_head(self) -> None:
        """Put the newest hash on the clipboard."""
        if self.head.text():
            QGuiApplication.clipboard().setText(self.head.text())

    def verify(self) -> None:
        """Check the whole chain (against the anchor if one is given), in the background."""
        if self._running:
            return
        anchor = "".join(self.anchor.text().split()).lower()
        if anchor and not _HASH.fullmatch(anchor):
            self._show(
                self.tr(
                    "The expected anchor must be a hash of 64 characters (0–9, a–f), as "
                    "printed in the shift report."
                ),
                None,
            )
            self.anchor.setFocus()
            return
        self._running = True
        self.verify_button.setEnabled(False)
        self._show(self.tr("Checking the chain … (the window stays usable)"), None)
        spawn(self._verify(anchor or None))

    async def _verify(self, anchor: str | None) -> None:
        try:
            result = await self.ctx.services.audit_log.verify(self.ctx.actor, anchor)
        except KodError as exc:
            if alive(self):
                self._show(str(exc), False)
            return
        finally:
            if alive(self):
                self._running = False
                self.verify_button.setEnabled(True)
        if not alive(self):
            return
        self._show(describe_result(result), result.ok)
        if result.head_hash:
            self.head.setText(result.head_hash)
            self.head.setCursorPosition(0)
        self.verified.emit(result)

    def _show(self, text: str, ok: bool | None) -> None:
        if ok is True:
            self.result.setText("✔ " + text)
            self.result.setStyleSheet(OK_STYLE)
        elif ok is False:
            self.result.setText("✖ " + text)
            self.result.setStyleSheet(BROKEN_STYLE)
        else:
            self.result.setText(text)
            self.result.setStyleSheet(NEUTRAL_STYLE)
        self.result.setProperty("ok", ok)
