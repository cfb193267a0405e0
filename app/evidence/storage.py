"""Where sealed recordings are kept: a narrow interface and its folder implementation.

Only ciphertext passes through here. The interface is what an object store offers as well
(streamed upload, ranged reads, delete, exists), so one can be added later without touching
the sealing or the import. :class:`FolderStore` keeps each recording as one file under a root
folder (a local disk, or a share that every workstation on PostgreSQL reaches); a write goes to
a temporary name and is renamed only when complete, so a cut-off write never looks stored.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from app.evidence.errors import StorageError
from app.platform.i18n import tr

#: Storage keys are relative paths of lower-case letters, digits, dots, dashes and slashes.
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
_PART = ".part-"
_READ_BLOCK = 1 << 20


class BlobReader(Protocol):
    """Random access to one stored blob (ciphertext)."""

    size: int

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (fewer only at the end)."""

    def close(self) -> None:
        """Release the handle."""


class BlobStore(Protocol):
    """The narrow storage interface the evidence store needs."""

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the stream ``chunks`` under ``key`` (which must be new); returns its size.

        If the iterable raises, nothing is stored and the error passes on.
        """

    def get(self, key: str) -> Iterator[bytes]:
        """The blob as a stream of blocks."""

    def open(self, key: str) -> BlobReader:
        """Random access to the blob."""

    def delete(self, key: str) -> None:
        """Remove the blob (no error if it is gone already)."""

    def exists(self, key: str) -> bool:
        """True if a complete blob is stored under ``key``."""

    def keys(self) -> Iterator[str]:
        """Every complete blob's key (for checking the whole store)."""

    def describe(self) -> str:
        """Where the store is, for messages and logs."""


def check_key(key: str) -> str:
    """``key`` if it is a valid storage key (no absolute paths, no ``..``)."""
    if not _KEY.match(key) or ".." in key or _PART in key:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class _FileReader:
    def __init__(self, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self.size = size

    def read_at(self, offset: int, size: int) -> bytes:
        self._fh.seek(offset)
        return self._fh.read(size)

    def close(self) -> None:
        self._fh.close()


class FolderStore:
    """Sealed recordings as files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def at(cls, root: Path) -> FolderStore:
        """The store at ``root`` (created if its parent exists); German error if unusable."""
        try:
            root.mkdir(parents=False, exist_ok=True)
            probe = root / f"{_PART}probe-{secrets.token_hex(4)}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StorageError(
                tr(
                    "evidence",
                    "The recording store %1 cannot be used: %2. Check the folder (or the "
                    "share) and KOD_RECORDING_STORE.",
                    root,
                    exc.strerror or str(exc),
                )
            ) from exc
        return cls(root)

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        final = self._path(key)
        if final.exists():
            raise StorageError(tr("evidence", "The store already holds %1.", key))
        part = final.with_name(final.name + _PART + secrets.token_hex(6))
        written = 0
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with part.open("xb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, final)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise StorageError(
                tr("evidence", "Writing to the recording store failed: %1", exc.strerror or exc)
            ) from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return written

    def get(self, key: str) -> Iterator[bytes]:
        try:
            with self._path(key).open("rb") as fh:
                while block := fh.read(_READ_BLOCK):
                    yield block
        except OSError as exc:
            raise self._read_error(key, exc) from exc

    def open(self, key: str) -> BlobReader:
        path = self._path(key)
        try:
            fh = path.open("rb")
            return _FileReader(fh, os.fstat(fh.fileno()).st_size)
        except OSError as exc:
            raise self._read_error(key, exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                tr("evidence", "%1 could not be removed from the store: %2", key, exc.strerror)
            ) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        try:
            for path in sorted(self.root.rglob("*")):
                name = path.relative_to(self.root).as_posix()
                if path.is_file() and _PART not in path.name and _KEY.match(name):
                    yield name
        except OSError as exc:
            raise StorageError(
                tr("evidence", "The recording store %1 cannot be read: %2", self.root, exc)
            ) from exc

    def _read_error(self, key: str, exc: OSError) -> StorageError:
        if isinstance(exc, FileNotFoundError):
            return StorageError(
                tr("evidence", "The recording %1 is missing from the store %2.", key, self.root)
            )
        return StorageError(
            tr("evidence", "The recording %1 cannot be read: %2", key, exc.strerror or exc)
        )
