"""Opening a stored recording: a permitted role, a stated reason, an audit record, then the key.

On PostgreSQL the wrapped data key comes only from the server's definer function
``kod_recording_key`` (db/pg_security/recordings.sql), which checks the role, requires the
reason and writes the audit record itself; the table of keys is readable by no login. On SQLite
the service does the same in one transaction. The clip viewer reads the returned
:class:`~app.evidence.sealed.SealedReader` through libvlc's callbacks; nothing is written in
clear.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.evidence.errors import TamperedError
from app.evidence.frames import demuxer_for
from app.evidence.sealed import SealedReader
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, unit_of_work
from db.models import Recording, RecordingKey

#: The shortest reason accepted (the server refuses shorter ones too).
MIN_REASON = 8


@dataclass(frozen=True)
class ReleasedKey:
    """A recording's wrapped key as released (by the server's function or, on SQLite, read)."""

    key_id: str
    wrapped_key: bytes
    storage_key: str
    sha256: str

    @classmethod
    def of(cls, row: Sequence[Any]) -> ReleasedKey:
        """From a row (key id, wrapped key, storage key, SHA-256)."""
        return cls(str(row[0]), bytes(row[1]), str(row[2]), str(row[3]))


async def stored_key(session: AsyncSession, recording_id: int) -> Row[Any] | None:
    """SQLite: the key row of a recording not deleted (the server releases it otherwise)."""
    return (
        await session.execute(
            select(
                RecordingKey.key_id,
                RecordingKey.wrapped_key,
                Recording.storage_key,
                Recording.sha256,
            )
            .join(Recording, Recording.id == RecordingKey.recording_id)
            .where(RecordingKey.recording_id == recording_id, Recording.deleted_at.is_(None))
        )
    ).first()


class OpenedRecording:
    """An opened recording: its plaintext by random access, the SHA-256 it must have, and the
    libvlc demuxer to play it with (None: libvlc's own choice; see
    :func:`app.evidence.frames.demuxer_for`)."""

    def __init__(
        self, recording_id: int, sha256: str, reader: SealedReader, demuxer: str | None = None
    ) -> None:
        self.recording_id = recording_id
        self.sha256 = sha256
        self.reader = reader
        self.demuxer = demuxer

    def verify(self) -> bool:
        """True if the whole recording decrypts (every chunk's tag) to its recorded hash."""
        try:
            return self.reader.sha256() == self.sha256
        except TamperedError:
            return False

    def close(self) -> None:
        """Release the stored file."""
        self.reader.close()


class RecordingAccessService:
    """Open recordings for viewing, with a stated reason."""

    def __init__(self, db: Database, store: EvidenceStore) -> None:
        self._db = db
        self._store = store

    async def open(self, actor: Actor, recording_id: int, reason: str) -> OpenedRecording:
        """Open ``recording_id`` for ``reason`` (audited as ``recording.open``)."""
        reason = (reason or "").strip()
        if len(reason) < MIN_REASON:
            raise ValidationError(
                tr(
                    "evidence",
                    "Please state why you open this recording (at least %1 characters); "
                    "every opening is recorded with its reason.",
                    MIN_REASON,
                ),
                "reason",
            )
        async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
            if w.on_server:
                row = (
                    await w.session.execute(
                        text("SELECT * FROM kod_recording_key(:r, :why, :ws)"),
                        {"r": recording_id, "why": reason, "ws": w.workstation},
                    )
                ).first()
            else:
                row = await stored_key(w.session, recording_id)
                if row is not None:
                    await w.audit("recording.open", "recording", recording_id, reason=reason)
        if row is None:
            raise NotFound(
                tr("evidence", "The recording no. %1 does not exist or was deleted.", recording_id)
            )
        return await asyncio.to_thread(self._opened, recording_id, ReleasedKey.of(row))

    def _opened(self, recording_id: int, released: ReleasedKey) -> OpenedRecording:
        """The recording's reader and the demuxer its container needs (in a worker: reads the
        file's head and tables)."""
        reader = self._store.reader(released.storage_key, released.wrapped_key, released.key_id)
        try:
            demuxer = demuxer_for(reader.read, reader.size)
        except (TamperedError, ValueError, OSError):
            demuxer = None  # damaged where the tables are: playback and the check report it
        return OpenedRecording(recording_id, released.sha256, reader, demuxer)

    async def check(self, actor: Actor, opened: OpenedRecording) -> None:
        """Verify every chunk's tag and the SHA-256 of ``opened`` (in a worker thread).

        A mismatch is audited (``recording.tampered``) and raised as :class:`TamperedError`
        with a German warning; the viewer then blocks playback.
        """
        if not await asyncio.to_thread(opened.verify):
            raise await self.tampered(actor, opened.recording_id)

    async def tampered(self, actor: Actor, recording_id: int, detail: str = "") -> TamperedError:
        """Audit that ``recording_id`` failed its integrity check; the error to show."""
        async with unit_of_work(self._db, actor, Permission.RECORDING_VIEW) as w:
            await w.audit(
                "recording.tampered",
                "recording",
                recording_id,
                details={"detail": detail[:500]} if detail else None,
            )
        return TamperedError(tampered_message(recording_id))


def tampered_message(recording_id: int) -> str:
    """The warning shown when a recording fails its integrity check (German)."""
    return tr(
        "evidence",
        "The recording no. %1 failed its integrity check: it was changed or damaged "
        "after it was imported. It is not played. The finding has been recorded in the "
        "audit log; please inform the data-protection officer.",
        recording_id,
    )
