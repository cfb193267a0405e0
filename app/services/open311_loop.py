"""The Open311 poller: its settings, and polling at an interval with backoff after errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.platform.database import Database
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services.open311 import Open311Intake, PollResult
from app.services.open311_client import Open311Client, Open311Config
from app.services.settings import read_setting

log = logging.getLogger(__name__)

#: The platform's API key comes from the environment, never from the database.
ENV_API_KEY = "KOD_OPEN311_API_KEY"
#: Who takes requests in on SQLite (on PostgreSQL the intake's own login acts).
SYSTEM_ACTOR = Actor(None, "open311", Role.DISPATCHER, "Open311-Anbindung")
#: PostgreSQL: the login the intake started by ``kod-field-api`` uses (a dispatcher's rights).
ENV_DATABASE_URL = "KOD_OPEN311_DATABASE_URL"
#: First wait after a failed poll; it doubles with every further failure, up to the maximum.
RETRY_BASE_S = 15.0
MAX_BACKOFF_S = 3600.0


@dataclass(frozen=True)
class PollerSettings:
    """The ``open311.*`` settings of this database."""

    config: Open311Config
    interval_s: float
    category_map: dict[str, str]
    report_progress: bool = True


async def poller_settings(db: Database) -> PollerSettings | None:
    """The settings, or None when no platform is configured (``open311.base_url`` empty)."""
    async with db.read() as s:
        values = {
            k: await read_setting(s, f"open311.{k}")
            for k in (
                "base_url",
                "interval_s",
                "jurisdiction_id",
                "status_path",
                "category_map",
                "format",
                "report_progress",
            )
        }
    if not values["base_url"]:
        return None
    config = Open311Config(
        base_url=values["base_url"],
        api_key=os.environ.get(ENV_API_KEY, ""),
        jurisdiction_id=values["jurisdiction_id"],
        status_path=values["status_path"],
        answer_format=values["format"],
    )
    return PollerSettings(
        config,
        float(values["interval_s"]),
        dict(values["category_map"]),
        bool(values["report_progress"]),
    )


def backoff_s(failures: int, interval_s: float) -> float:
    """Seconds to wait after ``failures`` failed polls in a row (0: the normal interval)."""
    if failures <= 0:
        return interval_s
    return min(MAX_BACKOFF_S, RETRY_BASE_S * 2.0 ** min(failures - 1, 30))


async def run_poller(
    db: Database,
    actor: Actor,
    stop: asyncio.Event,
    *,
    once: bool = False,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_poll: Callable[[PollResult | None], None] | None = None,
) -> PollResult | None:
    """Poll until ``stop`` is set (or once); the settings are read again before every poll.

    ``sleep`` waits between polls (default: until the interval passed or ``stop`` is set).
    Errors are logged in German and followed by exponential backoff; they never end the loop.
    """

    async def wait(seconds: float) -> None:
        if sleep is not None:
            await sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    failures = 0
    result: PollResult | None = None
    while not stop.is_set():
        settings = await poller_settings(db)
        if settings is None:
            log.info(tr("open311", "Open311 intake is off (open311.base_url is empty)."))
            return None
        client = Open311Client(settings.config, transport)
        try:
            intake = Open311Intake(
                db, client, settings.category_map, wait, report_progress=settings.report_progress
            )
            result = await intake.poll(actor)
            failures = 0
            if result.created or result.posted or result.updated:
                log.info(
                    tr(
                        "open311",
                        "Open311: %1 new Meldungen, %2 changed on the platform, "
                        "%3 statuses reported back.",
                        len(result.created),
                        len(result.updated),
                        len(result.posted),
                    )
                )
        except Exception as exc:
            if once:
                raise
            failures += 1
            result = None
            log.warning(
                tr(
                    "open311",
                    "Open311 poll failed (%1 in a row), next try in %2 s: %3",
                    failures,
                    int(backoff_s(failures, settings.interval_s)),
                    str(exc) if isinstance(exc, KodError) else repr(exc),
                )
            )
        finally:
            await client.close()
        if on_poll is not None:
            on_poll(result)
        if once:
            return result
        await wait(backoff_s(failures, settings.interval_s))
    return result
