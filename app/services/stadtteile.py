"""Which Stadtteil a point lies in, as the services record it with incidents, Meldungen, Aufträge.

The official outlines imported into the database (``kod-admin map import-outlines``) decide
when there are any, else the approximate demo outlines. The index is built once per database
connection (engine) and outline import, and a write costs no query for it:

- an import in this process drops the index at once (:func:`outlines_changed`);
- a process that follows the change feed (the workstation) drops it when the feed brings a
  change of the map (:data:`~app.domain.changes.Entity.MAP`, written by every import), so an
  import on another workstation counts from that workstation's next read of the feed on
  (:func:`follow_outline_changes`);
- a process that does not follow the feed (``kod-admin``, the field interface) asks the
  database whether the outlines changed (number of outlines and newest import time) at most
  every :data:`REFRESH_S` seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import Pool

from app.domain.changes import Entity
from app.domain.dto import ChangeBatch
from app.domain.outlines import StadtteilIndex, StadtteilOutline, approximate_index
from db.models import MapOutline

if TYPE_CHECKING:
    from app.platform.changefeed import ChangeFollower
    from app.platform.database import Database

#: Without a change follower, outlines imported elsewhere are looked for at most this often.
REFRESH_S = 2.0
#: The clock of those looks (seconds).
_clock = time.monotonic

#: (number of outlines, newest import time): changes with every import.
Version = tuple[int, datetime | None]


@dataclass
class _Known:
    version: Version
    index: StadtteilIndex
    #: ``_clock()`` of the last look at the version (-inf: look again).
    checked: float


#: Per database connection pool: the outlines known and when they were last checked.
_indexes: weakref.WeakKeyDictionary[Pool, _Known] = weakref.WeakKeyDictionary()
#: Per database connection pool: the change follower of this process that watches for imports.
_followers: weakref.WeakKeyDictionary[Pool, ChangeFollower] = weakref.WeakKeyDictionary()
#: The index this workstation read last (a workstation works on one database): for what is
#: shown before anything is written, and while the database cannot be reached.
_last: list[StadtteilIndex] = []


def _engine(session: AsyncSession) -> Pool | None:
    """The database connection the session uses: its engine's pool (the write and read
    variants of one engine are different objects with the one pool)."""
    bind = session.bind
    if bind is None:
        return None
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    return (engine.sync_engine if isinstance(engine, AsyncEngine) else engine).pool


def _fresh(engine: Pool, known: _Known) -> bool:
    """True if the known outlines need no look at the database."""
    follower = _followers.get(engine)
    if follower is not None and follower.running and follower.status.online:
        return known.checked > float("-inf")
    return _clock() - known.checked < REFRESH_S


async def _index_for(version: Version, outlines: Sequence[StadtteilOutline]) -> StadtteilIndex:
    if not version[0]:
        return approximate_index()
    return await asyncio.to_thread(StadtteilIndex, list(outlines))


def _keep(engine: Pool | None, version: Version, index: StadtteilIndex) -> StadtteilIndex:
    if engine is not None:
        _indexes[engine] = _Known(version, index, _clock())
    _last[:] = [index]
    return index


async def stadtteil_index(session: AsyncSession) -> StadtteilIndex:
    """The index for the session's database: its official outlines if any, else approximate."""
    engine = _engine(session)
    known = _indexes.get(engine) if engine is not None else None
    if engine is not None and known is not None and _fresh(engine, known):
        return known.index
    count, newest = (
        await session.execute(select(func.count(MapOutline.id), func.max(MapOutline.imported_at)))
    ).one()
    version: Version = (int(count), newest)
    if known is not None and known.version == version:
        return _keep(engine, version, known.index)
    rows = (await session.execute(select(MapOutline).order_by(MapOutline.id))).scalars().all()
    return _keep(engine, version, await _index_for(version, official_outlines(rows)))


async def use_outlines(session: AsyncSession, rows: Sequence[MapOutline]) -> StadtteilIndex:
    """The index for outline rows just read in ``session`` (all of them): kept for
    :func:`stadtteil_of`, so that whoever read them for another purpose (the map) spares the
    second read."""
    engine = _engine(session)
    version: Version = (len(rows), max((r.imported_at for r in rows), default=None))
    known = _indexes.get(engine) if engine is not None else None
    if known is not None and known.version == version:
        return _keep(engine, version, known.index)
    return _keep(engine, version, await _index_for(version, official_outlines(rows)))


def official_outlines(rows: Sequence[MapOutline]) -> list[StadtteilOutline]:
    """The outlines of stored rows, in id order."""
    ordered = sorted(rows, key=lambda r: r.id)
    return [
        StadtteilOutline(r.name, json.loads(r.geometry), r.label_lat, r.label_lon) for r in ordered
    ]


async def stadtteil_of(session: AsyncSession, lat: float | None, lon: float | None) -> str | None:
    """The Stadtteil of a point (None without a point or outside every outline)."""
    if lat is None or lon is None:
        return None
    return (await stadtteil_index(session)).name_at(lat, lon)


def outlines_changed(db: Database) -> None:
    """The outlines of ``db`` may have changed: look again at the next :func:`stadtteil_of`."""
    known = _indexes.get(db.engine.sync_engine.pool)
    if known is not None:
        known.checked = float("-inf")


def follow_outline_changes(db: Database, follower: ChangeFollower) -> None:
    """Let ``follower`` (following ``db``'s change feed) tell this process of outline imports.

    While it is online the outlines are not looked for on writes at all.
    """
    _followers[db.engine.sync_engine.pool] = follower
    # What was read before the follower began is looked at once more.
    outlines_changed(db)

    def on_changes(batch: ChangeBatch) -> None:
        if batch.reset or any(c.entity == Entity.MAP for c in batch.changes):
            outlines_changed(db)

    follower.changes.connect(on_changes)


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
    _followers.clear()
    _last.clear()
