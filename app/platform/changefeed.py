"""Reading the change feed and following it live.

Change-feed rows are written in the same transaction as the change. A follower remembers the
last id it has seen and reads everything after it; NOTIFY (PostgreSQL) is only the wake-up.

PostgreSQL: one dedicated connection per follower. On start and after every reconnect it
LISTENs first and then catches up from the last id, so a change committed while the link was
down (its notification is lost) is read by the catch-up. Catch-up, heartbeat and the wait for
notifications all run on that one connection, each bounded by a timeout, so a dead server, a
terminated backend or a hung network shows as OFFLINE within a few seconds instead of blocking
forever. Reconnects back off (0.5 s doubling up to ``max_backoff``, with jitter so that many
workstations do not reconnect in lockstep after a failover).

Why reading by id loses nothing: writers insert feed entries under one advisory lock, the order
lock (see :mod:`app.platform.database`; the server takes it for every insert), held until their
commit is visible, so change ids become visible in increasing order; a reader that has seen id N never later finds a new id below N.
The one exception is a server whose history went back (failover with asynchronous replication
losing the last transactions, or a restore from backup): the follower notices that the feed's
newest id is below its own and emits a batch with ``reset`` set so that views reload.

SQLite: it polls the feed a few times a second (an index lookup), so changes written by another
process on the same machine (``kod-admin``, the field interface) show within a second; a file
restored from a backup shows as a feed that went back, like on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.domain.dto import Change, ChangeBatch
from app.platform.database import NOTIFY_CHANNEL, Database
from app.platform.dberrors import describe_db_error, is_login_refused
from app.platform.i18n import tr
from app.platform.signals import Signal
from app.platform.timeutil import utcnow
from db.models import ChangeFeedEntry

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

#: Rows read per catch-up query (pool path, SQLite).
BATCH = 2000
#: Rows per catch-up query on the follower's PostgreSQL connection (each within the timeout).
PG_BATCH = 500
#: NOTIFY payloads must stay below this many bytes (PostgreSQL's limit is 8000).
MAX_NOTIFY_PAYLOAD = 8000

_FEED_SQL = (
    "SELECT id, occurred_at, entity, entity_id, op, version, origin FROM change_feed "
    "WHERE id > %s ORDER BY id LIMIT %s"
)
_MAX_SQL = "SELECT coalesce(max(id), 0) FROM change_feed"


class LinkState(StrEnum):
    """Connection state of a follower."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class LinkStatus:
    """State plus a user-facing (German) reason when offline.

    ``since`` is when the current state began: for OFFLINE the moment the link was lost (it
    stays the same while reconnect attempts fail), so views can say "data as of 14:03" and
    mark themselves stale. ``retry_in`` is the delay before the next reconnect attempt.
    """

    state: LinkState
    message: str = ""
    since: datetime | None = None
    retry_in: float | None = None
    #: The server refused this login on reconnect (disabled, password changed): retrying
    #: will not help, the person has to log in again.
    login_refused: bool = False

    @property
    def online(self) -> bool:
        """True if the follower is connected and up to date."""
        return self.state == LinkState.ONLINE


async def last_change_id(db: Database) -> int:
    """The newest change id (0 for an empty feed)."""
    async with db.read() as s:
        return int(await s.scalar(select(func.max(ChangeFeedEntry.id))) or 0)


async def changes_after(db: Database, after_id: int, limit: int = BATCH) -> list[Change]:
    """Changes with id > ``after_id`` in id order."""
    async with db.read() as s:
        # Plain rows, not ORM objects: thousands of position changes arrive every second.
        f = ChangeFeedEntry
        rows = await s.execute(
            select(f.id, f.occurred_at, f.entity, f.entity_id, f.op, f.version, f.origin)
            .where(f.id > after_id)
            .order_by(f.id)
            .limit(limit)
        )
        return [Change(*r) for r in rows]


def listen_connect_kwargs(db: Database, workstation: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.AsyncConnection.connect`` matching ``db``'s engine.

    Built by the engine's own dialect, so multi-host URLs (``host=a:5432&host=b:5432``),
    ``target_session_attrs`` and TLS settings (``sslmode``, ``sslrootcert``) apply to the
    LISTEN connection exactly as to the pool. TCP keepalives make the kernel notice a dead
    peer too; the follower's own timeouts do not depend on them.
    """
    _args, kwargs = db.engine.dialect.create_connect_args(db.target.async_url)
    kwargs = dict(kwargs)
    kwargs.setdefault("connect_timeout", 5)
    kwargs.setdefault("application_name", f"kod-follower@{workstation or db.workstation}"[:63])
    kwargs.setdefault("keepalives", 1)
    kwargs.setdefault("keepalives_idle", 10)
    kwargs.setdefault("keepalives_interval", 3)
    kwargs.setdefault("keepalives_count", 3)
    kwargs["autocommit"] = True
    return kwargs


async def _abandon(conn: psycopg.AsyncConnection[Any], task: asyncio.Future[Any]) -> None:
    """End a query that must not be waited for: shut the socket, let the query fail, close."""
    with contextlib.suppress(Exception):
        # A duplicate of the descriptor (works for socket handles on Windows too); shutting
        # it down shuts the one socket both refer to.
        sock = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
    done, _pending = await asyncio.wait({task}, timeout=1.0)
    if not done:  # the platform did not wake the reader: fall back to cancelling
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 12.0)
    elif not task.cancelled():
        task.exception()  # retrieved: it is expected to have failed
    with contextlib.suppress(Exception):
        await conn.close()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ChangeFollower:
    """Follows the change feed and emits batches of changes and link-state updates.

    Signals (called on the event loop): ``changes`` with a :class:`ChangeBatch` in id order,
    ``link`` with a :class:`LinkStatus` on every state change and on every failed reconnect
    attempt while offline.
    """

    def __init__(
        self,
        db: Database,
        after_id: int = 0,
        poll_interval: float = 0.25,
        heartbeat: float = 2.0,
        max_backoff: float = 5.0,
        query_timeout: float = 2.0,
        connect_timeout: float = 6.0,
    ) -> None:
        self._db = db
        self.last_id = after_id
        self.poll_interval = poll_interval
        #: Idle time after which the link is probed.
        self.heartbeat = heartbeat
        self.max_backoff = max_backoff
        #: Longest a heartbeat or one catch-up query may take before the link counts as dead.
        self.query_timeout = query_timeout
        self.connect_timeout = connect_timeout
        self.changes: Signal[ChangeBatch] = Signal()
        self.link: Signal[LinkStatus] = Signal()
        self.state = LinkState.CONNECTING
        self.status = LinkStatus(LinkState.CONNECTING, since=utcnow())
        #: How many times the follower (re)connected successfully.
        self.connects = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    # -- control ------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin following (idempotent)."""
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="change-follower")

    async def stop(self) -> None:
        """Stop following and wait until the connection is closed.

        SQLite: the follower ends at its next wait, never inside a read. Cancelling a read
        would leave the session's close running in the background (SQLAlchemy shields it), to
        finish after the caller went on, possibly when no event loop runs any more (the
        intermittent "no running event loop" at a test's end). PostgreSQL's reads on the
        follower's own connection end cleanly on cancel (see :meth:`_query`).
        """
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        if self._db.target.is_sqlite:
            await asyncio.wait({task}, timeout=self.query_timeout + self.poll_interval)
        if not task.done():
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # it already ended on its own: stopping it is done all the same
            log.warning("change follower had ended with an error", exc_info=True)
        self._task = None
        self._stopping = False

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._task is not None and not self._task.done()

    def poke(self) -> None:
        """Read the feed now (e.g. right after this workstation committed something)."""
        self._wake.set()

    def _set_state(
        self,
        state: LinkState,
        message: str = "",
        retry_in: float | None = None,
        login_refused: bool = False,
    ) -> None:
        if state != self.state or state == LinkState.OFFLINE:
            since = self.status.since if state == self.state and self.status.since else utcnow()
            self.state = state
            self.status = LinkStatus(state, message, since, retry_in, login_refused)
            self.link.emit(self.status)

    def _emit(self, batch: list[Change]) -> None:
        # Two reads racing (a caller's catch_up() while the loop reads) never emit twice.
        fresh = tuple(c for c in batch if c.id > self.last_id)
        if fresh:
            self.last_id = fresh[-1].id
            self.changes.emit(ChangeBatch(fresh))

    def _reset(self, newest: int) -> None:
        """The server's feed ends below what we have seen: its history went back."""
        log.warning(
            "change feed went back from %s to %s (failover or restore): full reload",
            self.last_id,
            newest,
        )
        self.last_id = newest
        self.changes.emit(ChangeBatch(reset=True, reset_to=newest))

    # -- reading ------------------------------------------------------------------------------

    async def catch_up(self) -> int:
        """Read and emit everything after :attr:`last_id` (through the pool); returns how many."""
        total = 0
        while True:
            batch = await changes_after(self._db, self.last_id)
            if not batch:
                return total
            total += len(batch)
            self._emit(batch)
            if len(batch) < BATCH:
                return total

    async def _catch_up_pg(self, conn: psycopg.AsyncConnection[Any]) -> int:
        total = 0
        while True:
            rows = await self._query(conn, _FEED_SQL, (self.last_id, PG_BATCH))
            if not rows:
                return total
            batch = [
                Change(int(r[0]), _aware(r[1]), r[2], int(r[3]), r[4], r[5], r[6]) for r in rows
            ]
            total += len(batch)
            self._emit(batch)
            if len(batch) < PG_BATCH:
                return total

    async def _query(
        self, conn: psycopg.AsyncConnection[Any], sql: str, params: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` on the follower's connection within :attr:`query_timeout`.

        A hung TCP connection must not block forever. ``asyncio.wait_for`` alone is not
        enough: cancelling a running psycopg query starts psycopg's cancel handshake (a new
        connection to the server, then waiting for the query to end, up to ~10 s), which on a
        hung network only hangs too. So on timeout the link is reported OFFLINE at once and the
        query is ended by shutting the socket down, which makes it fail immediately.
        """

        async def run() -> list[tuple[Any, ...]]:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description is not None else []

        task = asyncio.ensure_future(run())
        try:
            done, _pending = await asyncio.wait({task}, timeout=self.query_timeout)
        except asyncio.CancelledError:
            await _abandon(conn, task)
            raise
        if not done:
            exc = TimeoutError(f"no answer within {self.query_timeout} s")
            self._set_state(LinkState.OFFLINE, self._describe(exc))
            await _abandon(conn, task)
            raise exc
        return task.result()

    # -- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.5
        while not self._stopping:
            connects = self.connects
            try:
                if self._db.target.is_sqlite:
                    await self._follow_sqlite()
                else:
                    await self._follow_postgres()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connects > connects:
                    backoff = 0.5  # a fresh outage starts with a quick retry
                delay = backoff * random.uniform(0.8, 1.2)
                log.warning("change feed link lost (%s); retry in %.1f s", exc, delay)
                self._set_state(
                    LinkState.OFFLINE,
                    self._describe(exc),
                    round(delay, 1),
                    login_refused=is_login_refused(exc),
                )
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, self.max_backoff)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError):
            return tr(
                "database",
                "The database %1 does not answer (network or server hangs).",
                self._db.target.display,
            )
        return describe_db_error(self._db.target, exc)

    async def _follow_sqlite(self) -> None:
        await self._check_went_back()
        await self.catch_up()
        self.connects += 1
        self._set_state(LinkState.ONLINE)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            if self._stopping:
                return
            if not await self.catch_up():
                # Nothing new: the file may have been restored from a backup meanwhile.
                await self._check_went_back()

    async def _check_went_back(self) -> None:
        newest = await last_change_id(self._db)
        if newest < self.last_id:
            self._reset(newest)

    async def _follow_postgres(self) -> None:
        import psycopg

        kwargs = listen_connect_kwargs(self._db)
        conn = await asyncio.wait_for(
            psycopg.AsyncConnection.connect(**kwargs), self.connect_timeout
        )
        try:
            # LISTEN first, then catch up: a change committed in between is read by the
            # catch-up and its notification only causes one more (cheap) check.
            await self._query(conn, f"LISTEN {NOTIFY_CHANNEL}")
            newest = int((await self._query(conn, _MAX_SQL))[0][0])
            if newest < self.last_id:
                self._reset(newest)
            await self._catch_up_pg(conn)
            self.connects += 1
            self._set_state(LinkState.ONLINE)
            while True:
                hint = await self._wait_notification(conn)
                if self._wake.is_set():
                    self._wake.clear()
                    hint = hint or self.last_id + 1
                if hint is None:
                    # Idle: probe the link (bounded by the query timeout) and look at the
                    # feed's end at the same time, which also heals a missed wake-up.
                    newest = int((await self._query(conn, _MAX_SQL))[0][0])
                    if newest < self.last_id:
                        self._reset(newest)
                    elif newest > self.last_id:
                        await self._catch_up_pg(conn)
                elif hint > self.last_id:
                    await self._catch_up_pg(conn)
        finally:
            # The notification wait ran in this task and has finished (aclosing), so no
            # socket notifier is left on the descriptor we close now.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)

    async def _wait_notification(self, conn: psycopg.AsyncConnection[Any]) -> int | None:
        """Wait up to one heartbeat for notifications; the highest announced id (or None).

        A notification without a numeric payload counts as "something changed".
        """
        best: int | None = None
        gen = conn.notifies(timeout=self.heartbeat, stop_after=1)
        async with contextlib.aclosing(gen):
            async for note in gen:
                try:
                    value = int(note.payload)
                except ValueError:
                    value = self.last_id + 1
                best = value if best is None else max(best, value)
        return best
