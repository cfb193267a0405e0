"""The simulated fleet behind ``kod-admin simulate``: units that drive and report their status.

Each unit acts as its field device will: it reports its position every tick and sets its BOS
status through :class:`app.services.units.UnitService` (permission check, audit, change feed),
so the workstations see what they would see from real units. A unit at the station (2) goes
out on patrol (1) after a while and comes back (2); a unit a dispatcher alarms confirms (3),
drives to the incident, arrives (4), stays a few minutes and is free again (1). A status set
by someone else (a dispatcher, 6 for a break, a Notruf) is taken over at the next sync; such a
unit stays where it is until it is back to 1, 2 or 3.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.codes import UnitStatus
from app.domain.dto import UnitInfo
from app.domain.dto_map import PositionReport
from app.domain.movement import (
    LatLon,
    Route,
    distance_m,
    random_point,
    route_between,
    waypoint_near,
)
from app.platform.errors import KodError
from app.platform.uow import Actor
from app.services import Services

log = logging.getLogger(__name__)

#: The units' status and assignments are read again this often (seconds).
SYNC_EVERY_S = 5.0
#: Speeds in km/h (city traffic).
SPEED_KMH = (30.0, 50.0)
#: How long (seconds, from–to) a unit stays in each phase.
STATION_S = (60.0, 300.0)
PATROL_S = (180.0, 900.0)
CONFIRM_S = (3.0, 15.0)
ON_SCENE_S = (60.0, 240.0)
#: A unit that stands still reports its position this often (seconds), as a device does.
STILL_REPORT_S = 30.0

_MOVING = frozenset({UnitStatus.AVAILABLE_RADIO.value, UnitStatus.EN_ROUTE.value})


@dataclass
class SimUnit:
    """One unit as the simulation drives it."""

    id: int
    call_sign: str
    at: LatLon
    home: LatLon
    status: str
    speed_ms: float
    incident_id: int | None = None
    confirmed: bool = True
    #: "station", "patrol", "homeward", "alarmed", "to_scene", "on_scene" or "hold".
    phase: str = "hold"
    until: float = 0.0
    route: Route = field(default_factory=Route)
    reported_at: float = float("-inf")


@dataclass
class TickResult:
    """What one tick did."""

    moved: int = 0
    status_changes: int = 0
    write_ms: float = 0.0
    errors: int = 0


class Fleet:
    """The simulated units of one ``simulate`` run."""

    def __init__(
        self,
        services: Services,
        actor: Actor,
        rng: random.Random,
        clock: Callable[[], float] = time.monotonic,
        all_out: bool = False,
    ) -> None:
        self._services = services
        self._actor = actor
        self._rng = rng
        self._clock = clock
        self.units: dict[int, SimUnit] = {}
        self._next_sync = 0.0
        self._incident_at: dict[int, LatLon] = {}
        self.status_changes = 0
        #: Units at the station go out within seconds (start of a shift).
        self._station_s = (0.0, 10.0) if all_out else STATION_S

    async def load(self, limit: int | None) -> int:
        """Take the first ``limit`` active units (all if None); returns how many."""
        board = await self._services.units.board(self._actor)
        if limit is not None:
            board = board[:limit]
        now = self._clock()
        for u in board:
            at = (u.lat, u.lon) if u.lat is not None and u.lon is not None else None
            home = at or random_point(self._rng)
            speed = self._rng.uniform(*SPEED_KMH) / 3.6
            unit = SimUnit(u.id, u.call_sign, home, home, u.status, speed)
            self._take_over(unit, u, now)
            self.units[u.id] = unit
        self._next_sync = now + SYNC_EVERY_S
        return len(self.units)

    def _wait(self, span: tuple[float, float]) -> float:
        return self._clock() + self._rng.uniform(*span)

    def _take_over(self, unit: SimUnit, info: UnitInfo, now: float) -> None:
        """Adopt what the database says about the unit (status and assignment)."""
        new_job = info.incident_id is not None and info.incident_id != unit.incident_id
        unit.status = info.status
        unit.incident_id = info.incident_id
        unit.confirmed = info.alarmed_at is None
        if info.incident_id is not None:
            if not unit.confirmed and info.status in ("1", "2"):
                if new_job or unit.phase != "alarmed":
                    unit.phase, unit.until = "alarmed", self._wait(CONFIRM_S)
            elif info.status == UnitStatus.EN_ROUTE and unit.phase != "to_scene":
                self._drive_to_scene(unit)
            elif info.status == UnitStatus.ON_SCENE and unit.phase != "on_scene":
                unit.phase, unit.until = "on_scene", self._wait(ON_SCENE_S)
            elif info.status not in ("3", "4", "1", "2"):
                unit.phase = "hold"
            return
        if info.status == UnitStatus.AVAILABLE_RADIO:
            if unit.phase not in ("patrol", "homeward"):
                unit.phase, unit.until = "patrol", now + self._rng.uniform(*PATROL_S)
                unit.route = Route()
        elif info.status == UnitStatus.ON_SCENE:
            # On scene without an incident (set by hand): it finishes there as usual.
            if unit.phase != "on_scene":
                unit.phase, unit.until = "on_scene", now + self._rng.uniform(*ON_SCENE_S)
        elif info.status == UnitStatus.AVAILABLE_STATION:
            if unit.phase != "station":
                if distance_m(unit.at, unit.home) > 50:
                    unit.phase, unit.route = "homeward", Route(route_between(unit.at, unit.home))
                else:
                    unit.phase = "station"
                unit.until = now + self._rng.uniform(*self._station_s)
        else:
            unit.phase = "hold"
            unit.route = Route()

    def _drive_to_scene(self, unit: SimUnit) -> None:
        target = self._incident_at.get(unit.incident_id or -1)
        unit.phase = "to_scene"
        unit.route = Route(route_between(unit.at, target) if target else [])

    async def _sync(self) -> None:
        infos = await self._services.units.rows(self._actor, sorted(self.units))
        jobs = sorted({i.incident_id for i in infos if i.incident_id is not None})
        unknown = [j for j in jobs if j not in self._incident_at]
        if unknown:
            for incident in await self._services.situation.incidents(self._actor, unknown):
                self._incident_at[incident.id] = (incident.lat, incident.lon)
        now = self._clock()
        present = {i.id for i in infos}
        for gone in [u for u in self.units if u not in present]:
            del self.units[gone]
        for info in infos:
            self._take_over(self.units[info.id], info, now)

    async def _set(self, unit: SimUnit, status: str, result: TickResult) -> None:
        try:
            info = await self._services.units.set_status(self._actor, unit.id, status)
        except KodError as exc:
            log.warning("status %s for %s refused: %s", status, unit.call_sign, exc)
            result.errors += 1
            self._next_sync = 0.0
            return
        unit.status = info.status
        unit.incident_id = info.incident_id
        result.status_changes += 1
        self.status_changes += 1

    async def _decide(self, unit: SimUnit, now: float, result: TickResult) -> None:
        """The unit's next status, when its phase is over."""
        if unit.phase == "station" and now >= unit.until:
            await self._set(unit, UnitStatus.AVAILABLE_RADIO.value, result)
            unit.phase, unit.until = "patrol", now + self._rng.uniform(*PATROL_S)
        elif unit.phase == "patrol" and now >= unit.until:
            unit.phase, unit.route = "homeward", Route(route_between(unit.at, unit.home))
        elif unit.phase == "homeward" and unit.route.done:
            if unit.status != UnitStatus.AVAILABLE_STATION:
                await self._set(unit, UnitStatus.AVAILABLE_STATION.value, result)
            unit.phase, unit.until = "station", now + self._rng.uniform(*self._station_s)
        elif unit.phase == "alarmed" and now >= unit.until:
            await self._set(unit, UnitStatus.EN_ROUTE.value, result)
            if unit.status == UnitStatus.EN_ROUTE:
                self._drive_to_scene(unit)
        elif unit.phase == "to_scene" and unit.route.done:
            await self._set(unit, UnitStatus.ON_SCENE.value, result)
            unit.phase, unit.until = "on_scene", now + self._rng.uniform(*ON_SCENE_S)
        elif unit.phase == "on_scene" and now >= unit.until:
            await self._set(unit, UnitStatus.AVAILABLE_RADIO.value, result)
            unit.incident_id = None
            unit.phase, unit.until = "patrol", now + self._rng.uniform(*PATROL_S)
            unit.route = Route()

    async def tick(self, seconds: float) -> TickResult:
        """Advance every unit by ``seconds`` of driving; one batch of positions is written."""
        result = TickResult()
        now = self._clock()
        if now >= self._next_sync:
            await self._sync()
            self._next_sync = now + SYNC_EVERY_S
        reports: list[PositionReport] = []
        for unit in list(self.units.values()):
            await self._decide(unit, now, result)
            moving = unit.phase in ("patrol", "homeward", "to_scene") and (
                unit.status in _MOVING or unit.phase == "homeward"
            )
            if moving:
                if unit.phase == "patrol" and unit.route.done:
                    target = waypoint_near(self._rng, unit.at)
                    unit.route = Route(route_between(unit.at, target))
                unit.at = unit.route.advance(unit.at, unit.speed_ms * seconds)
            elif now - unit.reported_at < STILL_REPORT_S:
                continue
            unit.reported_at = now
            reports.append(PositionReport(unit.id, unit.at[0], unit.at[1]))
        if reports:
            started = time.perf_counter()
            await self._services.units.report_positions(self._actor, reports)
            result.write_ms = (time.perf_counter() - started) * 1000
            result.moved = len(reports)
        return result
