"""The audit log as the data-protection officer and the administration use it: reading with
filters, verifying the chain, the head hash to anchor elsewhere, and retention.

Reading goes through the server's rights like everything else: on PostgreSQL only the group
roles that hold ``audit.read`` may select from the table; verifying and the head hash use the
server's own functions for roles that may verify but not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import errno
import io
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.exc import DBAPIError

from app.platform import audit
from app.platform.audit import PruneResult, VerifyResult
from app.platform.database import Database
from app.platform.dberrors import classify
from app.platform.errors import KodError, ValidationError
from app.platform.i18n import format_count, tr
from app.platform.permissions import Permission, Role
from app.platform.timeutil import format_local, utcnow
from app.platform.uow import REFUSAL_ACTION, Actor, check, reading, unit_of_work
from app.platform.validation import DATETIME_YEARS, like_pattern, search_text
from app.services.audit_labels import action_label, actions_named, entity_label
from app.services.settings import read_setting
from db.models import AuditRecord

#: How often a running workstation removes expired audit records.
PRUNE_INTERVAL_S = 6 * 3600
#: Actions that are refused attempts (shown with "only refused attempts").
REFUSED_ACTIONS = (REFUSAL_ACTION, "login.failed", "login.locked")
#: An export writes at most this many records (more: narrow the filter, export in parts).
MAX_EXPORT_ROWS = 200_000
#: Records read per query while exporting (the event loop runs between the chunks).
EXPORT_CHUNK = 2_000


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
        person = search_text(q.person)
        if person:
            stmt = stmt.where(AuditRecord.username.ilike(like_pattern(person), escape="\\"))
        entity = search_text(q.entity)
        if entity:
            stmt = stmt.where(AuditRecord.entity == entity)
        if q.entity_id is not None:
            stmt = stmt.where(AuditRecord.entity_id == q.entity_id)
        action = search_text(q.action)
        if action:
            # The code ("login.failed") or its German name ("Anmeldung fehlgeschlagen").
            named = actions_named(action)
            condition = AuditRecord.action.ilike(like_pattern(action), escape="\\")
            stmt = stmt.where(or_(condition, AuditRecord.action.in_(named)) if named else condition)
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
        low, high = DATETIME_YEARS
        for value in (q.since, q.until):
            if value is not None and not low <= value.year <= high:
                raise ValidationError(
                    tr("audit", "The period must lie between the years %1 and %2.", low, high),
                    "period",
                )
        if q.since is not None and q.until is not None and q.since >= q.until:
            raise ValidationError(
                tr("audit", "The start of the period must lie before its end."), "period"
            )

    async def count(self, actor: Actor, q: AuditQuery, limit: int = 100_000) -> int:
        """How many records match (at most ``limit + 1``)."""
        self._check_range(q)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            sub = self._filtered(q).with_only_columns(AuditRecord.id).limit(limit + 1).subquery()
            return int(await s.scalar(select(func.count()).select_from(sub)) or 0)

    async def page(
        self,
        actor: Actor,
        q: AuditQuery,
        offset: int,
        limit: int,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Matching records, newest first.

        ``before_id``: only records older than that one (the next page after the last record
        shown: stable while new records are written, unlike an offset).
        """
        self._check_range(q)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            stmt = self._filtered(q)
            if before_id is not None:
                stmt = stmt.where(AuditRecord.id < before_id)
            stmt = stmt.order_by(AuditRecord.id.desc()).offset(offset).limit(limit)
            return [_entry(r) for r in (await s.scalars(stmt)).all()]

    # -- export -----------------------------------------------------------------------------

    async def _export_rows(self, actor: Actor, q: AuditQuery) -> list[AuditEntry]:
        """Every matching record, read in chunks (other tasks run in between)."""
        total = await self.count(actor, q, limit=MAX_EXPORT_ROWS)
        if total > MAX_EXPORT_ROWS:
            raise ValidationError(
                tr(
                    "audit",
                    "More than %1 records match: please narrow the filter (e.g. the period) and "
                    "export in parts.",
                    format_count(MAX_EXPORT_ROWS),
                ),
                "period",
            )
        rows: list[AuditEntry] = []
        before: int | None = None
        while True:
            chunk = await self.page(actor, q, 0, EXPORT_CHUNK, before_id=before)
            rows.extend(chunk)
            if len(chunk) < EXPORT_CHUNK:
                return rows
            before = chunk[-1].id

    async def _audit_export(self, actor: Actor, q: AuditQuery, rows: int, file: str) -> None:
        async with unit_of_work(self._db, actor, Permission.AUDIT_READ) as w:
            await w.audit(
                "audit.export",
                details={
                    "rows": rows,
                    "file": file,
                    "person": q.person,
                    "entity": q.entity,
                    "entity_id": q.entity_id,
                    "action": q.action,
                    "since": q.since.isoformat() if q.since else None,
                    "until": q.until.isoformat() if q.until else None,
                    "refused_only": q.refused_only,
                    "row_changes": q.row_changes,
                },
            )

    async def export_csv(self, actor: Actor, q: AuditQuery) -> str:
        """The matching records as CSV text (see :func:`csv_text`); the export is audited."""
        rows = await self._export_rows(actor, q)
        data = await asyncio.to_thread(csv_text, rows)
        await self._audit_export(actor, q, len(rows), "")
        return data

    async def export_csv_file(self, actor: Actor, q: AuditQuery, path: Path) -> int:
        """Write the matching records to ``path`` (UTF-8 with BOM, for Excel); returns how many.

        The file appears complete or not at all: it is written beside the target first and
        renamed at the end, so a failed export never leaves half a file or destroys an older
        one. The export is audited (who exported which filter to which file name) before the
        file takes its name. A folder that cannot be written gives a German message.
        """
        rows = await self._export_rows(actor, q)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")

        def write() -> None:
            with partial.open("w", encoding="utf-8-sig", newline="") as f:
                f.write(csv_text(rows))

        try:
            await asyncio.to_thread(write)
            await self._audit_export(actor, q, len(rows), path.name)
            await asyncio.to_thread(os.replace, partial, path)
        except OSError as exc:
            raise KodError(
                tr(
                    "audit",
                    "The export could not be written to %1: %2. Nothing was exported; please "
                    "choose another folder.",
                    str(path),
                    _os_reason(exc),
                )
            ) from exc
        finally:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        return len(rows)

    # -- chain ------------------------------------------------------------------------------

    async def head(self, actor: Actor | None = None) -> str | None:
        """The newest record's hash (the anchor to keep outside the database).

        With ``actor`` (the viewer), only for roles that may verify the log.
        """
        if actor is not None:
            await check(self._db, actor, Permission.AUDIT_VERIFY)
        async with self._db.read() as s:
            if self._on_server:
                value = await s.scalar(text("SELECT kod_audit_head()"))
            else:
                value = await s.scalar(
                    select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
                )
        return str(value) if value else None

    async def verify(self, actor: Actor, expect_head: str | None = None) -> VerifyResult:
        """Check the whole chain (and that ``expect_head`` is still in it).

        Runs in a worker thread on its own connection: the event loop stays free.
        """
        await check(self._db, actor, Permission.AUDIT_VERIFY)
        anchor = (expect_head or "").strip().lower() or None
        engine = self._db.sync_engine()
        try:

            def run() -> VerifyResult:
                with engine.connect() as conn:
                    return audit.verify_connection(conn, anchor)

            return await asyncio.to_thread(run)
        except DBAPIError as exc:
            mapped = classify(self._db.target, exc)
            if mapped is not None:
                raise mapped from exc
            raise
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


def _os_reason(exc: OSError) -> str:
    """Why a file could not be written, in German."""
    if isinstance(exc, PermissionError):
        return tr("audit", "no permission to write there")
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return tr("audit", "the folder does not exist")
    if exc.errno == errno.ENOSPC:
        return tr("audit", "the disk is full")
    if exc.errno == errno.EROFS:
        return tr("audit", "the drive is read-only")
    return exc.strerror or type(exc).__name__


#: What a spreadsheet takes for the start of a formula when a cell begins with it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str | None) -> str:
    """A text cell a spreadsheet shows as text: a leading apostrophe before anything it would
    run as a formula (a reason typed as ``=HYPERLINK(…)`` must not act when the export is
    opened)."""
    text_value = value or ""
    return "'" + text_value if text_value.startswith(_FORMULA_START) else text_value


def csv_text(rows: Sequence[AuditEntry]) -> str:
    """Records as CSV: semicolon-separated with German headers, times in German local time,
    the action's code and its German name (for German spreadsheets). Text that a spreadsheet
    would run as a formula starts with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            tr("audit", "Number"),
            tr("audit", "Time"),
            tr("audit", "Person"),
            tr("audit", "Action"),
            tr("audit", "Action (plain text)"),
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
                spreadsheet_cell(r.username),
                spreadsheet_cell(r.action),
                spreadsheet_cell(action_label(r.action)),
                spreadsheet_cell(entity_label(r.entity)),
                "" if r.entity_id is None else r.entity_id,
                spreadsheet_cell(r.reason),
                spreadsheet_cell(r.recipient),
                spreadsheet_cell(r.details),
                spreadsheet_cell(r.workstation),
            ]
        )
    return out.getvalue()


def describe_result(result: VerifyResult) -> str:
    """A German sentence for a verification result."""
    if result.ok:
        return tr(
            "audit",
            "Audit log intact: %1 records checked. Newest hash: %2",
            format_count(result.checked),
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
