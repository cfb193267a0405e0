"""The evidence store: sealing files into the blob store and opening them again.

It holds the master key and the blob store; the database holds, per recording, the storage
key, the wrapped data key and the master key's id (:mod:`app.services.recording_import`).
Opening it checks the key file and the store first and refuses with a German message; nothing
is ever written in clear.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from app.evidence.config import EvidenceConfig
from app.evidence.keys import MasterKey, load_master_key, new_data_key
from app.evidence.sealed import CHUNK_SIZE, Progress, SealedReader, Sealer, storage_key_for
from app.evidence.storage import BlobStore, FolderStore


@dataclass(frozen=True)
class SealedRecording:
    """A file sealed into the store: what the database keeps about it."""

    storage_key: str
    key_id: str
    wrapped_key: bytes
    sha256: str
    size_bytes: int


class EvidenceStore:
    """Seal, open, verify and delete recordings."""

    def __init__(
        self,
        master: MasterKey,
        blobs: BlobStore,
        quarantine_dir: Path,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.master = master
        self.blobs = blobs
        self.quarantine_dir = quarantine_dir
        self._chunk_size = chunk_size

    @classmethod
    def open(cls, config: EvidenceConfig) -> EvidenceStore:
        """The store of ``config``; ConfigError/StorageError (German) if it cannot work."""
        master = load_master_key(config.key_file)
        return cls(master, FolderStore.at(config.store_dir), config.quarantine_dir)

    def seal_file(
        self,
        path: Path,
        when: datetime,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SealedRecording:
        """Hash and encrypt ``path`` into the store in one pass (blocking: run in a worker)."""
        with path.open("rb") as source:
            total = os.fstat(source.fileno()).st_size
            return self._seal(source, total, when, progress, cancelled)

    def seal_bytes(self, data: bytes, when: datetime) -> SealedRecording:
        """Seal a small piece of evidence held in memory (a snapshot): never written in clear."""
        return self._seal(io.BytesIO(data), len(data), when)

    def _seal(
        self,
        source: BinaryIO,
        total: int,
        when: datetime,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SealedRecording:
        storage_id = uuid.uuid4()
        storage_key = storage_key_for(storage_id, when)
        data_key = new_data_key()
        sealer = Sealer(data_key, storage_id, self._chunk_size)
        self.blobs.put(storage_key, sealer.stream(source, total, progress, cancelled))
        return SealedRecording(
            storage_key=storage_key,
            key_id=self.master.key_id,
            wrapped_key=self.master.wrap(data_key, storage_key),
            sha256=sealer.sha256,
            size_bytes=sealer.plain_bytes,
        )

    def reader(self, storage_key: str, wrapped_key: bytes, key_id: str) -> SealedReader:
        """Random access to a stored recording's plaintext (close it after use)."""
        data_key = self.master.unwrap(wrapped_key, storage_key, key_id)
        blob = self.blobs.open(storage_key)
        try:
            return SealedReader(blob, data_key, storage_key)
        except BaseException:
            blob.close()
            raise

    def stored_sha256(
        self,
        storage_key: str,
        wrapped_key: bytes,
        key_id: str,
        progress: Progress | None = None,
    ) -> str:
        """The SHA-256 of a stored recording, read back and every chunk checked."""
        reader = self.reader(storage_key, wrapped_key, key_id)
        try:
            return reader.sha256(progress)
        finally:
            reader.close()

    def delete(self, storage_key: str) -> None:
        """Remove a stored recording's file."""
        self.blobs.delete(storage_key)
