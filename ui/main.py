"""``kod-leitstelle``: start the workstation (one qasync event loop for Qt and asyncio).

The life of the program: check the command line and the database address (German messages,
no Qt needed: ``--help``, ``--check`` and a bad address work without a screen), then the
loop *login dialog → main window → quit or log out → login dialog*; every login gets a fresh
window, a log-out closes the window, stops its change feed and saves its layout first.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.platform.appinfo import app_version
from app.platform.changefeed import ChangeFollower, LinkState, last_change_id
from app.platform.config import DatabaseTarget, resolve_database
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.logsetup import setup_logging
from app.platform.maintenance import retention_loop
from app.platform.permissions import Permission
from app.platform.uow import Actor
from app.services import Services
from app.services.login import Session, log_in, open_checked
from app.tools.argparse_de import add_version_option, use_ui_language
from resources.paths import resource_path
from ui import eventloop, gcguard, preload
from ui.asyncutil import cancel_all, pending_tasks, set_error_sink, spawn
from ui.context import ChangeBridge, UiContext
from ui.dialogs.login import Authenticate, LoginDialog
from ui.errors import ErrorReporter
from ui.i18n import install_translations
from ui.main_window import MainWindow
from ui.session_end import SessionEnd
from ui.views.map.tiles import allow_web_engine_as_root, register_tile_scheme

log = logging.getLogger("kod.workstation")

#: Exit code when there is no screen to show the workstation on.
EXIT_NO_DISPLAY = 2
#: Exit code of ``--check`` when a part of the program cannot be loaded.
EXIT_BROKEN_INSTALL = 20
#: How long a closing window's reads may take to finish before they are cancelled (s).
SETTLE_S = 2.0


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the workstation (German, like ``kod-admin``)."""
    use_ui_language()
    p = argparse.ArgumentParser(
        prog="kod-leitstelle",
        description=tr(
            "Startup", "Control-room workstation of the municipal public-order service (KOD)."
        ),
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help=tr(
            "Startup",
            "Database URL (postgresql://user:password@host:5432/db or sqlite:///file). "
            "Default: KOD_DATABASE_URL, else the per-user SQLite file.",
        ),
    )
    p.add_argument(
        "--check",
        action="store_true",
        help=tr(
            "Startup",
            "only check the installation (every part of the program loads), the database "
            "connection and schema, then exit without opening a window",
        ),
    )
    add_version_option(p)
    p.add_argument(
        "--user", metavar="NAME", help=tr("Startup", "preset the user name in the login dialog")
    )
    return p


def _error(text: str) -> None:
    print(tr("Startup", "Error: %1", text), file=sys.stderr, flush=True)


def display_available() -> bool:
    """False where Qt would abort for want of a screen (Linux without X11 or Wayland)."""
    if sys.platform in ("win32", "darwin"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    x11, wayland = bool(os.environ.get("DISPLAY")), bool(os.environ.get("WAYLAND_DISPLAY"))
    if platform.startswith("xcb"):
        return x11
    if platform.startswith("wayland"):
        return wayland
    return bool(platform) or x11 or wayland


async def check_database(target: DatabaseTarget, report_ready: bool = True) -> int:
    """Connect once and check the schema, without Qt; returns the exit code."""
    db = Database(target)
    try:
        await db.check()
    except KodError as exc:
        _error(str(exc))
        return exc.exit_code
    finally:
        await db.dispose()
    if report_ready:
        print(tr("Startup", "Database %1 is ready.", target.display), flush=True)
    return 0


def check_installation(target: DatabaseTarget) -> int:
    """``--check``: load every module of the program (no window, no screen), then the database.

    Run by IT after an install: a missing library of the package shows here, not at the first
    login.
    """
    try:
        preload.import_everything()
        # Loaded only when needed, each with DLLs of its own: the PostgreSQL driver (libpq).
        importlib.import_module("psycopg")
    except (ImportError, OSError) as exc:
        _error(tr("Startup", "A part of the program cannot be loaded: %1", exc))
        return EXIT_BROKEN_INSTALL
    print(tr("Startup", "KOD-Leitstelle %1: all parts of the program loaded.", app_version()))
    print(video_playback_status(), flush=True)
    return asyncio.run(check_database(target))


def video_playback_status() -> str:
    """Whether libvlc (bodycam clips) loads; the workstation runs without it, clips do not play."""
    try:
        vlc = importlib.import_module("vlc")
        version = vlc.libvlc_get_version().decode("ascii", "replace")
    except (ImportError, OSError, NotImplementedError, AttributeError, SystemExit) as exc:
        # python-vlc ends the process (SystemExit) when PYTHON_VLC_LIB_PATH cannot be loaded.
        return tr("Startup", "Warning: video playback is not available (libvlc): %1", exc)
    return tr("Startup", "Video playback (libvlc %1) ready.", version)


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


def arrange_default_layout(window: MainWindow) -> None:
    """Queue top left with the incident detail under it; units right, Aufträge/Meldungen under."""
    docks = window.docks
    queue, detail, units = docks["queue"], docks.get("detail"), docks.get("units")
    tasks, reports = docks.get("tasks"), docks.get("reports")
    for dock in docks.values():
        window.removeDockWidget(dock)
    if units is None and (tasks or reports) is not None:
        arrange_desk_layout(window)
        return
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


def arrange_desk_layout(window: MainWindow) -> None:
    """Roles without units (clerks): Aufträge/Meldungen in front over the full width, the
    incident queue under them with the incident detail as a tab behind it (shown when an
    incident is opened), so no empty incident area fills the screen."""
    docks = window.docks
    queue, detail = docks["queue"], docks.get("detail")
    tasks, reports = docks.get("tasks"), docks.get("reports")
    front = tasks or reports
    assert front is not None
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, front)
    front.show()
    window.splitDockWidget(front, queue, Qt.Orientation.Vertical)
    queue.show()
    if tasks is not None and reports is not None:
        window.tabifyDockWidget(tasks, reports)
        reports.show()
    if detail is not None:
        window.tabifyDockWidget(queue, detail)
        detail.show()
    queue.raise_()
    front.raise_()

    def sizes() -> None:
        # In pixels: Qt ignores small proportions when both sides are tab groups.
        height = window.height()
        window.resizeDocks(
            [front, queue], [height * 11 // 20, height * 9 // 20], Qt.Orientation.Vertical
        )

    window.apply_default_sizes = sizes


def build_window(
    ctx: UiContext, database_label: str, settings: QSettings | None = None
) -> MainWindow:
    """The main window with every pane, action and alarm installed, layout restored.

    The panes' modules are imported here (ahead of time by :mod:`ui.preload`, same list).
    """
    from ui import outbox_ui
    from ui.dialogs import call_taking, shortcut_help, statistics
    from ui.printing import incident_report, shift_report
    from ui.views import (
        audit_log,
        dashboard,
        emergency,
        incident_detail,
        offences,
        recordings,
        recordings_admin,
        reports,
        tasks,
        unit_admin,
        unit_board,
    )
    from ui.views import map as situation_map

    window = MainWindow(ctx, database_label, settings)
    # The queue's first page first: the other panes' first reads wait for it.
    window.hold_starts()
    window.outbox = outbox_ui.install(window)
    call_taking.install(window)
    unit_board.install(window)
    detail = incident_detail.install(window)
    tasks.install(window)
    reports.install(window)
    emergency.install(window)
    shortcut_help.install(window)
    arrange_default_layout(window)
    situation_map.install(window)  # after the arrangement: tabbed behind the unit board
    audit_log.install(window)  # after the arrangement: its own dock, the incident panes put away
    unit_admin.install(window)  # behind the unit board, else (administration) on the left
    offences.install(window)  # in front for clerks, behind the queue for the shift lead
    recordings_admin.install(window)  # behind the offence cases or the queue; beside the audit
    recordings.install(window)  # list behind the detail, clip viewer behind the unit board
    if window.ctx.can(Permission.SHIFT_REPORT):
        shift_report.install(window)
        incident_report.install(window, detail)
    statistics.install(window)
    dashboard.install(window)
    window.commands.fill_menus()
    window.finish_layout()
    return window


async def start_window(
    services: Services,
    actor: Actor,
    database_label: str,
    settings: QSettings | None = None,
) -> tuple[MainWindow, ChangeFollower]:
    """Build the main window for ``actor`` and start following the change feed."""
    await preload.wait()
    follower = ChangeFollower(services.db, after_id=await last_change_id(services.db))
    services.link.follow(lambda: follower.state == LinkState.ONLINE)
    # Outline imports on other workstations reach this one's writes through the feed.
    services.map_data.follow_changes(follower)
    bridge = ChangeBridge(follower)
    ctx = UiContext(services=services, actor=actor, bridge=bridge)
    window = build_window(ctx, database_label, settings)
    follower.start()
    window.queue.model.reload()
    # Official Stadtteil outlines, if imported, for what panes show before anything is written.
    spawn(services.map_data.load_stadtteile())
    return window, follower


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


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    sys.exit(run(build_parser().parse_args(argv)))


def run(args: argparse.Namespace) -> int:
    """Run the workstation with parsed ``args``; returns the exit code."""
    log_path = setup_logging("kod-leitstelle")
    try:
        target = resolve_database(args.database)
    except KodError as exc:
        _error(str(exc))
        return exc.exit_code
    if args.check:
        return check_installation(target)
    if not display_available():
        # Say what is wrong with the database first, then that there is no screen.
        code = asyncio.run(check_database(target, report_ready=False))
        if code == 0:
            _error(
                tr(
                    "Startup",
                    "No screen found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start the "
                    "workstation on a desktop; on a server without a screen use "
                    "KOD_HEADLESS=1 scripts/start.sh, which starts a virtual one.",
                )
            )
            code = EXIT_NO_DISPLAY
        return code
    # The map's QtWebEngine shares OpenGL contexts and serves offline tiles through its own
    # URL scheme: both set before the application exists.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    allow_web_engine_as_root()
    register_tile_scheme()
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
        code = eventloop.run(run_workstation(app, args, reporter))
    except KeyboardInterrupt:
        code = 130
    return code


if __name__ == "__main__":
    main()
