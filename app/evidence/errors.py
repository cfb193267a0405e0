"""Errors of the evidence store and the import (German messages, like every :class:`KodError`)."""

from __future__ import annotations

from app.platform.errors import KodError


class TamperedError(KodError):
    """A stored recording fails its integrity check (changed, cut off, swapped or wrong key)."""

    exit_code = 12


class StorageError(KodError):
    """The recording store cannot be read or written (missing folder, share gone, disk full)."""

    exit_code = 13


class ImportCancelled(KodError):
    """The user cancelled an import; the original is untouched and nothing was stored."""

    exit_code = 14


class RejectedFile(KodError):
    """A file that cannot be imported (empty, cut off, not a video, a duplicate).

    ``reason`` is a stable code for the audit log and tests; the message is German.
    """

    exit_code = 15

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        #: Where the file was moved (the quarantine folder), once it was.
        self.moved_to: object | None = None


class SourceChanged(KodError):
    """The file changed while it was imported (still being copied?): nothing was stored."""

    exit_code = 16


class ExportCancelled(KodError):
    """The user cancelled an evidence export; nothing of the package was left behind."""

    exit_code = 17
