"""The frame index read through the decrypting reader agrees with ffprobe for every container
cameras write: MP4 and MOV, fragmented MP4, Matroska (also written live, clusters of unknown
size); H.264 with B-frames and H.265."""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.evidence.frames import FrameIndex, demuxer_for, read_frame_index
from app.evidence.frames.mkv import CLUSTER, SEGMENT, _header
from app.evidence.store import EvidenceStore
from tests.evidence_files import evidence_config, make_clip

CLIPS = {
    "mp4-h264": ("b.mp4", {"codec": "libx264"}),
    "mp4-h265": ("b.mp4", {"codec": "libx265"}),
    "mov-h264": ("b.mov", {"codec": "libx264"}),
    "fragmented-mp4-h264": ("b.mp4", {"codec": "libx264", "fragmented": True}),
    "fragmented-mp4-h265": ("b.mp4", {"codec": "libx265", "fragmented": True}),
    "mkv-h264": ("b.mkv", {"codec": "libx264"}),
    "mkv-h265": ("b.mkv", {"codec": "libx265"}),
}


def _probed(clip: Path) -> list[tuple[bool, float]]:
    """(key frame, presentation time in ms) of each frame as ffprobe decodes them."""
    lines = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v",
            "-of",
            "csv=p=0",
            "-show_entries",
            "frame=key_frame,pts_time",
            str(clip),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [(line.split(",")[0] == "1", float(line.split(",")[1]) * 1000) for line in lines]


def _sealed_index(tmp_path: Path, clip: Path) -> FrameIndex | None:
    store = EvidenceStore.open(evidence_config(tmp_path))
    sealed = store.seal_file(clip, datetime.now(UTC))
    reader = store.reader(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    try:
        return read_frame_index(reader.read, reader.size)
    finally:
        reader.close()


def _assert_matches(index: FrameIndex | None, clip: Path) -> None:
    frames = _probed(clip)
    assert index is not None
    assert list(index.keys) == [n for n, (key, _t) in enumerate(frames) if key] == [0, 25, 50]
    assert index.times_ms == pytest.approx([t for _key, t in frames])
    # Between key frames: from the key frame before, so many steps, that frame's time.
    first = index.times_ms[0]
    plan = index.plan(first + 1490)
    assert (plan.steps, plan.frame) == (12, 37)
    assert plan.frame_ms == pytest.approx(first + 1480)
    assert plan.seek_ms in (int(first + 1000), int(first + 1000) + 1)


@pytest.mark.parametrize("kind", sorted(CLIPS))
def test_the_index_of_a_sealed_clip_matches_ffprobe(tmp_path: Path, kind: str) -> None:
    name, options = CLIPS[kind]
    clip = make_clip(tmp_path / name, seconds=3, b_frames=2, key_every=25, **options)
    _assert_matches(_sealed_index(tmp_path, clip), clip)


def _with_unknown_cluster_sizes(data: bytes) -> bytes:
    """The Matroska file as a recorder that cannot go back writes it: segment and clusters
    of unknown size."""
    _id, segment_size, head = _header(data, 0)
    pos = head + segment_size
    element, _size, head = _header(data, pos)
    assert element == SEGMENT
    out = [data[:pos], data[pos : pos + 4], b"\x01\xff\xff\xff\xff\xff\xff\xff"]
    pos += head
    while pos < len(data):
        element, size, head = _header(data, pos)
        if element == CLUSTER:
            out += [data[pos : pos + 4], b"\xff", data[pos + head : pos + head + size]]
        else:
            out.append(data[pos : pos + head + size])
        pos += head + size
    return b"".join(out)


def test_a_matroska_file_written_live_is_indexed_too(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "b.mkv", seconds=3, b_frames=2, key_every=25)
    live = tmp_path / "live.mkv"
    live.write_bytes(_with_unknown_cluster_sizes(clip.read_bytes()))
    _assert_matches(_sealed_index(tmp_path, live), live)


def test_what_is_no_video_or_damaged_gives_no_index(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "b.mkv", seconds=3, b_frames=2, key_every=25)
    audio = tmp_path / "audio.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clip), "-vn", "-c", "copy", str(audio)], check=True
    )
    boasting = bytearray(make_clip(tmp_path / "d.mp4", seconds=1, faststart=True).read_bytes())
    stts = boasting.index(b"stts")
    boasting[stts + 12 : stts + 16] = b"\xff\xff\xff\xff"  # four billion frames, it claims
    cases = {
        "a table claiming billions of frames": bytes(boasting),
        "text": b"Einsatzbericht 2026-0815\n" * 200,
        "empty": b"",
        "audio only": audio.read_bytes(),
        "matroska cut in its header": clip.read_bytes()[:60],
        "mp4 cut in its tables": make_clip(
            tmp_path / "c.mp4", seconds=1, faststart=True
        ).read_bytes()[:900],
        "zeros": bytes(4096),
    }
    for what, data in cases.items():
        assert read_frame_index(lambda at, n, d=data: d[at : at + n], len(data)) is None, what


@pytest.mark.parametrize("kind", ["mp4-h264", "fragmented-mp4-h264", "mkv-h264"])
def test_a_damaged_container_never_breaks_the_index_reader(tmp_path: Path, kind: str) -> None:
    name, options = CLIPS[kind]
    data = make_clip(tmp_path / name, seconds=2, b_frames=2, key_every=25, **options).read_bytes()
    chance = random.Random(kind)
    for _round in range(300):
        damaged = bytearray(data[: chance.randrange(len(data) + 1)])
        for _flip in range(chance.randrange(4)):
            if damaged:
                damaged[chance.randrange(min(len(damaged), 4000))] = chance.randrange(256)
        copy = bytes(damaged)
        index = read_frame_index(lambda at, n, d=copy: d[at : at + n], len(copy))
        assert index is None or (index.keys and len(index.times_ms) >= len(index.keys))


def test_a_fragmented_or_silent_mp4_is_played_through_libavformat_and_nothing_else_is(
    tmp_path: Path,
) -> None:
    # libvlc's own MP4 demuxer fails these after a seek (the clip viewer's tests show the
    # frames landed on); only such files get another one.
    cases = {
        "fragmented.mp4": ("avformat", {"fragmented": True}),
        "fragmented-h265.mp4": ("avformat", {"fragmented": True, "codec": "libx265"}),
        "no-sound.mp4": ("avformat", {"sound": False}),
        "no-sound-faststart.mov": ("avformat", {"sound": False, "faststart": True}),
        "no-sound.mkv": (None, {"sound": False}),
        "plain.mp4": (None, {}),
        "faststart.mp4": (None, {"faststart": True}),
        "plain.mov": (None, {}),
        "plain.mkv": (None, {}),
    }
    for name, (expected, options) in cases.items():
        data = make_clip(tmp_path / name, seconds=1, **options).read_bytes()  # type: ignore[arg-type]
        assert demuxer_for(lambda at, n, d=data: d[at : at + n], len(data)) == expected, name
    for junk in (b"", b"Einsatzbericht\n" * 100, bytes(64)):
        assert demuxer_for(lambda at, n, d=junk: d[at : at + n], len(junk)) is None
