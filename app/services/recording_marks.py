"""What a viewer marks in a recording: bookmarks with notes, and snapshots kept as evidence.

Both need the right to view recordings and are audited. A snapshot (one frame as PNG, handed
over in memory) is sealed into the recording store like a recording, its data key wrapped by
the master key; it never touches the disk in clear.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, Work, reading, unit_of_work
from db.models import Recording, RecordingBookmark, RecordingSnapshot

#: The longest note of a bookmark or snapshot.
MAX_NOTE = 2000


@dataclass(frozen=True)
class Bookmark:
    """A place in a recording with a note."""

    id: int
    recording_id: int
    position_ms: int
    note: str
    created_by_id: int
    created_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """A frame kept as evidence (its content stays sealed in the store)."""

    id: int
    recording_id: int
    position_ms: int
    sha256: str
    width: int
    height: int
    created_at: datetime


def _bookmark(b: RecordingBookmark) -> Bookmark:
    return Bookmark(b.id, b.recording_id, b.position_ms, b.note, b.created_by_id, b.created_at)


def _clean_note(note: str, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError(tr("evidence", "Please write a note for the bookmark."), "note")
    if len(note) > MAX_NOTE:
        raise ValidationError(
            tr("evidence", "The note is too long (at most %1 characters).", MAX_NOTE), "note"
        )
    return note


async def _recording(w: Work, recording_id: int) -> Recording:
    rec = await w.session.get(Recording, recording_id)
    if rec is None or rec.deleted_at is not None:
        raise NotFound(
            tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
        )
    return rec


class RecordingMarkService:
    """Bookmarks and snapshots of recordings.

    ``store`` gives the evidence store when a snapshot is sealed (it may not be configured;
    bookmarks work without it).
    """

    def __init__(self, db: Database, store: Callable[[], EvidenceStore]) -> None:
        self._db = db
        self._store = store

    async def bookmarks(self, actor: Actor, recording_id: int) -> list[Bookmark]:
        """The bookmarks of a recording, in playing order."""
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            rows = await s.scalars(
                select(RecordingBookmark)
                .where(RecordingBookmark.recording_id == recording_id)
                .order_by(RecordingBookmark.position_ms, RecordingBookmark.id)
            )
            return [_bookmark(b) for b in rows]

    async def add_bookmark(
        self, actor: Actor, recording_id: int, position_ms: int, note: str
    ) -> Bookmark:
        """Mark ``position_ms`` of the recording with ``note`` (audited)."""
        note = _clean_note(note, required=True)
        async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
            await _recording(w, recording_id)
            mark = RecordingBookmark(
                recording_id=recording_id,
                position_ms=max(0, int(position_ms)),
                note=note,
                created_by_id=actor.user_id,
                created_at=w.now,
            )
            w.session.add(mark)
            await w.session.flush()
            await w.audit(
                "recording.bookmark",
                "recording",
                recording_id,
                details={"bookmark": mark.id, "position_ms": mark.position_ms},
            )
            return _bookmark(mark)

    async def edit_bookmark(self, actor: Actor, bookmark_id: int, note: str) -> Bookmark:
        """Change a bookmark's note (audited)."""
        note = _clean_note(note, required=True)
        async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
            mark = await w.session.get(RecordingBookmark, bookmark_id)
            if mark is None:
                raise NotFound(tr("evidence", "The bookmark no longer exists."))
            mark.note = note
            await w.session.flush()
            await w.audit(
                "recording.bookmark_edit",
                "recording",
                mark.recording_id,
                details={"bookmark": mark.id},
            )
            return _bookmark(mark)

    async def remove_bookmark(self, actor: Actor, bookmark_id: int) -> None:
        """Remove a bookmark (audited)."""
        async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
            mark = await w.session.get(RecordingBookmark, bookmark_id)
            if mark is None:
                return
            await w.session.delete(mark)
            await w.session.flush()
            await w.audit(
                "recording.bookmark_remove",
                "recording",
                mark.recording_id,
                details={"bookmark": bookmark_id, "position_ms": mark.position_ms},
            )

    async def snapshot(
        self,
        actor: Actor,
        recording_id: int,
        position_ms: int,
        png: bytes,
        size: tuple[int, int],
        note: str = "",
    ) -> Snapshot:
        """Keep one frame (PNG bytes) as evidence: sealed into the store, recorded, audited."""
        note = _clean_note(note, required=False)
        if not png:
            raise ValidationError(tr("evidence", "The snapshot is empty."), "png")
        # Refused before anything is sealed (permission, recording gone).
        async with reading(self._db, actor, Permission.RECORDING_VIEW) as s:
            alive = await s.scalar(
                select(Recording.id).where(
                    Recording.id == recording_id, Recording.deleted_at.is_(None)
                )
            )
        if alive is None:
            raise NotFound(
                tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
            )
        store = self._store()
        sealed = await asyncio.to_thread(store.seal_bytes, png, utcnow())
        try:
            async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
                await _recording(w, recording_id)
                shot = RecordingSnapshot(
                    recording_id=recording_id,
                    position_ms=max(0, int(position_ms)),
                    storage_key=sealed.storage_key,
                    key_id=sealed.key_id,
                    wrapped_key=sealed.wrapped_key,
                    sha256=sealed.sha256,
                    size_bytes=sealed.size_bytes,
                    width=size[0],
                    height=size[1],
                    note=note or None,
                    created_by_id=actor.user_id,
                    created_at=w.now,
                )
                w.session.add(shot)
                await w.session.flush()
                await w.audit(
                    "recording.snapshot",
                    "recording",
                    recording_id,
                    details={
                        "snapshot": shot.id,
                        "position_ms": shot.position_ms,
                        "sha256": sealed.sha256,
                    },
                )
                return Snapshot(
                    shot.id,
                    recording_id,
                    shot.position_ms,
                    shot.sha256,
                    shot.width,
                    shot.height,
                    shot.created_at,
                )
        except BaseException:
            store.delete(sealed.storage_key)
            raise
