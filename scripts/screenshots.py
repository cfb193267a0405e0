"""Screenshots of the main window per role, for the README's role table.

``xvfb-run -a -s "-screen 0 1920x1200x24" python scripts/screenshots.py [FOLDER]``
(default folder: ``docs/screenshots``; offscreen works too).

Creates a temporary SQLite database with the demo dataset and opens the window as each role
would see it right after the login (where the incident detail is in sight, with the first open
incident selected), then writes ``<role>.png``, and ``shift_lead_units.png`` with the shift
lead's unit management in front, ``shift_lead_recordings.png`` with the bodycam recordings'
deletion periods and holds (Ctrl+Shift+L), ``shift_lead_dashboard.png`` with the shift lead's
dashboard floated as on a second screen, ``dispatcher_map.png`` with the situation map while
``kod-admin simulate`` moves the demo units, and ``clip_viewer.png``: a demo clip (made by
ffmpeg, imported into a temporary encrypted store, linked to a demo incident) opened in the
clip viewer with bookmarks (under X the screen itself is captured: libvlc's picture is not in
a widget grab). Each is downscaled to 1280 px wide and reduced to a 256-colour
palette, so it stays well under 150 KB.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KOD_ALARM_AUDIO", "0")
os.environ.setdefault("KOD_NO_DIALOGS", "1")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app.evidence.config import EvidenceConfig
from app.evidence.keys import write_master_key
from app.evidence.sidecar import RecordingDetails
from app.evidence.store import EvidenceStore
from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from db.migrate import upgrade
from db.models import IncidentUnit, UnitMember, User
from demodata.generate import DEMO_PASSWORD, generate_demo
from ui import eventloop
from ui.i18n import install_translations
from ui.main_window import MainWindow
from ui.rendering import choose_scene_graph
from ui.views.map.tiles import allow_web_engine_as_root, register_tile_scheme
from ui.views.offences.pane import OffenceCasePane
from ui.views.recordings import ClipViewerPane
from ui.views.recordings_admin.pane import RecordingHoldsPane
from ui.workstation_window import start_window

#: File name and demo login per role (the field officer has no password: built directly).
ROLES: tuple[tuple[str, Role, str], ...] = (
    ("dispatcher", Role.DISPATCHER, "disponent"),
    ("shift_lead", Role.SHIFT_LEAD, "schichtleitung"),
    ("clerk", Role.CLERK, "sachbearbeitung"),
    ("field_officer", Role.FIELD_OFFICER, ""),
    ("data_protection", Role.DATA_PROTECTION, "datenschutz"),
    ("admin", Role.ADMIN, "admin"),
)
WIDTH = 1280
SIZE = (1600, 1000)


async def _actor(services: Services, role: Role, username: str) -> Actor:
    if username:
        return await services.users.authenticate(username, DEMO_PASSWORD)
    async with services.db.read() as s:
        row = (
            await s.execute(
                select(User.id, User.username, User.display_name)
                .where(User.role_code == role.value)
                .order_by(User.id)
                .limit(1)
            )
        ).one()
    return Actor(row[0], row[1], role, row[2])


async def settle(done: Callable[[], object], timeout: float = 15.0) -> None:
    """Let the window work until ``done()`` is true (or ``timeout`` seconds passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done() and loop.time() < deadline:
        await asyncio.sleep(0.05)


def save_small(image: QImage, out: Path) -> int:
    """Write ``image`` 1280 px wide as a palette PNG; returns the file size."""
    small = image.scaledToWidth(WIDTH, Qt.TransformationMode.SmoothTransformation)
    palette = small.convertToFormat(
        QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither
    )
    palette.save(str(out), "PNG", 9)
    return out.stat().st_size


async def shoot_window(window: MainWindow, role: Role, name: str, folder: Path) -> None:
    """Show ``window`` as after the login and write its screenshot(s)."""
    window.resize(*SIZE)
    window.show()
    await settle(lambda: window.layout_ready)
    queue = window.queue
    if role in (Role.DISPATCHER, Role.SHIFT_LEAD, Role.FIELD_OFFICER):
        await settle(lambda: queue.model.row_at(0) is not None)
        first_open = queue.model.row_at(0)
        if first_open is not None:
            incident_id = first_open.id
            await settle(lambda: queue.select_incident(incident_id))
    cases = window.findChild(OffenceCasePane)
    if role is Role.CLERK and cases is not None:
        await settle(lambda: cases.idle() and cases.model.rowCount() > 0)
    await asyncio.sleep(1.5)  # the panes' reads and the first repaint
    size = save_small(window.grab().toImage(), folder / f"{name}.png")
    print(f"{name}.png {size // 1024} KB", flush=True)
    if role is Role.DISPATCHER and window.commands.trigger("go.map"):
        await asyncio.sleep(6.0)  # the page, its first data and a few ticks of the simulation
        size = save_small(window.grab().toImage(), folder / "dispatcher_map.png")
        print(f"dispatcher_map.png {size // 1024} KB", flush=True)
    if role is Role.DISPATCHER:
        await shoot_clip_viewer(window, folder)
    if role is Role.SHIFT_LEAD and window.commands.trigger("go.unit_admin"):
        await asyncio.sleep(1.0)  # the unit management pane (Ctrl+7) in front
        size = save_small(window.grab().toImage(), folder / "shift_lead_units.png")
        print(f"shift_lead_units.png {size // 1024} KB", flush=True)
    if role is Role.SHIFT_LEAD and window.commands.trigger("go.recording_holds"):
        pane = window.findChild(RecordingHoldsPane)
        if pane is not None:
            pane.days.setValue(14)  # every demo clip not held
            await settle(lambda: pane.idle() and pane.upcoming.rowCount() > 0)
        await asyncio.sleep(1.0)
        size = save_small(window.grab().toImage(), folder / "shift_lead_recordings.png")
        print(f"shift_lead_recordings.png {size // 1024} KB", flush=True)
    dashboard = window.docks.get("dashboard")
    if role is Role.SHIFT_LEAD and dashboard is not None:
        # As on the shift lead's second screen: the dock floated on its own.
        dashboard.setFloating(True)
        dashboard.resize(WIDTH, 1000)
        dashboard.show()
        window.commands.trigger("go.dashboard")
        await asyncio.sleep(2.5)  # its figures read and the charts drawn
        size = save_small(dashboard.grab().toImage(), folder / "shift_lead_dashboard.png")
        print(f"shift_lead_dashboard.png {size // 1024} KB", flush=True)


async def demo_recording(window: MainWindow, work: Path) -> int:
    """A demo clip made by ffmpeg, imported as a field officer's recording of a demo incident."""
    services = window.ctx.services
    config = EvidenceConfig(work / "keys" / "master.key", work / "store", work / "quarantine")
    write_master_key(config.key_file)
    services.recordings.use_store(EvidenceStore.open(config))
    clip = work / "BC-017_20261206_1015.mp4"
    make = (
        "ffmpeg -v error -y -f lavfi -i testsrc2=duration=20:size=1280x720:rate=25 -f lavfi "
        "-i sine=frequency=300:duration=20 -c:v libx264 -bf 0 -pix_fmt yuv420p -c:a aac -shortest"
    )
    subprocess.run([*make.split(), str(clip)], check=True)
    async with services.db.read() as s:
        username, assigned_at = (
            await s.execute(
                select(User.username, IncidentUnit.assigned_at)
                .join(UnitMember, UnitMember.user_id == User.id)
                .join(IncidentUnit, IncidentUnit.unit_id == UnitMember.unit_id)
                .where(User.role_code == Role.FIELD_OFFICER.value, UnitMember.until.is_(None))
                .order_by(IncidentUnit.assigned_at.desc())
                .limit(1)
            )
        ).one()
    details = RecordingDetails(
        officer=username,
        device="BC-017",
        started_at=assigned_at + timedelta(minutes=4),
        reason="Person bedroht Kollegin mit einer Flasche",
        announced=True,
        location="Hauptstraße 12, Wiesdorf",
    )
    done = await services.recordings.importer().import_file(window.ctx.actor, clip, details)
    if done.proposed_incident_id is not None:
        await services.recordings.links.confirm_incident(
            window.ctx.actor, done.id, done.proposed_incident_id, 1
        )
    return done.id


def grab_screen(window: MainWindow, work: Path) -> QImage:
    """What the screen shows of ``window`` (libvlc draws outside Qt's widget grab)."""
    display = os.environ.get("DISPLAY")
    if not display or QApplication.platformName() != "xcb":
        return window.grab().toImage()
    shot = work / "screen.png"
    width, height = window.width(), window.height()
    grab = f"ffmpeg -v error -y -f x11grab -video_size {width}x{height} -i {display}+0,0"
    subprocess.run([*grab.split(), "-frames:v", "1", str(shot)], check=True)
    return QImage(str(shot))


async def shoot_clip_viewer(window: MainWindow, folder: Path) -> None:
    """The clip viewer in front with a demo recording paused at a bookmark."""
    dock = window.docks.get("clip_viewer")
    if dock is None:
        return
    work = Path(tempfile.mkdtemp(prefix="kod-clip-"))
    recording_id = await demo_recording(window, work)
    viewer = dock.widget()
    assert isinstance(viewer, ClipViewerPane)
    window.commands.trigger("go.clip_viewer")
    queue, below = window.docks["queue"], window.docks.get("tasks")
    window.resizeDocks([queue, dock], [36, 64], Qt.Orientation.Horizontal)
    if below is not None:
        window.resizeDocks([dock, below], [72, 28], Qt.Orientation.Vertical)
    services, actor = window.ctx.services, window.ctx.actor
    access = services.recordings.access()
    opened = await access.open(actor, recording_id, "Prüfung für OWi-Verfahren 2026/123")
    viewer.show_opened(access, await services.recordings.lists.get(actor, recording_id), opened)
    marks = services.recordings.marks
    await marks.add_bookmark(actor, recording_id, 3200, "Ansprache, Kamera angekündigt")
    await marks.add_bookmark(actor, recording_id, 9400, "Person wirft die Flasche")
    await marks.add_bookmark(actor, recording_id, 15800, "Festhalten bis Eintreffen der Polizei")
    await settle(lambda: viewer.player.position() > 1000)
    viewer.player.pause()
    await asyncio.sleep(0.5)
    viewer.player.seek(9400)
    await viewer._load_bookmarks(recording_id)
    await settle(lambda: "unverändert" in viewer.status.text())
    window.move(0, 0)
    window.raise_()
    await asyncio.sleep(1.5)
    size = save_small(grab_screen(window, work), folder / "clip_viewer.png")
    print(f"clip_viewer.png {size // 1024} KB", flush=True)
    viewer.close_recording()


async def shoot(folder: Path, work: Path) -> None:
    target = sqlite_target(work / "demo.sqlite")
    engine = Database(target).sync_engine()
    upgrade(engine)
    engine.dispose()
    db = Database(target)
    services = Services.create(db)
    evidence = EvidenceConfig(work / "keys" / "master.key", work / "store", work / "quarantine")
    await generate_demo(
        services, Actor.cli(), incidents=3000, seed=2024, recordings=6, evidence=evidence
    )
    workstation = Services.for_workstation(db, work)
    # The units move while the screenshots are taken (the map shows them on their way).
    simulation = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.tools.cli",
        "--database",
        f"sqlite:///{work / 'demo.sqlite'}",
        "simulate",
        "--as",
        "disponent",
        "--password-stdin",
        "--all-out",
        "--duration",
        "600",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    assert simulation.stdin is not None
    simulation.stdin.write(DEMO_PASSWORD.encode() + b"\n")
    await simulation.stdin.drain()
    simulation.stdin.close()
    await asyncio.sleep(5.0)  # the units leave their stations
    for name, role, username in ROLES:
        actor = await _actor(services, role, username)
        settings = QSettings(str(work / f"{name}.ini"), QSettings.Format.IniFormat)
        window, follower = await start_window(workstation, actor, target.display, settings)
        await shoot_window(window, role, name, folder)
        await follower.stop()
        window.close()
        await asyncio.sleep(0.2)
    simulation.terminate()
    await simulation.wait()
    await workstation.close()
    await db.dispose()


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    allow_web_engine_as_root()
    register_tile_scheme()  # before the QApplication, as the workstation does
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    install_translations(app)
    choose_scene_graph()  # as the workstation does
    with tempfile.TemporaryDirectory(prefix="kod-shots-") as work:
        eventloop.run(shoot(folder, Path(work)))


if __name__ == "__main__":
    main()
