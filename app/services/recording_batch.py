"""Importing several files one after another, with one progress figure and one cancel.

The import dialog and the watched docking-station folder both run a batch. Every file ends with
an outcome and a German message: imported, refused and moved to the quarantine folder (empty,
cut off, not a video, a duplicate), kept where it is (details missing, a storage problem), or
not imported because the user cancelled. Progress is written by the worker thread and read by
whoever shows it (a float and a file name: no locking needed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from app.evidence.errors import ImportCancelled, RejectedFile
from app.evidence.inbox import importable_files
from app.evidence.sidecar import RecordingDetails
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.uow import Actor
from app.services.recording_import import ImportedRecording, RecordingImportService


class Outcome(StrEnum):
    """How one file's import ended."""

    IMPORTED = "imported"
    QUARANTINED = "quarantined"
    KEPT = "kept"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ImportOutcome:
    """One file's result, with the German message to show."""

    path: Path
    outcome: Outcome
    message: str
    recording: ImportedRecording | None = None


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files to import from dropped or chosen files and folders (folders: their files,
    subfolders included; the cameras' sidecars, hidden files and partial copies left out)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, _files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                try:
                    found.extend(importable_files(Path(folder)))
                except OSError:
                    continue
        elif path.is_file():
            found.append(path)
    return list(dict.fromkeys(found))


def imported_message(done: ImportedRecording) -> str:
    """What an imported file's line says."""
    text = tr(
        "evidence",
        "Imported as recording no. %1 (SHA-256 %2…, checked by reading it back).",
        done.id,
        done.sha256[:12],
    )
    if done.proposed_incident_number:
        text += " " + tr(
            "evidence", "Proposed incident: %1 (please confirm).", done.proposed_incident_number
        )
    else:
        text += " " + tr("evidence", "No incident found for the unit at that time.")
    if not done.original_removed:
        text += " " + tr("evidence", "The original could not be removed from the import folder.")
    return text


class ImportBatch:
    """The import of ``files``, one after another.

    ``details_for(path)`` gives what the person entered for a file (None: the sidecar alone).
    """

    def __init__(
        self,
        importer: RecordingImportService,
        actor: Actor,
        files: Sequence[Path],
        details_for: Callable[[Path], RecordingDetails | None] | None = None,
    ) -> None:
        self._importer = importer
        self._actor = actor
        self.files = list(files)
        self._details_for = details_for
        self._cancelled = False
        self._sizes = {p: _size(p) for p in self.files}
        self._total = max(1, sum(self._sizes.values()))
        self._finished_bytes = 0
        #: Share done, 0.0 to 1.0 (written by the worker thread).
        self.progress = 0.0
        #: The file being imported now.
        self.current: Path | None = None
        self.outcomes: list[ImportOutcome] = []

    def cancel(self) -> None:
        """Stop after the current step; the file being imported stays where it is."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        """True once cancel was asked for."""
        return self._cancelled

    async def run(
        self, on_outcome: Callable[[ImportOutcome], None] | None = None
    ) -> list[ImportOutcome]:
        """Import every file; ``on_outcome`` hears each result as it comes."""
        for path in self.files:
            result = await self._one(path)
            self.outcomes.append(result)
            self._finished_bytes += self._sizes.get(path, 0)
            self.progress = min(1.0, self._finished_bytes / self._total)
            if on_outcome is not None:
                on_outcome(result)
        self.current = None
        return self.outcomes

    async def _one(self, path: Path) -> ImportOutcome:
        if self._cancelled:
            return ImportOutcome(
                path, Outcome.CANCELLED, tr("evidence", "Not imported: the import was cancelled.")
            )
        self.current = path
        size = self._sizes.get(path, 0)

        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            self.progress = min(1.0, (self._finished_bytes + share * size) / self._total)

        given = self._details_for(path) if self._details_for is not None else None
        try:
            done = await self._importer.import_file(
                self._actor, path, given, progress, lambda: self._cancelled
            )
        except RejectedFile as exc:
            kind = Outcome.QUARANTINED if exc.moved_to is not None else Outcome.KEPT
            return ImportOutcome(path, kind, exc.message)
        except ImportCancelled as exc:
            return ImportOutcome(
                path,
                Outcome.CANCELLED,
                exc.message + " " + tr("evidence", "The file stays in its folder."),
            )
        except KodError as exc:
            return ImportOutcome(path, Outcome.KEPT, exc.message)
        return ImportOutcome(path, Outcome.IMPORTED, imported_message(done), done)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
