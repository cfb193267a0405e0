"""Importing bodycam recordings: check, hash and encrypt in one pass, verify, record, audit.

A file is checked first (empty, cut off, not a video: quarantined with a German message), its
details come from its sidecar and the import dialog, and the incident is proposed from the
officer's unit and the recording's time (a person confirms it later). Then it is hashed and
sealed into the store in one streaming pass in a worker thread, with progress and cancel; a
file already imported (same SHA-256) is quarantined. The stored copy is read back, every chunk
decrypted and the hash compared, before the recording and its wrapped key are written in one
audited transaction; only then does the original leave the import folder. Whatever fails on
the way, the stored copy is removed again and the original stays where it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.domain.retention import deletion_due
from app.evidence.errors import (
    ImportCancelled,
    RejectedFile,
    SourceChanged,
    StorageError,
    TamperedError,
)
from app.evidence.media import MediaInfo, inspect
from app.evidence.quarantine import quarantine
from app.evidence.sealed import Progress
from app.evidence.sidecar import RecordingDetails, read_sidecar, sidecar_path
from app.evidence.store import EvidenceStore, SealedRecording
from app.platform.database import Database
from app.platform.errors import KodError, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, reading, unit_of_work
from app.services.recording_links import proposed_incident, resolve_people
from app.services.settings import read_setting
from db.models import Recording, RecordingKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportedRecording:
    """A recording as imported."""

    id: int
    storage_key: str
    sha256: str
    size_bytes: int
    officer_id: int
    unit_id: int | None
    started_at: datetime
    ended_at: datetime
    delete_after: datetime
    media: MediaInfo
    proposed_incident_id: int | None
    proposed_incident_number: str | None
    #: False if the original could not be removed (it will be refused as a duplicate later).
    original_removed: bool


@dataclass(frozen=True)
class _Resolved:
    details: RecordingDetails
    officer_id: int
    unit_id: int | None
    started_at: datetime
    ended_at: datetime


class RecordingImportService:
    """Import video files into the encrypted recording store."""

    def __init__(self, db: Database, store: EvidenceStore) -> None:
        self._db = db
        self._store = store

    async def import_file(
        self,
        actor: Actor,
        path: Path,
        given: RecordingDetails | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ImportedRecording:
        """Import ``path``; ``given`` overrides the sidecar's details.

        ``progress(done, total)`` is called from a worker thread (sealing, then read-back).
        Raises :class:`RejectedFile` (file quarantined), :class:`ValidationError` (details
        missing or wrong; the file stays), :class:`ImportCancelled` and other
        :class:`KodError` s (the file stays, nothing stored).
        """
        await check(self._db, actor, Permission.RECORDING_IMPORT)
        if not path.is_file():
            raise ValidationError(tr("evidence", "The file %1 does not exist.", path), "path")
        try:
            media = await asyncio.to_thread(inspect, path)
        except RejectedFile as exc:
            await self._reject(actor, path, exc)
            raise
        details = read_sidecar(path).merged(given)
        resolved = await self._resolve(actor, details, media)
        before = path.stat()
        sealed = await asyncio.to_thread(
            self._store.seal_file, path, resolved.started_at, _half(progress, 0), cancelled
        )
        try:
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise SourceChanged(
                    tr(
                        "evidence",
                        "The file %1 changed while it was being imported (is it still being "
                        "copied?). Nothing was stored; import it again when it is complete.",
                        path.name,
                    )
                )
            await self._refuse_duplicate(actor, sealed.sha256, path.name)
            await asyncio.to_thread(self._verify, sealed, _half(progress, 1), cancelled)
            result = await self._record(actor, path, media, resolved, sealed)
        except RejectedFile as exc:
            self._discard(sealed.storage_key)
            await self._reject(actor, path, exc, sealed.sha256)
            raise
        except BaseException:
            self._discard(sealed.storage_key)
            raise
        return result

    def _discard(self, storage_key: str) -> None:
        """Remove a stored copy that is not kept (a failure here must not hide the cause)."""
        try:
            self._store.delete(storage_key)
        except KodError as exc:
            log.error("stored copy %s not kept but not removable: %s", storage_key, exc)

    def _verify(
        self,
        sealed: SealedRecording,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        def step(done: int, total: int) -> None:
            if cancelled is not None and cancelled():
                raise ImportCancelled(tr("evidence", "The import was cancelled."))
            if progress is not None:
                progress(done, total)

        failed = TamperedError(
            tr(
                "evidence",
                "The stored copy does not match the original when read back. Nothing was "
                "kept; the original stays in the import folder.",
            )
        )
        try:
            stored = self._store.stored_sha256(
                sealed.storage_key, sealed.wrapped_key, sealed.key_id, step
            )
        except TamperedError as exc:
            raise failed from exc
        if stored != sealed.sha256:
            raise failed

    async def _resolve(
        self, actor: Actor, details: RecordingDetails, media: MediaInfo
    ) -> _Resolved:
        missing = [
            (field, label)
            for field, label in (
                ("officer", tr("evidence", "recording officer")),
                ("device", tr("evidence", "camera")),
                ("started_at", tr("evidence", "start of the recording")),
                ("reason", tr("evidence", "reason for recording (the concrete danger)")),
                ("announced", tr("evidence", "whether the recording was announced")),
            )
            if getattr(details, field) is None
        ]
        if missing:
            raise ValidationError(
                tr(
                    "evidence",
                    "Details of the recording are missing: %1. Enter them in the import dialog "
                    "(or in the camera's metadata file); the video stays in the import folder.",
                    ", ".join(label for _field, label in missing),
                ),
                missing[0][0],
            )
        assert details.started_at is not None and details.officer is not None
        if details.inside_home and not details.ordered_by:
            raise ValidationError(
                tr(
                    "evidence",
                    "A recording inside a home needs the name of whoever ordered it.",
                ),
                "ordered_by",
            )
        started = details.started_at
        ended = details.ended_at
        if ended is None and media.duration_ms is not None:
            ended = started + timedelta(milliseconds=media.duration_ms)
        if ended is None:
            raise ValidationError(
                tr("evidence", "The end of the recording is not known: please enter it."),
                "ended_at",
            )
        if ended < started:
            raise ValidationError(
                tr("evidence", "The recording cannot end before it starts."), "ended_at"
            )
        async with reading(self._db, actor, Permission.RECORDING_IMPORT) as s:
            officer_id, unit_id = await resolve_people(s, details.officer, details.unit, started)
        return _Resolved(details, officer_id, unit_id, started, ended)

    async def _refuse_duplicate(self, actor: Actor, sha256: str, name: str) -> None:
        async with reading(self._db, actor, Permission.RECORDING_IMPORT) as s:
            existing = await s.scalar(select(Recording.id).where(Recording.sha256 == sha256))
        if existing is not None:
            raise RejectedFile(
                tr(
                    "evidence",
                    "The file %1 was imported before (recording no. %2, same SHA-256 %3). "
                    "It is not stored a second time.",
                    name,
                    existing,
                    sha256[:16] + "…",
                ),
                "duplicate",
            )

    async def _record(
        self,
        actor: Actor,
        path: Path,
        media: MediaInfo,
        resolved: _Resolved,
        sealed: SealedRecording,
    ) -> ImportedRecording:
        d = resolved.details
        try:
            async with unit_of_work(self._db, actor, Permission.RECORDING_IMPORT) as w:
                days = int(await read_setting(w.session, "bodycam.retention_days"))
                proposal = None
                if resolved.unit_id is not None:
                    proposal = await proposed_incident(
                        w.session, resolved.unit_id, resolved.started_at, resolved.ended_at
                    )
                rec = Recording(
                    officer_id=resolved.officer_id,
                    device_id=d.device,
                    unit_id=resolved.unit_id,
                    started_at=resolved.started_at,
                    ended_at=resolved.ended_at,
                    lat=d.lat,
                    lon=d.lon,
                    location=d.location,
                    incident_id=None,
                    proposed_incident_id=proposal[0] if proposal else None,
                    reason=d.reason,
                    announced=d.announced,
                    inside_home=bool(d.inside_home),
                    ordered_by=d.ordered_by,
                    storage_key=sealed.storage_key,
                    sha256=sealed.sha256,
                    size_bytes=sealed.size_bytes,
                    delete_after=deletion_due(resolved.started_at, days),
                    imported_at=w.now,
                    imported_by_id=actor.user_id,
                    original_name=path.name[:255],
                    duration_ms=media.duration_ms,
                    width=media.width,
                    height=media.height,
                    video_codec=media.video_codec,
                    audio_codec=media.audio_codec,
                    frame_rate=media.frame_rate,
                )
                w.session.add(rec)
                await w.session.flush()
                w.session.add(
                    RecordingKey(
                        recording_id=rec.id,
                        key_id=sealed.key_id,
                        wrapped_key=sealed.wrapped_key,
                        created_at=w.now,
                    )
                )
                await w.session.flush()
                await w.audit(
                    "recording.import",
                    "recording",
                    rec.id,
                    details={
                        "file": path.name,
                        "sha256": sealed.sha256,
                        "size": sealed.size_bytes,
                        "storage_key": sealed.storage_key,
                        "proposed_incident": proposal[1] if proposal else None,
                        "verified": True,
                    },
                )
                w.changed("recording", rec.id, "insert", rec.version)
        except KodError:
            # Another workstation may have imported the same file meanwhile.
            await self._refuse_duplicate(actor, sealed.sha256, path.name)
            raise
        removed = _remove_original(path)
        return ImportedRecording(
            id=rec.id,
            storage_key=sealed.storage_key,
            sha256=sealed.sha256,
            size_bytes=sealed.size_bytes,
            officer_id=resolved.officer_id,
            unit_id=resolved.unit_id,
            started_at=resolved.started_at,
            ended_at=resolved.ended_at,
            delete_after=rec.delete_after,
            media=media,
            proposed_incident_id=proposal[0] if proposal else None,
            proposed_incident_number=proposal[1] if proposal else None,
            original_removed=removed,
        )

    async def _reject(
        self, actor: Actor, path: Path, exc: RejectedFile, sha256: str | None = None
    ) -> None:
        """Quarantine a refused file, say where in the message, and audit it."""
        try:
            moved = await asyncio.to_thread(
                quarantine, path, self._store.quarantine_dir, exc.message
            )
        except OSError as err:
            raise StorageError(
                tr(
                    "evidence",
                    "%1 The file could not be moved to the quarantine folder %2 (%3) and stays "
                    "where it is.",
                    exc.message,
                    self._store.quarantine_dir,
                    err.strerror or err,
                )
            ) from exc
        exc.moved_to = moved
        exc.message = (
            exc.message
            + " "
            + tr("evidence", "The file was moved to the quarantine folder: %1", moved)
        )
        exc.args = (exc.message,)
        async with unit_of_work(self._db, actor, Permission.RECORDING_IMPORT) as w:
            await w.audit(
                "recording.quarantine",
                details={
                    "file": path.name,
                    "reason": exc.reason,
                    "moved_to": str(moved),
                    "sha256": sha256,
                },
            )


def _half(progress: Progress | None, part: int) -> Progress | None:
    """Progress of one of the two passes (seal, read back) as part of one bar."""
    if progress is None:
        return None
    return lambda done, total: progress(part * total + done, 2 * total)


def _remove_original(path: Path) -> bool:
    try:
        path.unlink()
        sidecar_path(path).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("imported original %s could not be removed: %s", path, exc)
        return False
    return True
