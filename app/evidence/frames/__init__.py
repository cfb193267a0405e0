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

__all__ = ["FrameIndex", "SeekPlan", "demuxer_for", "read_frame_index"]


def read_frame_index(read: Read, size: int) -> FrameIndex | None:
    """The frame index of a recording read through ``read(offset, size)`` (None if the file
    has none to give: another container, no video, damaged tables)."""
    try:
        if read(0, 4) == MATROSKA_MAGIC:
            return mkv.read_index(read, size)
        return mp4.read_index(read, size)
    except IndexUnreadable:
        return None


def demuxer_for(read: Read, size: int) -> str | None:
    """The libvlc demuxer to play a recording with, where not libvlc's own choice (None).

    libvlc 3's own MP4 demuxer fails two kinds of camera file read through callbacks (measured
    with ffmpeg clips): after a seek in an MP4 in fragments it shows a broken picture, and in
    an MP4 without sound, after a seek into the last seconds it has read the clip to its end at
    once, and then no frame step shows anything. libavformat's demuxer lands on the frame asked
    for and steps from there in both, as libvlc's does in other MP4s. Reads only ``moov``."""
    if read(0, 4) != MATROSKA_MAGIC and mp4.is_fragmented_or_silent(read, size):
        return "avformat"
    return None
