"""The frame index of a recording (see :mod:`app.evidence.frames.index`)."""

from __future__ import annotations

from app.evidence.frames import mkv, mp4
from app.evidence.frames.index import (
    MATROSKA_MAGIC,
    FrameIndex,
    IndexUnreadable,
    Read,
    SeekPlan,
)

__all__ = ["FrameIndex", "SeekPlan", "read_frame_index"]


def read_frame_index(read: Read, size: int) -> FrameIndex | None:
    """The frame index of a recording read through ``read(offset, size)`` (None if the file
    has none to give: another container, no video, damaged tables)."""
    try:
        if read(0, 4) == MATROSKA_MAGIC:
            return mkv.read_index(read, size)
        return mp4.read_index(read, size)
    except IndexUnreadable:
        return None
