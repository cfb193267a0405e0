"""The frame index: where each frame of a recording is shown, and how to land on it.

The clip viewer lands a seek on the frame asked for with it (see
``ui/views/recordings/player.py``): libvlc 3 shows the exact frame after a seek only when the
target is a key frame, so the viewer seeks to the key frame at or before the target and steps
frame by frame from there. This index says which key frame, how many steps, and the exact time
of the frame landed on.

Only the first video track's timing is read, through the decrypting reader and never written
anywhere: the sample tables of an MP4/MOV, also the fragments of a fragmented MP4
(:mod:`app.evidence.frames.mp4`), and the clusters of a Matroska file
(:mod:`app.evidence.frames.mkv`). A fragmented MP4 or a Matroska file is read from end to end
for this, so the viewer builds the index in a worker while the clip already plays.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: ``read(offset, size)``: up to ``size`` plaintext bytes from ``offset``.
Read = Callable[[int, int], bytes]

MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"


class IndexUnreadable(Exception):
    """The container's structure is not what this reader understands (no index then)."""


@dataclass(frozen=True)
class SeekPlan:
    """How to show the frame at a time: seek to ``seek_ms`` (a key frame), step ``steps``
    frames; the frame shown then is number ``frame`` and starts at ``frame_ms``."""

    seek_ms: int
    steps: int
    frame_ms: float
    frame: int


@dataclass(frozen=True)
class FrameIndex:
    """The start times (ms, in presentation order) of every frame, and which are key frames."""

    times_ms: tuple[float, ...]
    keys: tuple[int, ...]

    def frame_at(self, ms: float) -> int:
        """The number of the frame shown at ``ms`` (0 before the first)."""
        return max(0, bisect.bisect_right(self.times_ms, ms + 0.5) - 1)

    def plan(self, ms: float) -> SeekPlan:
        """How to land on the frame shown at ``ms``."""
        frame = self.frame_at(ms)
        at = bisect.bisect_right(self.keys, frame) - 1
        key = self.keys[at] if at >= 0 else 0
        start = self.times_ms[key]
        # Just past the key frame's start (never before it: that would be the previous one).
        return SeekPlan(
            int(start) + 1 if start != int(start) else int(start),
            frame - key,
            self.times_ms[frame],
            frame,
        )


def index_of(frames: Iterable[tuple[float, bool]]) -> FrameIndex | None:
    """The index of frames given as (presentation time in ms, key frame) in any order (the
    order they are stored in, which with B-frames is not the order they are shown in)."""
    shown = sorted(frames, key=lambda frame: frame[0])
    keys = tuple(n for n, (_t, key) in enumerate(shown) if key)
    if not keys:
        return None
    return FrameIndex(tuple(max(0.0, t) for t, _key in shown), keys)
