"""``kod-leitstelle``: start the workstation (one qasync event loop for Qt and asyncio).

The life of the program: check the command line and the database address (German messages,
no Qt needed: ``--help``, ``--check`` and a bad address work without a screen), then the
loop *login dialog → main window → quit or log out → login dialog* (:mod:`ui.session_loop`);
every login gets a fresh window (:mod:`ui.workstation_window`), a log-out closes the window,
stops its change feed and saves its layout first.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.platform.appinfo import app_version
from app.platform.config import DatabaseTarget, resolve_database
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.logsetup import setup_logging
from app.tools.argparse_de import add_version_option, use_ui_language
from resources.paths import resource_path
from ui import eventloop, gcguard, preload
from ui.asyncutil import set_error_sink
from ui.errors import ErrorReporter
from ui.i18n import install_translations
from ui.rendering import choose_scene_graph
from ui.session_loop import run_workstation
from ui.views.map.tiles import allow_web_engine_as_root, register_tile_scheme

#: Exit code when there is no screen to show the workstation on.
EXIT_NO_DISPLAY = 2
#: Exit code of ``--check`` when a part of the program cannot be loaded.
EXIT_BROKEN_INSTALL = 20


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
    choose_scene_graph()  # before the first window
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
