"""The audit log as the data-protection officer and the administration use it: reading with
filters, verifying the chain, the head hash to anchor elsewhere, and retention.

Reading goes through the server's rights like everything else: on PostgreSQL only the group
roles that hold ``audit.read`` may select from the table; verifying and the head hash use the
server's own functions for roles that may verify but not read.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, text

from app.platform import audit
from app.platform.audit import PruneResult, VerifyResult
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, Role
from app.platform.timeutil import format_local, utcnow
from app.platform.uow import REFUSAL_ACTION, Actor, check, reading, unit_of_work
from app.platform.validation import like_pattern, search_text
from app.services.settings import read_setting
from db.models import AuditRecord

#: How often a running workstation removes expired audit records.
PRUNE_INTERVAL_S = 6 * 3600
#: Actions that are refused attempts (shown with "only refused attempts").
REFUSED_ACTIONS = (REFUSAL_ACTION, "login.failed", "login.locked")
#: Rows per page of the viewer; an export reads at most this many rows.
MAX_EXPORT_ROWS = 200_000


def maintenance_actor(workstation: str) -> Actor:
    """Who the workstation's own retention jobs act as on SQLite (named in the record)."""
    return Actor(None, f"system:{workstation}"[:64], Role.ADMIN, "Wartung")


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit viewer (all optional, combined with AND)."""

    person: str = ""
    entity: str = ""
    entity_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    refused_only: bool = False
    #: The server's record of every row change (``db.*``): many, so off by default.
    row_changes: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as the viewer shows it."""

    id: int
    occurred_at: datetime
    username: str
    action: str
    entity: str | None
    entity_id: int | None
    reason: str | None
    recipient: str | None
    details: str
    workstation: str | None

    @property
    def refused(self) -> bool:
        """True for a refused attempt."""
        return self.action in REFUSED_ACTIONS


def _entry(r: AuditRecord) -> AuditEntry:
    return AuditEntry(
        r.id,
        r.occurred_at,
        r.username,
        r.action,
        r.entity,
        r.entity_id,
        r.reason,
        r.recipient,
        r.details,
        r.workstation,
    )


class AuditLogService:
    """Reading, verifying and keeping the audit log within its retention period."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def _on_server(self) -> bool:
        return not self._db.target.is_sqlite

    # -- reading ----------------------------------------------------------------------------

    def _filtered(self, q: AuditQuery) -> Select[Any]:
        stmt = select(AuditRecord)
        if q.person.strip():
            stmt = stmt.where(
                AuditRecord.username.ilike(like_pattern(search_text(q.person)), escape="\\")
            )
        if q.entity.strip():
            stmt = stmt.where(AuditRecord.entity == q.entity.strip())
        if q.entity_id is not None:
            stmt = stmt.where(AuditRecord.entity_id == q.entity_id)
        if q.action.strip():
            stmt = stmt.where(
                AuditRecord.action.ilike(like_pattern(search_text(q.action)), escape="\\")
            )
        if q.since is not None:
            stmt = stmt.where(AuditRecord.occurred_at >= q.since)
        if q.until is not None:
            stmt = stmt.where(AuditRecord.occurred_at < q.until)
        if q.refused_only:
            stmt = stmt.where(AuditRecord.action.in_(REFUSED_ACTIONS))
        if not q.row_changes:
            stmt = stmt.where(~AuditRecord.action.like("db.%"))
        return stmt

    @staticmethod
    def _check_range(q: AuditQuery) -> None:
        if q.since is not None and q.until is not None and q.since >= q.until:
            raise ValidationError(tr("audit", "The start of the period must lie before its end."))

    async def count(self, actor: Actor, q: AuditQuery, limit: int = 100_000) -> int:
        """How many records match (at most ``limit + 1``)."""
        self._check_range(q)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            sub = self._filtered(q).with_only_columns(AuditRecord.id).limit(limit + 1).subquery()
            return int(await s.scalar(select(func.count()).select_from(sub)) or 0)

    async def page(self, actor: Actor, q: AuditQuery, offset: int, limit: int) -> list[AuditEntry]:
        """Matching records, newest first."""
        self._check_range(q)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            stmt = self._filtered(q).order_by(AuditRecord.id.desc()).offset(offset).limit(limit)
            return [_entry(r) for r in (await s.scalars(stmt)).all()]

    async def export_csv(self, actor: Actor, q: AuditQuery) -> str:
        """The matching records as CSV (semicolon-separated, for German spreadsheets).

        The export itself is audited: who exported which filter.
        """
        rows = await self.page(actor, q, 0, MAX_EXPORT_ROWS)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                tr("audit", "Number"),
                tr("audit", "Time"),
                tr("audit", "Person"),
                tr("audit", "Action"),
                tr("audit", "Object"),
                tr("audit", "Object number"),
                tr("audit", "Reason"),
                tr("audit", "Recipient"),
                tr("audit", "Details"),
                tr("audit", "Workstation"),
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    format_local(r.occurred_at, with_seconds=True),
                    r.username,
                    r.action,
                    r.entity or "",
                    "" if r.entity_id is None else r.entity_id,
                    r.reason or "",
                    r.recipient or "",
                    r.details,
                    r.workstation or "",
                ]
            )
        async with unit_of_work(self._db, actor, Permission.AUDIT_READ) as w:
            await w.audit(
                "audit.export",
                details={
                    "rows": len(rows),
                    "person": q.person,
                    "entity": q.entity,
                    "action": q.action,
                    "since": q.since.isoformat() if q.since else None,
                    "until": q.until.isoformat() if q.until else None,
                    "refused_only": q.refused_only,
                },
            )
        return out.getvalue()

    # -- chain ------------------------------------------------------------------------------

    async def head(self) -> str | None:
        """The newest record's hash (the anchor to keep outside the database)."""
        async with self._db.read() as s:
            if self._on_server:
                value = await s.scalar(text("SELECT kod_audit_head()"))
            else:
                value = await s.scalar(
                    select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
                )
        return str(value) if value else None

    async def verify(self, actor: Actor, expect_head: str | None = None) -> VerifyResult:
        """Check the whole chain (and that ``expect_head`` is still in it)."""
        await check(self._db, actor, Permission.AUDIT_VERIFY)
        engine = self._db.sync_engine()
        try:

            def run() -> VerifyResult:
                with engine.connect() as conn:
                    return audit.verify_connection(conn, expect_head)

            return await asyncio.to_thread(run)
        finally:
            engine.dispose()

    # -- retention --------------------------------------------------------------------------

    async def expired(self, actor: Actor) -> PruneResult:
        """What a prune would remove now (nothing is changed)."""
        await check(self._db, actor, Permission.AUDIT_PRUNE)
        if self._on_server:
            return await self._prune_on_server(actor, dry_run=True)
        async with self._db.read() as s:
            days = int(await read_setting(s, "audit.retention_days"))
            return await audit.expired(s, utcnow() - timedelta(days=days))

    async def prune_expired(self, actor: Actor) -> PruneResult:
        """Remove the records older than the retention period, leaving one prune record.

        The chain stays verifiable: the prune record names the hash of the last removed record.
        Nothing expired: nothing is written.
        """
        if self._on_server:
            await check(self._db, actor, Permission.AUDIT_PRUNE)
            return await self._prune_on_server(actor, dry_run=False)
        async with unit_of_work(self._db, actor, Permission.AUDIT_PRUNE) as w:
            days = int(await read_setting(w.session, "audit.retention_days"))

            async def record(details: dict[str, Any]) -> None:
                await w.audit(audit.PRUNE_ACTION, details={**details, "retention_days": days})

            return await audit.prune_before(w.session, w.now - timedelta(days=days), record)

    async def _prune_on_server(self, actor: Actor, dry_run: bool) -> PruneResult:
        async with unit_of_work(self._db, actor, None) as w:
            row = (
                await w.session.execute(text("SELECT * FROM kod_audit_prune(:d)"), {"d": dry_run})
            ).one()
        return PruneResult(int(row.removed or 0), row.cutoff, row.through_id)


def describe_result(result: VerifyResult) -> str:
    """A German sentence for a verification result."""
    if result.ok:
        return tr(
            "audit",
            "Audit log intact: %1 records checked. Newest hash: %2",
            result.checked,
            result.head_hash or "–",
        )
    if result.problem == "head":
        return tr(
            "audit",
            "Audit log NOT intact: the expected record (anchor) is no longer in the log: records "
            "were removed or rewritten, or it is older than the retention period.",
        )
    if result.problem == "start":
        return tr(
            "audit",
            "Audit log NOT intact: records before record %1 were removed without a prune record.",
            result.first_broken_id,
        )
    if result.problem == "chain_link":
        return tr(
            "audit",
            "Audit log NOT intact: record %1 does not follow its predecessor (a record before it "
            "was removed, inserted or changed).",
            result.first_broken_id,
        )
    return tr(
        "audit",
        "Audit log NOT intact: record %1 was changed after it was written.",
        result.first_broken_id,
    )
