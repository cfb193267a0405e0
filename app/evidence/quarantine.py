"""Refused files go to a quarantine folder, with the reason in a text file beside them.

Nothing is ever deleted: the video (and its sidecar) are moved, a name already taken there gets
a number, and ``<name>.grund.txt`` says in German why and when.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.evidence.sidecar import sidecar_path
from app.platform.timeutil import format_local, utcnow

REASON_SUFFIX = ".grund.txt"


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while target.exists() or target.with_name(target.name + REASON_SUFFIX).exists():
        number += 1
        target = folder / f"{stem} ({number}){suffix}"
    return target


def quarantine(video: Path, folder: Path, message: str) -> Path:
    """Move ``video`` (and its sidecar) into ``folder`` with the reason; returns its new path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, video.name)
    target.with_name(target.name + REASON_SUFFIX).write_text(
        f"{format_local(utcnow(), with_seconds=True)}\n{video}\n\n{message}\n", encoding="utf-8"
    )
    shutil.move(str(video), target)
    sidecar = sidecar_path(video)
    if sidecar.is_file():
        shutil.move(str(sidecar), target.with_suffix(".json"))
    return target
