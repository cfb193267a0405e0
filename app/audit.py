"""The tamper-evident audit log: every record carries a SHA-256 over its content and the
previous record's hash, so editing, inserting or deleting a record breaks the chain.

Writers are serialised (SQLite ``BEGIN IMMEDIATE``, PostgreSQL advisory lock), so the chain has
no forks. Truncating the newest records cannot be seen from the chain alone: anchor the head
hash elsewhere (``kod-admin audit head``) and pass it to ``verify``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditRecord

GENESIS = "0" * 64


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
    """Walk the records in id order and check every link and every hash."""
    prev: str | None = None
    count = 0
    last_hash: str | None = None
    for rec in records:
        count += 1
        if prev is not None and rec.prev_hash != prev:
            return VerifyResult(False, count, rec.id, "chain_link", last_hash)
        if _hash_of(rec, rec.prev_hash) != rec.hash:
            return VerifyResult(False, count, rec.id, "content", last_hash)
        prev = rec.hash
        last_hash = rec.hash
    if expect_head is not None and last_hash != expect_head:
        return VerifyResult(False, count, None, "head", last_hash)
    return VerifyResult(True, count, None, None, last_hash)


def verify_connection(conn: Connection, expect_head: str | None = None) -> VerifyResult:
    """Verify the chain over a synchronous connection, streaming in id order."""
    from sqlalchemy.orm import Session

    with Session(bind=conn) as session:
        rows = session.scalars(
            select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=5000)
        )
        return verify_records(rows, expect_head)
