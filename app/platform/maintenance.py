"""Retention jobs a running workstation does in the background (Qt-free).

SQLite: the workstation runs them itself. PostgreSQL: pruning the audit log is a right of the
administration that the server enforces, so a workstation runs it only when an administration
login is logged in; otherwise a scheduled ``kod-admin audit prune`` under an administration
login does it (README). Bodycam recordings past their period are deleted by every workstation
(on PostgreSQL the server decides what is due), or by a scheduled ``kod-admin retention run``.
Likewise removing the personal data of long-closed offence cases runs
where a clerk is logged in, or as ``kod-admin offences anonymise`` under a clerk's login. The write lock serialises runs, and a second run finds nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.evidence.config import resolve_evidence_config
from app.evidence.storage import FolderStore
from app.platform.database import Database
from app.platform.errors import DatabaseUnavailable
from app.platform.permissions import Permission, allowed
from app.platform.uow import Actor
from app.services import Services
from app.services.audit_log import PRUNE_INTERVAL_S, maintenance_actor
from app.services.offence_privacy import maintenance_clerk
from app.services.recording_retention import RetentionService

log = logging.getLogger(__name__)

#: After a failed run (database away), try again this much sooner than the interval.
RETRY_S = 300.0


async def _prune_audit(services: Services, actor: Actor) -> None:
    result = await services.audit_log.prune_expired(actor)
    if result.removed:
        log.info("audit retention: %d records removed", result.removed)


async def _delete_expired_recordings(services: Services, actor: Actor) -> None:
    result = await recording_retention_job(services.db).run(actor)
    if result.files_left:
        log.warning("bodycam retention: %d files not yet removed", len(result.files_left))


def recording_retention_job(db: Database) -> RetentionService:
    """The deletion job of bodycam recordings over the configured store folder.

    Removing files needs no master key: the folder is enough (created by the first import).
    """
    return RetentionService(db, FolderStore(resolve_evidence_config().store_dir))


async def _anonymise_offences(services: Services, actor: Actor) -> None:
    result = await services.offences.anonymise_closed(actor)
    if result.anonymised:
        log.info("offence cases: personal data of %d closed cases removed", result.anonymised)


Job = Callable[[Services, Actor], Awaitable[None]]


def _jobs(services: Services, logged_in: Actor | None) -> list[tuple[str, Job, Actor]]:
    """The retention jobs this workstation runs, each with the actor it runs as."""
    if services.db.target.is_sqlite:
        workstation = services.db.workstation
        return [
            ("audit retention", _prune_audit, maintenance_actor(workstation)),
            ("offence personal data", _anonymise_offences, maintenance_clerk(workstation)),
            ("bodycam retention", _delete_expired_recordings, maintenance_actor(workstation)),
        ]
    jobs: list[tuple[str, Job, Actor]] = []
    if logged_in is not None and allowed(logged_in.role, Permission.AUDIT_PRUNE):
        jobs.append(("audit retention", _prune_audit, logged_in))
    if logged_in is not None and all(
        allowed(logged_in.role, p) for p in (Permission.OFFENCE_READ, Permission.OFFENCE_WRITE)
    ):
        jobs.append(("offence personal data", _anonymise_offences, logged_in))
    if logged_in is not None:
        # The server decides what is due (kod_recording_expire): any login may run it.
        jobs.append(("bodycam retention", _delete_expired_recordings, logged_in))
    return jobs


async def retention_loop(
    services: Services,
    interval_s: float = PRUNE_INTERVAL_S,
    report: Callable[[BaseException], None] | None = None,
    logged_in: Actor | None = None,
) -> None:
    """Run the retention jobs now and then every ``interval_s`` until cancelled: expired audit
    records, personal data of long-closed offence cases, bodycam recordings past their period.

    ``logged_in``: the person at the workstation (PostgreSQL: a job runs under their login, and
    only if they hold its right). An unreachable database is retried after :data:`RETRY_S`; any
    other error goes to ``report`` (the workstation's error dialog) and the loop goes on.
    """
    jobs = _jobs(services, logged_in)
    if not jobs:
        return
    while True:
        delay = interval_s
        for name, job, actor in jobs:
            try:
                await job(services, actor)
            except DatabaseUnavailable as exc:
                log.warning("%s postponed: %s", name, exc)
                delay = min(interval_s, RETRY_S)
            except Exception as exc:
                log.exception("%s failed", name)
                if report is not None:
                    report(exc)
        await asyncio.sleep(delay)
