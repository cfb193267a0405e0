"""Reads for the situation map's extra layers: a unit's trail from its position history.

How far back positions exist is the setting ``units.position_retention_hours`` (some staff
councils forbid keeping GPS tracks: 0 keeps none). A trail never reaches further back than
that, and never further than the window asked for (the map asks for the last hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.platform.database import Database
from app.platform.errors import NotFound
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import utcnow
from app.platform.uow import Actor, reading
from app.services.settings import read_setting
from db.models import Unit, UnitPosition

__all__ = ["MAX_TRAIL_POINTS", "TRAIL_WINDOW", "MapLayerService", "TrailPoint", "UnitTrail"]

#: The trail the map shows: the last hour.
TRAIL_WINDOW = timedelta(hours=1)
#: A trail has at most this many points (the newest; a report every second for an hour fits).
MAX_TRAIL_POINTS = 4000


@dataclass(frozen=True)
class TrailPoint:
    """One recorded position of a unit."""

    lat: float
    lon: float
    recorded_at: datetime


@dataclass(frozen=True)
class UnitTrail:
    """Where a unit has been since ``since`` (oldest point first).

    ``retention_hours`` is the setting in force; 0 means no position history is kept, and then
    ``since`` is None and ``points`` is empty.
    """

    unit_id: int
    call_sign: str
    retention_hours: int
    since: datetime | None
    points: tuple[TrailPoint, ...]

    @property
    def kept(self) -> bool:
        """False when no position history exists at all (retention 0)."""
        return self.retention_hours > 0


class MapLayerService:
    """Position history for the map (stations and schools are in :mod:`app.domain.places`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def trail(
        self,
        actor: Actor,
        unit_id: int,
        window: timedelta = TRAIL_WINDOW,
        now: datetime | None = None,
    ) -> UnitTrail:
        """The unit's positions of the last ``window``, bounded by the retention setting."""
        async with reading(self._db, actor, Permission.UNIT_READ) as s:
            unit = await s.get(Unit, unit_id)
            if unit is None:
                raise NotFound(tr("units", "Unit %1 does not exist.", unit_id))
            hours = int(await read_setting(s, "units.position_retention_hours"))
            if hours <= 0:
                return UnitTrail(unit.id, unit.call_sign, 0, None, ())
            since = (now or utcnow()) - min(window, timedelta(hours=hours))
            rows = (
                await s.execute(
                    select(UnitPosition.lat, UnitPosition.lon, UnitPosition.recorded_at)
                    .where(UnitPosition.unit_id == unit_id, UnitPosition.recorded_at >= since)
                    .order_by(UnitPosition.recorded_at.desc(), UnitPosition.id.desc())
                    .limit(MAX_TRAIL_POINTS)
                )
            ).all()
        points = tuple(TrailPoint(lat, lon, at) for lat, lon, at in reversed(rows))
        return UnitTrail(unit.id, unit.call_sign, hours, since, points)
