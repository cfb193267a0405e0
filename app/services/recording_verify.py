"""Checking the whole recording store: every chunk's GCM tag and every recording's SHA-256.

Each recording is read back from the store, every chunk decrypted (a changed byte, a swapped
or cut-off chunk fails its tag) and the plaintext's SHA-256 compared with the one recorded at
import; the snapshots kept as evidence are checked the same way. Files in the store that belong
to no recording, no snapshot and no deletion are named as well. The check is audited
(``recording.verify``: how many, which failed). On PostgreSQL the keys come
from ``kod_recording_verify_keys``, which only the database owner may call (the scheduled
check); the person logins have no way to every key at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, text

from app.evidence.errors import StorageError, TamperedError
from app.evidence.store import EvidenceStore
from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, unit_of_work
from db.models import (
    Recording,
    RecordingDeletion,
    RecordingDeletionSnapshot,
    RecordingKey,
    RecordingSnapshot,
)


class Outcome(StrEnum):
    """What the check found for one recording."""

    OK = "ok"
    TAMPERED = "tampered"
    HASH_MISMATCH = "hash_mismatch"
    MISSING = "missing"
    NO_KEY = "no_key"


@dataclass(frozen=True)
class RecordingCheck:
    """The result for one recording, or one of its snapshots (``message`` in German)."""

    recording_id: int
    storage_key: str
    outcome: Outcome
    message: str
    #: The snapshot checked (None: the recording itself).
    snapshot_id: int | None = None

    @property
    def ok(self) -> bool:
        """True if the recording is whole."""
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class VerifyReport:
    """The whole check."""

    checks: tuple[RecordingCheck, ...]
    #: Files in the store that no recording, no snapshot and no deletion protocol names.
    strays: tuple[str, ...]
    #: The snapshots kept as evidence.
    snapshot_checks: tuple[RecordingCheck, ...] = ()

    @property
    def failed(self) -> tuple[RecordingCheck, ...]:
        """The recordings and snapshots that failed."""
        return tuple(c for c in (*self.checks, *self.snapshot_checks) if not c.ok)

    @property
    def ok(self) -> bool:
        """True if every recording is whole."""
        return not self.failed


#: ``progress(done_recordings, total_recordings)``.
VerifyProgress = Callable[[int, int], None]


class VerifyService:
    """Checks every stored recording."""

    def __init__(self, db: Database, store: EvidenceStore) -> None:
        self._db = db
        self._store = store

    async def verify_all(
        self, actor: Actor, progress: VerifyProgress | None = None
    ) -> VerifyReport:
        """Check every recording (blocking reads run in a worker thread)."""
        async with unit_of_work(self._db, actor, Permission.AUDIT_VERIFY) as w:
            if w.on_server:
                rows = (
                    await w.session.execute(
                        text("SELECT * FROM kod_recording_verify_keys(:ws)"),
                        {"ws": w.workstation},
                    )
                ).all()
            else:
                rows = (
                    await w.session.execute(
                        select(
                            Recording.id,
                            RecordingKey.key_id,
                            RecordingKey.wrapped_key,
                            Recording.storage_key,
                            Recording.sha256,
                        )
                        .join(RecordingKey, RecordingKey.recording_id == Recording.id, isouter=True)
                        .where(Recording.deleted_at.is_(None))
                        .order_by(Recording.id)
                    )
                ).all()
            # Only the schema owner gets this far on PostgreSQL (the function above).
            shots = (
                await w.session.execute(
                    select(
                        RecordingSnapshot.recording_id,
                        RecordingSnapshot.key_id,
                        RecordingSnapshot.wrapped_key,
                        RecordingSnapshot.storage_key,
                        RecordingSnapshot.sha256,
                        RecordingSnapshot.id,
                    ).order_by(RecordingSnapshot.id)
                )
            ).all()
            deleted_keys = set(
                (await w.session.execute(select(RecordingDeletion.storage_key))).scalars()
            ) | set(
                (await w.session.execute(select(RecordingDeletionSnapshot.storage_key))).scalars()
            )
        checks: list[RecordingCheck] = []
        for n, row in enumerate(rows, start=1):
            checks.append(await asyncio.to_thread(self._check, *row))
            if progress is not None:
                progress(n, len(rows))
        snapshot_checks = [await asyncio.to_thread(self._check, *shot) for shot in shots]
        known = {c.storage_key for c in (*checks, *snapshot_checks)} | deleted_keys
        strays = tuple(k for k in await asyncio.to_thread(self._stored_keys) if k not in known)
        report = VerifyReport(tuple(checks), strays, tuple(snapshot_checks))
        async with unit_of_work(self._db, actor, None) as w:
            await w.audit(
                "recording.verify",
                details={
                    "checked": len(checks),
                    "snapshots": len(snapshot_checks),
                    "failed": {_label(c): c.outcome.value for c in report.failed},
                    "strays": len(strays),
                },
            )
        return report

    def _stored_keys(self) -> list[str]:
        try:
            return list(self._store.blobs.keys())
        except StorageError:
            return []

    def _check(
        self,
        recording_id: int,
        key_id: str | None,
        wrapped: bytes | None,
        storage_key: str,
        sha256: str,
        snapshot_id: int | None = None,
    ) -> RecordingCheck:
        def result(outcome: Outcome, message: str) -> RecordingCheck:
            return RecordingCheck(recording_id, storage_key, outcome, message, snapshot_id)

        if key_id is None or wrapped is None:
            return result(
                Outcome.NO_KEY,
                tr("evidence", "Its key is missing: the recording cannot be opened."),
            )
        if not self._store.blobs.exists(storage_key):
            return result(
                Outcome.MISSING,
                tr("evidence", "The file %1 is missing from the store.", storage_key),
            )
        try:
            actual = self._store.stored_sha256(storage_key, bytes(wrapped), str(key_id))
        except TamperedError as exc:
            return result(Outcome.TAMPERED, str(exc))
        except KodError as exc:
            return result(Outcome.MISSING, str(exc))
        if actual != sha256:
            return result(
                Outcome.HASH_MISMATCH,
                tr(
                    "evidence",
                    "Its SHA-256 is %1, but %2 was recorded at import: the content was changed.",
                    actual,
                    sha256,
                ),
            )
        return result(Outcome.OK, tr("evidence", "intact (every block and the SHA-256 checked)"))


def _label(check: RecordingCheck) -> str:
    """The audit key of a failed check: the recording's number, ``<id>/snapshot <id>`` for a
    snapshot."""
    if check.snapshot_id is None:
        return str(check.recording_id)
    return f"{check.recording_id}/snapshot {check.snapshot_id}"
