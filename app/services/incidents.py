"""Incidents (Einsätze): call-taking, editing with optimistic locking, journal, units, closing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import (
    AVAILABLE_STATUSES,
    JOURNAL_NOTE,
    JOURNAL_NOTE_AFTER_CLOSE,
    OUTCOMES_SOURCE,
    IncidentStatus,
    category_label,
    outcome_label,
)
from app.domain.dto import (
    EDITABLE_INCIDENT_FIELDS,
    IncidentDetail,
    IncidentDraft,
    IncidentQuery,
    IncidentRow,
)
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, Work, reading, unit_of_work
from app.services import unit_dispatch as dispatch
from app.services.incident_common import (
    FIELD_LABELS_SOURCE,
    MAX_DESCRIPTION,
    describe_value,
    draft_values,
    field_label,
    journal,
    next_number,
    note_text,
    validate_client_ref,
    validate_coordinates,
    validate_fields,
)
from app.services.incident_queue import (
    DENSE_MATCHES,
    PG_SEARCH_EXPR,
    QUEUE_OPEN_SCAN_LIMIT,
    IncidentQueueReader,
)
from app.services.incident_read import insert_incident, read_detail
from app.services.stadtteile import stadtteil_of
from app.services.unit_dispatch import UnitUnavailable, record_unit_status
from db.models import Incident, JournalEntry

#: Names other modules import from here (they moved to the modules named above).
__all__ = [
    "DENSE_MATCHES",
    "FIELD_LABELS_SOURCE",
    "MAX_DESCRIPTION",
    "PG_SEARCH_EXPR",
    "QUEUE_OPEN_SCAN_LIMIT",
    "IncidentQueueReader",
    "IncidentService",
    "UnitUnavailable",
    "draft_values",
    "field_label",
    "journal",
    "next_number",
    "note_text",
    "record_unit_status",
]


class IncidentService:
    """Everything done with incidents."""

    def __init__(self, db: Database) -> None:
        self._db = db
        #: The queue's reads (pages, counts, searches), shared with nobody else.
        self.queue = IncidentQueueReader(db)

    # -- reading ----------------------------------------------------------------------------

    async def count(self, actor: Actor, q: IncidentQuery, limit: int | None = None) -> int:
        """Number of incidents matching ``q``; with ``limit``, at most ``limit + 1`` (cheap)."""
        return await self.queue.count(actor, q, limit)

    async def page(
        self, actor: Actor, q: IncidentQuery, offset: int, limit: int
    ) -> list[IncidentRow]:
        """One page of the queue in ``q``'s order (see :class:`IncidentQueueReader`)."""
        return await self.queue.page(actor, q, offset, limit)

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[IncidentRow]:
        """Queue rows for the given ids (for live updates)."""
        return await self.queue.rows(actor, ids)

    async def matches(self, actor: Actor, q: IncidentQuery, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` match the filter ``q``."""
        return await self.queue.matches(actor, q, ids)

    async def get(self, actor: Actor, incident_id: int) -> IncidentDetail:
        """Everything about one incident, with journal and units."""
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            return await self._detail(s, incident_id)

    async def _detail(self, s: AsyncSession, incident_id: int) -> IncidentDetail:
        return await read_detail(s, incident_id)

    # -- writing ----------------------------------------------------------------------------

    async def create(self, actor: Actor, draft: IncidentDraft) -> IncidentDetail:
        """Open a new incident from call-taking."""
        async with unit_of_work(self._db, actor, Permission.INCIDENT_WRITE) as w:
            incident_id = await self.create_in(w, draft)
            return await self._detail(w.session, incident_id)

    async def create_in(self, w: Work, draft: IncidentDraft) -> int:
        """Open a new incident inside an existing unit of work; returns its id.

        Lets another service (turning a Meldung into an Einsatz) create the incident and link
        it in the same transaction.
        """
        w.require(Permission.INCIDENT_WRITE)
        values = draft_values(draft)
        if draft.client_ref is not None:
            # A replay of the offline outbox: the first attempt may have committed already.
            existing = await w.session.scalar(
                select(Incident.id).where(Incident.client_ref == draft.client_ref)
            )
            if existing is not None:
                return int(existing)
            values["client_ref"] = draft.client_ref
        incident = await insert_incident(w, values, draft.lat, draft.lon, draft.source_report_id)
        await journal(
            w,
            incident.id,
            "created",
            tr(
                "incidents",
                "Incident opened: %1, priority %2, %3",
                category_label(incident.category),
                incident.priority,
                incident.address or "–",
            ),
        )
        await w.audit("incident.create", "incident", incident.id, {"number": incident.number})
        w.changed("incident", incident.id, "insert", incident.version)
        await w.session.flush()
        return incident.id

    async def _locked(self, w: Work, incident_id: int, expected_version: int | None) -> Incident:
        stmt = select(Incident).where(Incident.id == incident_id)
        if self._db.target.kind == "postgresql":
            stmt = stmt.with_for_update()
        incident = await w.session.scalar(stmt.execution_options(populate_existing=True))
        if incident is None:
            raise NotFound(tr("incidents", "Incident %1 does not exist.", incident_id))
        if expected_version is not None and incident.version != expected_version:
            current = await self._detail(w.session, incident_id)
            raise ConflictError("incident", incident_id, expected_version, current)
        return incident

    async def update(
        self, actor: Actor, incident_id: int, expected_version: int, changes: dict[str, Any]
    ) -> IncidentDetail:
        """Change fields; refused with :class:`ConflictError` if the version is stale."""
        unknown = set(changes) - set(EDITABLE_INCIDENT_FIELDS)
        if unknown:
            raise ValidationError(
                tr("incidents", "These fields cannot be changed: %1", ", ".join(sorted(unknown)))
            )
        validate_fields(changes)
        async with unit_of_work(self._db, actor, Permission.INCIDENT_WRITE) as w:
            incident = await self._locked(w, incident_id, expected_version)
            lat = changes.get("lat", incident.lat)
            lon = changes.get("lon", incident.lon)
            validate_coordinates(lat, lon)
            diffs: dict[str, tuple[Any, Any]] = {}
            for key, value in changes.items():
                if isinstance(value, str):
                    value = value.strip()
                    if key in ("caller_name", "caller_phone") and not value:
                        value = None
                old = getattr(incident, key)
                if old != value:
                    diffs[key] = (old, value)
                    setattr(incident, key, value)
            if not diffs:
                return await self._detail(w.session, incident_id)
            if "lat" in diffs or "lon" in diffs:
                new_st = await stadtteil_of(w.session, lat, lon)
                if new_st != incident.stadtteil:
                    diffs["stadtteil"] = (incident.stadtteil, new_st)
                    incident.stadtteil = new_st
            incident.updated_at = w.now
            lines = [
                tr(
                    "incidents",
                    "%1: %2 → %3",
                    field_label(k),
                    describe_value(k, old),
                    describe_value(k, new),
                )
                for k, (old, new) in diffs.items()
                if k not in ("lat", "lon")
            ]
            if "lat" in diffs or "lon" in diffs:
                lines.append(tr("incidents", "Position changed"))
            await journal(w, incident.id, "change", "\n".join(lines))
            await w.audit("incident.update", "incident", incident.id, {"fields": sorted(diffs)})
            await w.session.flush()
            w.changed("incident", incident.id, "update", incident.version)
            return await self._detail(w.session, incident_id)

    async def add_note(
        self, actor: Actor, incident_id: int, text: str, client_ref: str | None = None
    ) -> IncidentDetail:
        """Write a free-text note into the journal (never conflicts: notes only append).

        With ``client_ref`` (offline outbox replay) a note already stored under that reference
        is not written again.
        """
        text = note_text(text)
        validate_client_ref(client_ref)
        async with unit_of_work(self._db, actor, Permission.INCIDENT_JOURNAL) as w:
            incident = await self._locked(w, incident_id, None)
            if client_ref is not None and (
                await w.session.scalar(
                    select(JournalEntry.id).where(JournalEntry.client_ref == client_ref)
                )
                is not None
            ):
                return await self._detail(w.session, incident_id)
            # A note only appends: it does not bump the incident's version, so it never makes
            # a colleague's field edit conflict. On a closed incident it is allowed too, and
            # journaled as a note written after closing.
            closed = incident.status == IncidentStatus.CLOSED
            kind = JOURNAL_NOTE_AFTER_CLOSE if closed else JOURNAL_NOTE
            await journal(w, incident.id, kind, text, client_ref=client_ref)
            await w.audit(
                "incident.note", "incident", incident.id, {"after_close": True} if closed else None
            )
            await w.session.flush()
            w.changed("incident", incident.id, "journal", incident.version)
            return await self._detail(w.session, incident_id)

    async def assign_unit(
        self, actor: Actor, incident_id: int, unit_id: int, confirm_unavailable: bool = False
    ) -> IncidentDetail:
        """Alarm a unit for the incident; it confirms with status 3 (:meth:`confirm_unit`).

        An unavailable unit warns or is refused, as configured.
        """
        async with unit_of_work(self._db, actor, Permission.UNIT_ASSIGN) as w:
            await dispatch.assign(w, incident_id, unit_id, confirm_unavailable)
            return await self._detail(w.session, incident_id)

    async def confirm_unit(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """The alarmed unit confirmed by radio: "Einsatz übernommen" (status 3)."""
        return await self._step(actor, incident_id, unit_id, "3", "incident.confirm")

    async def unit_arrived(self, actor: Actor, incident_id: int, unit_id: int) -> IncidentDetail:
        """The unit is on scene (status 4)."""
        return await self._step(actor, incident_id, unit_id, "4", "incident.arrive")

    async def release_unit(
        self, actor: Actor, incident_id: int, unit_id: int, new_status: str = "1"
    ) -> IncidentDetail:
        """Release a unit from the incident; it becomes available again (1 or 2)."""
        if new_status not in AVAILABLE_STATUSES:
            raise ValidationError(tr("incidents", "A released unit gets status 1 or 2."))
        return await self._step(actor, incident_id, unit_id, new_status, "incident.release")

    async def _step(
        self, actor: Actor, incident_id: int, unit_id: int, status: str, action: str
    ) -> IncidentDetail:
        async with unit_of_work(self._db, actor, Permission.UNIT_ASSIGN) as w:
            await dispatch.step(w, incident_id, unit_id, status, action)
            return await self._detail(w.session, incident_id)

    async def close(
        self,
        actor: Actor,
        incident_id: int,
        expected_version: int,
        outcome: str,
        note: str = "",
    ) -> IncidentDetail:
        """Close with an outcome; units still on it are released to status 1."""
        if outcome not in OUTCOMES_SOURCE:
            raise ValidationError(
                tr("incidents", "Choose an outcome to close the incident."), "outcome"
            )
        async with unit_of_work(self._db, actor, Permission.INCIDENT_WRITE) as w:
            incident = await self._locked(w, incident_id, expected_version)
            if incident.status == IncidentStatus.CLOSED:
                raise ValidationError(
                    tr("incidents", "Incident %1 is already closed.", incident.number)
                )
            await dispatch.release_all(w, incident)
            incident.status = IncidentStatus.CLOSED.value
            incident.outcome = outcome
            incident.outcome_note = note.strip() or None
            incident.closed_at = w.now
            incident.updated_at = w.now
            text = tr("incidents", "Closed: %1", outcome_label(outcome))
            if note.strip():
                text += f"\n{note.strip()}"
            await journal(w, incident.id, "closed", text)
            await w.audit("incident.close", "incident", incident.id, {"outcome": outcome})
            await w.session.flush()
            w.changed("incident", incident.id, "update", incident.version)
            return await self._detail(w.session, incident_id)

    async def reopen(
        self, actor: Actor, incident_id: int, expected_version: int, reason: str
    ) -> IncidentDetail:
        """Reopen a closed incident; the reason goes into the journal."""
        reason = reason.strip()
        if not reason:
            raise ValidationError(tr("incidents", "Give a reason for reopening."), "reason")
        async with unit_of_work(self._db, actor, Permission.INCIDENT_WRITE) as w:
            incident = await self._locked(w, incident_id, expected_version)
            if incident.status != IncidentStatus.CLOSED:
                raise ValidationError(
                    tr("incidents", "Incident %1 is not closed.", incident.number)
                )
            previous = incident.outcome
            incident.status = IncidentStatus.NEW.value
            incident.outcome = None
            incident.outcome_note = None
            incident.closed_at = None
            incident.updated_at = w.now
            await journal(
                w,
                incident.id,
                "reopened",
                tr("incidents", "Reopened (was: %1). Reason: %2", outcome_label(previous), reason),
            )
            await w.audit("incident.reopen", "incident", incident.id, reason=reason)
            await w.session.flush()
            w.changed("incident", incident.id, "update", incident.version)
            return await self._detail(w.session, incident_id)
