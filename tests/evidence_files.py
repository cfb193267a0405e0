"""Real test clips made by ffmpeg, and a database scene to import them into."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.evidence.config import EvidenceConfig
from app.evidence.keys import write_master_key
from app.evidence.sidecar import RecordingDetails
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from app.services.recording_import import RecordingImportService
from db.models import Incident, IncidentUnit, Recording, Unit, UnitMember
from tests.conftest import ADMIN


def make_clip(
    path: Path,
    seconds: int = 2,
    size: str = "160x120",
    faststart: bool = False,
    tag: str | None = None,
    b_frames: int | None = None,
    codec: str = "libx264",
    key_every: int | None = None,
    profile: str | None = None,
    fragmented: bool = False,
    sound: bool = True,
    variable_rate: bool = False,
) -> Path:
    """A small H.264/AAC MP4 (test picture and a tone); ``tag`` goes into its metadata, so
    that a copy of exactly this clip can be recognised anywhere. ``b_frames=0`` encodes as
    bodycams do for low latency (no reordered frames); ``codec="libx265"`` makes H.265;
    ``key_every`` is the distance of key frames (in frames). The container follows the
    suffix (``.mkv``, ``.mov``); ``fragmented`` writes an MP4 in fragments, as a camera
    writing while it records does; ``sound=False`` records no sound track (as cameras set to
    record pictures only); ``variable_rate`` leaves out every third frame, so frames follow at 40
    and 80 ms in turn (a variable frame rate, as cameras drop frames in low light)."""
    args = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=25",
        *(("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}") if sound else ()),
        "-c:v",
        codec,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]
    if variable_rate:
        args += ["-vf", "select='not(eq(mod(n\\,3)\\,1))'", "-fps_mode", "vfr"]
    if b_frames is not None:
        args += ["-bf", str(b_frames)]
    if key_every is not None:
        args += ["-g", str(key_every)]
    if profile is not None:
        args += ["-profile:v", profile]
    if codec == "libx265":
        args += ["-x265-params", "log-level=error"]
        if path.suffix in (".mp4", ".mov"):
            args += ["-tag:v", "hvc1"]
    if fragmented:
        args += ["-movflags", "+frag_keyframe+empty_moov+default_base_moof"]
    if faststart:
        args += ["-movflags", "+faststart"]
    if tag:
        args += ["-metadata", f"comment={tag}"]
    subprocess.run([*args, str(path)], check=True, timeout=120)
    return path


def copy_clip(source: Path, folder: Path, name: str) -> Path:
    """A copy of ``source`` in ``folder`` under ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / name))


def write_sidecar(video: Path, **fields: Any) -> Path:
    """The camera's JSON metadata beside ``video``."""
    path = video.with_suffix(".json")
    path.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")
    return path


def evidence_config(root: Path) -> EvidenceConfig:
    """A master key, a store and a quarantine folder under ``root`` (key created)."""
    config = EvidenceConfig(
        key_file=root / "keys" / "master.key",
        store_dir=root / "store",
        quarantine_dir=root / "quarantine",
    )
    write_master_key(config.key_file)
    return config


START = datetime(2026, 12, 6, 9, 15, tzinfo=UTC)
SIDECAR = {
    "officer": "m.mueller",
    "device": "BC-017",
    "started_at": "2026-12-06T10:15:00+01:00",
    "location": {"lat": 51.0331, "lon": 6.9876, "text": "Hauptstraße 12, Wiesdorf"},
    "reason": "Person bedroht Kollegin mit einer Flasche",
    "announced": True,
    "inside_home": False,
}


class Scene:
    """A database with an officer in a unit on an incident, a store and an import folder."""

    def __init__(self, db: Database, services: Services, root: Path) -> None:
        self.db = db
        self.services = services
        self.inbox = root / "Dockingstation"
        self.inbox.mkdir()
        self.config = evidence_config(root)
        self.store = EvidenceStore.open(self.config)
        self.importer = RecordingImportService(db, self.store)
        self.incident_id = 0
        self.officer_id = 0
        self.unit_id = 0

    def stored_files(self) -> list[Path]:
        return files_under(self.config.store_dir)

    def recordings(self) -> list[Recording]:
        engine = self.db.sync_engine()
        try:
            with Session(engine) as s:
                return list(s.scalars(select(Recording).order_by(Recording.id)))
        finally:
            engine.dispose()


async def officer_scene(db: Database, services: Services, root: Path) -> tuple[Scene, Actor]:
    """An officer in unit KOD 12 assigned to incident E-2026-0815 at :data:`START`, and a
    logged-in dispatcher who imports."""
    scene = Scene(db, services, root)
    officer = await services.users.add(
        ADMIN, "m.mueller", "Mia Müller", Role.FIELD_OFFICER, "geheim123"
    )
    await services.users.add(ADMIN, "disponent1", "Dora Disponent", Role.DISPATCHER, "geheim123")
    dispatcher = await services.users.authenticate("disponent1", "geheim123")
    engine = db.sync_engine()
    try:
        with Session(engine) as s, s.begin():
            unit = Unit(call_sign="KOD 12", status_changed_at=START - timedelta(hours=3))
            incident = Incident(
                number="E-2026-0815",
                category="threat",
                priority=1,
                status="on_scene",
                address="Hauptstraße 12",
                created_at=START - timedelta(minutes=20),
                updated_at=START,
            )
            s.add_all([unit, incident])
            s.flush()
            s.add(UnitMember(unit_id=unit.id, user_id=officer.id, since=START - timedelta(hours=2)))
            s.add(
                IncidentUnit(
                    incident_id=incident.id,
                    unit_id=unit.id,
                    assigned_at=START - timedelta(minutes=15),
                )
            )
            scene.incident_id, scene.officer_id, scene.unit_id = incident.id, officer.id, unit.id
    finally:
        engine.dispose()
    return scene, dispatcher


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder``."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def import_clip(
    db: Database,
    store: EvidenceStore,
    actor: Actor,
    clip: Path,
    started_at: datetime,
    officer: str = "m.mueller",
) -> int:
    """Import a copy of ``clip`` recorded by ``officer`` at ``started_at``; its id."""
    from app.evidence.sidecar import RecordingDetails

    video = copy_clip(clip, store.quarantine_dir.parent / "inbox", clip.name)
    details = RecordingDetails(
        officer=officer,
        device="BC-1",
        started_at=started_at,
        reason="Bedrohung einer Kollegin",
        announced=True,
        location="Hauptstraße 12, Wiesdorf",
    )
    done = await RecordingImportService(db, store).import_file(actor, video, details)
    return done.id


def make_clips(folder: Path, count: int) -> list[Path]:
    """``count`` different small clips (each its own content, so each its own recording)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make_clip(folder / f"clip{n}.mp4", seconds=1, tag=f"clip-{n}") for n in range(count)]


#: What the person importing enters when a clip has no sidecar.
GIVEN = RecordingDetails(
    officer="m.mueller", device="BC-017", started_at=START, reason="Bedrohung", announced=True
)


async def imported_scene(
    db: Database, services: Services, root: Path, clip: Path
) -> tuple[Scene, Actor, int]:
    """:func:`officer_scene` with ``clip`` imported (the recording's id), and ``services``
    using the scene's store (as a workstation with the evidence store set up)."""
    scene, dispatcher = await officer_scene(db, services, root)
    services.recordings.use_store(scene.store)
    done = await scene.importer.import_file(
        dispatcher, copy_clip(clip, scene.inbox, clip.name), GIVEN
    )
    return scene, dispatcher, done.id
