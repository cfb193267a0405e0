"""The incident queue: pages, counts, searches and live rows over a million incidents.

Open incidents come first whatever the sort, then the history: two index-ordered parts, so a
page is read along an index instead of sorting the table. Free-text search uses a trigram
index (SQLite FTS5, PostgreSQL pg_trgm). The Python sort keys that mirror these orders live
next to the SQL in :mod:`app.services.ordering`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, column, func, literal_column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import UnitStatus
from app.domain.dto import IncidentQuery, IncidentRow
from app.platform.database import Database
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, reading
from app.platform.validation import like_pattern, search_text
from app.services.incident_read import read_rows
from app.services.ordering import (
    INCIDENT_SORT_FIELDS,
    incident_closed_order,
    incident_open_order,
)
from db.models import Incident, IncidentUnit, Unit

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


class IncidentQueueReader:
    """Reads the queue: counts, pages in the query's order, rows by id, filter matches."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
