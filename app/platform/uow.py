"""The unit of work: permission check, one transaction, audit record, change feed.

Every service reads through :func:`reading` and writes through :func:`unit_of_work`; both check
the permission matrix first and leave an audit record when they refuse. On SQLite that check is
the protection (the operating-system account protects the file). On PostgreSQL it is only a
convenience: the server refuses on its own whatever a login may not do, writes the audit
records itself with the session's login as the actor, and a refusal by the server is recorded
here as well.
"""

from __future__ import annotations

import functools
import getpass
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.platform import audit
from app.platform.database import Database
from app.platform.errors import AuthenticationError, KodError, PermissionDenied
from app.platform.i18n import tr
from app.platform.permissions import PERMISSION_LABELS, Permission, Role, allowed, role_label
from app.platform.timeutil import utcnow
from db.models import ChangeFeedEntry, User

log = logging.getLogger(__name__)

#: Audit action of a refused attempt (permission missing, or refused by the server).
REFUSAL_ACTION = "permission.denied"
#: The same refusal of the same person is recorded at most once within this many seconds (a
#: view that keeps retrying must not flood the log).
REFUSAL_REPEAT_S = 10.0
_recent_refusals: dict[tuple[int, str, str], float] = {}
#: Up to this many change-feed entries are written together with the audit records in one
#: statement (six parameters each, well below PostgreSQL's limit of 65,535 per statement).
FEED_WITH_AUDIT_MAX = 1000


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, or the administrator at the command line."""

    user_id: int | None
    username: str
    role: Role
    display_name: str = ""

    @classmethod
    def cli(cls) -> Actor:
        """The operating-system user running ``kod-admin`` on SQLite (full rights there)."""
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
    on_server: bool = False
    _changes: list[tuple[str, int, str, int | None]] = field(default_factory=list)
    _audits: list[ColumnElement[Any]] = field(default_factory=list)

    async def audit(
        self,
        action: str,
        entity: str | None = None,
        entity_id: int | None = None,
        details: dict[str, Any] | None = None,
        reason: str | None = None,
        recipient: str | None = None,
    ) -> None:
        """Append an audit record in this transaction.

        On PostgreSQL the server writes it (``kod_audit``): the actor is the session's login.
        It is sent with the transaction's last statement (see :meth:`flush`); the server puts
        it into the chain at the commit.
        """
        if self.on_server:
            self._audits.append(
                func.kod_audit(
                    _text(action),
                    _text(entity),
                    cast(literal(entity_id, BigInteger), BigInteger),
                    _text(audit.canonical_details(details)),
                    _text(reason),
                    _text(recipient),
                    _text(self.workstation),
                )
            )
            return
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

    def require(self, permission: Permission) -> None:
        """Raise :class:`PermissionDenied` unless the actor may; inside a transaction.

        The refusal is audited by :func:`unit_of_work` once this transaction has rolled back.
        """
        if not allowed(self.actor.role, permission):
            raise _denied(self.actor, permission)

    def changed(self, entity: str, entity_id: int, op: str, version: int | None = None) -> None:
        """Record a change for the feed (written when the transaction commits)."""
        self._changes.append((entity, entity_id, op, version))

    async def flush(self) -> None:
        """Send the audit records and change-feed entries gathered so far (PostgreSQL: in one
        statement; the server gives them their place in the chain and in the feed, and wakes
        the followers, when the transaction commits)."""
        audits, self._audits = self._audits, []
        if not self._changes:
            if audits:
                await self.session.execute(select(*audits))
            return
        entries = [
            {
                "occurred_at": self.now,
                "entity": entity,
                "entity_id": entity_id,
                "op": op,
                "version": version,
                "origin": self.workstation,
            }
            for entity, entity_id, op, version in self._changes
        ]
        self._changes.clear()
        if self.on_server and len(entries) <= FEED_WITH_AUDIT_MAX:
            # The entries and the records in one round trip (a data-modifying WITH runs
            # whether or not the outer query reads it).
            if len(entries) == 1:
                # Most writes: the statement built once, its compiled form cached (never that
                # of a multi-row VALUES, which is compiled anew every time).
                feed = _one_feed_entry()
                params = {f"feed_{name}": value for name, value in entries[0].items()}
            else:
                feed = (
                    insert(ChangeFeedEntry).values(entries).returning(ChangeFeedEntry.id).cte("f")
                )
                params = {}
            await self.session.execute(select(func.count(feed.c.id), *audits), params)
            return
        # One statement for many entries (a tick of the simulation changes thousands of
        # units), not an INSERT per entry.
        await self.session.execute(insert(ChangeFeedEntry), entries)
        if audits:
            await self.session.execute(select(*audits))


@functools.cache
def _one_feed_entry() -> CTE:
    """The insert of one change-feed entry as the WITH part of a statement, its values bound
    as ``feed_<column>``."""
    return (
        insert(ChangeFeedEntry)
        .values(
            {
                name: bindparam(f"feed_{name}")
                for name in ("occurred_at", "entity", "entity_id", "op", "version", "origin")
            }
        )
        .returning(ChangeFeedEntry.id)
        .cte("f")
    )


def _text(value: str | None) -> ColumnElement[Any]:
    return cast(literal(value, Text), Text)


def _server_context(db: Database, actor: Actor) -> dict[str, str]:
    # The server honours kod.actor only for the schema owner (tests, bulk jobs acting for a
    # person); for a person's own login it takes the login itself.
    return {
        "kod.actor": actor.username,
        "kod.actor_id": "" if actor.user_id is None else str(actor.user_id),
        "kod.workstation": db.workstation,
    }


async def record_refusal(
    db: Database, actor: Actor, permission: Permission | None, detail: str = ""
) -> None:
    """Leave an audit record of a refused attempt (own transaction; never raises)."""
    key = (id(db), actor.username, (permission.value if permission else "") + detail)
    now = time.monotonic()
    if now - _recent_refusals.get(key, -REFUSAL_REPEAT_S) < REFUSAL_REPEAT_S:
        return
    _recent_refusals[key] = now
    details: dict[str, Any] = {"role": actor.role.value}
    if permission is not None:
        details["permission"] = permission.value
    if detail:
        details["detail"] = detail[:500]
    try:
        async with db.write_session(_server_context(db, actor)) as session:
            work = Work(session, actor, db.workstation, on_server=not db.target.is_sqlite)
            await work.audit(REFUSAL_ACTION, details=details)
            await work.flush()
    except KodError as exc:
        log.warning("refusal of %s could not be audited: %s", actor.username, exc)
    except Exception:
        log.exception("refusal of %s could not be audited", actor.username)


def _denied(actor: Actor, permission: Permission) -> PermissionDenied:
    return PermissionDenied(
        tr("permissions", PERMISSION_LABELS[permission]), role_label(actor.role), permission.value
    )


async def check(db: Database, actor: Actor, permission: Permission) -> None:
    """Raise :class:`PermissionDenied` (and audit the attempt) unless ``actor`` may.

    Outside a transaction only; inside one use :meth:`Work.require`.
    """
    if allowed(actor.role, permission):
        return
    exc = _denied(actor, permission)
    await _audit_refusal(db, actor, exc)
    raise exc


async def _audit_refusal(db: Database, actor: Actor, exc: PermissionDenied) -> None:
    if not exc.audited:
        exc.audited = True
        permission = Permission(exc.permission) if exc.permission else None
        await record_refusal(db, actor, permission, "" if permission else exc.action)


async def _still_active(session: AsyncSession, actor: Actor) -> None:
    """SQLite: a disabled account's open session must not go on writing."""
    active = await session.scalar(select(User.active).where(User.id == actor.user_id))
    if active is False:
        raise AuthenticationError(
            tr("users", "This account is disabled. Please contact the administration.")
        )


@asynccontextmanager
async def reading(
    db: Database, actor: Actor, permission: Permission, single: bool = False
) -> AsyncIterator[AsyncSession]:
    """A read session for ``actor``, after checking ``permission``.

    ``single``: the caller sends one statement (PostgreSQL: no transaction around it, which
    saves the BEGIN and ROLLBACK round trips; see :meth:`Database.read_single`).
    """
    await check(db, actor, permission)
    try:
        async with db.read_single() if single else db.read() as session:
            yield session
    except PermissionDenied as exc:
        await _audit_refusal(db, actor, exc)
        raise


@asynccontextmanager
async def unit_of_work(
    db: Database, actor: Actor, permission: Permission | None, *, row_locked: bool = False
) -> AsyncIterator[Work]:
    """Check ``permission`` for ``actor``, then run one audited, change-fed transaction.

    ``row_locked``: the work locks every row it decides on (``SELECT … FOR UPDATE``) and may
    run beside other such work (PostgreSQL: the writers' lock in shared mode, see
    :meth:`Database.write_session`); by default it runs alone.
    """
    if permission is not None:
        await check(db, actor, permission)
    on_server = not db.target.is_sqlite
    try:
        async with db.write_session(_server_context(db, actor), shared=row_locked) as session:
            work = Work(
                session=session, actor=actor, workstation=db.workstation, on_server=on_server
            )
            if not on_server and actor.user_id is not None:
                await _still_active(session, actor)
            yield work
            await work.flush()
    except PermissionDenied as exc:
        await _audit_refusal(db, actor, exc)  # after the rollback: the lock is free again
        raise
