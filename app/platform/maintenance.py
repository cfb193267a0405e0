"""Retention jobs a running workstation does in the background (Qt-free).

SQLite: the workstation runs them itself. PostgreSQL: pruning the audit log is a right of the
administration that the server enforces, so a workstation runs it only when an administration
login is logged in; otherwise a scheduled ``kod-admin audit prune`` under an administration
login does it (README). The write lock serialises runs, and a second run finds nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.platform.errors import DatabaseUnavailable
from app.platform.permissions import Permission, allowed
from app.platform.uow import Actor
from app.services import Services
from app.services.audit_log import PRUNE_INTERVAL_S, maintenance_actor

log = logging.getLogger(__name__)

#: After a failed run (database away), try again this much sooner than the interval.
RETRY_S = 300.0


async def retention_loop(
    services: Services,
    interval_s: float = PRUNE_INTERVAL_S,
    report: Callable[[BaseException], None] | None = None,
    logged_in: Actor | None = None,
) -> None:
    """Remove expired audit records now and then every ``interval_s`` until cancelled.

    ``logged_in``: the person at the workstation (PostgreSQL: the job runs under their login,
    and only if they may prune). An unreachable database is retried after :data:`RETRY_S`; any
    other error goes to ``report`` (the workstation's error dialog) and the loop goes on.
    """
    if services.db.target.is_sqlite:
        actor = maintenance_actor(services.db.workstation)
    elif logged_in is not None and allowed(logged_in.role, Permission.AUDIT_PRUNE):
        actor = logged_in
    else:
        return
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
