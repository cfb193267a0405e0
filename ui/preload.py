"""The main window's modules, imported in a worker thread while the person logs in.

Importing the panes (the situation map brings its web engine and geometry libraries) takes a
good part of a second. The login needs none of it, and while the password is checked (in a
thread that leaves the interpreter free) or typed, the imports run beside it; the window is then
built from modules already loaded. Imports are the only work done there: no widget is made off
the GUI thread, and automatic garbage collection stays on the GUI thread (see
:mod:`ui.gcguard`).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import pkgutil

log = logging.getLogger(__name__)

#: What :func:`ui.workstation_window.build_window` imports (keep the two in step).
WINDOW_MODULES = (
    "ui.outbox_ui",
    "ui.dialogs.call_taking",
    "ui.dialogs.shortcut_help",
    "ui.views.audit_log",
    "ui.views.emergency",
    "ui.views.incident_detail",
    "ui.views.recordings_admin",
    "ui.views.reports",
    "ui.views.tasks",
    "ui.views.unit_admin",
    "ui.views.unit_board",
    "ui.views.map",
    "ui.views.dashboard",
    "ui.dialogs.statistics",
    "ui.printing.incident_report",
    "ui.printing.shift_report",
    "ui.views.recordings",
)

_import: list[asyncio.Future[None]] = []
_frozen: list[bool] = []


def import_all() -> None:
    """Import the window's modules now (raises what a failed import raises)."""
    for name in WINDOW_MODULES:
        importlib.import_module(name)


def import_everything() -> int:
    """Import every module of ``app`` and ``ui`` (``--check``: what a window or a later action
    would import, e.g. the charts of the reports); returns how many. Raises what an import
    raises."""
    import app
    import ui

    count = 0
    for package in (app, ui):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)
            count += 1
    return count


def start() -> None:
    """Begin importing the window's modules in a worker thread (once per process)."""
    if not _import:
        _import.append(asyncio.get_running_loop().run_in_executor(None, import_all))


async def wait() -> None:
    """Wait until the window's modules are imported (at once if :func:`start` never ran).

    A failed import is only logged here: building the window imports the module again and
    fails there as it would have without the head start.
    """
    if not _import:
        return
    try:
        await _import[0]
    except Exception:
        log.exception("importing the window's modules ahead of time failed")
    if not _frozen:
        _frozen.append(True)
        # What the imports made lives as long as the program: keep it out of every collection,
        # like the objects of the imports before the login (ui.gcguard).
        gc.freeze()
