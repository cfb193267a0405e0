"""Frame timing of a Matroska (MKV/WebM) file: the blocks of its first video track.

Matroska stores each frame's presentation time (cluster time plus the block's own offset, in
units of the segment's ``TimestampScale``) and marks key frames in a ``SimpleBlock``'s flags
(or, in a ``BlockGroup``, by the absence of a ``ReferenceBlock``). The clusters are read one
after the other; one of known size is read whole and taken apart in memory, one of unknown
size (written by a recorder that could not go back) element by element.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.evidence.frames.index import FrameIndex, IndexUnreadable, Read, index_of

SEGMENT = 0x18538067
INFO = 0x1549A966
TIMESTAMP_SCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
VIDEO = 1
CLUSTER = 0x1F43B675
CLUSTER_TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
REFERENCE_BLOCK = 0xFB
#: What a cluster may hold (besides Void and CRC-32): anything else ends one of unknown size.
CLUSTER_CHILDREN = {CLUSTER_TIMESTAMP, 0x5854, 0xA7, 0xAB, SIMPLE_BLOCK, BLOCK_GROUP, 0xAF}
VOID, CRC32 = 0xEC, 0xBF
#: The largest cluster read whole (larger ones are read element by element).
MAX_CLUSTER_READ = 32 << 20
#: The largest Info or Tracks element read.
MAX_HEADER_ELEMENT = 1 << 20
#: The most frames indexed.
MAX_FRAMES = 3_000_000
UNKNOWN = -1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """(value, length) of the variable-length integer at ``pos``; a size of all ones is
    :data:`UNKNOWN`."""
    first = data[pos]
    if first == 0:
        raise IndexUnreadable("invalid element header")
    length = 9 - first.bit_length()
    if pos + length > len(data):
        raise IndexUnreadable("element header cut off")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = value << 8 | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return UNKNOWN, length
    return value, length


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(id, size, header length) of the element at ``pos`` of ``data``."""
    element, id_length = _vint(data, pos, keep_marker=True)
    size, size_length = _vint(data, pos + id_length, keep_marker=False)
    return element, size, id_length + size_length


def _elements(read: Read, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(id, payload offset, size) of the elements from ``start`` to ``end``, read header by
    header through ``read``."""
    pos = start
    while pos < end:
        head = read(pos, 12)
        if len(head) < 2:
            return
        element, size, length = _header(head, 0)
        yield element, pos + length, size
        if size == UNKNOWN:
            return  # the caller walks its children and goes on from where they end
        pos += length + size


def _in_memory(data: bytes) -> Read:
    return lambda at, n: data[at : at + n]


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big")


class _Track:
    """The video track found, its frames so far and the time scale."""

    def __init__(self) -> None:
        self.scale_ns = 1_000_000
        self.number: int | None = None
        self.frames: list[tuple[float, bool]] = []

    def read_tracks(self, data: bytes) -> None:
        read = _in_memory(data)
        for element, pos, size in _elements(read, 0, len(data)):
            if element != TRACK_ENTRY or size == UNKNOWN:
                continue
            number = kind = None
            for child, at, length in _elements(read, pos, pos + size):
                if child == TRACK_NUMBER:
                    number = _uint(data[at : at + length])
                elif child == TRACK_TYPE:
                    kind = _uint(data[at : at + length])
            if kind == VIDEO and number is not None:
                self.number = number
                return

    def add_block(self, head: bytes, cluster_time: int, key: bool | None) -> None:
        """A block (its first bytes); ``key`` None: a SimpleBlock, whose flags tell."""
        number, length = _vint(head, 0, keep_marker=False)
        if number != self.number or len(head) < length + 3:
            return
        offset = int.from_bytes(head[length : length + 2], "big", signed=True)
        if key is None:
            key = bool(head[length + 2] & 0x80)
        if len(self.frames) >= MAX_FRAMES:
            raise IndexUnreadable("too many frames")
        self.frames.append(((cluster_time + offset) * self.scale_ns / 1e6, key))

    def read_cluster(self, read: Read, start: int, end: int | None) -> int:
        """The blocks of the cluster whose payload is ``start`` to ``end`` (``end`` None: of
        unknown size); where the cluster ends."""
        cluster_time = 0
        pos = start
        limit = end if end is not None else 1 << 62
        while pos < limit:
            head = read(pos, 12)
            if len(head) < 2:
                return pos
            element, size, length = _header(head, 0)
            if end is None and element not in CLUSTER_CHILDREN | {VOID, CRC32}:
                return pos  # the next cluster (or cues, tags) begins
            if size == UNKNOWN:
                raise IndexUnreadable("an element of unknown size inside a cluster")
            payload = pos + length
            if element == CLUSTER_TIMESTAMP:
                cluster_time = _uint(read(payload, size))
            elif element == SIMPLE_BLOCK:
                self.add_block(read(payload, 12), cluster_time, None)
            elif element == BLOCK_GROUP:
                self._read_group(read, payload, payload + size, cluster_time)
            pos = payload + size
        return pos

    def _read_group(self, read: Read, start: int, end: int, cluster_time: int) -> None:
        block: bytes | None = None
        referenced = False
        for element, pos, _size in _elements(read, start, end):
            if element == BLOCK:
                block = read(pos, 12)
            elif element == REFERENCE_BLOCK:
                referenced = True
        if block is not None:
            self.add_block(block, cluster_time, not referenced)


def read_index(read: Read, size: int) -> FrameIndex | None:
    """The frame index of the Matroska file read through ``read`` (None: no video track, or
    no frames in it)."""
    try:
        return _read(read, size)
    except (ValueError, IndexError) as exc:
        raise IndexUnreadable(str(exc)) from exc


def _read(read: Read, size: int) -> FrameIndex | None:
    segment = None
    for element, pos, length in _elements(read, 0, size):
        if element == SEGMENT:
            segment = (pos, size if length == UNKNOWN else min(size, pos + length))
            break
    if segment is None:
        return None
    track = _Track()
    pos, end = segment
    while pos < end:
        head = read(pos, 12)
        if len(head) < 2:
            break
        element, length, header = _header(head, 0)
        payload = pos + header
        if element == CLUSTER:
            if track.number is None:
                return None  # clusters before the tracks: not a file this reads
            if length == UNKNOWN:
                pos = track.read_cluster(read, payload, None)
                continue
            whole = length <= MAX_CLUSTER_READ
            source = _shifted(read(payload, length), payload) if whole else read
            track.read_cluster(source, payload, payload + length)
        elif length == UNKNOWN:
            raise IndexUnreadable("an element of unknown size in the segment")
        elif element in (INFO, TRACKS) and length <= MAX_HEADER_ELEMENT:
            data = read(payload, length)
            if element == TRACKS:
                track.read_tracks(data)
            else:
                for child, at, n in _elements(_in_memory(data), 0, len(data)):
                    if child == TIMESTAMP_SCALE:
                        track.scale_ns = _uint(data[at : at + n]) or track.scale_ns
        pos = payload + length
    return index_of(track.frames)


def _shifted(data: bytes, offset: int) -> Read:
    """A reader of ``data`` as if it lay at ``offset`` of the file (a cluster read whole)."""
    return lambda at, n: data[at - offset : at - offset + n]
