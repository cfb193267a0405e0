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
commit is visible, so change ids become visible in increasing order; a reader that has seen
id N never later finds a new id below N.
The one exception is a server whose history went back (failover with asynchronous replication
losing the last transactions, or a restore from backup): the follower notices that the feed's
newest id is below its own and emits a batch with ``reset`` set so that views reload.

The reading runs in a thread of its own, with its own event loop: the window that follows the
feed only receives finished batches, in order, on its own loop (see :class:`ChangeFollower`).

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
import threading
from collections import deque
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
#: Batches read but not yet emitted on the starting loop before the follower pauses reading.
MAX_UNDELIVERED = 8
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


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ChangeFollower:
    """Follows the change feed and emits batches of changes and link-state updates.

    Signals (called on the event loop that started the follower): ``changes`` with a
    :class:`ChangeBatch` in id order, ``link`` with a :class:`LinkStatus` on every state change
    and on every failed reconnect attempt while offline.

    The reading runs in a thread of its own with its own event loop (and, on SQLite, its own
    connection): thousands of rows a second are read and turned into :class:`Change` objects
    there, not on the thread that started the follower (the workstation's window). Finished
    batches and link states are handed over in order and emitted on the starting loop; what
    the follower shows there (:attr:`last_id`, :attr:`state`, :attr:`status`) is what was
    emitted last.
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
        #: The newest change id emitted (reading continues after it when started).
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
        # The starting side (its loop) and the reading side (thread, loop, task).
        self._owner: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ended: asyncio.Future[None] | None = None
        #: Deliveries read but not yet emitted, handed over in order; guarded by ``_lock``.
        self._outbox: deque[tuple[int, ChangeBatch | LinkStatus]] = deque()
        self._lock = threading.Lock()
        #: Counts starts: what an earlier run handed over is dropped after its stop.
        self._run_no = 0
        self._wake = asyncio.Event()
        self._stopping = False
        # The reading side's own view (only touched in its thread while it runs).
        self._read_id = after_id
        self._read_state = LinkState.CONNECTING
        self._read_since: datetime | None = None
        self._reader_db: Database | None = None

    # -- control ------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin following (idempotent) from :attr:`last_id`."""
        if self._thread is not None:
            return
        self._owner = asyncio.get_running_loop()
        self._run_no += 1
        self._stopping = False
        self._wake = asyncio.Event()
        self._read_id = self.last_id
        self._read_state = self.state
        self._read_since = self.status.since
        self._ended = self._owner.create_future()
        # A selector loop on every platform: psycopg's asynchronous connections need one.
        self._loop = asyncio.SelectorEventLoop()
        self._thread = threading.Thread(
            target=self._thread_main, args=(self._loop, self._ended), name="change-follower"
        )
        self._thread.daemon = True  # a program that ends without stop() is not held up
        self._thread.start()

    async def stop(self) -> None:
        """Stop following and wait until the reading thread has closed its connections.

        Nothing is emitted after this returns; what was read but not yet emitted is read again
        after the next :meth:`start`.

        SQLite: the follower ends at its next wait, never inside a read. Cancelling a read
        would leave the session's close running in the background (SQLAlchemy shields it), to
        finish after the loop was closed. PostgreSQL's reads on the follower's own connection
        end cleanly on cancel (see :meth:`_query`).
        """
        thread, loop, ended = self._thread, self._loop, self._ended
        if thread is None or loop is None or ended is None:
            return
        self._stopping = True
        self._run_no += 1  # deliveries still on their way are dropped
        with self._lock:
            self._outbox.clear()
        with contextlib.suppress(RuntimeError):  # its loop has ended already
            loop.call_soon_threadsafe(self._wake.set)
            if not self._db.target.is_sqlite:
                loop.call_soon_threadsafe(self._cancel_reading)
        grace = self.query_timeout + self.poll_interval
        done, _pending = await asyncio.wait({ended}, timeout=grace)
        if not done:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_reading)
            await asyncio.wait({ended}, timeout=grace + 15.0)
        if ended.done():
            thread.join(1.0)  # it has closed everything and is returning: a moment at most
        else:
            log.warning("change follower did not end within %.0f s", 2 * grace + 15.0)
        self._thread = self._loop = self._ended = None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    def poke(self) -> None:
        """Read the feed now (e.g. right after this workstation committed something)."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)

    # -- the reading thread and the hand-over -----------------------------------------------

    def _thread_main(self, loop: asyncio.AbstractEventLoop, ended: asyncio.Future[None]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._read())
        except BaseException:
            log.exception("change follower thread failed")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()
            owner = self._owner
            if owner is not None:
                with contextlib.suppress(RuntimeError):  # the starting loop is gone: so be it
                    owner.call_soon_threadsafe(_settle, ended)

    async def _read(self) -> None:
        """The reading thread's main task: follow until stopped, then close the connections."""
        if self._db.target.is_sqlite:
            # A pool of its own: connections belong to the loop that opened them.
            self._reader_db = Database(self._db.target, workstation=self._db.workstation)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="change-follower")
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        except Exception:  # it already ended on its own: stopping it is done all the same
            log.warning("change follower had ended with an error", exc_info=True)
        finally:
            self._task = None
            if self._reader_db is not None:
                with contextlib.suppress(Exception):
                    await self._reader_db.dispose()
                self._reader_db = None

    def _cancel_reading(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _hand_over(self, item: ChangeBatch | LinkStatus) -> None:
        """Queue ``item`` for emitting on the starting loop (in the order handed over)."""
        owner = self._owner
        if owner is None:
            return
        with self._lock:
            self._outbox.append((self._run_no, item))
            first = len(self._outbox) == 1
        if first:
            with contextlib.suppress(RuntimeError):  # the starting loop is closed
                owner.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """On the starting loop: emit everything handed over so far, in order."""
        while True:
            with self._lock:
                if not self._outbox:
                    return
                run_no, item = self._outbox.popleft()
            if run_no != self._run_no or self._stopping:
                continue
            if isinstance(item, LinkStatus):
                self.state, self.status = item.state, item
                self.link.emit(item)
            elif item.reset:
                self.last_id = item.reset_to
                self.changes.emit(item)
            elif item.changes and item.last_id > self.last_id:
                self.last_id = item.last_id
                self.changes.emit(item)

    # -- the reading side's state and batches (in the reading thread) ------------------------

    def _set_state(
        self,
        state: LinkState,
        message: str = "",
        retry_in: float | None = None,
        login_refused: bool = False,
    ) -> None:
        if state != self._read_state or state == LinkState.OFFLINE:
            if state != self._read_state or self._read_since is None:
                self._read_since = utcnow()
            self._read_state = state
            self._hand_over(LinkStatus(state, message, self._read_since, retry_in, login_refused))

    def _emit(self, batch: list[Change]) -> None:
        fresh = tuple(c for c in batch if c.id > self._read_id)
        if fresh:
            self._read_id = fresh[-1].id
            self._hand_over(ChangeBatch(fresh))

    def _reset(self, newest: int) -> None:
        """The server's feed ends below what we have seen: its history went back."""
        log.warning(
            "change feed went back from %s to %s (failover or restore): full reload",
            self._read_id,
            newest,
        )
        self._read_id = newest
        self._hand_over(ChangeBatch(reset=True, reset_to=newest))

    # -- reading ------------------------------------------------------------------------------

    async def _wait_for_room(self) -> None:
        """Read on only while few batches wait to be emitted.

        The starting loop may not run for a while (Qt busy in a modal dialog, a long step):
        then what is not yet read stays in the database instead of piling up here.
        """
        while not self._stopping:
            with self._lock:
                if len(self._outbox) < MAX_UNDELIVERED:
                    return
            await asyncio.sleep(self.poll_interval)

    def _reading_db(self) -> Database:
        assert self._reader_db is not None, "read only in the reading thread"
        return self._reader_db

    async def catch_up(self) -> int:
        """Read and hand over everything after the last id read (through the reading thread's
        own pool; SQLite); returns how many."""
        total = 0
        while True:
            await self._wait_for_room()
            batch = await changes_after(self._reading_db(), self._read_id)
            if not batch:
                return total
            total += len(batch)
            self._emit(batch)
            if len(batch) < BATCH:
                return total

    async def _catch_up_pg(self, conn: psycopg.AsyncConnection[Any]) -> int:
        total = 0
        while True:
            await self._wait_for_room()
            rows = await self._query(conn, _FEED_SQL, (self._read_id, PG_BATCH))
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
        newest = await last_change_id(self._reading_db())
        if newest < self._read_id:
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
            if newest < self._read_id:
                self._reset(newest)
            await self._catch_up_pg(conn)
            self.connects += 1
            self._set_state(LinkState.ONLINE)
            while True:
                hint = await self._wait_notification(conn)
                if self._wake.is_set():
                    self._wake.clear()
                    hint = hint or self._read_id + 1
                if hint is None:
                    # Idle: probe the link (bounded by the query timeout) and look at the
                    # feed's end at the same time, which also heals a missed wake-up.
                    newest = int((await self._query(conn, _MAX_SQL))[0][0])
                    if newest < self._read_id:
                        self._reset(newest)
                    elif newest > self._read_id:
                        await self._catch_up_pg(conn)
                elif hint > self._read_id:
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
                    value = self._read_id + 1
                best = value if best is None else max(best, value)
        return best
