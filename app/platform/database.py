"""Opening the database safely, and the write unit of work used by every service.

SQLite: WAL, foreign keys, a busy timeout, ``BEGIN IMMEDIATE`` for writes (so a read-then-write
transaction never fails half-way on a lock upgrade), and a refusal to open files on network
shares. PostgreSQL: writes serialise on one advisory lock so that the audit hash chain stays a
chain; NOTIFY wakes the other workstations when the transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.platform.config import DatabaseTarget
from app.platform.dberrors import classify, describe_db_error
from app.platform.errors import DatabaseClosed, DatabaseUnavailable, SchemaMismatch
from app.platform.i18n import tr
from app.platform.netshare import is_network_path
from app.platform.validation import ValidatingSession
from db.migrate import SchemaState, schema_state

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Key of the PostgreSQL advisory lock that serialises writers: taken at the start of every
#: write transaction, exclusively by default, shared by a transaction that protects what it
#: changes with row locks of its own (``write_session(shared=True)``).
WRITE_LOCK_KEY = 0x4B4F44  # "KOD"
#: Key of the lock under which the server appends to the audit chain and the change feed
#: (db/pg_security/functions.sql), held from then until the commit. A transaction takes it only
#: for its last statements and its commit: audit records of row changes are written by
#: deferred triggers, the services' own records and the feed entries at the end.
ORDER_LOCK_KEY = 0x4B4F45
NOTIFY_CHANNEL = "kod_changes"

#: How long a writer waits for the writers' lock (or a row lock) before it gives up with a
#: message: a session that holds the lock (a hung program, or someone's hand-typed
#: transaction) must not freeze every workstation.
LOCK_TIMEOUT = "15s"


def workstation_name() -> str:
    """A name for this workstation, recorded in audit and change-feed records."""
    return socket.gethostname()[:64]


def check_sqlite_file(target: DatabaseTarget) -> None:
    """Refuse network shares and files that are not SQLite databases, before touching them."""
    path = target.sqlite_path
    assert path is not None
    if is_network_path(path):
        raise DatabaseUnavailable(
            tr(
                "database",
                "The database file %1 lies on a network share. SQLite cannot lock files safely "
                "there and data could be lost. Use a local file, or the shared PostgreSQL "
                "server for several workstations.",
                path,
            )
        )
    if path.exists():
        if path.is_dir():
            raise DatabaseUnavailable(tr("database", "%1 is a folder, not a database file.", path))
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise DatabaseUnavailable(
                tr("database", "The database file %1 cannot be read: %2", path, exc.strerror)
            ) from exc
        if header and header != SQLITE_HEADER:
            raise DatabaseUnavailable(
                tr(
                    "database",
                    "The file %1 is not a SQLite database or is damaged. It was not changed. "
                    "Restore it from a backup or choose another file.",
                    path,
                )
            )
    elif not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                tr(
                    "database",
                    "The folder for the database %1 cannot be created: %2",
                    path,
                    exc.strerror,
                )
            ) from exc


def _install_sqlite_hooks(sync_engine: Engine) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN comes too late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("kod_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _install_postgres_hooks(sync_engine: Engine) -> None:
    """A pooled connection the server has closed is replaced when it is taken from the pool.

    After a restart, a failover or ``pg_terminate_backend`` the server has said goodbye on the
    connection's socket, so the socket is readable while nothing was asked: a non-blocking
    look at it tells, without a round trip (``pool_pre_ping`` would add one to every
    transaction; with hundreds of field devices that is a tenth of the API's work). A peer
    that vanished without a word is noticed by the TCP keepalives and timeouts instead.
    """

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if server_said_goodbye(dbapi_connection.driver_connection):
            # The pool makes a new connection and tries again.
            raise DisconnectionError("connection closed by the server")


@dataclass
class _Life:
    closed: bool = False


def _track_holders(sync_engine: Engine, holders: dict[int, str]) -> None:
    """Keep ``holders`` up to date: pooled connection → the task that took it."""

    @event.listens_for(sync_engine, "checkout")
    def _out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        holders[id(record)] = _task_label(task)

    @event.listens_for(sync_engine, "checkin")
    def _in(_dbapi: Any, record: Any) -> None:
        holders.pop(id(record), None)


def _task_label(task: asyncio.Task[Any] | None) -> str:
    if task is None:
        return "(no task)"
    coro = task.get_coro()
    return f"{task.get_name()} {getattr(coro, '__qualname__', coro)!s}"


def server_said_goodbye(conn: Any) -> bool:
    """Whether the idle psycopg connection ``conn`` is closed or has something unasked to
    read (the server's farewell, or the end of the stream)."""
    if conn.closed:
        return True
    try:
        fd = conn.pgconn.socket
    except Exception:  # psycopg: "the connection is lost"
        return True
    try:
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


#: How long :meth:`Database.dispose` waits for connections still in use to come back (s).
DISPOSE_SETTLE_S = 2.0

#: SQLite files up to this size get a ``PRAGMA quick_check`` when opened (see ``check``).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ConnectedInfo:
    """What we learned when opening the database."""

    schema: SchemaState
    server_version: str


class Database:
    """One open database: async engine for services, sync engine for migrations/CLI."""

    def __init__(self, target: DatabaseTarget, workstation: str | None = None) -> None:
        self.target = target
        self.workstation = workstation or workstation_name()
        connect_args: dict[str, Any] = {}
        if target.is_sqlite:
            check_sqlite_file(target)
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        else:
            connect_args["connect_timeout"] = 5
            # A dead peer (cable pulled, server gone) is noticed in seconds, not minutes.
            connect_args.update(
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=3,
                keepalives_count=3,
                tcp_user_timeout=10_000,
            )
            connect_args["application_name"] = f"kod-leitstelle@{self.workstation}"[:63]
        kwargs: dict[str, Any] = {"connect_args": connect_args}
        if not target.is_sqlite:
            kwargs.update(pool_size=5, max_overflow=5)
        self.engine: AsyncEngine = create_async_engine(target.async_url, **kwargs)
        if target.is_sqlite:
            _install_sqlite_hooks(self.engine.sync_engine)
        else:
            _install_postgres_hooks(self.engine.sync_engine)
        # Shared with the databases that act for someone over the same pool (app.platform.acting).
        self._life = _Life()
        #: Who holds a pooled connection now (for the closing, see :meth:`dispose`).
        self._holders: dict[int, str] = {}
        _track_holders(self.engine.sync_engine, self._holders)
        self._write_engine = self.engine.execution_options(kod_write=True)
        self._read_sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=ValidatingSession
        )
        self._write_sessions = async_sessionmaker(
            self._write_engine, expire_on_commit=False, sync_session_class=ValidatingSession
        )
        # One statement needs no transaction of its own: on PostgreSQL that saves the BEGIN
        # and ROLLBACK round trips (live updates read one row this way).
        single = (
            self.engine
            if target.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._single_reads = async_sessionmaker(
            single, expire_on_commit=False, sync_session_class=ValidatingSession
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def sync_engine(self) -> Engine:
        """A new synchronous engine for migrations and bulk jobs (caller disposes it)."""
        connect_args: dict[str, Any] = {}
        if not self.target.is_sqlite:
            connect_args["connect_timeout"] = 5
        engine = create_engine(self.target.sync_url, connect_args=connect_args)
        if self.target.is_sqlite:
            _install_sqlite_hooks(engine)
        return engine

    async def check(self, require_current_schema: bool = True) -> ConnectedInfo:
        """Connect once; raise a clear error if unreachable or the schema does not match."""
        try:
            async with self.engine.connect() as conn:
                state = await conn.run_sync(schema_state)
                if self.target.is_sqlite:
                    version = (await conn.exec_driver_sql("select sqlite_version()")).scalar()
                    if self._quick_check_at_start():
                        await conn.exec_driver_sql("PRAGMA quick_check(1)")
                else:
                    version = (await conn.exec_driver_sql("show server_version")).scalar()
        except (OperationalError, DBAPIError, OSError) as exc:
            mapped = classify(self.target, exc) if isinstance(exc, DBAPIError) else None
            if mapped is not None and not isinstance(mapped, DatabaseUnavailable):
                raise mapped from exc
            raise DatabaseUnavailable(describe_db_error(self.target, exc)) from exc
        if require_current_schema:
            ensure_schema_current(state, self.target.display)
        return ConnectedInfo(schema=state, server_version=str(version))

    def _quick_check_at_start(self) -> bool:
        """Whether opening reads the whole file for a quick check (small files only).

        The check reads every page: seconds for a file with a million incidents, which would
        hold up every start. A file that is no database at all is refused anyway by the first
        read (the schema version above).
        """
        path = self.target.sqlite_path
        try:
            return path is None or path.stat().st_size <= QUICK_CHECK_MAX_BYTES
        except OSError:
            return True

    async def dispose(self, settle_s: float = DISPOSE_SETTLE_S) -> None:
        """Close all pooled connections.

        No new session starts from now on (:class:`DatabaseClosed`). Connections still in use
        are given ``settle_s`` to come back, so a task that is ending returns its connection
        instead of leaving it to the garbage collector; who still holds one then is logged.
        """
        self._life.closed = True
        deadline = asyncio.get_running_loop().time() + settle_s
        while self._holders and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        if self._holders:
            log.warning(
                "closing %s with %d connections in use by: %s",
                self.target.display,
                len(self._holders),
                ", ".join(sorted(self._holders.values())),
            )
        await self.engine.dispose()

    @property
    def closed(self) -> bool:
        """Whether :meth:`dispose` was called: no new session starts."""
        return self._life.closed

    def _check_open(self) -> None:
        if self._life.closed:
            raise DatabaseClosed(tr("database", "This session's database connection is closed."))

    def _guard(self) -> tuple[str, dict[str, object]]:
        """A check the server makes at the start of each write transaction, before the
        settings (``", expression"`` and its values; none here, see ActingDatabase)."""
        return "", {}

    # -- sessions ----------------------------------------------------------------------------

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read-only session (no write lock)."""
        return self._classified(self._read_sessions)

    def read_single(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A read-only session for one statement (PostgreSQL: no transaction around it)."""
        return self._classified(self._single_reads)

    @asynccontextmanager
    async def _classified(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        """A session of ``sessions`` whose database errors come out classified (German)."""
        self._check_open()
        try:
            async with sessions() as session:
                yield session
        except DBAPIError as exc:
            mapped = classify(self.target, exc)
            if mapped is not None:
                raise mapped from exc
            raise

    @asynccontextmanager
    async def write_session(
        self, context: dict[str, str] | None = None, shared: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed on success, rolled back on error.

        On PostgreSQL the transaction first takes the writers' lock and sets ``context`` as
        transaction-local settings (``kod.actor``, ``kod.workstation``, ...), which the server's
        audit functions read (a person's login can never name someone else: see
        ``kod_actor`` in db/pg_security/functions.sql).

        ``shared``: the writers' lock in shared mode. Such transactions run side by side (and
        never beside an exclusive one), so the caller must lock the rows it reads to decide
        (``SELECT … FOR UPDATE``) and change rows in a fixed order; they meet only at the end,
        on the order lock. For the many small writes of field devices (status, positions).
        SQLite: no difference (one writer at a time).
        """
        self._check_open()
        try:
            async with self._write_sessions() as session, session.begin():
                if not self.target.is_sqlite:
                    guard, params = self._guard()
                    settings = "".join(
                        f", set_config(:n{i}, :v{i}, true)" for i in range(len(context or {}))
                    )
                    params.update({"k": WRITE_LOCK_KEY, "lt": LOCK_TIMEOUT})
                    for i, (name, value) in enumerate((context or {}).items()):
                        params[f"n{i}"], params[f"v{i}"] = name, value
                    await session.execute(
                        text(
                            "SELECT set_config('lock_timeout', :lt, true), "
                            f"{'pg_advisory_xact_lock_shared' if shared else 'pg_advisory_xact_lock'}"
                            f"(:k){guard}{settings}"
                        ),
                        params,
                    )
                yield session
        except DBAPIError as exc:
            mapped = classify(self.target, exc)
            if mapped is not None:
                raise mapped from exc
            raise


def ensure_schema_current(state: SchemaState, where: str) -> None:
    """Raise :class:`SchemaMismatch` with advice if the schema is not this program's."""
    if state.current is None:
        raise SchemaMismatch(
            tr(
                "database",
                "The database %1 has not been set up yet. Run: kod-admin db upgrade",
                where,
            )
        )
    if state.newer_than_program:
        raise SchemaMismatch(
            tr(
                "database",
                "The database %1 was set up by a newer version of KOD-Leitstelle (schema %2). "
                "Install the newer version on this workstation.",
                where,
                state.current,
            )
        )
    if not state.up_to_date:
        raise SchemaMismatch(
            tr(
                "database",
                "The database %1 has an older schema (%2, needed: %3). Ask the administrator "
                "to run: kod-admin db upgrade",
                where,
                state.current,
                state.head,
            )
        )


async def wait_closed(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has finished."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("background task failed while closing")
