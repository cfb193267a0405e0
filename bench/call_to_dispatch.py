"""Key presses from a new call to a dispatched unit: prints ``keypresses_call_to_dispatch``.

Runs the scripted keyboard-only flow of ``tests/ui/flows.py`` (the same code as the UI test)
on the real main window, offscreen, against a fresh SQLite file migrated by Alembic and filled
with the Leverkusen demo data (gazetteer, units at their positions, a short history).

Counting: every key or chord pressed is one, every character typed is one. The flow:
F2 (new incident), "lär" (category Lärm), Tab, "haup 5" (address), ↓ Enter (first gazetteer
entry), F9 (save and dispatch), Enter (assign the proposed unit) = 15.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/queue.py would shadow the
# standard library's queue module: replace that entry with the repository root.
sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KOD_LANG", "de")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.platform.changefeed import ChangeFollower, last_change_id
from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services
from bench._common import qt_application, temp_sqlite
from tests.ui.flows import build_window, call_to_dispatch, load_demo
from ui import eventloop
from ui.asyncutil import cancel_all
from ui.context import ChangeBridge, UiContext
from ui.i18n import install_translations

DEMO_INCIDENTS = 50


async def run(target: object, settings_path: Path) -> None:
    db = Database(target, workstation="bench")  # type: ignore[arg-type]
    await db.check()
    services = Services.create(db)
    await load_demo(services, Actor.cli(), incidents=DEMO_INCIDENTS)
    actor = await services.users.authenticate("disponent", "leitstelle")
    follower = ChangeFollower(db, after_id=await last_change_id(db), poll_interval=0.1)
    ctx = UiContext(services=services, actor=actor, bridge=ChangeBridge(follower))
    follower.start()
    window, actions = build_window(ctx, QSettings(str(settings_path), QSettings.Format.IniFormat))
    try:
        started = time.perf_counter()
        result = await call_to_dispatch(window, actions)
        elapsed = time.perf_counter() - started
        incident = await services.incidents.get(actor, result.incident_id)
        unit = await services.units.get(actor, result.unit_id)
        # Dispatched = the unit is alarmed for the incident (it confirms with 3 by radio).
        if incident.status != "dispatched" or unit.incident_id != incident.id:
            raise SystemExit(f"flow did not dispatch: {incident.status=} {unit.incident_id=}")
        print(f"keys: {' '.join(result.keys)}")
        print(f"incident: {incident.number} {incident.address} → {unit.call_sign}")
        print(f"call_to_dispatch_s: {elapsed:.2f}")
        print(f"keypresses_call_to_dispatch: {result.presses}")
    finally:
        window.close()
        await follower.stop()
        await cancel_all()
        await db.dispose()


def main() -> None:
    app = qt_application()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    install_translations(app)
    with temp_sqlite() as target, tempfile.TemporaryDirectory() as folder:
        eventloop.run(run(target, Path(folder) / "ui.ini"))


if __name__ == "__main__":
    main()
