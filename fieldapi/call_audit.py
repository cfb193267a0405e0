"""The audit record of every call, written in batches.

Each call leaves one record (``field.call``, or ``field.refused`` for an answer of 400 and
above) naming the device, the method, the path, the answer and the caller's address, with the
officer as the actor (the API's own login for callers without a valid token, and for calls
whose officer it may no longer act for when the record is written: then naming the officer).
The records of the calls of about half a second are written in one transaction — on
PostgreSQL each under its officer's login (``SET LOCAL ROLE`` per record) — instead of one
transaction per call, which would double the API's load on the writers' lock. They are written at once on shutdown; a crash
of the process can lose the records of the last half second (the actions themselves are
audited by the services in their own transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from app.platform import audit
from app.platform.database import Database
from app.platform.uow import Actor, Work
from app.services.field_gateway import GATEWAY_ACTOR

log = logging.getLogger(__name__)

FLUSH_S = 0.5
MAX_BATCH = 500

#: PostgreSQL: one record as its officer in one round trip (the writers' lock is held
#: meanwhile). The subquery (kept apart by OFFSET 0) takes the officer's login before the
#: outer query writes the record, whose actor the server takes from that login.
_ACTING_AUDIT = text(
    "SELECT kod_audit(:a, :e, CAST(:i AS bigint), :d, NULL, NULL, :w) FROM "
    "(SELECT set_config('role', :r, true), set_config('kod.actor', :l, true) OFFSET 0) AS acting"
)


def _acting_params(record: CallRecord, db: Database) -> dict[str, Any]:
    login = record.actor.username if record.actor else ""
    return {
        "r": login or "none",
        "l": login,
        "a": record.action,
        "e": "field_device" if record.device_id is not None else None,
        "i": record.device_id,
        "d": audit.canonical_details(record.details),
        "w": db.workstation,
    }


@dataclass(frozen=True)
class CallRecord:
    """One call to record."""

    actor: Actor | None
    action: str
    device_id: int | None
    details: dict[str, Any]


class CallAuditWriter:
    """Collects call records and writes them every :data:`FLUSH_S` seconds."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[CallRecord] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def add(self, record: CallRecord) -> None:
        """Queue ``record`` (written within :data:`FLUSH_S`)."""
        self._queue.append(record)
        if len(self._queue) >= MAX_BATCH:
            self._wake.set()
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._queue:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_S)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued now."""
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self._write(batch)
            except Exception:
                log.warning("batch of %s call records failed; writing them one by one", len(batch))
                for record in batch:
                    try:
                        await self._write([record])
                    except Exception:
                        await self._write_in_own_name(record)

    async def _write_in_own_name(self, record: CallRecord) -> None:
        """The record of a call whose officer the API may no longer act for (the device was
        revoked meanwhile, the account disabled): in the API's own name, naming the officer."""
        if record.actor is not None:
            named = {**record.details, "officer": record.actor.username}
            try:
                await self._write([CallRecord(None, record.action, record.device_id, named)])
                return
            except Exception:
                pass
        log.exception("call record could not be audited: %s", record)

    async def close(self) -> None:
        """Write what is left and stop.

        A batch being written is waited for, not cancelled: its records are no longer queued,
        so cancelling it would lose them.
        """
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
        await self.flush()

    async def _write(self, batch: list[CallRecord]) -> None:
        on_server = not self._db.target.is_sqlite
        # Only audit records: beside the devices' own writes (the writers' lock shared).
        async with self._db.write_session(
            {"kod.workstation": self._db.workstation}, shared=True
        ) as session:
            for record in batch:
                actor = record.actor or GATEWAY_ACTOR
                if on_server:
                    await session.execute(_ACTING_AUDIT, _acting_params(record, self._db))
                    continue
                work = Work(session, actor, self._db.workstation, on_server=on_server)
                await work.audit(
                    record.action,
                    "field_device" if record.device_id is not None else None,
                    record.device_id,
                    record.details,
                )
