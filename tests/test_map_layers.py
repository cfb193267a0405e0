"""Data for the map's further layers: stations and schools, and a unit's trail bounded by
the last hour and by the retention setting (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.geo import load_city_area
from app.domain.places import SCHOOL, STATION, load_schools, load_stations
from app.platform.errors import NotFound, PermissionDenied
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN

LEAD = Actor(None, "cli:lead", Role.SHIFT_LEAD)
WIESDORF = (51.0325, 6.9870)


def test_stations_and_schools_come_from_the_shipped_open_data() -> None:
    stations = load_stations()
    assert [s.name for s in stations] == sorted(s.name for s in stations)
    assert {s.name for s in stations} >= {"Opladen", "Leverkusen Mitte", "Leverkusen Chempark"}
    assert len(stations) == 6 and all(s.kind == STATION for s in stations)
    schools = load_schools()
    assert len(schools) == 45 and all(s.kind == SCHOOL for s in schools)
    friedenspark = next(s for s in schools if "Am Friedenspark" in s.name)
    assert friedenspark.detail == "Grundschule, Netzestr. 12"
    assert (friedenspark.lat, friedenspark.lon) == (51.059945, 6.953223)
    # All of them near the city (the Chempark points lie just outside the generalised line).
    box = load_city_area().bbox
    for p in (*stations, *schools):
        assert box.min_lat - 0.02 < p.lat < box.max_lat + 0.02, p
        assert box.min_lon - 0.02 < p.lon < box.max_lon + 0.02, p


@pytest.mark.asyncio
async def test_a_trail_holds_the_last_hour_in_order_and_needs_unit_read(
    services: Services,
) -> None:
    unit = await services.units.create(LEAD, "KOD 41", home=WIESDORF)
    points = [(51.03 + k * 0.001, 6.99 + k * 0.001) for k in range(3)]
    for lat, lon in points:
        await services.units.report_position(LEAD, unit.id, lat, lon)
    trail = await services.map_layers.trail(LEAD, unit.id)
    assert trail.kept and trail.retention_hours == 24 and trail.call_sign == "KOD 41"
    assert [(p.lat, p.lon) for p in trail.points][-3:] == points
    times = [p.recorded_at for p in trail.points]
    assert times == sorted(times)
    # An hour and a bit later the same positions are no longer "the last hour".
    later = await services.map_layers.trail(LEAD, unit.id, now=utcnow() + timedelta(minutes=61))
    assert later.points == () and later.kept
    soon = await services.map_layers.trail(LEAD, unit.id, now=utcnow() + timedelta(minutes=30))
    assert len(soon.points) == len(trail.points)
    # Administration and data protection see no operational data.
    for role in (Role.ADMIN, Role.DATA_PROTECTION):
        with pytest.raises(PermissionDenied):
            await services.map_layers.trail(Actor(None, "cli:x", role), unit.id)
    with pytest.raises(NotFound):
        await services.map_layers.trail(LEAD, 999_999)


@pytest.mark.asyncio
async def test_with_retention_zero_no_trail_exists(services: Services) -> None:
    unit = await services.units.create(LEAD, "KOD 42", home=WIESDORF)
    await services.units.report_position(LEAD, unit.id, 51.04, 7.0)
    await services.settings.set(ADMIN, "units.position_retention_hours", 0)
    await services.units.report_position(LEAD, unit.id, 51.05, 7.01)
    trail = await services.map_layers.trail(LEAD, unit.id)
    assert not trail.kept and trail.since is None and trail.points == ()


@pytest.mark.asyncio
async def test_nearest_address_needs_incident_read(services: Services) -> None:
    assert await services.gazetteer.nearest(LEAD, *WIESDORF) is None  # empty gazetteer
    with pytest.raises(PermissionDenied):
        await services.gazetteer.nearest(ADMIN, *WIESDORF)
