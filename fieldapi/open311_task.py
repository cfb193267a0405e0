"""The Open311 intake running beside the field API (when ``open311.base_url`` is set).

On SQLite it acts as the intake's system actor. On PostgreSQL the field API's own login may
only act for field officers, so the intake logs in with its own login from
``KOD_OPEN311_DATABASE_URL`` (a user with the dispatcher role); without it, it does not start.
There, of all the API's processes (``--workers``, or instances on several servers) only the one
holding the intake's advisory lock polls; the others wait and take over when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from sqlalchemy import text

from app.platform.config import resolve_database
from app.platform.database import Database
from app.platform.i18n import tr
from app.services.open311_loop import (
    ENV_DATABASE_URL,
    SYSTEM_ACTOR,
    poller_settings,
    run_poller,
)
from app.services.users import UserService

log = logging.getLogger(__name__)

#: PostgreSQL advisory lock (session) of the one process that polls the platform.
INTAKE_LOCK_KEY = 0x4B4F4F
#: Seconds between two tries of a process that does not hold it.
LEADER_RETRY_S = 30.0


async def _intake(db: Database, stop: asyncio.Event) -> None:
    if await poller_settings(db) is None:
        return
    if db.target.is_sqlite:
        await run_poller(db, SYSTEM_ACTOR, stop)
        return
    url = os.environ.get(ENV_DATABASE_URL, "")
    if not url:
        log.warning(
            tr(
                "open311",
                "Open311 intake not started: on PostgreSQL it needs its own login in %1 "
                "(a user with the dispatcher role).",
                ENV_DATABASE_URL,
            )
        )
        return
    own = Database(resolve_database(url), "open311")
    try:
        actor = await UserService(own).server_actor()
        while not stop.is_set():
            # The lock lives as long as this connection: held while polling, given up with it.
            async with own.engine.connect() as held:
                taken = await held.scalar(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": INTAKE_LOCK_KEY}
                )
                await held.commit()
                if taken:
                    await run_poller(own, actor, stop)
                    return
            log.info(
                "Open311 intake: another process of the field API polls; next try in %.0f s",
                LEADER_RETRY_S,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LEADER_RETRY_S)
    finally:
        await own.dispose()


class Open311Task:
    """Started and stopped with the field API's lifespan; its errors never stop the API."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling in the background."""
        self._task = asyncio.create_task(self._guarded())

    async def _guarded(self) -> None:
        try:
            await _intake(self._db, self._stop)
        except Exception:
            log.exception(tr("open311", "The Open311 intake stopped after an error."))

    async def stop(self) -> None:
        """Stop polling and wait for the poll under way."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=30)
