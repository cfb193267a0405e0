"""Replaying the outbox: offline incidents and notes sent to the server in order, conflicts said.

The outbox-capable incident service (:class:`~app.services.resilient.ResilientIncidents`) owns
one :class:`OutboxReplay`; see that module for how entries get into the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from app.domain.codes import IncidentStatus, category_label
from app.domain.dto import IncidentDetail, IncidentDraft, IncidentQuery, IncidentRow
from app.platform.errors import AuthenticationError, DatabaseUnavailable, KodError, ValidationError
from app.platform.i18n import tr
from app.platform.outbox import OP_CREATE_INCIDENT, OP_NOTE, OutboxEntry
from app.platform.timeutil import format_local
from app.services.offline_view import pending_id, pending_number

if TYPE_CHECKING:
    from app.services.resilient import ResilientIncidents

log = logging.getLogger(__name__)

#: An offline incident is a possible duplicate of one with the same category and address
#: created from this long before it was recorded until its replay.
DUPLICATE_MARGIN = timedelta(minutes=15)
#: How many recent incidents of the category are compared for duplicates.
DUPLICATE_SCAN = 200

KIND_CLOSED = "closed_incident"
KIND_DUPLICATE = "possible_duplicate"
KIND_FAILED = "failed"


@dataclass(frozen=True)
class ReplayConflict:
    """Something the user should look at after a replay (``message`` is German)."""

    kind: str  # KIND_CLOSED, KIND_DUPLICATE or KIND_FAILED
    message: str
    entry_uuid: str
    incident_id: int | None = None
    number: str | None = None
    other_number: str | None = None


@dataclass(frozen=True)
class ReplayReport:
    """What one replay did."""

    replayed: int
    conflicts: tuple[ReplayConflict, ...]
    remaining: int
    interrupted: bool


def _address_key(address: str) -> str:
    key = " ".join(address.casefold().split())
    key = re.sub(r"stra(ss|ß)e\b", "str", key)
    return re.sub(r"str\.", "str", key)


class OutboxReplay:
    """Sends the outbox of one :class:`ResilientIncidents` to the server (one replay at a time)."""

    def __init__(self, owner: ResilientIncidents) -> None:
        self._r = owner
        self._lock = asyncio.Lock()

    async def run(self) -> ReplayReport:
        """Send the outbox to the server in order; stops (keeping the rest) if it is gone.

        An entry the server refuses (or that cannot be read back) never blocks the ones behind
        it: it is marked failed, reported through ``conflicts`` and kept until the dispatcher
        discards it. Only a lost connection or a refused login stops the replay.
        """
        async with self._lock:
            replayed = 0
            conflicts: list[ReplayConflict] = []
            interrupted = False
            while True:
                pending = self._r.outbox.pending()
                if not pending:
                    break
                entry = pending[0]
                try:
                    conflicts.extend(await self._replay_one(entry))
                    replayed += 1
                except (DatabaseUnavailable, AuthenticationError) as exc:
                    await self._r.outbox.attempted(entry.uuid, str(exc))
                    interrupted = True
                    break
                except KodError as exc:
                    conflicts.append(await self._mark_failed(entry, str(exc)))
                except (DBAPIError, KeyError, TypeError, ValueError) as exc:
                    # Refused by the server in a way no service turned into a message, or an
                    # entry that cannot be read back: it must not hold up the ones behind it.
                    log.exception("outbox entry %s cannot be replayed", entry.uuid)
                    error = tr("outbox", "unexpected error (%1)", type(exc).__name__)
                    conflicts.append(await self._mark_failed(entry, error))
            report = ReplayReport(
                replayed, tuple(conflicts), self._r.outbox.pending_count, interrupted
            )
            self._r.replayed.emit(report)
            return report

    async def _replay_one(self, entry: OutboxEntry) -> list[ReplayConflict]:
        if entry.kind == OP_CREATE_INCIDENT:
            return await self._replay_create(entry)
        if entry.kind == OP_NOTE:
            return await self._replay_note(entry)
        raise ValidationError(tr("outbox", "Unknown operation '%1' in the outbox.", entry.kind))

    async def _replay_create(self, entry: OutboxEntry) -> list[ReplayConflict]:
        p = entry.payload
        draft = IncidentDraft(
            category=str(p["category"]),
            priority=p.get("priority"),
            address=str(p.get("address") or ""),
            lat=p.get("lat"),
            lon=p.get("lon"),
            caller_name=p.get("caller_name"),
            caller_phone=p.get("caller_phone"),
            description=str(p.get("description") or ""),
            source_report_id=p.get("source_report_id"),
            client_ref=entry.uuid,
        )
        detail = await self._r.attempt(self._r.inner.create(entry.actor, draft))
        conflicts = []
        for other in await self._possible_duplicates(entry, detail):
            conflicts.append(
                ReplayConflict(
                    KIND_DUPLICATE,
                    tr(
                        "outbox",
                        "Incident %1 (recorded offline as %2) may be a duplicate of %3, which "
                        "another workstation opened at %4 with the same category and address. "
                        "Both were kept: please check and close one of them.",
                        detail.number,
                        pending_number(entry.seq),
                        other.number,
                        format_local(other.created_at),
                    ),
                    entry.uuid,
                    detail.id,
                    detail.number,
                    other.number,
                )
            )
        await self._r.outbox.done(entry.uuid, (detail.id, detail.number))
        self._r.view.remember(detail)
        self._r.resolved.emit((pending_id(entry.seq), detail.id))
        for c in conflicts:
            self._r.conflicts.emit(c)
        return conflicts

    async def _possible_duplicates(
        self, entry: OutboxEntry, detail: IncidentDetail
    ) -> list[IncidentRow]:
        key = _address_key(detail.address)
        if not key:
            return []
        since = entry.queued_at - DUPLICATE_MARGIN
        rows = await self._r.attempt(
            self._r.inner.page(
                entry.actor,
                IncidentQuery(
                    categories=frozenset({detail.category}), sort="created_at", descending=True
                ),
                0,
                DUPLICATE_SCAN,
            )
        )
        return [
            r
            for r in rows
            if r.id != detail.id and r.created_at >= since and _address_key(r.address) == key
        ]

    async def _replay_note(self, entry: OutboxEntry) -> list[ReplayConflict]:
        p = entry.payload
        if p.get("incident_ref"):
            res = self._r.outbox.resolution(str(p["incident_ref"]))
            if res is None:
                raise ValidationError(
                    tr(
                        "outbox",
                        "The offline incident this note belongs to could not be transferred.",
                    )
                )
            incident_id = res.incident_id
            known_status: str | None = IncidentStatus.NEW.value
        else:
            incident_id = int(p["incident_id"])
            known_status = p.get("known_status")
        detail = await self._r.attempt(
            self._r.inner.add_note(entry.actor, incident_id, str(p["text"]), client_ref=entry.uuid)
        )
        await self._r.outbox.done(entry.uuid)
        self._r.view.remember(detail)
        self._r.pending_changed.emit(incident_id)
        conflicts = []
        if detail.status == IncidentStatus.CLOSED and known_status != IncidentStatus.CLOSED:
            conflict = ReplayConflict(
                KIND_CLOSED,
                tr(
                    "outbox",
                    "Your note written offline at %1 was added to incident %2, which was "
                    "closed in the meantime (%3). Reopen it if the note needs action.",
                    format_local(entry.queued_at),
                    detail.number,
                    format_local(detail.closed_at),
                ),
                entry.uuid,
                detail.id,
                detail.number,
            )
            conflicts.append(conflict)
            self._r.conflicts.emit(conflict)
        return conflicts

    async def _mark_failed(self, entry: OutboxEntry, error: str) -> ReplayConflict:
        await self._r.outbox.fail(entry.uuid, error)
        try:
            conflict = self._failed(entry, error)
        except Exception:  # a damaged entry: still shown, with what can be said about it
            conflict = ReplayConflict(
                KIND_FAILED,
                tr("outbox", "An entry recorded offline could not be transferred: %1", error),
                entry.uuid,
            )
        self._r.conflicts.emit(conflict)
        return conflict

    def _failed(self, entry: OutboxEntry, error: str) -> ReplayConflict:
        if entry.kind == OP_CREATE_INCIDENT:
            what = tr(
                "outbox",
                "The incident recorded offline as %1 (%2, %3) could not be transferred: %4",
                pending_number(entry.seq),
                category_label(str(entry.payload["category"])),
                str(entry.payload.get("address") or "–"),
                error,
            )
        else:
            _id, number = self._r.view.note_target(entry)
            what = tr(
                "outbox",
                "The note on %1 written offline at %2 could not be transferred: %3. Text: %4",
                number,
                format_local(entry.queued_at),
                error,
                str(entry.payload.get("text") or ""),
            )
        return ReplayConflict(KIND_FAILED, what, entry.uuid)
