"""What a file offered for import is: empty, cut off, not a video, or a video with metadata.

Metadata (duration, picture size, codecs, frame rate) comes from libvlc, which the clip viewer
plays with too (ffprobe is not there on the Windows workstations). libvlc happily parses a
cut-off MP4 whose index sits at the front, so the container's own structure is checked first:
an ISO media file (MP4, MOV) whose boxes run past its end or that lacks its index, and a
Matroska file whose segment is longer than the file, are cut off.
"""

from __future__ import annotations

import ctypes
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.evidence.errors import RejectedFile
from app.platform.errors import ConfigError
from app.platform.i18n import tr

#: Top-level box types an ISO media file (MP4, MOV, 3GP) starts with.
_BMFF_FIRST = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_SEGMENT_ID = b"\x18\x53\x80\x67"
PARSE_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class MediaInfo:
    """What libvlc reads from a video file."""

    duration_ms: int | None
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    frame_rate: float | None


def inspect(path: Path) -> MediaInfo:
    """Check ``path`` and read its metadata; :class:`RejectedFile` if it cannot be imported."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile(tr("evidence", "The file %1 is empty (0 bytes).", path.name), "empty")
    with path.open("rb") as fh:
        problem = structure_problem(fh, size)
    if problem is not None:
        raise RejectedFile(problem_message(path.name, problem, size), "truncated")
    info = probe(path)
    if info is None:
        raise RejectedFile(
            tr(
                "evidence",
                "The file %1 is not a video that can be played: no picture track was found in it.",
                path.name,
            ),
            "not_video",
        )
    return info


def problem_message(name: str, problem: str, size: int) -> str:
    """The German message for a structure problem of :func:`structure_problem`."""
    if problem == "no_index":
        return tr(
            "evidence",
            "The file %1 is incomplete: its index is missing (the recording was not finished "
            "properly, e.g. the battery failed).",
            name,
        )
    return tr(
        "evidence",
        "The file %1 is incomplete: it ends after %2 bytes, but its own structure announces "
        "more. It was probably cut off while copying.",
        name,
        size,
    )


def structure_problem(fh: BinaryIO, size: int) -> str | None:
    """``"truncated"`` or ``"no_index"`` for a cut-off container, None if it looks whole.

    Files of other container types (MPEG-TS, AVI) are left to libvlc.
    """
    head = fh.read(16)
    if head[4:8] in _BMFF_FIRST:
        return _bmff_problem(fh, size)
    if head[:4] == _EBML_MAGIC:
        return _matroska_problem(fh, size)
    return None


def _bmff_problem(fh: BinaryIO, size: int) -> str | None:
    position = 0
    seen: set[bytes] = set()
    while position < size:
        fh.seek(position)
        head = fh.read(16)
        if len(head) < 8:
            return "truncated"
        box_size, kind = struct.unpack(">I4s", head[:8])
        if box_size == 1:
            if len(head) < 16:
                return "truncated"
            box_size = struct.unpack(">Q", head[8:16])[0]
        elif box_size == 0:
            box_size = size - position
        if box_size < 8 or not all(0x20 <= b < 0x7F for b in kind):
            return "truncated"
        if position + box_size > size:
            return "truncated"
        seen.add(kind)
        position += box_size
    if b"mdat" in seen and not seen & {b"moov", b"moof"}:
        return "no_index"
    return None


def _vint(fh: BinaryIO, keep_marker: bool) -> tuple[int, int, bool] | None:
    """An EBML variable-length integer: (value, length, all value bits set)."""
    first = fh.read(1)
    if not first or first[0] == 0:
        return None
    length = 8 - first[0].bit_length() + 1
    rest = fh.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = first[0] if keep_marker else first[0] & ((1 << (8 - length)) - 1)
    for byte in rest:
        value = (value << 8) | byte
    unknown = value == (1 << (7 * length)) - 1
    return value, length, unknown


def _matroska_problem(fh: BinaryIO, size: int) -> str | None:
    fh.seek(4)
    header = _vint(fh, keep_marker=False)
    if header is None:
        return "truncated"
    fh.seek(4 + header[1] + header[0])
    if fh.read(4) != _SEGMENT_ID:
        return "truncated"
    segment = _vint(fh, keep_marker=False)
    if segment is None:
        return "truncated"
    value, _length, unknown = segment
    if not unknown and fh.tell() + value > size:
        return "truncated"
    return None


_vlc_lock = threading.Lock()
_vlc_instance: list[Any] = []


def _vlc() -> tuple[Any, Any]:
    """The vlc module and one shared headless instance (libvlc loads once per process)."""
    try:
        import vlc
    except (ImportError, OSError) as exc:
        raise ConfigError(
            tr("evidence", "libvlc is not installed; recordings cannot be read: %1", exc)
        ) from exc
    with _vlc_lock:
        if not _vlc_instance:
            instance = vlc.Instance(["--vout=dummy", "--aout=dummy", "--quiet", "--no-xlib"])
            if instance is None:
                raise ConfigError(tr("evidence", "libvlc could not be started."))
            _vlc_instance.append(instance)
        return vlc, _vlc_instance[0]


def _fourcc(code: int) -> str:
    return code.to_bytes(4, "little").decode("latin-1").strip(" \x00").lower()


def probe(path: Path) -> MediaInfo | None:
    """Metadata read by libvlc, or None if it finds no picture track."""
    vlc, instance = _vlc()
    media = instance.media_new_path(str(path))
    try:
        media.parse_with_options(vlc.MediaParseFlag.local, PARSE_TIMEOUT_MS)
        deadline = time.monotonic() + PARSE_TIMEOUT_MS / 1000 + 1
        while media.get_parsed_status() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        if media.get_parsed_status() != vlc.MediaParsedStatus.done:
            return None
        video: Any = None
        audio_codec: str | None = None
        for track in media.tracks_get() or []:
            if track.type == vlc.TrackType.video and video is None:
                # python-vlc declares the C union as three pointers: cast the first one.
                video = (
                    _fourcc(track.codec),
                    ctypes.cast(track.audio, ctypes.POINTER(vlc.VideoTrack)).contents,
                )
            elif track.type == vlc.TrackType.audio and audio_codec is None:
                audio_codec = _fourcc(track.codec)
        if video is None:
            return None
        codec, fmt = video
        duration = media.get_duration()
        rate = fmt.frame_rate_num / fmt.frame_rate_den if fmt.frame_rate_den else None
        return MediaInfo(
            duration_ms=duration if duration > 0 else None,
            width=fmt.width or None,
            height=fmt.height or None,
            video_codec=codec or None,
            audio_codec=audio_codec,
            frame_rate=round(rate, 3) if rate else None,
        )
    finally:
        media.release()
