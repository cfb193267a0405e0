"""Reading the change feed and following it live.

Change-feed rows are written in the same transaction as the change. A follower remembers the
last id it has seen and reads everything after it; on PostgreSQL a LISTEN connection wakes it
up at once (it LISTENs first, then catches up, so nothing committed in between is missed), on
SQLite it polls the feed's highest id a few times a second (cheap: an index lookup).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from app.database import NOTIFY_CHANNEL, Database, describe_db_error
from app.dto import Change, ChangeBatch
from app.signals import Signal
from db.models import ChangeFeedEntry

log = logging.getLogger(__name__)

BATCH = 2000


class LinkState(StrEnum):
    """Connection state of a follower."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class LinkStatus:
    """State plus a user-facing reason when offline."""

    state: LinkState
    message: str = ""


async def last_change_id(db: Database) -> int:
    """The newest change id (0 for an empty feed)."""
    async with db.read() as s:
        return int(await s.scalar(select(func.max(ChangeFeedEntry.id))) or 0)


async def changes_after(db: Database, after_id: int, limit: int = BATCH) -> list[Change]:
    """Changes with id > ``after_id`` in id order."""
    async with db.read() as s:
        rows = (
            await s.scalars(
                select(ChangeFeedEntry)
                .where(ChangeFeedEntry.id > after_id)
                .order_by(ChangeFeedEntry.id)
                .limit(limit)
            )
        ).all()
        return [
            Change(r.id, r.occurred_at, r.entity, r.entity_id, r.op, r.version, r.origin)
            for r in rows
        ]


class ChangeFollower:
    """Follows the change feed and emits batches of changes and link-state updates."""

    def __init__(
        self,
        db: Database,
        after_id: int = 0,
        poll_interval: float = 0.25,
        heartbeat: float = 2.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._db = db
        self.last_id = after_id
        self.poll_interval = poll_interval
        self.heartbeat = heartbeat
        self.max_backoff = max_backoff
        self.changes: Signal[ChangeBatch] = Signal()
        self.link: Signal[LinkStatus] = Signal()
        self.state = LinkState.CONNECTING
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Begin following (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="change-follower")

    async def stop(self) -> None:
        """Stop following and wait until the connection is closed."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Read the feed now (e.g. right after this workstation committed something)."""
        self._wake.set()

    def _set_state(self, state: LinkState, message: str = "") -> None:
        if state != self.state or state == LinkState.OFFLINE:
            self.state = state
            self.link.emit(LinkStatus(state, message))

    async def catch_up(self) -> int:
        """Read and emit everything after :attr:`last_id`; returns how many."""
        total = 0
        while True:
            batch = await changes_after(self._db, self.last_id)
            if not batch:
                return total
            self.last_id = batch[-1].id
            total += len(batch)
            self.changes.emit(ChangeBatch(tuple(batch)))
            if len(batch) < BATCH:
                return total

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                if self._db.target.is_sqlite:
                    await self._follow_sqlite()
                else:
                    await self._follow_postgres()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed connection lost: %s", exc)
                self._set_state(LinkState.OFFLINE, describe_db_error(self._db.target, exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue

    async def _follow_sqlite(self) -> None:
        await self.catch_up()
        self._set_state(LinkState.ONLINE)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            await self.catch_up()

    async def _follow_postgres(self) -> None:
        import psycopg

        url = self._db.target.sync_url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, connect_timeout=5)
        try:
            # LISTEN first, then catch up: a change committed in between is read by the catch-up
            # and its notification only causes one more (empty) read.
            await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            await self.catch_up()
            self._set_state(LinkState.ONLINE)
            while True:
                got = False
                async for _note in conn.notifies(timeout=self.heartbeat, stop_after=1):
                    got = True
                if self._wake.is_set():
                    self._wake.clear()
                    got = True
                if got:
                    await self.catch_up()
                else:
                    # Heartbeat: proves the connection is alive, so a dead link shows quickly.
                    await conn.execute("SELECT 1")
        finally:
            with contextlib.suppress(Exception):
                await conn.close()
