"""Frame timing of an MP4/MOV: the first video track's sample tables and its fragments.

A plain MP4 has every sample in ``moov`` (``stts`` durations, ``ctts`` composition offsets,
``stss`` key frames, the edit list's start). A fragmented MP4 (``-movflags frag_keyframe``,
cameras writing as they record) keeps ``moov`` empty and describes its samples fragment by
fragment (``moof``: ``tfhd``/``tfdt``/``trun``, defaults in ``mvex``/``trex``); only the small
``moof`` boxes are read, the media data between them is skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.evidence.frames.index import FrameIndex, IndexUnreadable, Read, index_of

#: The largest ``moov`` box read (a long recording's tables are a few MB).
MAX_MOOV = 64 << 20
#: The largest ``moof`` box read (one fragment's table).
MAX_MOOF = 16 << 20
#: The most frames indexed (ten hours at 60 frames a second, and more).
MAX_FRAMES = 3_000_000
#: ``sample_is_non_sync_sample`` in a fragment's sample flags.
NON_SYNC = 0x00010000


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


def _top_level(read: Read, size: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, length) of the file's top-level boxes, reading only their headers."""
    pos = 0
    while pos + 8 <= size:
        head = read(pos, 16)
        if len(head) < 8:
            return
        box, kind = struct.unpack_from(">I4s", head)
        length = box
        if box == 1 and len(head) >= 16:
            (length,) = struct.unpack_from(">Q", head, 8)
        elif box == 0:
            length = size - pos
        if length < 8:
            return
        yield kind, pos, min(length, size - pos)
        pos += length


def _entries(data: bytes, span: tuple[int, int], fmt: str) -> list[tuple[int, ...]]:
    start, _end = span
    (count,) = struct.unpack_from(">I", data, start + 4)
    step = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, start + 8 + i * step) for i in range(count)]


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from(">I", data, at)[0])


@dataclass
class _VideoTrack:
    """The first video track: its timing so far, and the defaults its fragments use."""

    track_id: int
    scale: int
    #: The edit list's media start (in ``scale`` units): presentation starts there.
    shift: int
    #: (decode time + composition offset, key frame) of each sample, in ``scale`` units.
    samples: list[tuple[int, bool]] = field(default_factory=list)
    #: Decode time after the last sample read.
    next_dts: int = 0
    default_duration: int = 0
    default_flags: int = 0

    def add(self, duration: int, offset: int, key: bool) -> None:
        if len(self.samples) >= MAX_FRAMES:
            raise IndexUnreadable("too many frames")
        self.samples.append((self.next_dts + offset, key))
        self.next_dts += duration

    def index(self) -> FrameIndex | None:
        scale = 1000 / self.scale
        return index_of(((t - self.shift) * scale, key) for t, key in self.samples)

    def add_fragment(self, data: bytes) -> None:
        """The samples of this track in one ``moof`` box (``data``, its header included)."""
        for _moof, start, end in _boxes(data):
            for kind, s, e in _boxes(data, start, end):
                if kind == b"traf":
                    self._add_traf(data, s, e)

    def _add_traf(self, data: bytes, start: int, end: int) -> None:
        tfhd = _child(data, start, end, b"tfhd")
        if tfhd is None:
            return
        flags = _u32(data, tfhd[0]) & 0xFFFFFF
        if _u32(data, tfhd[0] + 4) != self.track_id:
            return
        pos = tfhd[0] + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
        duration = self.default_duration
        if flags & 0x08:
            duration = _u32(data, pos)
            pos += 4
        pos += 4 if flags & 0x10 else 0
        sample_flags = _u32(data, pos) if flags & 0x20 else self.default_flags
        tfdt = _child(data, start, end, b"tfdt")
        if tfdt is not None:
            wide = data[tfdt[0]] == 1
            self.next_dts = struct.unpack_from(">Q" if wide else ">I", data, tfdt[0] + 4)[0]
        for kind, s, _e in _boxes(data, start, end):
            if kind == b"trun":
                self._add_trun(data, s, duration, sample_flags)

    def _add_trun(self, data: bytes, start: int, duration: int, sample_flags: int) -> None:
        version, flags = data[start], _u32(data, start) & 0xFFFFFF
        count = _u32(data, start + 4)
        per_sample = 4 * bin(flags & 0xF00).count("1")
        if len(self.samples) + count > MAX_FRAMES or start + 8 + count * per_sample > len(data):
            raise IndexUnreadable("a fragment's table does not fit")
        pos = start + 8 + (4 if flags & 0x01 else 0)
        first_flags: int | None = None
        if flags & 0x04:
            first_flags = _u32(data, pos)
            pos += 4
        offset_format = ">i" if version == 1 else ">I"
        for n in range(count):
            this_duration, this_flags, offset = duration, sample_flags, 0
            if flags & 0x100:
                this_duration = _u32(data, pos)
                pos += 4
            pos += 4 if flags & 0x200 else 0
            if flags & 0x400:
                this_flags = _u32(data, pos)
                pos += 4
            elif n == 0 and first_flags is not None:
                this_flags = first_flags
            if flags & 0x800:
                (offset,) = struct.unpack_from(offset_format, data, pos)
                pos += 4
            self.add(this_duration, offset, not this_flags & NON_SYNC)


def _handler(data: bytes, start: int, end: int) -> bytes:
    """The kind of the track whose ``trak`` payload is ``data[start:end]`` (``vide``,
    ``soun``, …; empty if it names none)."""
    hdlr = _path(data, start, end, b"mdia", b"hdlr")
    return data[hdlr[0] + 8 : hdlr[0] + 12] if hdlr is not None else b""


def _video_track(data: bytes, moov: tuple[int, int]) -> _VideoTrack | None:
    for kind, start, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        if _handler(data, start, end) != b"vide":
            continue
        tkhd = _child(data, start, end, b"tkhd")
        mdhd = _path(data, start, end, b"mdia", b"mdhd")
        stbl = _path(data, start, end, b"mdia", b"minf", b"stbl")
        if tkhd is None or mdhd is None or stbl is None:
            return None
        version = data[mdhd[0]]
        scale = _u32(data, mdhd[0] + (20 if version == 1 else 12))
        stts = _child(data, *stbl, b"stts")
        if not scale or stts is None:
            return None
        track_id = _u32(data, tkhd[0] + (20 if data[tkhd[0]] == 1 else 12))
        track = _VideoTrack(track_id, scale, _edit_start(data, start, end))
        _add_sample_tables(track, data, stbl, stts)
        for k, s, e in _boxes(data, *moov):
            if k == b"mvex":
                for trex_kind, t, _te in _boxes(data, s, e):
                    if trex_kind == b"trex" and _u32(data, t + 4) == track_id:
                        track.default_duration = _u32(data, t + 12)
                        track.default_flags = _u32(data, t + 20)
        return track
    return None


def _edit_start(data: bytes, start: int, end: int) -> int:
    elst = _path(data, start, end, b"edts", b"elst")
    if elst is not None:
        fmt = ">Qq" if data[elst[0]] == 1 else ">Ii"
        for _duration, media_time in _entries(data, elst, fmt):
            if media_time >= 0:
                return int(media_time)
    return 0


def _add_sample_tables(
    track: _VideoTrack, data: bytes, stbl: tuple[int, int], stts: tuple[int, int]
) -> None:
    durations = _expanded(_entries(data, stts, ">II"))
    offsets = [0] * len(durations)
    ctts = _child(data, *stbl, b"ctts")
    if ctts is not None:
        flat = _expanded(_entries(data, ctts, ">Ii" if data[ctts[0]] == 1 else ">II"))
        offsets[: len(flat)] = flat[: len(offsets)]
    stss = _child(data, *stbl, b"stss")
    sync = (
        {int(n) - 1 for (n,) in _entries(data, stss, ">I")}
        if stss is not None
        else set(range(len(durations)))
    )
    for sample, duration in enumerate(durations):
        track.add(duration, offsets[sample], sample in sync)


def _expanded(runs: list[tuple[int, ...]]) -> list[int]:
    """A table of (count, value) runs, one value per sample."""
    if sum(count for count, _value in runs) > MAX_FRAMES:
        raise IndexUnreadable("too many frames")
    return [value for count, value in runs for _ in range(count)]


def is_fragmented_or_silent(read: Read, size: int) -> bool:
    """True for an MP4/MOV in fragments, or with no sound track: reads ``moov`` only (in a
    fragmented file it comes before any media data)."""
    try:
        for kind, pos, length in _top_level(read, size):
            if kind == b"moof" or (kind == b"moov" and length > MAX_MOOV):
                return False
            if kind == b"moov":
                data = read(pos, length)
                head = 16 if _u32(data, 0) == 1 else 8
                if _child(data, head, len(data), b"mvex") is not None:
                    return True
                return not any(
                    _handler(data, start, end) == b"soun"
                    for box, start, end in _boxes(data, head, len(data))
                    if box == b"trak"
                )
    except (struct.error, IndexError, ValueError):
        return False
    return False


def read_index(read: Read, size: int) -> FrameIndex | None:
    """The frame index of the MP4/MOV read through ``read`` (None: no video track, or no
    frames in it)."""
    track: _VideoTrack | None = None
    try:
        for kind, pos, length in _top_level(read, size):
            if kind == b"moov":
                if length > MAX_MOOV:
                    return None
                data = read(pos, length)
                head = 16 if _u32(data, 0) == 1 else 8
                track = _video_track(data, (head, len(data)))
                if track is None:
                    return None
            elif kind == b"moof" and track is not None and length <= MAX_MOOF:
                track.add_fragment(read(pos, length))
    except (struct.error, IndexError, ValueError) as exc:
        raise IndexUnreadable(str(exc)) from exc
    return track.index() if track is not None else None
