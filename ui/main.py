"""``kod-leitstelle``: start the workstation (one qasync event loop for Qt and asyncio)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.platform.changefeed import ChangeFollower, last_change_id
from app.platform.config import resolve_database
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.logsetup import setup_logging
from app.platform.maintenance import retention_loop
from app.platform.uow import Actor
from app.services import Services
from app.services.login import Session, log_in, open_checked
from resources.paths import resource_path
from ui import gcguard
from ui.asyncutil import cancel_all, set_error_sink, spawn
from ui.context import ChangeBridge, UiContext
from ui.dialogs.login import Authenticate, LoginDialog
from ui.errors import ErrorReporter
from ui.i18n import install_translations
from ui.main_window import MainWindow

log = logging.getLogger("kod.workstation")


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the workstation."""
    p = argparse.ArgumentParser(prog="kod-leitstelle")
    p.add_argument(
        "--database",
        metavar="URL",
        help="postgresql://user:password@host:5432/db or sqlite:///file "
        "(default: KOD_DATABASE_URL, else the per-user SQLite file)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="only check the database connection and schema, then exit",
    )
    p.add_argument("--user", help="preset the user name in the login dialog")
    return p


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


async def prepare_login(database: str | None) -> tuple[Authenticate, str, Database | None]:
    """How this workstation logs people in, the label of the database, and (SQLite) the open
    database.

    SQLite: the file is opened and checked now, accounts are checked against it.
    PostgreSQL: nothing is opened before the login: the person's own login connects.
    """
    target = resolve_database(database)
    if not target.is_sqlite:

        async def on_server(username: str, password: str) -> Session:
            return await log_in(target, username, password)

        return on_server, target.display, None
    db, label = await open_database(database)
    services = Services.create(db)

    async def on_file(username: str, password: str) -> Session:
        return Session(services, await services.users.authenticate(username, password))

    return on_file, label, db


def arrange_default_layout(window: MainWindow) -> None:
    """Queue top left with the incident detail under it; units right, Aufträge/Meldungen under."""
    docks = window.docks
    queue, detail, units = docks["queue"], docks.get("detail"), docks.get("units")
    tasks, reports = docks.get("tasks"), docks.get("reports")
    for dock in docks.values():
        window.removeDockWidget(dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, queue)
    queue.show()
    if units is not None:
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, units)
        units.show()
    if detail is not None:
        window.splitDockWidget(queue, detail, Qt.Orientation.Vertical)
        detail.show()
    lower_right = tasks or reports
    if lower_right is not None and units is not None:
        window.splitDockWidget(units, lower_right, Qt.Orientation.Vertical)
        lower_right.show()
    if tasks is not None and reports is not None:
        window.tabifyDockWidget(tasks, reports)
        reports.show()
        tasks.raise_()

    def sizes() -> None:
        # Applied once the window has its real size (resizeDocks needs a laid-out window).
        if units is not None:
            window.resizeDocks([queue, units], [68, 32], Qt.Orientation.Horizontal)
        if detail is not None:
            window.resizeDocks([queue, detail], [58, 42], Qt.Orientation.Vertical)
        if lower_right is not None and units is not None:
            window.resizeDocks([units, lower_right], [45, 55], Qt.Orientation.Vertical)

    window.apply_default_sizes = sizes


def build_window(
    ctx: UiContext,
    database_label: str,
    settings: QSettings | None = None,
    outbox_dir: Path | None = None,
) -> MainWindow:
    """The main window with every pane, action and alarm installed, layout restored.

    ``outbox_dir`` overrides where the offline outbox file lives (tests, screenshots).
    """
    from ui import outbox_ui
    from ui.dialogs import call_taking, shortcut_help
    from ui.views import audit_log, emergency, incident_detail, reports, tasks, unit_board

    window = MainWindow(ctx, database_label, settings)
    # First: it wraps the incident service so call-taking and notes survive an outage.
    window.outbox = outbox_ui.install(window, outbox_dir)
    call_taking.install(window)
    unit_board.install(window)
    incident_detail.install(window)
    tasks.install(window)
    reports.install(window)
    emergency.install(window)
    shortcut_help.install(window)
    arrange_default_layout(window)
    audit_log.install(window)  # after the arrangement: its own dock, the incident panes put away
    window.finish_layout()
    return window


async def start_window(
    services: Services,
    actor: Actor,
    database_label: str,
    settings: QSettings | None = None,
    outbox_dir: Path | None = None,
) -> tuple[MainWindow, ChangeFollower]:
    """Build the main window for ``actor`` and start following the change feed."""
    follower = ChangeFollower(services.db, after_id=await last_change_id(services.db))
    bridge = ChangeBridge(follower)
    ctx = UiContext(services=services, actor=actor, bridge=bridge)
    window = build_window(ctx, database_label, settings, outbox_dir)
    follower.start()
    window.queue.model.reload()
    return window, follower


async def run_workstation(
    app: QApplication, args: argparse.Namespace, reporter: ErrorReporter
) -> int:
    """The whole life of the workstation; returns the exit code."""
    loop = asyncio.get_running_loop()

    def loop_exception(_loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            reporter.report(exc)
        else:
            log.error("event loop: %s", context.get("message"))

    loop.set_exception_handler(loop_exception)
    if args.check:
        try:
            db, label = await open_database(args.database)
        except KodError as exc:
            show_fatal(str(exc))
            return exc.exit_code
        print(QCoreApplication.translate("Startup", "Database %1 is ready.").replace("%1", label))
        await db.dispose()
        return 0
    try:
        authenticate, label, file_db = await prepare_login(args.database)
    except KodError as exc:
        show_fatal(str(exc))
        return exc.exit_code
    session: Session | None = None
    try:
        login = LoginDialog(authenticate, label)
        if args.user:
            login.username.setText(args.user)
            login.password.setFocus()
        if await exec_dialog(login) != QDialog.DialogCode.Accepted or login.session is None:
            return 0
        session = login.session
        services = session.services
        window, follower = await start_window(services, session.actor, label)
        reporter.set_parent_widget(window)
        spawn(retention_loop(services, report=reporter.report, logged_in=session.actor))
        closed: asyncio.Future[None] = loop.create_future()
        window.closing.connect(lambda: closed.done() or closed.set_result(None))
        if window.has_saved_geometry():
            window.show()
        else:
            window.showMaximized()
        window.raise_()
        window.activateWindow()
        await closed
        await follower.stop()
        return 0
    finally:
        await cancel_all()
        if session is not None:
            await session.close()
        if file_db is not None:
            await file_db.dispose()


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = build_parser().parse_args(argv)
    log_path = setup_logging("kod-leitstelle")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("KOD")
    app.setApplicationName("KOD-Leitstelle")
    app.setQuitOnLastWindowClosed(False)
    icon = resource_path("icons", "kod.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    install_translations(app)
    gcguard.install(app)
    reporter = ErrorReporter(None, str(log_path) if log_path else None)
    set_error_sink(reporter.report)
    sys.excepthook = reporter.excepthook
    try:
        code = qasync.run(run_workstation(app, args, reporter))
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
