"""Importing a large bodycam file compared with hashing and copying it.

Prints ``ingest_ratio``: the import of a ``KOD_BENCH_INGEST_MB`` file (default 1,024 MB) —
checks, libvlc metadata, SHA-256 and encryption in one pass, reading back (decrypt and hash)
and the database record — divided by ``sha256sum`` plus ``cp`` of the same file in the same
run (goal ≤ 1.25). Also ``ingest_mb_per_s`` and the parts (``baseline_s``, ``import_s``).

Then ``first_frame_p95_ms`` over ``KOD_BENCH_OPENS`` openings (default 20; goal ≤ 300): from
opening the stored recording with a reason (audited) to the first frame libvlc decoded from it
through the decrypting callbacks, headless (libvlc's video callbacks instead of a window).

No arguments. The file is a real 2-second clip made by ffmpeg, padded to size with a ``free``
box of random bytes (players skip it), in a temporary folder on the same disk as the store;
SQLite database. Every measurement starts after ``sync`` (nothing left to flush) with the
file read once (in the page cache). ``cp`` may clone the file where the file system can (a
faster baseline: the ratio errs on the strict side).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/queue.py would shadow the
# standard library's ``queue``. Put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from app.evidence.config import EvidenceConfig  # noqa: E402
from app.evidence.keys import write_master_key  # noqa: E402
from app.evidence.sidecar import RecordingDetails  # noqa: E402
from app.evidence.store import EvidenceStore  # noqa: E402
from app.evidence.vlc_source import SealedMedia  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.permissions import Role  # noqa: E402
from app.platform.timeutil import utcnow  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from app.services.recording_access import RecordingAccessService  # noqa: E402
from app.services.recording_import import RecordingImportService  # noqa: E402
from bench._common import temp_sqlite  # noqa: E402

SIZE_MB = int(os.environ.get("KOD_BENCH_INGEST_MB", "1024"))
OPENS = int(os.environ.get("KOD_BENCH_OPENS", "20"))
_BLOCK = 1 << 20


def _padded_clip(folder: Path, size: int) -> Path:
    clip = folder / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc=duration=2:size=320x240:rate=25",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    padding = max(0, size - clip.stat().st_size - 16)
    with clip.open("ab") as fh:
        fh.write((1).to_bytes(4, "big") + b"free" + (padding + 16).to_bytes(8, "big"))
        while padding:
            step = min(padding, _BLOCK)
            fh.write(os.urandom(step))
            padding -= step
    return clip


def _warm(path: Path) -> None:
    """Nothing left to flush from earlier steps, and ``path`` in the page cache."""
    os.sync()
    with path.open("rb") as fh:
        while fh.read(_BLOCK):
            pass


def _timed(args: list[str], path: Path) -> float:
    _warm(path)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    return time.perf_counter() - start


async def _import(folder: Path, video: Path) -> tuple[float, list[float]]:
    config = EvidenceConfig(folder / "master.key", folder / "store", folder / "quarantine")
    write_master_key(config.key_file)
    with temp_sqlite() as target:
        db = Database(target, workstation="bench")
        try:
            services = Services.create(db)
            admin = Actor(None, "cli:bench", Role.ADMIN)
            await services.users.add(admin, "m.mueller", "Mia Müller", Role.FIELD_OFFICER, None)
            await services.users.add(admin, "dispo", "Dora", Role.DISPATCHER, "geheim123")
            dispatcher = await services.users.authenticate("dispo", "geheim123")
            store = EvidenceStore.open(config)
            importer = RecordingImportService(db, store)
            details = RecordingDetails(
                officer="m.mueller",
                device="BC-1",
                started_at=utcnow(),
                reason="Bedrohung",
                announced=True,
            )
            _warm(video)
            start = time.perf_counter()
            done = await importer.import_file(dispatcher, video, details)
            spent = time.perf_counter() - start
            access = RecordingAccessService(db, store)
            size = (done.media.width or 320, done.media.height or 240)
            firsts = [await _first_frame(access, dispatcher, done.id, size) for _ in range(OPENS)]
            return spent, firsts
        finally:
            await db.dispose()


_instance: list[object] = []


async def _first_frame(
    access: RecordingAccessService, actor: Actor, recording_id: int, size: tuple[int, int]
) -> float:
    import vlc

    if not _instance:
        _instance.append(vlc.Instance(["--aout=dummy", "--quiet", "--no-xlib"]))
    instance = _instance[0]
    width, height = size
    frame = (ctypes.c_uint8 * (width * height * 4))()
    shown = threading.Event()

    @vlc.CallbackDecorators.VideoLockCb
    def lock(_opaque: object, planes: ctypes.Array[ctypes.c_void_p]) -> None:
        planes[0] = ctypes.cast(frame, ctypes.c_void_p)

    @vlc.CallbackDecorators.VideoUnlockCb
    def unlock(_opaque: object, _picture: object, _planes: object) -> None:
        pass

    @vlc.CallbackDecorators.VideoDisplayCb
    def display(_opaque: object, _picture: object) -> None:
        shown.set()

    start = time.perf_counter()
    opened = await access.open(actor, recording_id, "Messung der Startzeit")
    source = SealedMedia(vlc, instance, opened.reader, opened.demuxer)
    player = instance.media_player_new()
    player.video_set_callbacks(lock, unlock, display, None)
    player.video_set_format("RV32", width, height, width * 4)
    player.set_media(source.media)
    player.play()
    await asyncio.to_thread(shown.wait, 30)
    spent = time.perf_counter() - start
    player.stop()
    player.release()
    source.release()
    opened.close()
    return spent


def main() -> None:
    """Measure and print ``name: value`` lines."""
    with tempfile.TemporaryDirectory(prefix="kod-ingest-", dir=os.environ.get("TMPDIR")) as tmp:
        folder = Path(tmp)
        video = _padded_clip(folder, SIZE_MB * _BLOCK)
        baseline = _timed(["sha256sum", str(video)], video)
        baseline += _timed(["cp", str(video), str(folder / "copy")], video)
        (folder / "copy").unlink()
        spent, firsts = asyncio.run(_import(folder, video))
    print(f"baseline_s: {baseline:.3f}")
    print(f"import_s: {spent:.3f}")
    print(f"ingest_mb_per_s: {SIZE_MB / spent:.0f}")
    print(f"ingest_ratio: {spent / baseline:.2f}")
    if len(firsts) > 1:
        p95 = statistics.quantiles(firsts, n=20, method="inclusive")[18]
        print(f"first_frame_p50_ms: {statistics.median(firsts) * 1000:.0f}")
        print(f"first_frame_p95_ms: {p95 * 1000:.0f}")


if __name__ == "__main__":
    main()
