"""The tamper-evident audit log: every record carries a SHA-256 over its content and the
previous record's hash, so editing, inserting or deleting a record breaks the chain.

Appends are serialised (SQLite ``BEGIN IMMEDIATE``, PostgreSQL the order advisory lock), so the chain has
no forks. Truncating the newest records cannot be seen from the chain alone: anchor the head
hash elsewhere (``kod-admin audit head``) and pass it to ``verify``.

Records past the retention period are removed by a prune (:func:`prune_before`), which first
appends a record naming the hash of the last removed one. The oldest remaining record must
follow either the start of the chain or such a prune record; removing old records any other way
is seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditRecord

GENESIS = "0" * 64
#: Action of the record a prune leaves; its details name the last removed record's hash.
PRUNE_ACTION = "audit.prune"


def canonical_details(details: dict[str, Any] | None) -> str:
    """Stable JSON for the details column (sorted keys, no whitespace)."""
    return json.dumps(
        details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def record_hash(
    prev_hash: str,
    occurred_at: datetime,
    user_id: int | None,
    username: str,
    action: str,
    entity: str | None,
    entity_id: int | None,
    reason: str | None,
    recipient: str | None,
    details: str,
    workstation: str | None,
) -> str:
    """The SHA-256 of one record's content chained to ``prev_hash``."""
    payload = json.dumps(
        [
            prev_hash,
            occurred_at.isoformat(timespec="microseconds"),
            user_id,
            username,
            action,
            entity,
            entity_id,
            reason,
            recipient,
            details,
            workstation,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _hash_of(rec: AuditRecord, prev_hash: str) -> str:
    return record_hash(
        prev_hash,
        rec.occurred_at,
        rec.user_id,
        rec.username,
        rec.action,
        rec.entity,
        rec.entity_id,
        rec.reason,
        rec.recipient,
        rec.details,
        rec.workstation,
    )


async def append(
    session: AsyncSession,
    *,
    occurred_at: datetime,
    user_id: int | None,
    username: str,
    action: str,
    entity: str | None = None,
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
    reason: str | None = None,
    recipient: str | None = None,
    workstation: str | None = None,
) -> AuditRecord:
    """Add one chained record inside the caller's (write-locked) transaction."""
    prev = (
        await session.execute(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    ).scalar_one_or_none() or GENESIS
    rec = AuditRecord(
        occurred_at=occurred_at,
        user_id=user_id,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        reason=reason,
        recipient=recipient,
        details=canonical_details(details),
        workstation=workstation,
        prev_hash=prev,
    )
    # Round to what every database stores (microseconds), then hash.
    rec.hash = _hash_of(rec, prev)
    session.add(rec)
    await session.flush()
    return rec


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of an audit chain verification."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None


def verify_records(records: Iterable[AuditRecord], expect_head: str | None = None) -> VerifyResult:
    """Walk the records in id order and check every link, every hash and the chain's start.

    ``expect_head``: a hash stored earlier outside the database (``kod-admin audit head``). It
    must still be in the chain: records written after it are fine, but if it is gone the log
    was cut back or rewritten from it on (or it is older than the retention period).
    """
    found_head = expect_head is None
    prev: str | None = None
    count = 0
    last_hash: str | None = None
    first: AuditRecord | None = None
    prune_anchors: set[str] = set()
    for rec in records:
        count += 1
        if first is None:
            first = rec
        if prev is not None and rec.prev_hash != prev:
            return VerifyResult(False, count, rec.id, "chain_link", last_hash)
        if _hash_of(rec, rec.prev_hash) != rec.hash:
            return VerifyResult(False, count, rec.id, "content", last_hash)
        if rec.action == PRUNE_ACTION:
            anchor = _prune_anchor(rec)
            if anchor is not None:
                prune_anchors.add(anchor)
        if not found_head and rec.hash == expect_head:
            found_head = True
        prev = rec.hash
        last_hash = rec.hash
    if first is not None and first.prev_hash not in prune_anchors | {GENESIS}:
        return VerifyResult(False, count, first.id, "start", last_hash)
    if not found_head:
        return VerifyResult(False, count, None, "head", last_hash)
    return VerifyResult(True, count, None, None, last_hash)


def _prune_anchor(rec: AuditRecord) -> str | None:
    try:
        value = json.loads(rec.details).get("last_hash")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed (or, as a dry run, would remove)."""

    removed: int
    cutoff: datetime
    through_id: int | None = None


async def expired(session: AsyncSession, cutoff: datetime) -> PruneResult:
    """The records written before ``cutoff`` (count and newest id)."""
    newest, count = (
        await session.execute(
            select(func.max(AuditRecord.id), func.count()).where(AuditRecord.occurred_at < cutoff)
        )
    ).one()
    return PruneResult(int(count or 0), cutoff, newest)


async def prune_before(
    session: AsyncSession, cutoff: datetime, record: Callable[[dict[str, Any]], Awaitable[None]]
) -> PruneResult:
    """Remove the records written before ``cutoff`` inside the caller's write transaction.

    ``record`` appends the prune record (through the caller's unit of work, so it carries who
    and where) before anything is removed: it names the last removed record's hash, which the
    oldest remaining record points to.
    """
    found = await expired(session, cutoff)
    if not found.removed or found.through_id is None:
        return found
    last_hash = await session.scalar(
        select(AuditRecord.hash).where(AuditRecord.id == found.through_id)
    )
    await record(
        {
            "removed": found.removed,
            "through_id": found.through_id,
            "last_hash": last_hash,
            "cutoff": cutoff.isoformat(timespec="seconds"),
        }
    )
    await session.execute(delete(AuditRecord).where(AuditRecord.id <= found.through_id))
    return found


def verify_connection(conn: Connection, expect_head: str | None = None) -> VerifyResult:
    """Verify the chain over a synchronous connection, streaming in id order.

    On PostgreSQL a login that may read the log verifies it here, independently of the
    server's code; one that may only verify asks the server (``kod_audit_verify``).
    """
    from sqlalchemy.orm import Session

    if (
        conn.dialect.name == "postgresql"
        and not conn.execute(
            text("SELECT has_table_privilege('public.audit_log', 'SELECT')")
        ).scalar()
    ):
        row = conn.execute(text("SELECT * FROM kod_audit_verify(:h)"), {"h": expect_head}).one()
        return VerifyResult(
            bool(row.ok), int(row.checked), row.first_broken_id, row.problem, row.head_hash
        )
    with Session(bind=conn) as session:
        rows = session.scalars(
            select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=5000)
        )
        return verify_records(rows, expect_head)
