"""Reads for the situation map: open incidents with a position."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from app.domain.dto_map import MapIncident
from app.platform.database import Database
from app.platform.permissions import Permission
from app.platform.uow import Actor, reading
from db.models import Incident

#: The map shows at most this many open incidents (the most urgent first).
MAX_MAP_INCIDENTS = 5000


def _map_incident(i: Incident) -> MapIncident:
    assert i.lat is not None and i.lon is not None
    return MapIncident(
        id=i.id,
        number=i.number,
        category=i.category,
        priority=i.priority,
        status=i.status,
        address=i.address,
        description=i.description or "",
        lat=i.lat,
        lon=i.lon,
        created_at=i.created_at,
        dispatched_at=i.dispatched_at,
    )


class SituationService:
    """Open incidents for the map (units come from :class:`UnitService.board`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _open_with_position(self) -> Select[tuple[Incident]]:
        return select(Incident).where(
            Incident.closed_at.is_(None), Incident.lat.is_not(None), Incident.lon.is_not(None)
        )

    async def open_incidents(self, actor: Actor) -> list[MapIncident]:
        """Every open incident with a position, most urgent and oldest first."""
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            stmt = (
                self._open_with_position()
                .order_by(Incident.priority, Incident.created_at, Incident.id)
                .limit(MAX_MAP_INCIDENTS)
            )
            return [_map_incident(i) for i in (await s.scalars(stmt)).all()]

    async def incidents(self, actor: Actor, ids: Sequence[int]) -> list[MapIncident]:
        """Those of ``ids`` that are open and have a position (for live updates)."""
        if not ids:
            return []
        async with reading(self._db, actor, Permission.INCIDENT_READ) as s:
            stmt = self._open_with_position().where(Incident.id.in_(list(ids)))
            return [_map_incident(i) for i in (await s.scalars(stmt)).all()]
