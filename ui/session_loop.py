"""One workstation's sessions: *login dialog → main window → quit or log out → login dialog*.

Every login gets a fresh window (:mod:`ui.workstation_window`); a log-out closes the window,
stops its change feed and saves its layout first. Errors that stop the start are shown in a
German dialog.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.platform.config import resolve_database
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.maintenance import retention_loop
from app.services import Services
from app.services.login import Session, log_in, open_checked
from ui import preload
from ui.asyncutil import cancel_all, pending_tasks, spawn
from ui.dialogs.login import Authenticate, LoginDialog
from ui.errors import ErrorReporter
from ui.session_end import SessionEnd
from ui.workstation_window import start_window

log = logging.getLogger("kod.workstation")

#: How long a closing window's reads may take to finish before they are cancelled (s).
SETTLE_S = 2.0


async def exec_dialog(dialog: QDialog) -> int:
    """Show a modal dialog without blocking the event loop; returns its result code."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(done)
    dialog.open()
    return await future


def show_fatal(text: str, parent: QWidget | None = None) -> None:
    """A German error dialog for problems that stop the start (also printed to stderr)."""
    print(text, file=sys.stderr, flush=True)
    if os.environ.get("KOD_NO_DIALOGS"):
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        QCoreApplication.translate("Startup", "KOD-Leitstelle"),
        text,
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("FatalDialog")
    box.exec()


async def open_database(database: str | None) -> tuple[Database, str]:
    """Resolve and check the database; raises :class:`KodError` with a German message."""
    target = resolve_database(database)
    return await open_checked(target), target.display


async def prepare_login(database: str | None) -> tuple[Authenticate, str, Services | None]:
    """How this workstation logs people in, the label of the database, and (SQLite) the
    services over the open file, which every login shares.

    SQLite: the file is opened and checked now, accounts are checked against it.
    PostgreSQL: nothing is opened before the login: the person's own login connects.
    Either way the services are the workstation's (:meth:`Services.for_workstation`).
    """
    target = resolve_database(database)
    if not target.is_sqlite:

        async def on_server(username: str, password: str) -> Session:
            return await log_in(target, username, password, services_for=Services.for_workstation)

        return on_server, target.display, None
    db, label = await open_database(database)
    services = Services.for_workstation(db)

    async def on_file(username: str, password: str) -> Session:
        return Session(services, await services.users.authenticate(username, password))

    return on_file, label, services


async def ask_login(
    authenticate: Authenticate, database_label: str, username: str | None, message: str = ""
) -> Session | None:
    """The login dialog; the logged-in session, or None if it was cancelled.

    ``message`` says why the previous session ended (e.g. the server refused its login).
    """
    login = LoginDialog(authenticate, database_label)
    login.message.setText(message)
    if username:
        login.username.setText(username)
        login.password.setFocus()
    accepted = await exec_dialog(login) == QDialog.DialogCode.Accepted
    session = login.session if accepted else None
    login.deleteLater()
    return session


async def run_session(
    session: Session,
    database_label: str,
    reporter: ErrorReporter,
    settings: QSettings | None = None,
) -> tuple[SessionEnd, str]:
    """One person's window, from login until it is closed; how it ended and why (or "")."""
    services = session.services
    window, follower = await start_window(services, session.actor, database_label, settings)
    reporter.set_parent_widget(window)
    retention: list[asyncio.Task[None]] = []

    def start_retention() -> None:
        task = spawn(retention_loop(services, report=reporter.report, logged_in=session.actor))
        if task is not None:
            retention.append(task)

    window.when_started(start_retention)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def close_session() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closing.connect(close_session)
    if window.has_saved_geometry():
        window.show()
    else:
        window.showMaximized()
    window.raise_()
    window.activateWindow()
    try:
        await closed
    finally:
        # The layout was saved as the window closed; now the feed, then the window's reads.
        for task in retention:
            task.cancel()
        await follower.stop()
        services.link.follow(None)
        reporter.set_parent_widget(None)
        running = pending_tasks()
        if running:
            await asyncio.wait(running, timeout=SETTLE_S)
        await cancel_all()
        window.deleteLater()
    return window.outcome or SessionEnd.QUIT, window.end_message


async def run_workstation(
    app: QApplication,
    args: argparse.Namespace,
    reporter: ErrorReporter,
    settings: QSettings | None = None,
) -> int:
    """The whole life of the workstation; returns the exit code.

    ``settings`` holds the saved window layouts (default: the user's settings).
    """
    loop = asyncio.get_running_loop()

    def loop_exception(_loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            reporter.report(exc)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(loop_exception)
    # The window's modules load beside opening the database and the login.
    preload.start()
    try:
        authenticate, label, shared = await prepare_login(args.database)
    except KodError as exc:
        show_fatal(str(exc))
        return exc.exit_code
    try:
        username: str | None = args.user
        message = ""
        while True:
            # login dialog → window → quit, or log out → login dialog again
            session = await ask_login(authenticate, label, username, message)
            if session is None:
                return 0
            try:
                end, message = await run_session(session, label, reporter, settings)
            finally:
                if session.services is not shared:
                    await session.close()  # a server login's own connections and outbox
            if end is SessionEnd.QUIT:
                return 0
            # Logged out: the next person starts with an empty login; a refused login keeps
            # the name (the same person tries again).
            username = session.actor.username if message else None
    finally:
        await cancel_all()
        if shared is not None:
            await shared.close()
            await shared.db.dispose()
