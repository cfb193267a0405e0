"""Helpers for multi-workstation tests: a second process, a follower recorder, backend kills."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from app.domain.dto import ChangeBatch
from app.platform.changefeed import ChangeFollower, LinkState, LinkStatus

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Recorder:
    """Everything a follower emitted, with arrival times (``time.time()``)."""

    changes: dict[int, float] = field(default_factory=dict)
    entities: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    links: list[tuple[float, LinkStatus]] = field(default_factory=list)
    duplicates: int = 0
    #: How many deliveries said "the feed went back: reload everything".
    resets: int = 0

    def attach(self, follower: ChangeFollower) -> Recorder:
        follower.changes.connect(self.on_changes)
        follower.link.connect(self.on_link)
        return self

    def on_changes(self, batch: ChangeBatch) -> None:
        now = time.time()
        self.resets += batch.reset
        for c in batch.changes:
            if c.id in self.changes:
                self.duplicates += 1
            self.changes.setdefault(c.id, now)
            self.entities[c.id] = (c.entity, c.entity_id, c.op)

    def on_link(self, status: LinkStatus) -> None:
        self.links.append((time.time(), status))

    def states(self) -> list[LinkState]:
        return [s.state for _t, s in self.links]

    def first(self, state: LinkState, after: float = 0.0) -> float | None:
        for t, s in self.links:
            if s.state == state and t >= after:
                return t
        return None

    def incident_ids(self) -> set[int]:
        return {
            eid for ent, eid, op in self.entities.values() if ent == "incident" and op == "insert"
        }


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the loop run until ``predicate()`` holds (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


@dataclass
class WriterProcess:
    """``tests.multiws.writer`` running as a separate process."""

    proc: asyncio.subprocess.Process
    rows: list[dict[str, Any]] = field(default_factory=list)
    retries: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls, url: str, count: int, interval: float = 0.0, prefix: str = "w"
    ) -> WriterProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.multiws.writer",
            url,
            "--count",
            str(count),
            "--interval",
            str(interval),
            "--prefix",
            prefix,
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        w = cls(proc)
        w._reader = asyncio.ensure_future(w._read())
        return w

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = json.loads(raw)
            if "retry" in line:
                self.retries.append(line)
            elif line.get("done"):
                self.done = True
            else:
                self.rows.append(line)

    async def wait(self, timeout: float = 30.0) -> None:
        """Wait for a clean exit (fails with the process's stderr otherwise)."""
        rc = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            await self._reader
        if rc != 0 or not self.done:
            assert self.proc.stderr is not None
            err = (await self.proc.stderr.read()).decode(errors="replace")
            raise AssertionError(f"writer failed (exit {rc}):\n{err[-3000:]}")

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def psycopg_dsn(url: str, database: str | None = None) -> str:
    """A libpq URL from a SQLAlchemy-style one."""
    u = make_url(url).set(drivername="postgresql")
    if database:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


async def terminate_backends(url: str, database: str, application_prefix: str | None = None) -> int:
    """``pg_terminate_backend`` every other session on ``database``; returns how many.

    Runs as the test role: PostgreSQL lets a role terminate its own sessions (no superuser
    needed, which also holds for the ``kod`` role that scripts/ensure-postgres.sh creates).
    """
    sql = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()"
    )
    params: tuple[Any, ...] = (database,)
    if application_prefix is not None:
        sql += " AND application_name LIKE %s"
        params = (database, application_prefix + "%")
    async with await psycopg.AsyncConnection.connect(
        psycopg_dsn(url, database), autocommit=True, connect_timeout=5
    ) as conn:
        cur = await conn.execute(sql, params)  # type: ignore[arg-type]
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def feed_ids(url: str, database: str) -> list[int]:
    """Every change id in the feed."""
    async with await psycopg.AsyncConnection.connect(
        psycopg_dsn(url, database), autocommit=True, connect_timeout=5
    ) as conn:
        cur = await conn.execute("SELECT id FROM change_feed ORDER BY id")
        return [int(r[0]) for r in await cur.fetchall()]
