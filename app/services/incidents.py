"""Incidents (Einsätze): call-taking, editing with optimistic locking, journal, units, closing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, column, func, literal_column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import (
    AVAILABLE_STATUSES,
    JOURNAL_NOTE,
    JOURNAL_NOTE_AFTER_CLOSE,
    OUTCOMES_SOURCE,
    IncidentStatus,
    UnitStatus,
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
from app.domain.geo import stadtteil_for
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, Work, check, reading, unit_of_work
from app.platform.validation import like_pattern, search_text
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
from app.services.incident_read import insert_incident, read_detail, read_rows
from app.services.ordering import (
    INCIDENT_SORT_FIELDS,
    incident_closed_order,
    incident_open_order,
)
from app.services.unit_dispatch import UnitUnavailable, record_unit_status
from db.models import Incident, IncidentUnit, JournalEntry, Unit

#: Names other modules import from here (they moved to the modules named above).
__all__ = [
    "FIELD_LABELS_SOURCE",
    "MAX_DESCRIPTION",
    "IncidentService",
    "UnitUnavailable",
    "draft_values",
    "field_label",
    "journal",
    "next_number",
    "note_text",
    "record_unit_status",
]

#: Must match the expression of the pg_trgm index (migration 0003) so PostgreSQL uses it.
PG_SEARCH_EXPR = (
    "(number || ' ' || address || ' ' || description || ' ' || coalesce(caller_name, '') "
    "|| ' ' || coalesce(stadtteil, ''))"
)
#: A filter with at least this many closed matches walks the closed_at index (see ``_dense``).
DENSE_MATCHES = 2000
#: Open incidents are few; past this offset the open part is not read again.
QUEUE_OPEN_SCAN_LIMIT = 100_000


#: SQLite's trigram index of the searchable incident columns (migration 0003).
_FTS = table("incident_search", column("rowid"))


#: How ``_filtered`` applies the text search: from the match set of the index, by looking up
#: each row in the index, or not at all (the caller joins the matches).
TextVia = Literal["index", "row", "caller"]


def _fts_match(phrase: str) -> Any:
    return literal_column("incident_search").op("MATCH")(phrase)


def _row(i: Incident, units: str, emergency: bool) -> IncidentRow:
    return IncidentRow(
        id=i.id,
        number=i.number,
        category=i.category,
        priority=i.priority,
        status=i.status,
        address=i.address,
        stadtteil=i.stadtteil,
        created_at=i.created_at,
        dispatched_at=i.dispatched_at,
        on_scene_at=i.on_scene_at,
        closed_at=i.closed_at,
        units=units,
        version=i.version,
        emergency=emergency,
    )


class IncidentService:
    """Everything done with incidents."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading ----------------------------------------------------------------------------

    def _filtered(
        self,
        stmt: Select[Any],
        q: IncidentQuery,
        walk_order_index: bool = False,
        text_via: TextVia = "index",
    ) -> Select[Any]:
        # With ``walk_order_index`` the filter columns are wrapped in no-op expressions on
        # SQLite: its planner would otherwise pick e.g. the category index and sort every
        # matching row, where walking the order's index stops after one page.
        wrap = walk_order_index and self._db.target.is_sqlite
        status = Incident.status.concat("") if wrap else Incident.status
        category = Incident.category.concat("") if wrap else Incident.category
        priority = Incident.priority + 0 if wrap else Incident.priority
        stadtteil = Incident.stadtteil.concat("") if wrap else Incident.stadtteil
        if q.open_only:
            stmt = stmt.where(Incident.closed_at.is_(None))
        if q.statuses:
            stmt = stmt.where(status.in_(sorted(q.statuses)))
        if q.categories:
            stmt = stmt.where(category.in_(sorted(q.categories)))
        if q.priorities:
            stmt = stmt.where(priority.in_(sorted(q.priorities)))
        if q.stadtteile:
            stmt = stmt.where(stadtteil.in_(sorted(q.stadtteile)))
        text = search_text(q.text)
        if text and text_via != "caller":
            stmt = stmt.where(self._text_condition(text, per_row=text_via == "row"))
        return stmt

    def _fts_phrase(self, q: IncidentQuery) -> str | None:
        """The FTS5 phrase for ``q``'s text on SQLite, if the trigram index can answer it."""
        text = search_text(q.text)
        if self._db.target.is_sqlite and len(text) >= 3:
            return '"' + text.replace('"', '""') + '"'
        return None

    def _text_condition(self, text: str, per_row: bool = False) -> Any:
        """Substring search over number, address, description, caller and Stadtteil.

        Three or more characters use the trigram index (SQLite FTS5, PostgreSQL pg_trgm), so a
        search stays fast over a million incidents; shorter input falls back to LIKE. On
        SQLite, ``per_row`` looks up each incident's own entry in the index (cheap for the few
        rows another condition leaves, such as the open incidents) instead of reading every
        match first.
        """
        phrase = self._fts_phrase(IncidentQuery(text=text))
        if phrase is not None:
            matches = select(_FTS.c.rowid).where(_fts_match(phrase))
            if per_row:
                return matches.where(_FTS.c.rowid == Incident.id).exists()
            return Incident.id.in_(matches)
        pattern = like_pattern(text)
        if not self._db.target.is_sqlite:
            return literal_column(PG_SEARCH_EXPR).ilike(pattern, escape="\\")
        return or_(
            *(
                column.ilike(pattern, escape="\\")
                for column in (
                    Incident.number,
                    Incident.address,
                    Incident.description,
                    Incident.caller_name,
                    Incident.stadtteil,
                )
            )
        )

    def _search_driven(self, stmt: Select[Any], q: IncidentQuery, phrase: str) -> Select[Any]:
        """``stmt`` read along the FTS5 matches of ``phrase``, newest (highest id) first.

        The index yields its matches in rowid order, so a page of a frequent word needs one
        page of index entries instead of every match.
        """
        return (
            self._filtered(stmt, q, walk_order_index=True, text_via="caller")
            .join(_FTS, _FTS.c.rowid == Incident.id)
            .where(_fts_match(phrase))
            .order_by(_FTS.c.rowid.desc())
        )

    async def _dense(self, s: AsyncSession, q: IncidentQuery) -> bool:
        """True if the filter matches many closed incidents.

        Then walking the closed_at index finds a page at once. For rare combinations (a
        category in a small Stadtteil) the walk would cross most of the history; the planner's
        own choice (the filter's index, then sorting a few rows) is faster. Probing costs one
        capped count over the filter's index.
        """
        if not self._db.target.is_sqlite:
            return False
        if not (q.categories or q.stadtteile or q.priorities or q.statuses):
            return True
        probe = (
            self._filtered(select(Incident.id), q)
            .where(Incident.closed_at.is_not(None))
            .limit(DENSE_MATCHES)
            .subquery()
        )
        return int(await s.scalar(select(func.count()).select_from(probe)) or 0) >= DENSE_MATCHES

    async def count(self, actor: Actor, q: IncidentQuery, limit: int | None = None) -> int:
        """Number of incidents matching ``q``; with ``limit``, at most ``limit + 1`` (cheap)."""
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            phrase = self._fts_phrase(q)
            if phrase is None and limit is None:
                return int(await s.scalar(self._filtered(select(func.count(Incident.id)), q)) or 0)
            if phrase is not None:
                matching = self._search_driven(select(Incident.id), q, phrase)
            else:
                matching = self._filtered(select(Incident.id), q)
            if limit is not None:
                matching = matching.limit(limit + 1)
            stmt = select(func.count()).select_from(matching.subquery())
            return int(await s.scalar(stmt) or 0)

    async def page(
        self, actor: Actor, q: IncidentQuery, offset: int, limit: int
    ) -> list[IncidentRow]:
        """One page of the queue in ``q``'s order (see :mod:`app.services.ordering`).

        Open incidents come first whatever the sort, then closed ones: two index-ordered parts,
        so the first page of a million incidents is instant.
        Closed matches of a free-text search come newest first by number (see
        ``IncidentQuery.closed_by_number``), read along the search index.
        """
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            open_part = self._filtered(
                select(Incident), q, walk_order_index=True, text_via="row"
            ).where(Incident.closed_at.is_(None))
            open_part = open_part.order_by(*incident_open_order(q))
            incidents = []
            open_count = 0
            if offset < QUEUE_OPEN_SCAN_LIMIT:
                incidents = list((await s.scalars(open_part.offset(offset).limit(limit))).all())
            if len(incidents) < limit and not q.open_only:
                if offset > 0 and not incidents:
                    open_count = int(
                        await s.scalar(
                            self._filtered(
                                select(func.count(Incident.id)), q, text_via="row"
                            ).where(Incident.closed_at.is_(None))
                        )
                        or 0
                    )
                else:
                    open_count = offset + len(incidents)
                closed_part = await self._closed_part(s, q)
                closed_part = closed_part.offset(max(0, offset - open_count)).limit(
                    limit - len(incidents)
                )
                incidents += list((await s.scalars(closed_part)).all())
            return await self._rows(s, incidents)

    async def _closed_part(self, s: AsyncSession, q: IncidentQuery) -> Select[Any]:
        """Closed incidents matching ``q`` in its order."""
        phrase = self._fts_phrase(q)
        if q.sort in INCIDENT_SORT_FIELDS:
            # Nearly every incident is closed: walk the sort column's index and skip the few
            # open ones, instead of reading the history along closed_at and sorting all of it
            # (SQLite's planner would pick the closed_at index for the condition).
            stmt = self._filtered(select(Incident), q, walk_order_index=True)
            if self._db.target.is_sqlite:
                closed: Any = literal_column("(incident.closed_at || '')")  # no index for this
                return stmt.where(closed.is_not(None)).order_by(
                    *incident_closed_order(q, sqlite=True)
                )
        elif phrase is not None:
            stmt = self._search_driven(select(Incident), q, phrase)
            return stmt.where(Incident.closed_at.is_not(None))
        else:
            stmt = self._filtered(select(Incident), q, walk_order_index=await self._dense(s, q))
        stmt = stmt.where(Incident.closed_at.is_not(None))
        return stmt.order_by(*incident_closed_order(q, self._db.target.is_sqlite))

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[IncidentRow]:
        """Queue rows for the given ids (for live updates)."""
        await check(self._db, actor, Permission.INCIDENT_READ)
        if not ids:
            return []
        async with self._db.read_single() as s:
            return await read_rows(s, ids)

    async def matches(self, actor: Actor, q: IncidentQuery, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` match the filter ``q``."""
        await check(self._db, actor, Permission.INCIDENT_READ)
        if not ids:
            return set()
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            stmt = self._filtered(select(Incident.id), q, text_via="row")
            stmt = stmt.where(Incident.id.in_(list(ids)))
            return set((await s.scalars(stmt)).all())

    async def _rows(self, s: AsyncSession, incidents: Sequence[Incident]) -> list[IncidentRow]:
        ids = [i.id for i in incidents]
        units: dict[int, list[str]] = {}
        emergency: set[int] = set()
        if ids:
            result = await s.execute(
                select(IncidentUnit.incident_id, Unit.call_sign, Unit.status)
                .join(Unit, Unit.id == IncidentUnit.unit_id)
                .where(IncidentUnit.incident_id.in_(ids), IncidentUnit.released_at.is_(None))
                .order_by(Unit.call_sign)
            )
            for incident_id, call_sign, status in result:
                units.setdefault(incident_id, []).append(call_sign)
                if status == UnitStatus.EMERGENCY:
                    emergency.add(incident_id)
        return [_row(i, ", ".join(units.get(i.id, [])), i.id in emergency) for i in incidents]

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
                new_st = stadtteil_for(lat, lon) if lat is not None and lon is not None else None
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
