"""The deletion job of bodycam recordings, and the deletions coming up.

A recording is deleted at the end of the ``bodycam.retention_days``-th day after the day it
was recorded (:func:`app.domain.retention.deletion_due`) unless a hold keeps it. Deleting is
irreversible: in one transaction the wrapped data key is destroyed, the recording's row (with
its personal data: officer, place, reason), its bookmarks, its lifted holds and its snapshots
(their keys with them) are removed, an offence case that named it as evidence loses the link,
and the deletion protocol gets a line without personal data (number, hash, size, times,
"Fristablauf", how many snapshot files went with it); then the stored file and the snapshot
files are removed. A file that could not be removed (share away) is removed by a later run;
without its key it opens for no one meanwhile. A snapshot exported as evidence before is
outside the store and not touched.

On PostgreSQL the server does the transaction (``kod_recording_expire``), deciding what is due
by its own clock and setting; any login may start it, so every workstation and the scheduled
``kod-admin retention run`` can. The server cannot see the store, so only a login that may
delete recordings (``recording.delete``) or the schema owner removes the files and marks them
removed in the protocol; under any other login the job leaves the files (keyless) to them.
On SQLite the service does the same, with an injectable clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.sql.expression import Exists

from app.domain.retention import EXPIRED, EXPIRED_LABEL, deletion_due, earliest_start_due
from app.evidence.storage import BlobStore
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, Work, reading, unit_of_work
from app.services.settings import read_setting
from db.models import (
    OffenceEvidence,
    Recording,
    RecordingDeletion,
    RecordingDeletionSnapshot,
    RecordingHold,
    RecordingKey,
    RecordingSnapshot,
)

log = logging.getLogger(__name__)

#: Most recordings one run deletes (the next run takes the rest).
BATCH = 500
#: How often the workstation runs the job (seconds).
INTERVAL_S = 15 * 60


@dataclass(frozen=True)
class DeletedRecording:
    """One recording a run deleted."""

    recording_id: int
    protocol_id: int
    storage_key: str


@dataclass(frozen=True)
class RetentionResult:
    """What a run did."""

    deleted: tuple[DeletedRecording, ...]
    #: Recording files removed from the store (also those a previous run left).
    files_removed: int
    #: Storage keys whose file could not be removed (tried again by the next run).
    files_left: tuple[str, ...] = field(default=())
    #: Snapshot files of deleted recordings removed from the store.
    snapshots_removed: int = 0
    #: PostgreSQL: this login may not mark files removed (no ``recording.delete``); the files
    #: are left to a Schichtleitung login or the owner's scheduled task.
    files_left_to_others: bool = False


@dataclass(frozen=True)
class UpcomingDeletion:
    """A recording that the job deletes within the days asked for (no hold keeps it)."""

    recording_id: int
    started_at: datetime
    due_at: datetime
    officer_id: int
    incident_id: int | None


def _unreleased_hold() -> Exists:
    return exists().where(
        RecordingHold.recording_id == Recording.id, RecordingHold.released_at.is_(None)
    )


class RetentionService:
    """Deletes recordings whose period ran out; lists the deletions coming up."""

    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self._db = db
        self._blobs = blobs

    async def run(
        self, actor: Actor, now: datetime | None = None, limit: int = BATCH
    ) -> RetentionResult:
        """Delete what is due at ``now`` (default: the current time; on PostgreSQL always the
        server's time) and remove the files, also those a previous run left."""
        async with unit_of_work(self._db, actor, None) as w:
            if w.on_server:
                rows = (
                    await w.session.execute(
                        text("SELECT * FROM kod_recording_expire(:n)"), {"n": limit}
                    )
                ).all()
                deleted = [DeletedRecording(int(r[0]), int(r[2]), str(r[1])) for r in rows]
            else:
                deleted = await self._expire_here(w, now or utcnow(), limit)
        failed: list[str] = []
        removed = 0
        snapshots = 0
        if not await self._may_remove_files():
            # The protocol may say a file is gone only when it is: this login deletes what is
            # due (its key is destroyed, so the file opens for no one) and leaves the files to
            # the job of a login that may (recording.delete) or the scheduled task.
            if deleted:
                log.info("bodycam retention: %d recordings deleted", len(deleted))
            return RetentionResult(tuple(deleted), 0, files_left_to_others=True)
        for protocol_id, key in await self._files_left():
            if self._remove(key, failed):
                await self._mark_removed(actor, protocol_id)
                removed += 1
        for file_id, key in await self._snapshot_files_left():
            if self._remove(key, failed):
                await self._mark_snapshot_removed(actor, file_id)
                snapshots += 1
        if deleted:
            log.info("bodycam retention: %d recordings deleted", len(deleted))
        return RetentionResult(tuple(deleted), removed, tuple(failed), snapshots)

    async def _may_remove_files(self) -> bool:
        """Whether this login may mark files removed (PostgreSQL: recording.delete or the
        owner; SQLite: whoever can write the file)."""
        if self._db.target.is_sqlite:
            return True
        async with self._db.read() as s:
            return bool(
                await s.scalar(
                    text(
                        "SELECT has_function_privilege("
                        "'public.kod_recording_file_removed(bigint)', 'EXECUTE')"
                    )
                )
            )

    def _remove(self, key: str, failed: list[str]) -> bool:
        try:
            self._blobs.delete(key)
        except KodError as exc:
            log.warning("stored file %s of a deleted recording not removed: %s", key, exc)
            failed.append(key)
            return False
        return True

    async def _expire_here(self, w: Work, now: datetime, limit: int) -> list[DeletedRecording]:
        days = int(await read_setting(w.session, "bodycam.retention_days"))
        rows = (
            await w.session.execute(
                select(Recording)
                .where(
                    Recording.started_at < earliest_start_due(now, days),
                    Recording.deleted_at.is_(None),
                    ~_unreleased_hold(),
                )
                .order_by(Recording.started_at, Recording.id)
            )
        ).scalars()
        due = [(rec, deletion_due(rec.started_at, days)) for rec in rows]
        deleted: list[DeletedRecording] = []
        for rec, due_at in [(r, d) for r, d in due if d <= now][:limit]:
            entry = RecordingDeletion(
                recording_id=rec.id,
                sha256=rec.sha256,
                size_bytes=rec.size_bytes,
                started_at=rec.started_at,
                ended_at=rec.ended_at,
                due_at=due_at,
                deleted_at=now,
                reason=EXPIRED,
                storage_key=rec.storage_key,
            )
            w.session.add(entry)
            await w.session.flush()
            s = w.session
            snapshot_keys = list(
                await s.scalars(
                    select(RecordingSnapshot.storage_key).where(
                        RecordingSnapshot.recording_id == rec.id
                    )
                )
            )
            s.add_all(
                RecordingDeletionSnapshot(deletion_id=entry.id, storage_key=k)
                for k in snapshot_keys
            )
            entry.snapshot_files = len(snapshot_keys)
            await s.execute(
                delete(RecordingSnapshot).where(RecordingSnapshot.recording_id == rec.id)
            )
            await s.execute(delete(RecordingKey).where(RecordingKey.recording_id == rec.id))
            await s.execute(delete(RecordingHold).where(RecordingHold.recording_id == rec.id))
            await s.execute(
                update(OffenceEvidence)
                .where(OffenceEvidence.recording_id == rec.id)
                .values(recording_id=None)
            )
            await s.delete(rec)
            await s.flush()
            await w.audit(
                "recording.delete",
                "recording",
                entry.recording_id,
                details={"protocol": entry.id, "sha256": entry.sha256},
                reason=EXPIRED_LABEL,
            )
            w.changed("recording", entry.recording_id, "delete")
            deleted.append(DeletedRecording(entry.recording_id, entry.id, entry.storage_key))
        return deleted

    async def _files_left(self) -> list[tuple[int, str]]:
        async with self._db.read() as s:
            rows = (
                await s.execute(
                    select(RecordingDeletion.id, RecordingDeletion.storage_key)
                    .where(RecordingDeletion.file_removed_at.is_(None))
                    .order_by(RecordingDeletion.id)
                )
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    async def _snapshot_files_left(self) -> list[tuple[int, str]]:
        async with self._db.read() as s:
            rows = (
                await s.execute(
                    select(
                        RecordingDeletionSnapshot.id, RecordingDeletionSnapshot.storage_key
                    ).order_by(RecordingDeletionSnapshot.id)
                )
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    async def _mark_snapshot_removed(self, actor: Actor, file_id: int) -> None:
        async with unit_of_work(self._db, actor, None) as w:
            if w.on_server:
                await w.session.execute(
                    text("SELECT kod_recording_snapshot_removed(:f)"), {"f": file_id}
                )
                return
            gone = await w.session.get(RecordingDeletionSnapshot, file_id)
            if gone is None:
                return
            await w.session.execute(
                update(RecordingDeletion)
                .where(RecordingDeletion.id == gone.deletion_id)
                .values(snapshot_files_removed=RecordingDeletion.snapshot_files_removed + 1)
            )
            await w.session.delete(gone)

    async def _mark_removed(self, actor: Actor, protocol_id: int) -> None:
        async with unit_of_work(self._db, actor, None) as w:
            if w.on_server:
                await w.session.execute(
                    text("SELECT kod_recording_file_removed(:p)"), {"p": protocol_id}
                )
            else:
                await w.session.execute(
                    update(RecordingDeletion)
                    .where(RecordingDeletion.id == protocol_id)
                    .values(file_removed_at=w.now)
                )

    async def upcoming(
        self, actor: Actor, days_ahead: int, now: datetime | None = None
    ) -> list[UpcomingDeletion]:
        """Recordings the job deletes before ``days_ahead`` days from ``now`` are over (those
        overdue included), soonest first; held ones are not listed."""
        clock = now or utcnow()
        horizon = clock + timedelta(days=max(days_ahead, 0))
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            days = int(await read_setting(s, "bodycam.retention_days"))
            rows = (
                await s.execute(
                    select(
                        Recording.id,
                        Recording.started_at,
                        Recording.officer_id,
                        Recording.incident_id,
                    ).where(
                        Recording.started_at < earliest_start_due(horizon, days),
                        Recording.deleted_at.is_(None),
                        ~_unreleased_hold(),
                    )
                )
            ).all()
        found = [
            UpcomingDeletion(int(r[0]), r[1], deletion_due(r[1], days), int(r[2]), r[3])
            for r in rows
        ]
        return sorted(
            (u for u in found if u.due_at <= horizon), key=lambda u: (u.due_at, u.recording_id)
        )
