"""Which Stadtteil a point lies in, as the services record it with incidents, Meldungen, Aufträge.

The official outlines imported into the database (``kod-admin map import-outlines``) decide
when there are any, else the approximate demo outlines. The index is built once per database
and outline import: a cheap query (number of outlines and the newest import time) tells
whether another workstation has imported new ones since.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.domain.outlines import StadtteilIndex, StadtteilOutline, approximate_index
from db.models import MapOutline

#: Per database (its URL without password): the outline version and its index.
_indexes: dict[str, tuple[tuple[int, datetime | None], StadtteilIndex]] = {}
#: The index this workstation read last (a workstation works on one database): for what is
#: shown before anything is written, and while the database cannot be reached.
_last: list[StadtteilIndex] = []


def _database_key(session: AsyncSession) -> str:
    bind = session.bind
    if bind is None:
        return ""
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


async def stadtteil_index(session: AsyncSession) -> StadtteilIndex:
    """The index for the session's database: its official outlines if any, else approximate."""
    count, newest = (
        await session.execute(select(func.count(MapOutline.id), func.max(MapOutline.imported_at)))
    ).one()
    version = (int(count), newest)
    key = _database_key(session)
    cached = _indexes.get(key)
    if cached is not None and cached[0] == version:
        index = cached[1]
    elif not count:
        index = approximate_index()
    else:
        rows = (await session.execute(select(MapOutline).order_by(MapOutline.id))).scalars().all()
        official = [
            StadtteilOutline(r.name, json.loads(r.geometry), r.label_lat, r.label_lon) for r in rows
        ]
        index = await asyncio.to_thread(StadtteilIndex, official)
    _indexes[key] = (version, index)
    _last[:] = [index]
    return index


async def stadtteil_of(session: AsyncSession, lat: float | None, lon: float | None) -> str | None:
    """The Stadtteil of a point (None without a point or outside every outline)."""
    if lat is None or lon is None:
        return None
    return (await stadtteil_index(session)).name_at(lat, lon)


def last_known_stadtteil(lat: float | None, lon: float | None) -> str | None:
    """The Stadtteil by the outlines last read from a database (approximate if none yet).

    For what is shown while the database cannot be reached; the stored record gets its
    Stadtteil from :func:`stadtteil_of` when it is written.
    """
    if lat is None or lon is None:
        return None
    index = _last[0] if _last else approximate_index()
    return index.name_at(lat, lon)


def forget_outlines() -> None:
    """Drop every outline index read so far (a new database is opened in this process)."""
    _indexes.clear()
    _last.clear()
