"""Quitting asks (loudly with an open Notruf); Datei → Abmelden returns to the login dialog."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.platform.config import DatabaseTarget
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from tests.ui.flows import build_window
from ui.asyncutil import pending_tasks
from ui.context import UiContext
from ui.dialogs.login import LoginDialog
from ui.errors import ErrorReporter
from ui.main_window import MainWindow
from ui.session_end import SessionEnd, SessionEndQuestion
from ui.session_loop import run_workstation

FIELD = Actor(None, "cli:field", Role.FIELD_OFFICER)
LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)


def _question(window: MainWindow) -> SessionEndQuestion | None:
    found = window.findChild(SessionEndQuestion)
    return found if isinstance(found, SessionEndQuestion) and found.isVisible() else None


@pytest.mark.asyncio
async def test_quit_asks_and_warns_loudly_about_an_open_notruf(
    ui_ctx: UiContext, ui_settings: QSettings, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    unit = await ui_ctx.services.units.create(LEAD, "KOD 12")
    window, _actions = build_window(ui_ctx, ui_settings)
    qtbot.addWidget(window)
    await wait_until(lambda: QApplication.activeWindow() is window)
    closed: list[bool] = []
    window.closing.connect(lambda: closed.append(True))

    # Ctrl+Q without an emergency: a plain question; cancel is the default (Enter keeps working).
    qtbot.keyClick(window.queue.table, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    await wait_until(lambda: _question(window) is not None)
    question = _question(window)
    assert question is not None and question.warnings == []
    assert question.defaultButton() is question.cancel_button
    qtbot.keyClick(question, Qt.Key.Key_Return)
    await wait_until(lambda: _question(window) is None)
    assert window.isVisible() and closed == [] and window.outcome is None

    # With an open Notruf the question says so in large red letters.
    await ui_ctx.services.units.raise_emergency(FIELD, unit.id)
    await wait_until(lambda: "NOTRUF" in window.windowTitle())
    assert window.commands.trigger("app.quit")
    await wait_until(lambda: _question(window) is not None)
    question = _question(window)
    assert question is not None and question.icon() == QMessageBox.Icon.Critical
    assert any("KOD 12" in w and "nicht quittiert" in w for w in question.warnings)
    assert "color:#b00020" in question.text().replace(" ", "")
    assert question.accept_button.text() == "&Trotzdem beenden"
    qtbot.mouseClick(question.accept_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: closed == [True])
    assert window.outcome is SessionEnd.QUIT and not window.isVisible()
    await wait_until(lambda: not pending_tasks())  # the window's last reads end in the test


async def _login(username: str, password: str = "geheim123") -> LoginDialog:
    def visible_login() -> LoginDialog | None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, LoginDialog) and w.isVisible():
                return w
        return None

    await wait_until(lambda: visible_login() is not None, 10)
    login = visible_login()
    assert login is not None
    login.username.setText(username)
    login.password.setText(password)
    login.try_login()
    return login


def _main_windows(before: set[int] = frozenset()) -> list[MainWindow]:  # type: ignore[assignment]
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MainWindow)
        and shiboken6.isValid(w)
        and w.isVisible()
        and id(w) not in before
    ]


@pytest.mark.asyncio
async def test_log_out_returns_to_the_login_and_a_new_login_gets_a_fresh_window(
    db_target: DatabaseTarget,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the outbox file
    await services.users.add(ADMIN, "dora", "Dora Dispo", Role.DISPATCHER, "geheim123")
    await services.users.add(ADMIN, "lea", "Lea Leitung", Role.SHIFT_LEAD, "geheim123")
    url = db_target.command_line_url
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    reporter = ErrorReporter()
    reporter.interactive = False
    args = argparse.Namespace(database=url, user=None, check=False)
    before = {id(w) for w in _main_windows()}  # (windows of other tests)
    life = asyncio.ensure_future(run_workstation(app, args, reporter, settings))

    await _login("dora")
    await wait_until(lambda: len(_main_windows(before)) == 1, 10)
    (first,) = _main_windows(before)
    assert first.ctx.actor.username == "dora"
    follower = first.ctx.bridge.follower
    first_services = first.ctx.services
    assert follower is not None and first_services.offline is first_services.incidents
    first.docks["units"].setFloating(True)  # something to save

    first.commands.trigger("app.logout")
    await wait_until(lambda: _question(first) is not None)
    question = _question(first)
    assert question is not None and question.end is SessionEnd.LOGOUT
    question.accept_button.click()
    # Window closed, change feed stopped, layout saved, then the login dialog again.
    await _login("lea")
    assert not shiboken6.isValid(first) or not first.isVisible()
    assert not follower.running
    assert settings.value("layout/dora/state") is not None
    await wait_until(lambda: len(_main_windows(before)) == 1, 10)
    (second,) = _main_windows(before)
    assert second is not first and second.ctx.actor.username == "lea"
    assert second.ctx.bridge.follower is not follower
    if db_target.is_sqlite:
        # One file: the same services (and their outbox) serve the next person.
        assert second.ctx.services is first_services
    else:
        # Each person works over their own server login, with their own services.
        assert second.ctx.services is not first_services
        assert second.ctx.services.offline is second.ctx.services.incidents

    second.end_session(SessionEnd.QUIT)
    assert await asyncio.wait_for(life, 10) == 0


@pytest.mark.asyncio
async def test_a_disabled_login_ends_the_window_and_the_login_says_why(
    pg_target: DatabaseTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ends a disabled person's sessions; the workstation goes back to the login."""
    from app.platform.database import Database

    monkeypatch.setenv("KOD_ALARM_AUDIO", "0")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    admin_db = Database(pg_target, workstation="admin-ws")
    admin = Services.create(admin_db)
    await admin.users.add(ADMIN, "dora", "Dora Dispo", Role.DISPATCHER, "geheim123")
    url = pg_target.command_line_url
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    reporter = ErrorReporter()
    reporter.interactive = False
    args = argparse.Namespace(database=url, user=None, check=False)
    before = {id(w) for w in _main_windows()}
    life = asyncio.ensure_future(run_workstation(app, args, reporter, settings))
    try:
        await _login("dora")
        await wait_until(lambda: len(_main_windows(before)) == 1, 10)
        (window,) = _main_windows(before)
        await wait_until(lambda: window.link_label.text() == window.tr("● connected"), 10)

        await admin.users.set_active(ADMIN, "dora", False)

        # No question (there is nothing the person may still do): the window closes ...
        await wait_until(lambda: not shiboken6.isValid(window) or not window.isVisible(), 15)

        # ... and the login dialog says why, with the name kept for a second try.
        def refused_login() -> LoginDialog | None:
            for w in QApplication.topLevelWidgets():
                if isinstance(w, LoginDialog) and w.isVisible() and w.message.text():
                    return w
            return None

        await wait_until(lambda: refused_login() is not None, 10)
        login = refused_login()
        assert login is not None
        assert "nicht mehr an" in login.message.text() and login.username.text() == "dora"
        # Trying again with the disabled account is refused by the server, not let in.
        login.password.setText("geheim123")
        login.try_login()
        await wait_until(lambda: login.buttons.isEnabled() and "Prüfe" not in login.message.text())
        assert not _main_windows(before) and login.isVisible()
        login.reject()
        assert await asyncio.wait_for(life, 10) == 0
    finally:
        if not life.done():
            life.cancel()
        await admin_db.dispose()
