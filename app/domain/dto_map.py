"""What the situation map shows of an incident (open incidents with a position)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MapIncident:
    """An open incident with a position, as a map symbol."""

    id: int
    number: str
    category: str
    priority: int
    status: str
    address: str
    description: str
    lat: float
    lon: float
    created_at: datetime
    dispatched_at: datetime | None


@dataclass(frozen=True)
class PositionReport:
    """One position of one unit (a GPS fix from the field, or the simulation)."""

    unit_id: int
    lat: float
    lon: float
