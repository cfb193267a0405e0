"""Where each frame of an MP4/MOV recording is shown, read from its sample tables.

The clip viewer lands a seek in pause on the frame asked for with it (see
``ui/views/recordings/player.py``): libvlc 3 shows the exact frame after a seek only when the
target is a key frame, so the viewer seeks to the key frame at or before the target and steps
frame by frame from there. This index says which key frame, how many steps, and the exact time
of the frame landed on.

Only the sample tables of the first video track are read (``stts``, ``ctts``, ``stss``, the
edit list, the time scale): through the decrypting reader, never written anywhere. Fragmented
MP4 and other containers (MKV) give no index.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: The largest ``moov`` box read (a long recording's tables are a few MB).
MAX_MOOV = 64 << 20

Read = Callable[[int, int], bytes]


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


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:
            if pos + 16 > end:
                return
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            head = 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            return
        yield kind, pos + head, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, s, e in _boxes(data, start, end):
        if k == kind:
            return s, e
    return None


def _path(data: bytes, start: int, end: int, *kinds: bytes) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = _child(data, span[0], span[1], kind)
    return span


def _moov(read: Read, size: int) -> bytes | None:
    pos = 0
    while pos + 8 <= size:
        head = read(pos, 16)
        if len(head) < 8:
            return None
        box, kind = struct.unpack_from(">I4s", head)
        length = box
        if box == 1 and len(head) >= 16:
            (length,) = struct.unpack_from(">Q", head, 8)
        elif box == 0:
            length = size - pos
        if length < 8:
            return None
        if kind == b"moov":
            if length > MAX_MOOV:
                return None
            data = read(pos, length)
            return data if len(data) == length else None
        pos += length
    return None


def _entries(data: bytes, span: tuple[int, int], fmt: str) -> list[tuple[int, ...]]:
    start, _end = span
    (count,) = struct.unpack_from(">I", data, start + 4)
    step = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, start + 8 + i * step) for i in range(count)]


def _video_track(data: bytes, moov: tuple[int, int]) -> FrameIndex | None:
    for kind, start, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        hdlr = _path(data, start, end, b"mdia", b"hdlr")
        if hdlr is None or data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
            continue
        mdhd = _path(data, start, end, b"mdia", b"mdhd")
        stbl = _path(data, start, end, b"mdia", b"minf", b"stbl")
        if mdhd is None or stbl is None:
            return None
        version = data[mdhd[0]]
        (scale,) = struct.unpack_from(">I", data, mdhd[0] + (20 if version == 1 else 12))
        stts = _child(data, *stbl, b"stts")
        if not scale or stts is None:
            return None
        durations = [d for n, d in _entries(data, stts, ">II") for _ in range(n)]
        if not durations:
            return None  # fragmented: the samples are in the fragments
        ctts = _child(data, *stbl, b"ctts")
        offsets = [0] * len(durations)
        if ctts is not None:
            signed = data[ctts[0]] == 1
            fmt = ">Ii" if signed else ">II"
            flat = [o for n, o in _entries(data, ctts, fmt) for _ in range(n)]
            offsets[: len(flat)] = flat[: len(offsets)]
        shift = 0
        elst = _path(data, start, end, b"edts", b"elst")
        if elst is not None:
            fmt = ">Qq" if data[elst[0]] == 1 else ">Ii"
            for _duration, media_time in _entries(data, elst, fmt):
                if media_time >= 0:
                    shift = media_time
                    break
        stss = _child(data, *stbl, b"stss")
        sync = (
            {int(n) - 1 for (n,) in _entries(data, stss, ">I")}
            if stss is not None
            else set(range(len(durations)))
        )
        shown = []
        dts = 0
        for sample, duration in enumerate(durations):
            shown.append(((dts + offsets[sample] - shift) * 1000 / scale, sample))
            dts += duration
        shown.sort()
        order = {sample: n for n, (_t, sample) in enumerate(shown)}
        keys = tuple(sorted(order[s] for s in sync if s in order))
        if not keys:
            return None
        return FrameIndex(tuple(max(0.0, t) for t, _s in shown), keys)
    return None


def read_frame_index(read: Read, size: int) -> FrameIndex | None:
    """The frame index of an MP4/MOV read through ``read(offset, size)`` (None if the file
    has none to give: another container, fragments, damaged tables)."""
    try:
        data = _moov(read, size)
        if data is None:
            return None
        head = 16 if struct.unpack_from(">I", data)[0] == 1 else 8
        return _video_track(data, (head, len(data)))
    except (struct.error, IndexError, ValueError):
        return None
