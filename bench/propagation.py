"""Propagation between two workstations on PostgreSQL.

Prints ``propagation_p50_ms``, ``propagation_p99_ms`` (commit on the writing workstation until
the incident is a row in the reading workstation's ``IncidentQueueTableModel``, over
``KOD_BENCH_CHANGES`` changes, default 1,000) and ``catchup_1000_s`` (the reader was
disconnected while 1,000 incidents were written: time from reconnecting until all 1,000 are
rows in its queue model). Also prints ``feed_p50_ms``/``feed_p99_ms``: commit until the
change follower delivered the change (the infrastructure part, without the queue's batching).

No arguments. Creates its own PostgreSQL database (``KOD_TEST_PG_URL``'s server), migrates it
and drops it at the end. The writer is a separate process (``bench/_writer.py``); the reader is
the real queue model in a qasync loop, sorted newest first so that every new incident is a
visible row. With ``KOD_BENCH_RESTART=1`` (needs the right to run ``pg_ctlcluster``) it also
restarts the PostgreSQL server while the writer writes and prints ``restart_lost_changes``
(``KOD_BENCH_PG_CLUSTER``/``KOD_BENCH_PG_VERSION`` name the Debian cluster; default: newest
version, ``main``). Do not restart a server that other test runs are using.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/queue.py would shadow the
# standard library's ``queue`` (which qasync imports). Put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QModelIndex  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.domain.dto import ChangeBatch, IncidentQuery  # noqa: E402
from app.platform.changefeed import ChangeFollower, LinkState, last_change_id  # noqa: E402
from app.platform.config import DatabaseTarget, parse_database_url  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.permissions import Role  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from bench._common import PG_URL, qt_application  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from ui import eventloop  # noqa: E402
from ui.context import ChangeBridge, UiContext  # noqa: E402
from ui.models.incident_queue import IncidentIdRole, IncidentQueueTableModel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHANGES = int(os.environ.get("KOD_BENCH_CHANGES", "1000"))
INTERVAL = float(os.environ.get("KOD_BENCH_INTERVAL_S", "0.01"))
READER = Actor(None, "bench:reader", Role.DISPATCHER, "Lesender Arbeitsplatz")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Seen:
    """When each incident id first became a row in the model / arrived from the feed."""

    def __init__(self, model: IncidentQueueTableModel) -> None:
        self.model = model
        self.rows: dict[int, float] = {}
        self.feed: dict[int, float] = {}
        model.rowsInserted.connect(self._inserted)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        now = time.time()
        for r in range(first, last + 1):
            value = self.model.data(self.model.index(r, 0), IncidentIdRole)
            if value is not None:
                self.rows.setdefault(int(value), now)

    def on_changes(self, batch: ChangeBatch) -> None:
        now = time.time()
        for c in batch.changes:
            if c.entity == "incident" and c.op == "insert":
                self.feed.setdefault(c.entity_id, now)


async def write(url: str, count: int, interval: float) -> dict[int, float]:
    """Run the writer process; incident id -> commit time."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._writer",
        url,
        str(count),
        str(interval),
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
    )
    commits: dict[int, float] = {}
    assert proc.stdout is not None
    async for raw in proc.stdout:
        line = raw.decode().strip()
        if line == "done":
            break
        incident_id, t = line.split()
        commits[int(incident_id)] = float(t)
    if await proc.wait() != 0:
        raise RuntimeError("writer failed")
    return commits


async def until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not met")
        await asyncio.sleep(0.005)


async def bench(target: DatabaseTarget, url: str) -> None:
    db = Database(target, workstation="bench-reader")
    await db.check()
    services = Services.create(db)
    follower = ChangeFollower(db, after_id=await last_change_id(db))
    ctx = UiContext(services=services, actor=READER, bridge=ChangeBridge(follower))
    model = IncidentQueueTableModel(ctx)
    model.set_query(IncidentQuery(sort="created_at", descending=True))
    await model.wait_loaded()
    seen = Seen(model)
    follower.changes.connect(seen.on_changes)
    follower.start()
    await until(lambda: follower.state == LinkState.ONLINE, 10)

    # 1. Live propagation.
    print(f"# writing {CHANGES} incidents from a second process …", file=sys.stderr)
    commits = await write(url, CHANGES, INTERVAL)
    await until(lambda: all(i in seen.rows for i in commits), 10)
    row_ms = [(seen.rows[i] - t) * 1000 for i, t in commits.items()]
    feed_ms = [(seen.feed[i] - t) * 1000 for i, t in commits.items()]
    print(f"propagation_p50_ms: {statistics.median(row_ms):.1f}")
    print(f"propagation_p99_ms: {pct(row_ms, 0.99):.1f}")
    print(f"feed_p50_ms: {statistics.median(feed_ms):.1f}")
    print(f"feed_p99_ms: {pct(feed_ms, 0.99):.1f}")

    # 2. Catch-up after a reconnect.
    await follower.stop()
    print("# reader disconnected; writing 1000 incidents …", file=sys.stderr)
    missed = await write(url, 1000, 0.0)
    started = time.time()
    follower.start()
    await until(lambda: all(i in seen.rows for i in missed), 60)
    done = max(seen.rows[i] for i in missed)
    print(f"catchup_1000_s: {done - started:.2f}")

    # 3. Optional: restart the server while writing.
    if os.environ.get("KOD_BENCH_RESTART") == "1":
        await restart_while_writing(url, follower, seen, db)

    await follower.stop()
    await db.dispose()


async def restart_while_writing(
    url: str, follower: ChangeFollower, seen: Seen, db: Database
) -> None:
    # The cluster serving KOD_TEST_PG_URL: Debian's "<version> main" unless told otherwise.
    version = os.environ.get("KOD_BENCH_PG_VERSION") or sorted(os.listdir("/etc/postgresql"))[-1]
    cluster = os.environ.get("KOD_BENCH_PG_CLUSTER", "main")
    writer = asyncio.ensure_future(write_retrying(url, 300))
    await asyncio.sleep(1.0)
    t0 = time.time()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"], check=True
    )
    commits = await writer
    await until(lambda: follower.state == LinkState.ONLINE, 30)
    await until(lambda: all(i in seen.rows for i in commits), 30)
    lost = [i for i in commits if i not in seen.rows]
    print(f"restart_lost_changes: {len(lost)}")
    print(f"restart_back_online_s: {time.time() - t0:.1f}")


async def write_retrying(url: str, count: int) -> dict[int, float]:
    """The test writer (retries with client_ref across the restart)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.multiws.writer",
        url,
        "--count",
        str(count),
        "--interval",
        "0.01",
        "--prefix",
        "restart",
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
    )
    commits: dict[int, float] = {}
    assert proc.stdout is not None
    async for raw in proc.stdout:
        msg = json.loads(raw)
        if "id" in msg:
            commits[int(msg["id"])] = float(msg["t"])
    await proc.wait()
    return commits


@contextmanager
def temp_database() -> Iterator[DatabaseTarget]:
    """A migrated PostgreSQL database of its own, dropped at the end through a fresh
    connection (the server may have been restarted meanwhile)."""
    name = f"kod_bench_prop_{uuid.uuid4().hex[:8]}"
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")

    def admin(sql: str) -> None:
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    admin(f'CREATE DATABASE "{name}"')
    try:
        target = parse_database_url(base.set(database=name).render_as_string(hide_password=False))
        engine = create_engine(target.sync_url)
        upgrade(engine)
        engine.dispose()
        yield target
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    app = qt_application()
    with temp_database() as target:
        url = target.command_line_url
        eventloop.run(bench(target, url))
    del app


if __name__ == "__main__":
    main()
