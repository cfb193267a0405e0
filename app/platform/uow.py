"""The write unit of work: permission check, one transaction, audit record, change feed."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.platform import audit
from app.platform.database import NOTIFY_CHANNEL, Database
from app.platform.permissions import Permission, Role, require
from app.platform.timeutil import utcnow
from db.models import ChangeFeedEntry


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, or the administrator at the command line."""

    user_id: int | None
    username: str
    role: Role
    display_name: str = ""

    @classmethod
    def cli(cls) -> Actor:
        """The operating-system user running ``kod-admin`` (full administrative rights)."""
        try:
            name = getpass.getuser()
        except Exception:
            name = "unknown"
        return cls(None, f"cli:{name}"[:64], Role.ADMIN, "Kommandozeile")


@dataclass
class Work:
    """What a service can do inside one write transaction."""

    session: AsyncSession
    actor: Actor
    workstation: str
    now: datetime = field(default_factory=utcnow)
    _changes: list[tuple[str, int, str, int | None]] = field(default_factory=list)

    async def audit(
        self,
        action: str,
        entity: str | None = None,
        entity_id: int | None = None,
        details: dict[str, Any] | None = None,
        reason: str | None = None,
        recipient: str | None = None,
    ) -> None:
        """Append an audit record in this transaction."""
        await audit.append(
            self.session,
            occurred_at=self.now,
            user_id=self.actor.user_id,
            username=self.actor.username,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=details,
            reason=reason,
            recipient=recipient,
            workstation=self.workstation,
        )

    def changed(self, entity: str, entity_id: int, op: str, version: int | None = None) -> None:
        """Record a change for the feed (written when the transaction commits)."""
        self._changes.append((entity, entity_id, op, version))

    async def _flush_changes(self) -> None:
        if not self._changes:
            return
        entries = [
            ChangeFeedEntry(
                occurred_at=self.now,
                entity=entity,
                entity_id=entity_id,
                op=op,
                version=version,
                origin=self.workstation,
            )
            for entity, entity_id, op, version in self._changes
        ]
        self.session.add_all(entries)
        await self.session.flush()
        if self.session.bind.dialect.name == "postgresql":
            # Delivered only if and when the transaction commits.
            await self.session.execute(
                text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": str(entries[-1].id)}
            )


@asynccontextmanager
async def unit_of_work(
    db: Database, actor: Actor, permission: Permission | None
) -> AsyncIterator[Work]:
    """Check ``permission`` for ``actor``, then run one audited, change-fed transaction."""
    if permission is not None:
        require(actor.role, permission)
    async with db.write_session() as session:
        work = Work(session=session, actor=actor, workstation=db.workstation)
        yield work
        await work._flush_changes()
