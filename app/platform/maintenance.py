"""Retention jobs a running workstation does in the background (Qt-free).

Every workstation runs them; the database's write lock serialises them and a second run finds
nothing left to do, so several workstations on one PostgreSQL need no coordination.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.platform.errors import DatabaseUnavailable
from app.services import Services
from app.services.audit_log import PRUNE_INTERVAL_S, maintenance_actor

log = logging.getLogger(__name__)

#: After a failed run (database away), try again this much sooner than the interval.
RETRY_S = 300.0


async def retention_loop(
    services: Services,
    interval_s: float = PRUNE_INTERVAL_S,
    report: Callable[[BaseException], None] | None = None,
) -> None:
    """Remove expired audit records now and then every ``interval_s`` until cancelled.

    An unreachable database is retried after :data:`RETRY_S`; any other error goes to
    ``report`` (the workstation's error dialog) and the loop goes on.
    """
    actor = maintenance_actor(services.db.workstation)
    while True:
        delay = interval_s
        try:
            result = await services.audit_log.prune_expired(actor)
            if result.removed:
                log.info("audit retention: %d records removed", result.removed)
        except DatabaseUnavailable as exc:
            log.warning("audit retention postponed: %s", exc)
            delay = min(interval_s, RETRY_S)
        except Exception as exc:
            log.exception("audit retention failed")
            if report is not None:
                report(exc)
        await asyncio.sleep(delay)
