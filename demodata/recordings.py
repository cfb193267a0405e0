"""A handful of bodycam clips for the demo dataset, made by ffmpeg and imported as usual.

Each clip is a short test picture with a tone, "recorded" by an officer of a unit while it was
on a demo incident of the last days, imported through the real import (hashed, encrypted,
verified, audited) and linked to that incident; one gets a hold confirmed by two people and the
oldest is close to its deletion date, so the lists show both. Without ffmpeg, or without a
usable master key and store, the demo goes on without clips and says why.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from app.domain.retention import HoldKind
from app.evidence.config import EvidenceConfig, resolve_evidence_config
from app.evidence.keys import write_master_key
from app.evidence.sidecar import RecordingDetails
from app.evidence.store import EvidenceStore
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from app.services.recording_holds import HoldService
from app.services.recording_import import RecordingImportService
from app.services.recording_links import RecordingLinkService
from db.models import Incident, IncidentUnit, Unit, UnitMember, User

if TYPE_CHECKING:  # avoids an import cycle
    from app.services import Services

REASONS = (
    "Person bedroht Kollegin mit einer Glasflasche",
    "Aggressiver Hundehalter geht auf Streife los",
    "Gruppe umringt Streife und droht mit Schlägen",
    "Betrunkener wirft mit Gegenständen nach Einsatzkräften",
    "Angriff auf Mitarbeitende bei Personalienfeststellung",
)


def _clip(folder: Path, n: int, seconds: int) -> Path:
    path = folder / f"BC{n:03d}_demo.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=640x360:rate=25",
            "-f", "lavfi", "-i", f"sine=frequency={330 + 55 * n}:duration={seconds}",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
            "-metadata", f"comment=KOD-Demo {n}",
            str(path),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )  # fmt: skip
    return path


def _store(config: EvidenceConfig) -> EvidenceStore:
    if not config.key_file.exists():
        write_master_key(config.key_file)
    return EvidenceStore.open(config)


async def _actor(services: Services, username: str) -> Actor:
    async with services.db.read() as s:
        user = (await s.execute(select(User).where(User.username == username))).scalar_one()
    return Actor(user.id, user.username, Role(user.role_code), user.display_name or username)


async def generate_demo_recordings(
    services: Services,
    rng: random.Random,
    count: int,
    say: Callable[[str], None],
    config: EvidenceConfig | None = None,
) -> int:
    """Make and import up to ``count`` clips; returns how many were imported."""
    if count <= 0:
        return 0
    if shutil.which("ffmpeg") is None:
        say(tr("demo", "ffmpeg is not installed: the demo data gets no bodycam clips."))
        return 0
    try:
        store = _store(config or resolve_evidence_config())
    except (KodError, OSError) as exc:
        say(tr("demo", "No bodycam clips in the demo data: %1", exc))
        return 0
    dispatcher = await _actor(services, "disponent")
    now = utcnow()
    async with services.db.read() as s:
        scenes = (
            await s.execute(
                select(
                    IncidentUnit.incident_id,
                    IncidentUnit.assigned_at,
                    User.username,
                    Unit.call_sign,
                    Incident.address,
                    Incident.lat,
                    Incident.lon,
                )
                .join(Incident, Incident.id == IncidentUnit.incident_id)
                .join(Unit, Unit.id == IncidentUnit.unit_id)
                .join(UnitMember, UnitMember.unit_id == IncidentUnit.unit_id)
                .join(User, User.id == UnitMember.user_id)
                .where(
                    IncidentUnit.assigned_at >= now - timedelta(days=13, hours=12),
                    IncidentUnit.assigned_at <= now - timedelta(hours=2),
                    UnitMember.since <= IncidentUnit.assigned_at,
                    or_(UnitMember.until.is_(None), UnitMember.until >= IncidentUnit.assigned_at),
                )
                .order_by(IncidentUnit.assigned_at)
            )
        ).all()
    if not scenes:
        say(tr("demo", "No incidents of the last days with units: no bodycam clips."))
        return 0
    picked = [scenes[0], *rng.sample(scenes[1:], min(count - 1, len(scenes) - 1))]
    importer = RecordingImportService(services.db, store)
    links = RecordingLinkService(services.db)
    made: list[int] = []
    say(tr("demo", "Creating %1 bodycam clips with ffmpeg …", len(picked)))
    with tempfile.TemporaryDirectory(prefix="kod-demo-clips-") as tmp:
        for n, (incident_id, assigned, officer, call_sign, address, lat, lon) in enumerate(picked):
            video = _clip(Path(tmp), n + 1, rng.randint(4, 8))
            details = RecordingDetails(
                officer=officer,
                device=f"BC-{rng.randint(1, 40):03d}",
                unit=call_sign,
                started_at=assigned + timedelta(minutes=rng.randint(4, 12)),
                lat=lat,
                lon=lon,
                location=address,
                reason=rng.choice(REASONS),
                announced=rng.random() < 0.85,
                inside_home=False,
            )
            done = await importer.import_file(dispatcher, video, details)
            await links.confirm_incident(dispatcher, done.id, incident_id, 1)
            made.append(done.id)
    if len(made) > 1:
        clerk = await _actor(services, "sachbearbeitung")
        lead = await _actor(services, "schichtleitung")
        holds = HoldService(services.db)
        hold = await holds.propose_hold(
            made[-1],
            HoldKind.OFFENCE,
            f"OWi-{now:%Y}-000001",
            "Beweismittel im Bußgeldverfahren (Anzeige an die Bußgeldstelle)",
            clerk,
        )
        await holds.confirm_hold(lead, hold)
    return len(made)
