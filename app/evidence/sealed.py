"""The sealed recording format: AES-256-GCM in chunks that decrypt independently.

Layout: a 32-byte header (``KODREC``, format version, chunk size, the recording's storage id),
then chunk after chunk, each ``chunk_size`` bytes of plaintext encrypted to the same length
plus a 16-byte GCM tag (the last chunk may be shorter). Chunk ``i`` is encrypted with the
recording's own data key, nonce ``i`` and as associated data the whole header, ``i`` and
whether it is the last chunk. So every chunk is bound to its place and its recording: a
changed byte, swapped or reordered chunks, a chunk from another recording, a cut-off end or a
changed header all fail the tag check. The plaintext size follows from the blob's size, and
any byte range decrypts only the chunks it touches (random access for libvlc's callbacks).
"""

from __future__ import annotations

import hashlib
import queue
import struct
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.evidence.errors import ImportCancelled, TamperedError
from app.evidence.storage import BlobReader
from app.platform.i18n import tr

MAGIC = b"KODREC"
VERSION = 1
#: magic, version, chunk size, 4 reserved bytes, storage id
HEADER = struct.Struct(">6sHI4x16s")
TAG_BYTES = 16
#: 1 MiB of plaintext per chunk: a seek decrypts at most about a megabyte.
CHUNK_SIZE = 1 << 20
#: Chunks a reader keeps decrypted: playback, the integrity check and the frame index read
#: the same recording at different places at once.
CACHED_CHUNKS = 4
SUFFIX = ".kodrec"

#: ``progress(done_bytes, total_bytes)``; called from the worker thread.
Progress = Callable[[int, int], None]


def storage_key_for(storage_id: uuid.UUID, when: datetime) -> str:
    """Where a recording is stored: ``YYYY/MM/<id>.kodrec`` by its start."""
    return f"{when:%Y}/{when:%m}/{storage_id.hex}{SUFFIX}"


def storage_id_of(key: str) -> uuid.UUID:
    """The storage id a storage key names."""
    return uuid.UUID(hex=key.rsplit("/", 1)[-1].removesuffix(SUFFIX))


def _header(storage_id: uuid.UUID, chunk_size: int) -> bytes:
    return HEADER.pack(MAGIC, VERSION, chunk_size, storage_id.bytes)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if last else 0)


class Hasher:
    """SHA-256 in a thread of its own: hashing (which releases the GIL) runs on the second core
    while the caller reads, encrypts and writes. ``update`` hands a block over; ``hexdigest``
    waits for the rest. Use it as a context manager so the thread ends on errors too."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (block := self._blocks.get()) is not None:
            self._digest.update(block)

    def update(self, block: bytes) -> None:
        """Hash ``block`` next."""
        self._blocks.put(block)

    def hexdigest(self) -> str:
        """The digest of everything handed over (ends the thread)."""
        self.close()
        return self._digest.hexdigest()

    def close(self) -> None:
        """End the thread (idempotent)."""
        if self._thread.is_alive():
            self._blocks.put(None)
            self._thread.join()

    def __enter__(self) -> Hasher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Sealer:
    """Seals one plaintext stream, hashing it (SHA-256) in the same pass."""

    def __init__(self, data_key: bytes, storage_id: uuid.UUID, chunk_size: int = CHUNK_SIZE):
        self._aead = AESGCM(data_key)
        self._header = _header(storage_id, chunk_size)
        self._chunk_size = chunk_size
        self._hasher: Hasher | None = None
        #: The plaintext's SHA-256 (hex), once the stream is complete.
        self.sha256 = ""
        self.plain_bytes = 0

    def stream(
        self,
        source: BinaryIO,
        total: int,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Iterator[bytes]:
        """The sealed blob, block by block, read from ``source`` (``total`` bytes expected).

        Raises :class:`ImportCancelled` as soon as ``cancelled()`` says so.
        """
        with Hasher() as hasher:
            yield self._header
            current = source.read(self._chunk_size)
            index = 0
            while True:
                if cancelled is not None and cancelled():
                    raise ImportCancelled(tr("evidence", "The import was cancelled."))
                following = source.read(self._chunk_size)
                last = not following
                hasher.update(current)
                self.plain_bytes += len(current)
                yield self._aead.encrypt(_nonce(index), current, _aad(self._header, index, last))
                if progress is not None:
                    progress(self.plain_bytes, total)
                if last:
                    self.sha256 = hasher.hexdigest()
                    return
                current = following
                index += 1


class SealedReader:
    """Random access to the plaintext of one sealed blob (thread-safe, nothing on disk)."""

    def __init__(self, blob: BlobReader, data_key: bytes, storage_key: str) -> None:
        self._blob = blob
        self._key = storage_key
        self._aead = AESGCM(data_key)
        self._lock = threading.Lock()
        self._cached: OrderedDict[int, bytes] = OrderedDict()
        header = blob.read_at(0, HEADER.size)
        if len(header) != HEADER.size:
            raise self._broken(tr("evidence", "the header is missing"))
        magic, version, chunk_size, raw_id = HEADER.unpack(header)
        if magic != MAGIC or version != VERSION or chunk_size <= 0:
            raise self._broken(tr("evidence", "it is not a sealed recording of this program"))
        if raw_id != storage_id_of(storage_key).bytes:
            raise self._broken(tr("evidence", "the file belongs to another recording"))
        self._header = header
        self.chunk_size = chunk_size
        body = blob.size - HEADER.size
        step = chunk_size + TAG_BYTES
        self.chunk_count = max(1, -(-body // step))
        last_len = body - (self.chunk_count - 1) * step
        if last_len < TAG_BYTES:
            raise self._broken(tr("evidence", "the end of the file is cut off"))
        #: The plaintext size in bytes.
        self.size = (self.chunk_count - 1) * chunk_size + last_len - TAG_BYTES

    def _broken(self, why: str) -> TamperedError:
        return TamperedError(
            tr(
                "evidence",
                "The stored recording %1 is damaged or was tampered with (%2). It must not be "
                "used as evidence in this state.",
                self._key,
                why,
            )
        )

    def chunk(self, index: int, keep: bool = True) -> bytes:
        """The plaintext of chunk ``index`` (its GCM tag checked). ``keep=False``: decrypted
        anew and not kept (a pass over the whole recording, which would only push out the
        chunks playback needs)."""
        with self._lock:
            plain = self._cached.get(index) if keep else None
            if plain is not None:
                self._cached.move_to_end(index)
                return plain
            step = self.chunk_size + TAG_BYTES
            sealed = self._blob.read_at(HEADER.size + index * step, step)
            last = index == self.chunk_count - 1
            try:
                plain = self._aead.decrypt(_nonce(index), sealed, _aad(self._header, index, last))
            except (InvalidTag, ValueError) as exc:
                raise self._broken(
                    tr("evidence", "block %1 of %2 fails its check", index + 1, self.chunk_count)
                ) from exc
            if not keep:
                return plain
            self._cached[index] = plain
            if len(self._cached) > CACHED_CHUNKS:
                self._cached.popitem(last=False)
            return plain

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` plaintext bytes from ``offset``, decrypting only the chunks needed."""
        if offset < 0 or size < 0:
            raise ValueError("offset and size must not be negative")
        end = min(offset + size, self.size)
        parts: list[bytes] = []
        position = offset
        while position < end:
            index, within = divmod(position, self.chunk_size)
            piece = self.chunk(index)[within : within + end - position]
            parts.append(piece)
            position += len(piece)
        return b"".join(parts)

    def chunks(self) -> Iterator[bytes]:
        """Every chunk's plaintext in order (for verification and export)."""
        for index in range(self.chunk_count):
            yield self.chunk(index, keep=False)

    def sha256(self, progress: Progress | None = None) -> str:
        """The SHA-256 of the whole plaintext, every chunk checked on the way."""
        done = 0
        with Hasher() as digest:
            for plain in self.chunks():
                digest.update(plain)
                done += len(plain)
                if progress is not None:
                    progress(done, self.size)
            return digest.hexdigest()

    def close(self) -> None:
        """Release the blob."""
        self._cached.clear()
        self._blob.close()
