"""Keeping the audit log within its retention period (``audit.retention_days``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.platform import audit
from app.platform.audit import PruneResult
from app.platform.database import Database
from app.platform.permissions import Permission, Role, require
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, unit_of_work
from app.services.settings import read_setting

#: How often a running workstation removes expired audit records.
PRUNE_INTERVAL_S = 6 * 3600


def maintenance_actor(workstation: str) -> Actor:
    """Who the workstation's own retention jobs act as (named in the audit record)."""
    return Actor(None, f"system:{workstation}"[:64], Role.ADMIN, "Wartung")


class AuditLogService:
    """Retention of the audit log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def expired(self, actor: Actor) -> PruneResult:
        """What a prune would remove now (nothing is changed)."""
        require(actor.role, Permission.AUDIT_PRUNE)
        async with self._db.read() as s:
            days = int(await read_setting(s, "audit.retention_days"))
            return await audit.expired(s, utcnow() - timedelta(days=days))

    async def prune_expired(self, actor: Actor) -> PruneResult:
        """Remove the records older than the retention period, leaving one prune record.

        The chain stays verifiable: the prune record names the hash of the last removed record.
        Nothing expired: nothing is written.
        """
        async with unit_of_work(self._db, actor, Permission.AUDIT_PRUNE) as w:
            days = int(await read_setting(w.session, "audit.retention_days"))

            async def record(details: dict[str, Any]) -> None:
                await w.audit(audit.PRUNE_ACTION, details={**details, "retention_days": days})

            return await audit.prune_before(w.session, w.now - timedelta(days=days), record)
