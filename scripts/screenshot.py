"""Screenshot of the main window with demo data (for the README): ``python scripts/screenshot.py OUT.png``.

Creates a temporary SQLite database with the demo dataset, logs in as the demo dispatcher,
selects the first open incident and grabs the window at 1600×1000.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KOD_ALARM_AUDIO", "0")

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services
from db.migrate import upgrade
from demodata.generate import generate_demo
from ui.i18n import install_translations
from ui.main import start_window


async def shoot(out: Path, folder: Path) -> None:
    target = sqlite_target(folder / "demo.sqlite")
    engine = Database(target).sync_engine()
    upgrade(engine)
    engine.dispose()
    db = Database(target)
    services = Services.create(db)
    await generate_demo(services, Actor.cli(), incidents=3000, seed=2024)
    actor = await services.users.authenticate("disponent", "leitstelle")
    settings = QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat)
    workstation = Services.for_workstation(db, folder)
    window, follower = await start_window(workstation, actor, target.display, settings)
    window.resize(1600, 1000)
    window.show()
    await asyncio.sleep(1.5)
    first_open = window.queue.model.row_at(0)
    if first_open is not None:
        window.queue.select_incident(first_open.id)
    await asyncio.sleep(1.5)
    window.grab().save(str(out))
    await follower.stop()
    window.close()
    await workstation.close()
    await db.dispose()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshot.png").resolve()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    install_translations(app)
    with tempfile.TemporaryDirectory(prefix="kod-shot-") as folder:
        qasync.run(shoot(out, Path(folder)))
    print(out)


if __name__ == "__main__":
    main()
