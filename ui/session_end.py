"""Quitting and logging out: asked first, with a loud warning about an open Notruf."""

from __future__ import annotations

import html
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from app.platform.uow import Actor
from ui import theme


class SessionEnd(Enum):
    """How a workstation session ended."""

    QUIT = "quit"  # the program ends
    LOGOUT = "logout"  # back to the login dialog


class SessionEndQuestion(QMessageBox):
    """ "Quit?" / "Log out?"; the safe answer (cancel) is the default button.

    ``warnings`` (already translated) are shown in large red type, e.g. an unacknowledged Notruf:
    a workstation that quits no longer sounds the alarm.
    """

    def __init__(
        self, end: SessionEnd, actor: Actor, warnings: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SessionEndQuestion")
        self.end = end
        self.warnings = list(warnings)
        self.confirmed = False
        self.setWindowModality(Qt.WindowModality.WindowModal)
        name = actor.display_name or actor.username
        if end is SessionEnd.QUIT:
            self.setWindowTitle(self.tr("Quit KOD-Leitstelle"))
            question = self.tr("Quit the workstation (%1)?").replace("%1", name)
            accept_text = self.tr("&Quit anyway") if warnings else self.tr("&Quit")
        else:
            self.setWindowTitle(self.tr("Log out"))
            question = self.tr(
                "Log out %1? The window closes and the login appears again."
            ).replace("%1", name)
            accept_text = self.tr("&Log out anyway") if warnings else self.tr("&Log out")
        if warnings:
            self.setIcon(QMessageBox.Icon.Critical)
            self.setTextFormat(Qt.TextFormat.RichText)
            lines = "".join(
                f"<p style='color:{theme.color('error')}; font-size:15pt; font-weight:bold'>⚠ {html.escape(w)}</p>"
                for w in warnings
            )
            self.setText(lines + f"<p>{html.escape(question)}</p>")
        else:
            self.setIcon(QMessageBox.Icon.Question)
            self.setText(question)
        self.accept_button: QPushButton = self.addButton(
            accept_text, QMessageBox.ButtonRole.AcceptRole
        )
        self.accept_button.setObjectName("confirmEndButton")
        self.cancel_button: QPushButton = self.addButton(
            self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole
        )
        self.cancel_button.setObjectName("cancelEndButton")
        self.setDefaultButton(self.cancel_button)
        self.setEscapeButton(self.cancel_button)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button: object) -> None:
        self.confirmed = button is self.accept_button
