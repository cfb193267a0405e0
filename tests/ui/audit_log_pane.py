"""The audit viewer's tests (tests/ui/test_audit_log*.py): people of a role logged in as
themselves, the pane, and waiting for what it does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.platform.audit import VerifyResult
from app.platform.database import Database
from app.platform.permissions import Role
from app.services import Services
from app.services.login import Session, log_in
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.context import ChangeBridge, UiContext
from ui.views.audit_chain import ChainCheckPanel
from ui.views.audit_log import AuditLogPane
from ui.workstation_window import start_window

NAMES = {Role.DATA_PROTECTION: "dsb", Role.ADMIN: "verwaltung", Role.DISPATCHER: "dispo"}
Login = Callable[[Role], Any]


@contextlib.asynccontextmanager
async def logins(services: Services) -> AsyncIterator[Login]:
    """Logs a person of a role in as themselves (a real server login on PostgreSQL); their
    sessions end with the block."""
    sessions: list[Session] = []

    async def make(role: Role) -> UiContext:
        name = NAMES[role]
        await services.users.add(ADMIN, name, name.title(), role, "geheim123")
        session = await log_in(services.db.target, name, "geheim123", workstation="ws-dsb")
        sessions.append(session)
        return UiContext(session.services, session.actor, ChangeBridge())

    yield make
    for session in sessions:
        await session.close()


def open_pane(ctx: UiContext, qtbot: QtBot) -> AuditLogPane:
    pane = AuditLogPane(ctx)
    qtbot.addWidget(pane)
    pane.resize(1200, 700)
    pane.show()
    return pane


async def reloaded(pane: AuditLogPane, action: Callable[[], object]) -> None:
    """Do ``action`` and wait until the table has reloaded (or said why it could not)."""
    done: list[object] = []

    def finished(value: object) -> None:
        done.append(value)

    pane.model.loaded.connect(finished)
    pane.model.failed.connect(finished)
    try:
        action()
        await wait_until(lambda: done)
    finally:
        pane.model.loaded.disconnect(finished)
        pane.model.failed.disconnect(finished)


async def chain_checked(chain: ChainCheckPanel, action: Callable[[], object]) -> VerifyResult:
    """Do ``action`` and wait for the chain check it starts."""
    results: list[VerifyResult] = []
    chain.verified.connect(results.append)
    try:
        action()
        await wait_until(lambda: results, timeout=20)
    finally:
        chain.verified.disconnect(results.append)
    return results[0]


def actions_shown(pane: AuditLogPane) -> list[str]:
    return [pane.model.entry_at(r).action for r in range(pane.model.rowCount())]  # type: ignore[union-attr]


def usernames_shown(pane: AuditLogPane) -> list[str]:
    return [pane.model.entry_at(r).username for r in range(pane.model.rowCount())]  # type: ignore[union-attr]


def scalar(db: Database, sql: str, **params: Any) -> Any:
    engine = db.sync_engine()
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


async def export_via_dialog(pane: AuditLogPane, qtbot: QtBot, path: Path) -> None:
    pane.activateWindow()
    await wait_until(pane.isActiveWindow)
    pane.table.setFocus()
    qtbot.keyClick(
        pane.table,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    await wait_until(lambda: pane.export_dialog is not None and pane.export_dialog.isVisible())
    dialog = pane.export_dialog
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith(".csv")
    assert Path(dialog.selectedFiles()[0]).name.startswith("Audit-Protokoll-")
    dialog.selectFile(str(path))
    dialog.accept()


async def workstation_window(ctx: UiContext, tmp_path: Path, qtbot: QtBot) -> tuple[Any, Any]:
    """The whole workstation window as the program builds it for ``ctx``'s person."""
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window, follower = await start_window(ctx.services, ctx.actor, "Test-DB", settings)
    qtbot.addWidget(window)
    return window, follower
