"""Evidence export: a recording as a package for the Bußgeldstelle or the prosecutor.

Needs ``recording.export``, a stated reason and the recipient. In one transaction the key is
released and the export audited (on PostgreSQL by the server's ``kod_recording_export_key``,
which checks the right, the reason and the recipient itself), the metadata read and the
chain of custody collected: every audited access to the recording, this export included
(``kod_recording_custody``). Then the package is written in a worker
(:func:`app.evidence.package.write_package`) with progress and cancel; a cancelled or failed
export leaves no files and an audit record saying so.

The chain-of-custody PDF is laid out by the printing layer (Qt, in ``ui/``): the caller passes a
:data:`CustodyPdf` that writes a :class:`CustodyReport` to a path (the workstation its own
renderer, ``kod-admin`` a child process of it), so this module stays free of Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import aliased

from app.evidence.errors import ExportCancelled
from app.evidence.package import MIN_PASSWORD, PackageFiles, write_package
from app.evidence.sealed import Progress
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.errors import KodError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import format_local
from app.platform.uow import Actor, Work, unit_of_work
from app.services.audit_labels import action_label
from app.services.recording_access import MIN_REASON, ReleasedKey, stored_key
from db.models import AuditRecord, Incident, Recording, User


@dataclass(frozen=True)
class CustodyEntry:
    """One access in the chain of custody."""

    occurred_at: datetime
    username: str
    action: str
    action_label: str
    reason: str | None
    recipient: str | None
    workstation: str | None


@dataclass(frozen=True)
class CustodyReport:
    """What the chain-of-custody PDF shows."""

    recording_id: int
    sha256: str
    size_bytes: int
    started_at: datetime
    ended_at: datetime
    officer: str
    device: str
    incident_number: str | None
    exported_by: str
    exported_at: datetime
    recipient: str
    reason: str
    entries: tuple[CustodyEntry, ...]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values (for a renderer in another process)."""
        return {
            "recording_id": self.recording_id,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "officer": self.officer,
            "device": self.device,
            "incident_number": self.incident_number,
            "exported_by": self.exported_by,
            "exported_at": self.exported_at.isoformat(),
            "recipient": self.recipient,
            "reason": self.reason,
            "entries": [
                {
                    "occurred_at": e.occurred_at.isoformat(),
                    "username": e.username,
                    "action": e.action,
                    "action_label": e.action_label,
                    "reason": e.reason,
                    "recipient": e.recipient,
                    "workstation": e.workstation,
                }
                for e in self.entries
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustodyReport:
        """The inverse of :meth:`as_json`."""
        when = datetime.fromisoformat
        return cls(
            recording_id=int(data["recording_id"]),
            sha256=str(data["sha256"]),
            size_bytes=int(data["size_bytes"]),
            started_at=when(data["started_at"]),
            ended_at=when(data["ended_at"]),
            officer=str(data["officer"]),
            device=str(data["device"]),
            incident_number=data.get("incident_number"),
            exported_by=str(data["exported_by"]),
            exported_at=when(data["exported_at"]),
            recipient=str(data["recipient"]),
            reason=str(data["reason"]),
            entries=tuple(
                CustodyEntry(
                    when(e["occurred_at"]),
                    str(e["username"]),
                    str(e["action"]),
                    str(e["action_label"]),
                    e.get("reason"),
                    e.get("recipient"),
                    e.get("workstation"),
                )
                for e in data["entries"]
            ),
        )


#: Writes the chain-of-custody PDF of a report to a path (blocking; called in a worker).
CustodyPdf = Callable[[CustodyReport, Path], None]


class RecordingExportService:
    """Writes evidence packages."""

    def __init__(self, db: Database, store: EvidenceStore, custody_pdf: CustodyPdf) -> None:
        self._db = db
        self._store = store
        self._custody_pdf = custody_pdf

    async def export(
        self,
        actor: Actor,
        recording_id: int,
        reason: str,
        recipient: str,
        folder: Path,
        password: str | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> PackageFiles:
        """Write the package of ``recording_id`` into a new folder below ``folder``."""
        reason, recipient = (reason or "").strip(), (recipient or "").strip()
        if len(reason) < MIN_REASON:
            raise ValidationError(
                tr(
                    "evidence",
                    "Please state why the recording is exported (at least %1 characters).",
                    MIN_REASON,
                ),
                "reason",
            )
        if not recipient:
            raise ValidationError(
                tr("evidence", "Please name the recipient of the export."), "recipient"
            )
        if password is not None and len(password) < MIN_PASSWORD:
            raise ValidationError(
                tr("evidence", "The password must have at least %1 characters.", MIN_PASSWORD),
                "password",
            )
        async with unit_of_work(self._db, actor, Permission.RECORDING_EXPORT) as w:
            released = await self._release(w, recording_id, reason, recipient, password)
            metadata, report = await self._describe(w, recording_id, reason, recipient)
        stamp = report.exported_at.strftime("%Y%m%d-%H%M%S")
        target = folder / f"Beweismittel-Aufnahme-{recording_id}-{stamp}"
        suffix = PurePath(str(metadata.get("original_name") or "")).suffix.lower() or ".mp4"
        clip_name = f"Aufnahme-{recording_id}{suffix}"
        reader = self._store.reader(released.storage_key, released.wrapped_key, released.key_id)
        try:
            return await asyncio.to_thread(
                write_package,
                target,
                reader,
                clip_name,
                released.sha256,
                metadata,
                lambda path: self._custody_pdf(report, path),
                password,
                progress,
                cancelled,
            )
        except (KodError, OSError) as exc:
            await self._audit_failure(actor, recording_id, exc)
            raise
        finally:
            reader.close()

    async def _release(
        self, w: Work, recording_id: int, reason: str, recipient: str, password: str | None
    ) -> ReleasedKey:
        if w.on_server:
            row = (
                await w.session.execute(
                    text("SELECT * FROM kod_recording_export_key(:r, :why, :to, :ws)"),
                    {"r": recording_id, "why": reason, "to": recipient, "ws": w.workstation},
                )
            ).first()
        else:
            row = await stored_key(w.session, recording_id)
            if row is not None:
                await w.audit(
                    "recording.export",
                    "recording",
                    recording_id,
                    details={"password": password is not None},
                    reason=reason,
                    recipient=recipient,
                )
        if row is None:
            raise NotFound(
                tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
            )
        return ReleasedKey.of(row)

    async def _describe(
        self, w: Work, recording_id: int, reason: str, recipient: str
    ) -> tuple[dict[str, Any], CustodyReport]:
        officer = aliased(User)
        row = (
            await w.session.execute(
                select(Recording, officer.username, officer.display_name, Incident.number)
                .join(officer, officer.id == Recording.officer_id)
                .join(Incident, Incident.id == Recording.incident_id, isouter=True)
                .where(Recording.id == recording_id)
            )
        ).one()
        rec: Recording = row[0]
        if w.on_server:
            rows = (
                await w.session.execute(
                    text("SELECT * FROM kod_recording_custody(:r)"), {"r": recording_id}
                )
            ).all()
        else:
            a = AuditRecord
            rows = (
                await w.session.execute(
                    select(
                        a.occurred_at, a.username, a.action, a.reason, a.recipient, a.workstation
                    )
                    .where(
                        a.entity == "recording",
                        a.entity_id == recording_id,
                        a.action.like("recording.%"),
                    )
                    .order_by(a.id)
                )
            ).all()
        entries = tuple(
            CustodyEntry(r[0], r[1], r[2], action_label(r[2]), r[3], r[4], r[5]) for r in rows
        )
        officer_name = f"{row[2]} ({row[1]})" if row[2] else str(row[1])
        report = CustodyReport(
            recording_id=rec.id,
            sha256=rec.sha256,
            size_bytes=rec.size_bytes,
            started_at=rec.started_at,
            ended_at=rec.ended_at,
            officer=officer_name,
            device=rec.device_id,
            incident_number=row[3],
            exported_by=w.actor.display_name or w.actor.username,
            exported_at=w.now,
            recipient=recipient,
            reason=reason,
            entries=entries,
        )
        metadata: dict[str, Any] = {
            "format": "KOD-Leitstelle Beweismittelpaket 1",
            "recording_id": rec.id,
            "sha256": rec.sha256,
            "size_bytes": rec.size_bytes,
            "original_name": rec.original_name,
            "started_at": rec.started_at.isoformat(),
            "ended_at": rec.ended_at.isoformat(),
            "started_local": format_local(rec.started_at, with_seconds=True),
            "duration_ms": rec.duration_ms,
            "width": rec.width,
            "height": rec.height,
            "video_codec": rec.video_codec,
            "audio_codec": rec.audio_codec,
            "frame_rate": rec.frame_rate,
            "device": rec.device_id,
            "officer": officer_name,
            "incident": row[3],
            "location": {"text": rec.location, "lat": rec.lat, "lon": rec.lon},
            "reason_for_recording": rec.reason,
            "announced": rec.announced,
            "inside_home": rec.inside_home,
            "ordered_by": rec.ordered_by,
            "imported_at": rec.imported_at.isoformat(),
            "export": {
                "exported_at": w.now.isoformat(),
                "exported_by": report.exported_by,
                "recipient": recipient,
                "reason": reason,
            },
        }
        return metadata, report

    async def _audit_failure(self, actor: Actor, recording_id: int, exc: BaseException) -> None:
        async with unit_of_work(self._db, actor, None) as w:
            await w.audit(
                "recording.export.cancel",
                "recording",
                recording_id,
                details={
                    "cancelled": isinstance(exc, ExportCancelled),
                    "error": type(exc).__name__,
                },
            )
