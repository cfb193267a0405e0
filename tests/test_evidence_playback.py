"""libvlc plays a sealed recording through the decrypting callbacks (headless, real libvlc)."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import vlc

from app.evidence.sealed import HEADER
from app.evidence.store import EvidenceStore
from app.evidence.vlc_source import SealedMedia
from tests.evidence_files import evidence_config, make_clip
from tests.ui.waiting import wait_until_sync

#: In the clip's metadata: any plaintext copy of it contains these bytes.
TAG = f"kod-plaintext-marker-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=3, tag=TAG)


@pytest.fixture
def instance() -> Iterator[Any]:
    inst = vlc.Instance(["--vout=dummy", "--aout=dummy", "--quiet", "--no-xlib"])
    yield inst
    inst.release()


def _files_changed_since(folder: Path, since: float) -> list[Path]:
    found = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            try:
                if path.stat().st_mtime >= since and path.is_file():
                    found.append(path)
            except OSError:
                continue
    return found


def _bytes_of(path: Path) -> bytes:
    """The file's bytes (up to 50 MB); nothing for a file another program removed meanwhile."""
    try:
        with path.open("rb") as fh:
            return fh.read(50_000_000)
    except (FileNotFoundError, PermissionError):
        return b""


def test_a_sealed_clip_plays_and_seeks_without_plaintext_on_disk(
    tmp_path: Path, clip: Path, instance: Any
) -> None:
    store = EvidenceStore.open(evidence_config(tmp_path))
    sealed = store.seal_file(clip, datetime.now(UTC))
    reader = store.reader(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    source = SealedMedia(vlc, instance, reader)
    player = instance.media_player_new()
    started = time.time()
    try:
        player.set_media(source.media)
        player.play()
        wait_until_sync(lambda: player.get_time() > 300, 20, "playback advancing")
        player.set_time(2000)
        wait_until_sync(lambda: player.get_time() >= 2000, 20, "the seek")
        wait_until_sync(lambda: player.get_state() == vlc.State.Ended, 20, "the end")
        assert source.failure is None
        # No file written meanwhile holds any of the video in clear (temp folder, store).
        marker = TAG.encode()
        assert marker in clip.read_bytes()
        for folder in (Path(tempfile.gettempdir()), tmp_path):
            for path in _files_changed_since(folder, started - 1):
                if path != clip:
                    assert marker not in _bytes_of(path), path
    finally:
        player.stop()
        player.release()
        source.release()
        reader.close()


def test_a_tampered_chunk_stops_playback_and_says_why(
    tmp_path: Path, clip: Path, instance: Any
) -> None:
    root = evidence_config(tmp_path)
    base = EvidenceStore.open(root)
    store = EvidenceStore(base.master, base.blobs, root.quarantine_dir, chunk_size=8192)
    sealed = store.seal_file(clip, datetime.now(UTC))
    blob = Path(store.blobs.describe()).joinpath(*sealed.storage_key.split("/"))
    data = bytearray(blob.read_bytes())
    data[HEADER.size + 3 * (8192 + 16) + 50] ^= 0x01
    blob.write_bytes(bytes(data))
    reader = store.reader(sealed.storage_key, sealed.wrapped_key, sealed.key_id)
    source = SealedMedia(vlc, instance, reader)
    player = instance.media_player_new()
    try:
        player.set_media(source.media)
        player.play()
        wait_until_sync(lambda: source.failure is not None, 20, "the integrity failure")
        assert "manipuliert" in str(source.failure)
    finally:
        player.stop()
        player.release()
        source.release()
        reader.close()
