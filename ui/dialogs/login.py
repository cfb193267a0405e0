"""The login dialog."""

from __future__ import annotations

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
from app.services import Services
from ui.asyncutil import spawn


class LoginDialog(QDialog):
    """Asks for user name and password; the check runs without freezing the window."""

    def __init__(
        self, services: Services, database_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LoginDialog")
        self.setWindowTitle(self.tr("KOD-Leitstelle – Login"))
        self._services = services
        self.actor: Actor | None = None
        self.username = QLineEdit(self)
        self.username.setObjectName("loginUsername")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(self)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        where = QLabel(self.tr("Database: %1").replace("%1", database_label), self)
        where.setStyleSheet("color: #666;")
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
        title.setStyleSheet("font-size: 15px; font-weight: bold;")
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

    async def _login(self, username: str, password: str) -> None:
        try:
            self.actor = await self._services.users.authenticate(username, password)
        except KodError as exc:
            self.message.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        finally:
            self.buttons.setEnabled(True)
        self.accept()
