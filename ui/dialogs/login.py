"""The login dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.platform.errors import KodError
from app.platform.uow import Actor
from app.services.login import Session
from ui import theme
from ui.asyncutil import spawn

#: Logs a person in: (user name, password) → their session, or a KodError with a German message.
Authenticate = Callable[[str, str], Awaitable[Session]]


class LoginDialog(QDialog):
    """Asks for user name and password; the check runs without freezing the window.

    On PostgreSQL they are the person's own server login (the server checks them); on SQLite
    the account in the file.
    """

    def __init__(
        self, authenticate: Authenticate, database_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LoginDialog")
        self.setWindowTitle(self.tr("KOD-Leitstelle – Login"))
        self._authenticate = authenticate
        #: The logged-in session once the dialog is accepted.
        self.session: Session | None = None
        self.username = QLineEdit(self)
        self.username.setObjectName("loginUsername")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(self)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.error_style())
        where = QLabel(self.tr("Database: %1").replace("%1", database_label), self)
        where.setStyleSheet(theme.hint_style())
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Password"), self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Log in"))
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Control room of the municipal public-order service"), self)
        title.setStyleSheet(theme.heading_style())
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(where)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.username.setFocus()

    def try_login(self) -> None:
        """Check the credentials in the background."""
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("Checking …"))
        spawn(self._login(self.username.text(), self.password.text()))

    @property
    def actor(self) -> Actor | None:
        """Who logged in (None until then)."""
        return self.session.actor if self.session is not None else None

    async def _login(self, username: str, password: str) -> None:
        try:
            self.session = await self._authenticate(username, password)
        except KodError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        finally:
            self.buttons.setEnabled(True)
        self.accept()
