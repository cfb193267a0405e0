"""The encrypted recording store on real clips: sealing, random access, tampering, keys."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.evidence.config import ENV_KEY_FILE, ENV_STORE, resolve_evidence_config
from app.evidence.errors import ImportCancelled, RejectedFile, TamperedError
from app.evidence.keys import load_master_key, write_master_key
from app.evidence.media import inspect
from app.evidence.sealed import HEADER, TAG_BYTES
from app.evidence.store import EvidenceStore
from app.platform.errors import ConfigError
from tests.evidence_files import evidence_config, files_under, make_clip

WHEN = datetime(2026, 12, 6, 9, 15, tzinfo=UTC)
#: Small chunks, so a 2-second clip spans many of them.
CHUNK = 4096


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    config = evidence_config(tmp_path)
    base = EvidenceStore.open(config)
    return EvidenceStore(base.master, base.blobs, config.quarantine_dir, chunk_size=CHUNK)


def _blob(store: EvidenceStore, key: str) -> Path:
    return Path(store.blobs.describe()).joinpath(*key.split("/"))


def test_a_clip_is_stored_encrypted_and_reads_back_exactly(
    store: EvidenceStore, clip: Path
) -> None:
    plain = clip.read_bytes()
    seen: list[tuple[int, int]] = []
    sealed = store.seal_file(clip, WHEN, progress=lambda d, t: seen.append((d, t)))
    assert sealed.sha256 == hashlib.sha256(plain).hexdigest()
    assert sealed.size_bytes == len(plain)
    assert seen[-1] == (len(plain), len(plain))
    cipher = _blob(store, sealed.storage_key).read_bytes()
    # No piece of the video is readable in the store: not its boxes, not any 32 bytes of it.
    assert b"ftyp" not in cipher and b"moov" not in cipher and b"mdat" not in cipher
    rng = random.Random(7)
    for offset in rng.sample(range(len(plain) - 32), 300):
        assert plain[offset : offset + 32] not in cipher
    assert store.stored_sha256(sealed.storage_key, sealed.wrapped_key, sealed.key_id) == (
        sealed.sha256
    )
    # Nothing but the sealed blob was written anywhere in the store.
    assert files_under(Path(store.blobs.describe())) == [_blob(store, sealed.storage_key)]


def test_random_access_reads_match_the_original_at_any_offset(
    store: EvidenceStore, clip: Path
) -> None:
    plain = clip.read_bytes()
    sealed = store.seal_file(clip, WHEN)
    reader = store.reader(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    try:
        assert reader.size == len(plain)
        rng = random.Random(11)
        cases = [(0, 10), (CHUNK - 3, 7), (CHUNK, CHUNK), (len(plain) - 5, 100), (len(plain), 9)]
        cases += [(rng.randrange(len(plain)), rng.randrange(1, 3 * CHUNK)) for _ in range(200)]
        for offset, size in cases:
            assert reader.read(offset, size) == plain[offset : offset + size], (offset, size)
    finally:
        reader.close()


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _chunk_span(index: int) -> tuple[int, int]:
    start = HEADER.size + index * (CHUNK + TAG_BYTES)
    return start, start + CHUNK + TAG_BYTES


@pytest.mark.parametrize("attack", ["flip", "swap", "truncate", "header", "foreign"])
def test_tampering_is_detected_with_a_german_message(
    store: EvidenceStore, clip: Path, attack: str
) -> None:
    sealed = store.seal_file(clip, WHEN)
    path = _blob(store, sealed.storage_key)
    data = path.read_bytes()
    if attack == "flip":
        _flip(path, HEADER.size + 2 * (CHUNK + TAG_BYTES) + 100)
    elif attack == "swap":
        (a0, a1), (b0, b1) = _chunk_span(1), _chunk_span(2)
        path.write_bytes(data[:a0] + data[b0:b1] + data[a0:a1] + data[b1:])
    elif attack == "truncate":
        path.write_bytes(data[: _chunk_span(3)[1]])
    elif attack == "header":
        _flip(path, 9)  # the chunk size
    else:
        other = store.seal_file(clip, WHEN)
        foreign = _blob(store, other.storage_key).read_bytes()
        start, end = _chunk_span(1)
        path.write_bytes(data[:start] + foreign[start:end] + data[end:])
    with pytest.raises(TamperedError) as caught:
        store.stored_sha256(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    assert "manipuliert" in str(caught.value) or "beschädigt" in str(caught.value)


def test_a_blob_moved_to_another_recordings_place_is_refused(
    store: EvidenceStore, clip: Path
) -> None:
    first = store.seal_file(clip, WHEN)
    second = store.seal_file(clip, WHEN)
    _blob(store, second.storage_key).write_bytes(_blob(store, first.storage_key).read_bytes())
    with pytest.raises(TamperedError):
        store.stored_sha256(second.storage_key, second.wrapped_key, second.key_id)
    # A wrapped key copied from another recording does not open it either.
    with pytest.raises(TamperedError):
        store.reader(second.storage_key, first.wrapped_key, first.key_id)


def test_a_cancelled_sealing_leaves_nothing_in_the_store(store: EvidenceStore, clip: Path) -> None:
    calls: list[int] = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(ImportCancelled, match="abgebrochen"):
        store.seal_file(clip, WHEN, cancelled=cancelled)
    assert files_under(Path(store.blobs.describe())) == []


def test_missing_malformed_and_wrong_master_keys_are_refused(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = evidence_config(tmp_path / "a")
    monkeypatch.setenv(ENV_KEY_FILE, str(tmp_path / "nirgends.key"))
    monkeypatch.setenv(ENV_STORE, str(tmp_path / "store"))
    with pytest.raises(ConfigError, match=r"Hauptschlüssel.*fehlt"):
        EvidenceStore.open(resolve_evidence_config())
    bad = tmp_path / "kaputt.key"
    bad.write_text("# Kommentar\nkein-base64!!\n", encoding="ascii")
    with pytest.raises(ConfigError, match="fehlerhaft"):
        load_master_key(bad)
    short = tmp_path / "kurz.key"
    short.write_text("AAAA\n", encoding="ascii")
    with pytest.raises(ConfigError, match="fehlerhaft"):
        load_master_key(short)
    with pytest.raises(ConfigError, match="überschrieben"):
        write_master_key(config.key_file)
    assert not (tmp_path / "store").exists()

    sealed = EvidenceStore.open(config).seal_file(clip, WHEN)
    other = evidence_config(tmp_path / "b")
    wrong = EvidenceStore(
        load_master_key(other.key_file), EvidenceStore.open(config).blobs, tmp_path
    )
    with pytest.raises(TamperedError, match="anderen Hauptschlüssel"):
        wrong.reader(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    # Even if the key id were forged, the wrapped key does not open with another master key.
    with pytest.raises(TamperedError):
        wrong.reader(sealed.storage_key, sealed.wrapped_key, wrong.master.key_id)


def test_bad_files_are_recognised_with_german_messages(tmp_path: Path, clip: Path) -> None:
    whole = make_clip(tmp_path / "front.mp4", faststart=True)
    cases = {
        "leer.mp4": (b"", "empty", "leer"),
        "abgeschnitten.mp4": (
            clip.read_bytes()[: clip.stat().st_size // 2],
            "truncated",
            "unvollständig",
        ),
        "vorne.mp4": (
            whole.read_bytes()[: whole.stat().st_size * 2 // 3],
            "truncated",
            "unvollständig",
        ),
        "notiz.mp4": (b"Einsatzbericht, kein Video\n", "not_video", "kein Video"),
    }
    for name, (content, reason, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(RejectedFile) as caught:
            inspect(path)
        assert caught.value.reason == reason, name
        assert words in str(caught.value) and name in str(caught.value)
    info = inspect(clip)
    assert (info.width, info.height, info.video_codec, info.frame_rate) == (160, 120, "h264", 25.0)
    assert info.duration_ms is not None and 1900 <= info.duration_ms <= 2100
    assert info.audio_codec == "mp4a"


@pytest.mark.parametrize(
    ("name", "codec_args", "codec"),
    [
        (
            "h265.mov",
            ["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error"],
            "hevc",
        ),
        ("h264.mkv", ["-c:v", "libx264"], "h264"),
    ],
)
def test_mov_h265_and_matroska_are_read_and_sealed(
    store: EvidenceStore, tmp_path: Path, name: str, codec_args: list[str], codec: str
) -> None:
    import subprocess

    path = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=duration=2:size=160x120:rate=25", *codec_args, "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
        timeout=120,
    )  # fmt: skip
    info = inspect(path)
    assert (info.video_codec, info.width, info.height) == (codec, 160, 120)
    sealed = store.seal_file(path, WHEN)
    assert store.stored_sha256(sealed.storage_key, sealed.wrapped_key, sealed.key_id) == (
        hashlib.sha256(path.read_bytes()).hexdigest()
    )
