"""The clip-access report for data protection: who did what with which recording, when, why.

Read from the audit log (``audit.read``: the data-protection role), so it shows accesses but
never a clip: the data-protection role cannot open recordings (on PostgreSQL the server
releases keys only to roles that may view or export). Also the deletion protocol, which holds no
personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.retention import EXPIRED, EXPIRED_LABEL
from app.platform.database import Database
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import format_local
from app.platform.uow import Actor, reading, unit_of_work
from app.services.audit_labels import action_label
from app.services.audit_log import spreadsheet_cell
from db.models import AuditRecord, RecordingDeletion

#: Most lines one report shows.
MAX_ROWS = 10_000


@dataclass(frozen=True)
class ClipAccess:
    """One access to a recording."""

    occurred_at: datetime
    username: str
    action: str
    action_label: str
    recording_id: int | None
    reason: str | None
    recipient: str | None
    workstation: str | None


@dataclass(frozen=True)
class DeletionEntry:
    """One line of the deletion protocol."""

    recording_id: int
    sha256: str
    started_at: datetime
    due_at: datetime
    deleted_at: datetime
    reason: str
    file_removed_at: datetime | None


class ClipAccessReport:
    """Reads for the data-protection officer."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def accesses(
        self,
        actor: Actor,
        since: datetime | None = None,
        until: datetime | None = None,
        recording_id: int | None = None,
    ) -> list[ClipAccess]:
        """Every audited access to recordings (opened, exported, held, deleted), oldest first;
        reading the report is itself audited."""
        a = AuditRecord
        stmt = select(
            a.occurred_at, a.username, a.action, a.entity_id, a.reason, a.recipient, a.workstation
        ).where(a.entity == "recording", a.action.like("recording.%"))
        if since is not None:
            stmt = stmt.where(a.occurred_at >= since)
        if until is not None:
            stmt = stmt.where(a.occurred_at < until)
        if recording_id is not None:
            stmt = stmt.where(a.entity_id == recording_id)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            rows = (await s.execute(stmt.order_by(a.id).limit(MAX_ROWS))).all()
        async with unit_of_work(self._db, actor, Permission.AUDIT_READ) as w:
            await w.audit(
                "audit.export",
                "recording",
                recording_id,
                details={"report": "clip_access", "rows": len(rows)},
            )
        return [
            ClipAccess(r[0], r[1], r[2], action_label(r[2]), r[3], r[4], r[5], r[6]) for r in rows
        ]

    async def deletions(self, actor: Actor, since: datetime | None = None) -> list[DeletionEntry]:
        """The deletion protocol, newest first."""
        d = RecordingDeletion
        stmt = select(d).order_by(d.id.desc()).limit(MAX_ROWS)
        if since is not None:
            stmt = stmt.where(d.deleted_at >= since)
        async with reading(self._db, actor, Permission.AUDIT_READ) as s:
            rows = (await s.execute(stmt)).scalars().all()
        return [
            DeletionEntry(
                e.recording_id,
                e.sha256,
                e.started_at,
                e.due_at,
                e.deleted_at,
                e.reason,
                e.file_removed_at,
            )
            for e in rows
        ]


def _csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def accesses_csv(rows: Sequence[ClipAccess]) -> str:
    """The accesses as CSV for German spreadsheets (semicolons, local times; text a
    spreadsheet would run as a formula starts with an apostrophe)."""
    c = spreadsheet_cell
    return _csv(
        [
            tr("evidence", "Time"),
            tr("evidence", "Person"),
            tr("evidence", "Action"),
            tr("evidence", "Action (plain text)"),
            tr("evidence", "Recording"),
            tr("evidence", "Reason"),
            tr("evidence", "Recipient"),
            tr("evidence", "Workstation"),
        ],
        [
            [
                format_local(a.occurred_at, with_seconds=True),
                c(a.username),
                c(a.action),
                c(a.action_label),
                "" if a.recording_id is None else a.recording_id,
                c(a.reason),
                c(a.recipient),
                c(a.workstation),
            ]
            for a in rows
        ],
    )


def deletions_csv(rows: Sequence[DeletionEntry]) -> str:
    """The deletion protocol as CSV (no personal data in it)."""
    return _csv(
        [
            tr("evidence", "Recording"),
            tr("evidence", "SHA-256"),
            tr("evidence", "Recorded"),
            tr("evidence", "Due"),
            tr("evidence", "Deleted"),
            tr("evidence", "Reason"),
            tr("evidence", "File removed"),
        ],
        [
            [
                d.recording_id,
                d.sha256,
                format_local(d.started_at, with_seconds=True),
                format_local(d.due_at, with_seconds=True),
                format_local(d.deleted_at, with_seconds=True),
                EXPIRED_LABEL if d.reason == EXPIRED else spreadsheet_cell(d.reason),
                format_local(d.file_removed_at, with_seconds=True),
            ]
            for d in rows
        ],
    )
