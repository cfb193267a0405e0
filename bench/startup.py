"""Cold start of the workstation: prints ``cold_start_s``.

From process start until a logged-in main window whose queue shows its first page, over
``KOD_BENCH_INCIDENTS`` incidents (default 1,000,000) in a SQLite file. The workstation runs in
a fresh process (``bench/_startup_child.py``) exactly as ``kod-leitstelle`` starts: imports, Qt,
the login dialog (filled in and confirmed by the child the moment it appears), the window with
every pane, the first page of the queue. The time from starting the process counts, so the
interpreter's start and the imports are in the figure.

No arguments. The demo database is generated once and kept in the temporary folder, keyed by
the schema version and the size (``kod-bench-cache/startup-<revision>-<n>.sqlite``), so a rerun
only copies it; ``KOD_BENCH_FRESH=1`` generates it again. Prints the median of
``KOD_BENCH_RUNS`` starts (default 3) and the slowest one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from app.platform.config import sqlite_target  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from db.migrate import head_revision, upgrade  # noqa: E402
from demodata.generate import generate_demo  # noqa: E402

ROOT = _HERE.parent
INCIDENTS = int(os.environ.get("KOD_BENCH_INCIDENTS", "1000000"))
RUNS = int(os.environ.get("KOD_BENCH_RUNS", "3"))


def cached_database() -> Path:
    """The generated demo file for this schema and size (made on first use)."""
    folder = Path(tempfile.gettempdir()) / "kod-bench-cache"
    folder.mkdir(exist_ok=True)
    path = folder / f"startup-{head_revision()}-{INCIDENTS}.sqlite"
    if path.exists() and os.environ.get("KOD_BENCH_FRESH") != "1":
        return path
    print(f"# generating {INCIDENTS} incidents (kept in {path}) …", file=sys.stderr)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    target = sqlite_target(partial)
    engine = Database(target).sync_engine()
    upgrade(engine)
    engine.dispose()
    asyncio.run(_generate(target))
    partial.replace(path)
    return path


async def _generate(target: object) -> None:
    db = Database(target)  # type: ignore[arg-type]
    await db.check()
    try:
        await generate_demo(Services.create(db), Actor.cli(), incidents=INCIDENTS, seed=17)
    finally:
        await db.dispose()


def one_start(source: Path, folder: Path) -> float:
    """Start the workstation on a copy of ``source``; seconds until its queue showed rows."""
    path = folder / "kod.sqlite"
    shutil.copy(source, path)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "KOD_ALARM_AUDIO": "0",
        "KOD_NO_DIALOGS": "1",
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    started = time.time()
    result = subprocess.run(
        [sys.executable, str(_HERE / "_startup_child.py"), str(path), repr(started)],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if os.environ.get("KOD_BENCH_VERBOSE"):
        print(result.stderr, file=sys.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"workstation did not start: {result.stderr[-2000:]}")
    for line in result.stdout.splitlines():
        if line.startswith("ready_after_s: "):
            return float(line.split(": ", 1)[1])
    raise RuntimeError(f"no time reported: {result.stdout[-2000:]}")


def main() -> None:
    source = cached_database()
    timings = []
    with tempfile.TemporaryDirectory(prefix="kod-bench-start-") as folder:
        for _ in range(max(1, RUNS)):
            timings.append(one_start(source, Path(folder)))
    print(f"startup_incidents: {INCIDENTS}")
    print(f"cold_start_s: {statistics.median(timings):.2f}")
    print(f"cold_start_max_s: {max(timings):.2f}")


if __name__ == "__main__":
    main()
