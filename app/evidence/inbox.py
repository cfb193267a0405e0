"""The import folder (the docking station's export directory): which files are ready.

A file is ready once its size and modification time are the same on two looks in a row (the
docking station may still be copying it). Every file is offered, not only videos: a text file
dropped there is refused and quarantined with a German reason rather than silently ignored.
Left out are the sidecars of videos in the folder, hidden files and partial copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.evidence.sidecar import sidecar_path

#: Names of files still being written by common copy tools.
_PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", "~")


def importable_files(folder: Path) -> list[Path]:
    """The files in ``folder`` to offer for import, sorted (OSError if it cannot be read)."""
    entries = [p for p in folder.iterdir() if p.is_file()]
    sidecars = {sidecar_path(p) for p in entries if p.suffix.lower() != ".json"}
    return sorted(
        p
        for p in entries
        if p not in sidecars
        and not p.name.startswith(".")
        and not p.name.lower().endswith(_PARTIAL_SUFFIXES)
    )


@dataclass
class InboxWatch:
    """Looks at ``folder`` repeatedly and names the files that have settled."""

    folder: Path
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def _candidates(self) -> list[Path]:
        try:
            return importable_files(self.folder)
        except OSError:
            return []  # the share is away: look again later

    def ready(self) -> list[Path]:
        """Files unchanged since the previous look (the first look finds none)."""
        now: dict[Path, tuple[int, int]] = {}
        settled: list[Path] = []
        for path in self._candidates():
            try:
                info = path.stat()
            except OSError:
                continue
            now[path] = (info.st_size, info.st_mtime_ns)
            if self._seen.get(path) == now[path]:
                settled.append(path)
        self._seen = now
        return settled
