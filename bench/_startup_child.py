"""The workstation as ``kod-leitstelle`` starts it, timed (run by ``bench/startup.py``).

Arguments: the SQLite file and the parent's ``time.time()`` when it started this process. The
login dialog is filled in and confirmed as soon as it is shown; when the main window's queue
shows its first page, the time since the process started is printed and the process ends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import time  # noqa: E402
from typing import Any  # noqa: E402

from ui import main as workstation  # noqa: E402
from ui import session_loop  # noqa: E402
from ui.dialogs.login import LoginDialog  # noqa: E402

STARTED = float(sys.argv[2])
#: The demo accounts' password (demodata.generate.DEMO_PASSWORD; importing it would add the
#: generator's imports to the measured start).
DEMO_PASSWORD = "leitstelle"


def stage(name: str) -> None:
    """With ``KOD_BENCH_VERBOSE``: when each stage was reached (on stderr)."""
    if os.environ.get("KOD_BENCH_VERBOSE"):
        print(f"# {time.time() - STARTED:6.3f} s  {name}", file=sys.stderr, flush=True)


stage("imports done")
_exec_dialog = session_loop.exec_dialog
_start_window = session_loop.start_window


async def exec_dialog(dialog: Any) -> int:
    if isinstance(dialog, LoginDialog):
        # A person types here; the benchmark confirms the moment the dialog is up.
        dialog.username.setText("disponent")
        dialog.password.setText(DEMO_PASSWORD)
        dialog.show()
        stage("login dialog shown")
        dialog.try_login()
    return await _exec_dialog(dialog)


async def start_window(*args: Any, **kwargs: Any) -> Any:
    stage("logged in")
    window, follower = await _start_window(*args, **kwargs)
    stage("window built")
    model = window.queue.model

    def loaded(_total: int) -> None:
        stage(f"queue loaded ({model.rowCount()} rows)")
        if model.rowCount() > 0:
            print(f"ready_after_s: {time.time() - STARTED:.3f}", flush=True)
            os._exit(0)

    model.loaded.connect(loaded)
    return window, follower


if os.environ.get("KOD_BENCH_VERBOSE"):
    from ui.models.incident_queue import IncidentQueueTableModel

    _reload = IncidentQueueTableModel.reload

    def traced_reload(self: IncidentQueueTableModel) -> None:
        stage("queue reload")
        _reload(self)

    IncidentQueueTableModel.reload = traced_reload  # type: ignore[method-assign]

session_loop.exec_dialog = exec_dialog  # type: ignore[assignment]
session_loop.start_window = start_window  # type: ignore[assignment]
workstation.main(["--database", sys.argv[1]])
