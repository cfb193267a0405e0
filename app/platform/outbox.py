"""The workstation's durable outbox: operations made while the database was unreachable.

A small SQLite file per workstation (and per database) in the per-user data directory.
Every operation is stored with a client-generated UUID *before* the user is told it is saved
(WAL, ``synchronous=FULL``: the commit is on disk when :meth:`Outbox.add` returns), so a crash
or power cut during an outage loses nothing. On reconnect the operations are replayed in order
(:mod:`app.services.resilient`); the UUID travels to the server as ``client_ref``, so an operation that
reached the server just before a crash is found there instead of being written twice.

Entries are ``pending`` until replayed, then removed; an entry the server refuses (e.g. the
user lost the right, or the incident was deleted) becomes ``failed`` and stays in the file
until the user has seen and discarded it. ``resolved`` remembers which server incident a
replayed offline incident became, so notes written to it offline find it.

File I/O runs in a worker thread (it fsyncs); the in-memory copy answers the UI at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from app.platform.config import DatabaseTarget, user_data_dir
from app.platform.permissions import Role
from app.platform.signals import Signal
from app.platform.timeutil import utcnow
from app.platform.uow import Actor

T = TypeVar("T")

#: Kinds of operation.
OP_CREATE_INCIDENT = "incident.create"
OP_NOTE = "incident.note"
STATE_PENDING = "pending"
STATE_FAILED = "failed"
#: How long the mapping offline incident -> server incident is kept after replay.
RESOLVED_KEEP = timedelta(days=7)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    actor TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS resolved (
    uuid TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    incident_id INTEGER NOT NULL,
    number TEXT NOT NULL,
    resolved_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One stored operation."""

    seq: int
    uuid: str
    kind: str
    payload: dict[str, Any]
    actor: Actor
    queued_at: datetime
    state: str = STATE_PENDING
    attempts: int = 0
    last_error: str | None = None

    @property
    def failed(self) -> bool:
        """True if the server refused it (kept until the user discards it)."""
        return self.state == STATE_FAILED


@dataclass(frozen=True)
class Resolution:
    """Which server incident an offline incident became."""

    uuid: str
    seq: int
    incident_id: int
    number: str


def outbox_path(target: DatabaseTarget, directory: Path | None = None) -> Path:
    """The outbox file for ``target`` (one per database, so entries never reach another)."""
    digest = hashlib.sha256(target.display.encode()).hexdigest()[:16]
    return (directory or user_data_dir()) / "outbox" / f"outbox-{digest}.sqlite"


def _actor_json(actor: Actor) -> str:
    return json.dumps(
        {
            "user_id": actor.user_id,
            "username": actor.username,
            "role": actor.role.value,
            "display_name": actor.display_name,
        }
    )


def _actor_from(raw: str) -> Actor:
    d = json.loads(raw)
    return Actor(d["user_id"], d["username"], Role(d["role"]), d.get("display_name", ""))


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    seq, uid, kind, payload, actor, queued_at, state, attempts, last_error = row
    return OutboxEntry(
        seq=int(seq),
        uuid=uid,
        kind=kind,
        payload=json.loads(payload),
        actor=_actor_from(actor),
        queued_at=datetime.fromisoformat(queued_at).astimezone(UTC),
        state=state,
        attempts=int(attempts),
        last_error=last_error,
    )


@dataclass
class _Cache:
    entries: list[OutboxEntry] = field(default_factory=list)
    resolved: dict[str, Resolution] = field(default_factory=dict)


class Outbox:
    """The durable outbox file; open with :meth:`open` (or :meth:`open_sync` outside a loop).

    ``changed`` is emitted on the event loop with the number of pending entries after every
    change.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._cache = _Cache()
        self.changed: Signal[int] = Signal()

    # -- opening --------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path) -> Outbox:
        """Open (create) the file at ``path`` without blocking the loop."""
        box = cls(path)
        await asyncio.to_thread(box._open_sync)
        return box

    @classmethod
    def open_sync(cls, path: Path) -> Outbox:
        """Open blocking (command line tools, tests)."""
        box = cls(path)
        box._open_sync()
        return box

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is fsynced before add() returns, so what the user was told is saved
        # survives a crash or a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.executescript(_SCHEMA)
        cutoff = (utcnow() - RESOLVED_KEEP).isoformat()
        conn.execute("DELETE FROM resolved WHERE resolved_at < ?", (cutoff,))
        self._conn = conn
        self._reload()

    def _reload(self) -> None:
        assert self._conn is not None
        rows = self._conn.execute(
            "SELECT seq, uuid, kind, payload, actor, queued_at, state, attempts, last_error "
            "FROM outbox_entry ORDER BY seq"
        ).fetchall()
        resolved = self._conn.execute(
            "SELECT uuid, seq, incident_id, number FROM resolved"
        ).fetchall()
        self._cache = _Cache(
            [_entry(r) for r in rows],
            {r[0]: Resolution(r[0], int(r[1]), int(r[2]), r[3]) for r in resolved},
        )

    async def close(self) -> None:
        """Close the file."""
        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        """Close the file (blocking)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- reading (from memory) ------------------------------------------------------------

    def entries(self) -> list[OutboxEntry]:
        """Every entry, pending and failed, in order."""
        return list(self._cache.entries)

    def pending(self) -> list[OutboxEntry]:
        """Entries still to replay, in order."""
        return [e for e in self._cache.entries if e.state == STATE_PENDING]

    def failed(self) -> list[OutboxEntry]:
        """Entries the server refused."""
        return [e for e in self._cache.entries if e.state == STATE_FAILED]

    @property
    def pending_count(self) -> int:
        """Number of entries still to replay."""
        return sum(1 for e in self._cache.entries if e.state == STATE_PENDING)

    def get(self, entry_uuid: str) -> OutboxEntry | None:
        """The entry with this UUID, if still in the outbox."""
        return next((e for e in self._cache.entries if e.uuid == entry_uuid), None)

    def by_seq(self, seq: int) -> OutboxEntry | None:
        """The entry with this sequence number, if still in the outbox."""
        return next((e for e in self._cache.entries if e.seq == seq), None)

    def resolution(self, entry_uuid: str) -> Resolution | None:
        """The server incident a replayed offline incident became."""
        return self._cache.resolved.get(entry_uuid)

    def resolution_by_seq(self, seq: int) -> Resolution | None:
        """Same, looked up by the offline incident's sequence number."""
        return next((r for r in self._cache.resolved.values() if r.seq == seq), None)

    # -- writing (durable, in a worker thread) ---------------------------------------------

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._lock:
                if self._conn is None:
                    raise RuntimeError("outbox is closed")
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
                self._reload()
                return result

        result = await asyncio.to_thread(run)
        self.changed.emit(self.pending_count)
        return result

    async def add(
        self,
        kind: str,
        payload: dict[str, Any],
        actor: Actor,
        entry_uuid: str | None = None,
        queued_at: datetime | None = None,
    ) -> OutboxEntry:
        """Store an operation durably; returns it once it is on disk."""
        uid = entry_uuid or str(uuid.uuid4())
        when = (queued_at or utcnow()).astimezone(UTC)

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO outbox_entry (uuid, kind, payload, actor, queued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (uid, kind, json.dumps(payload), _actor_json(actor), when.isoformat()),
            )
            return int(cur.lastrowid or 0)

        seq = await self._write(insert)
        entry = self.by_seq(seq)
        assert entry is not None
        return entry

    async def done(self, entry_uuid: str, resolution: tuple[int, str] | None = None) -> None:
        """The server has the operation: remove it (and remember the incident it became)."""

        def remove(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT seq FROM outbox_entry WHERE uuid = ?", (entry_uuid,)
            ).fetchone()
            if resolution is not None and row is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO resolved (uuid, seq, incident_id, number, "
                    "resolved_at) VALUES (?, ?, ?, ?, ?)",
                    (entry_uuid, row[0], resolution[0], resolution[1], utcnow().isoformat()),
                )
            conn.execute("DELETE FROM outbox_entry WHERE uuid = ?", (entry_uuid,))

        await self._write(remove)

    async def attempted(self, entry_uuid: str, error: str | None) -> None:
        """Count a replay attempt that could not reach the server."""

        def bump(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE outbox_entry SET attempts = attempts + 1, last_error = ? WHERE uuid = ?",
                (error, entry_uuid),
            )

        await self._write(bump)

    async def fail(self, entry_uuid: str, error: str) -> None:
        """The server refused the operation: keep it as failed for the user to see."""

        def mark(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE outbox_entry SET state = ?, attempts = attempts + 1, last_error = ? "
                "WHERE uuid = ?",
                (STATE_FAILED, error, entry_uuid),
            )

        await self._write(mark)

    async def discard(self, entry_uuid: str) -> None:
        """Remove a failed entry after the user has taken note of it."""

        def remove(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM outbox_entry WHERE uuid = ? AND state = ?",
                (entry_uuid, STATE_FAILED),
            )

        await self._write(remove)
