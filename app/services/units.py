"""Units: status board (BOS codes), positions, proposals by distance, emergency (Notruf)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import AVAILABLE_STATUSES, UNIT_STATUS_SOURCE, UnitStatus
from app.domain.dto import Emergency, StatusChange, UnitInfo, UnitProposal, UnitStatusEcho
from app.domain.dto_map import PositionReport
from app.domain.geo import haversine_m
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, Work, check, reading, unit_of_work
from app.services import unit_dispatch as dispatch
from app.services.settings import read_setting
from app.services.unit_board import unit_infos
from db.models import Emergency as EmergencyRow
from db.models import Incident, IncidentUnit, Unit, UnitPosition, UnitStatusChange, User


def _check_status(status: str) -> bool:
    """Refuse an unknown status; True for the Notruf (raised, not set)."""
    if status not in UNIT_STATUS_SOURCE:
        raise ValidationError(tr("units", "Unknown status '%1'.", status), "status")
    return status == UnitStatus.EMERGENCY


async def _change_status(
    w: Work, unit_id: int, status: str, note: str | None, number: bool = True
) -> tuple[Unit, str | None]:
    """Set the unit's status in ``w`` (nothing if it has it); the unit and the number of the
    incident it is assigned to then (``number=False``: not looked up if the status stays).

    Row-locked: the unit, and its incident if it has one, are locked before they are read, so
    status changes of different units (hundreds of field devices) run side by side and meet
    only at their commit.
    """
    unit, active = await dispatch.locked_unit(w, unit_id)
    if unit.status == status:
        if active is None or not number:
            return unit, None
        return unit, await w.session.scalar(
            select(Incident.number).where(Incident.id == active.incident_id)
        )
    old = unit.status
    # One status everywhere: the unit's assignment and incident move with it.
    incident = await dispatch.move_unit(w, unit, status, note, active)
    await w.audit("unit.status", "unit", unit.id, {"from": old, "to": status})
    await w.session.flush()
    released = active is None or active.released_at is not None
    return unit, None if released or incident is None else incident.number


def _echo(info: UnitInfo) -> UnitStatusEcho:
    return UnitStatusEcho(
        info.call_sign,
        info.status,
        info.status_changed_at,
        info.lat,
        info.lon,
        info.position_at,
        info.incident_number,
    )


async def _active_job(s: AsyncSession, unit_id: int) -> tuple[int, str, str] | None:
    """(incident id, number, address) of the unit's current assignment, if any."""
    found = (
        await s.execute(
            select(Incident.id, Incident.number, Incident.address)
            .join(IncidentUnit, IncidentUnit.incident_id == Incident.id)
            .where(IncidentUnit.unit_id == unit_id, IncidentUnit.released_at.is_(None))
            .order_by(IncidentUnit.assigned_at.desc())
            .limit(1)
        )
    ).first()
    return (found[0], found[1], found[2]) if found else None


async def _emergency_dto(s: AsyncSession, row: EmergencyRow, call_sign: str) -> Emergency:
    job = await _active_job(s, row.unit_id)
    # The unit's latest position (it may have moved since the key was pressed) with its time;
    # else the one stored with the emergency, of unknown age.
    lat, lon, position_at = row.lat, row.lon, None
    latest = (
        await s.execute(select(Unit.lat, Unit.lon, Unit.position_at).where(Unit.id == row.unit_id))
    ).first()
    if latest is not None and latest[0] is not None and latest[2] is not None:
        lat, lon, position_at = latest[0], latest[1], latest[2]
    acknowledged_by = None
    if row.acknowledged_by_id is not None:
        acknowledged_by = await s.scalar(
            select(User.username).where(User.id == row.acknowledged_by_id)
        )
    return Emergency(
        unit_id=row.unit_id,
        call_sign=call_sign,
        raised_at=row.raised_at,
        lat=lat,
        lon=lon,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=acknowledged_by,
        id=row.id,
        incident_id=job[0] if job else None,
        incident_number=job[1] if job else None,
        incident_address=job[2] if job else None,
        position_at=position_at,
    )


class UnitService:
    """The status board and everything a dispatcher does with units."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def board(self, actor: Actor) -> list[UnitInfo]:
        """All active units by call sign."""
        async with reading(self._db, actor, Permission.UNIT_READ, single=True) as s:
            return await unit_infos(s)

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[UnitInfo]:
        """The active units among ``ids`` (for live updates of the board; missing = gone)."""
        await check(self._db, actor, Permission.UNIT_READ)
        if not ids:
            return []
        async with reading(self._db, actor, Permission.UNIT_READ, single=True) as s:
            return await unit_infos(s, ids, active_only=True)

    async def get(self, actor: Actor, unit_id: int) -> UnitInfo:
        """One unit."""
        async with reading(self._db, actor, Permission.UNIT_READ, single=True) as s:
            found = await unit_infos(s, [unit_id])
        if not found:
            raise NotFound(tr("units", "Unit %1 does not exist.", unit_id))
        return found[0]

    async def create(
        self,
        actor: Actor,
        call_sign: str,
        kind: str = "Streife",
        home: tuple[float, float] | None = None,
    ) -> UnitInfo:
        """Add a unit (call sign must be unique)."""
        call_sign = call_sign.strip()
        if not call_sign or len(call_sign) > 32:
            raise ValidationError(tr("units", "A call sign has 1 to 32 characters."), "call_sign")
        async with unit_of_work(self._db, actor, Permission.UNIT_MANAGE) as w:
            if await w.session.scalar(select(Unit.id).where(Unit.call_sign == call_sign)):
                raise ValidationError(
                    tr("units", "The call sign %1 exists already.", call_sign), "call_sign"
                )
            unit = Unit(
                call_sign=call_sign,
                kind=kind,
                status=UnitStatus.AVAILABLE_STATION.value,
                status_changed_at=w.now,
                lat=home[0] if home else None,
                lon=home[1] if home else None,
                position_at=w.now if home else None,
                home_lat=home[0] if home else None,
                home_lon=home[1] if home else None,
            )
            w.session.add(unit)
            await w.session.flush()
            await w.audit("unit.create", "unit", unit.id, {"call_sign": call_sign})
            w.changed("unit", unit.id, "insert", unit.version)
            # Built from what was written: managing units does not include reading the board.
            return UnitInfo(
                id=unit.id,
                call_sign=unit.call_sign,
                kind=unit.kind,
                status=unit.status,
                status_changed_at=unit.status_changed_at,
                lat=unit.lat,
                lon=unit.lon,
                position_at=unit.position_at,
                members=(),
                incident_id=None,
                incident_number=None,
                version=unit.version or 1,
            )

    async def set_status(
        self, actor: Actor, unit_id: int, status: str, note: str | None = None
    ) -> UnitInfo:
        """Set a BOS status (a dispatcher on the unit's behalf); the unit's board row.
        A field device's status goes through :meth:`report_status`."""
        if _check_status(status):
            await self.raise_emergency(actor, unit_id)
            return await self.get(actor, unit_id)
        async with unit_of_work(self._db, actor, Permission.UNIT_STATUS, row_locked=True) as w:
            unit, _number = await _change_status(w, unit_id, status, note, number=False)
            return (await unit_infos(w.session, [unit.id]))[0]

    async def report_status(
        self, actor: Actor, unit_id: int, status: str, note: str | None = None
    ) -> UnitStatusEcho:
        """As :meth:`set_status`, answering only what a field device shows: from the rows the
        change locked and wrote, without reading the board's row back (the field API)."""
        if _check_status(status):
            await self.raise_emergency(actor, unit_id)
            return _echo(await self.get(actor, unit_id))
        async with unit_of_work(self._db, actor, Permission.UNIT_STATUS, row_locked=True) as w:
            unit, number = await _change_status(w, unit_id, status, note)
            return UnitStatusEcho(
                unit.call_sign,
                unit.status,
                unit.status_changed_at,
                unit.lat,
                unit.lon,
                unit.position_at,
                number,
            )

    async def undo_status(self, actor: Actor, unit_id: int, expected: str) -> UnitInfo:
        """Undo the unit's last status change, if the unit still has the status it set
        (``expected``); journaled in the incident and audited. Refused if it moved on since."""
        async with unit_of_work(self._db, actor, Permission.UNIT_STATUS) as w:
            undone, restored = await dispatch.undo_last(w, unit_id, expected)
            await w.audit("unit.status_undo", "unit", unit_id, {"from": undone, "to": restored})
            await w.session.flush()
            return (await unit_infos(w.session, [unit_id]))[0]

    async def report_position(
        self, actor: Actor, unit_id: int, lat: float, lon: float, source: str = "gps"
    ) -> None:
        """Store a unit's position; history is kept only as long as configured (may be 0)."""
        await self.report_positions(actor, [PositionReport(unit_id, lat, lon)], source)

    async def report_positions(
        self, actor: Actor, reports: Sequence[PositionReport], source: str = "gps"
    ) -> None:
        """Store many units' positions in one transaction (one change-feed entry per unit).

        History is kept only as long as ``units.position_retention_hours`` says (may be 0):
        older positions of these units are deleted in the same transaction.
        """
        if not reports:
            return
        for r in reports:
            if not (-90 <= r.lat <= 90 and -180 <= r.lon <= 180):
                raise ValidationError(tr("units", "The coordinates are not valid."), "lat")
        latest = {r.unit_id: r for r in reports}
        ids = sorted(latest)
        # Row-locked: each unit's row is locked by its update, in id order.
        async with unit_of_work(self._db, actor, Permission.UNIT_STATUS, row_locked=True) as w:
            found = set((await w.session.scalars(select(Unit.id).where(Unit.id.in_(ids)))).all())
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(tr("units", "Unit %1 does not exist.", missing[0]))
            table = cast(Table, Unit.__table__)
            # Core executemany: one statement for the whole batch (the ORM would load each unit).
            await w.session.execute(
                update(table)
                .where(table.c.id == bindparam("uid"))
                .values(
                    lat=bindparam("ulat"),
                    lon=bindparam("ulon"),
                    position_at=w.now,
                    version=table.c.version + 1,
                ),
                [{"uid": i, "ulat": latest[i].lat, "ulon": latest[i].lon} for i in ids],
            )
            hours = int(await read_setting(w.session, "units.position_retention_hours"))
            if hours > 0:
                await w.session.execute(
                    insert(UnitPosition),
                    [
                        {
                            "unit_id": r.unit_id,
                            "lat": r.lat,
                            "lon": r.lon,
                            "recorded_at": w.now,
                            "source": source,
                        }
                        for r in reports
                    ],
                )
            await w.session.execute(
                delete(UnitPosition).where(
                    UnitPosition.unit_id.in_(ids),
                    UnitPosition.recorded_at < w.now - timedelta(hours=hours),
                )
            )
            for i in ids:
                w.changed("unit", i, "position")

    async def history(self, actor: Actor, unit_id: int, limit: int = 200) -> list[StatusChange]:
        """The unit's status history, newest first."""
        async with reading(self._db, actor, Permission.UNIT_READ) as s:
            rows = await s.execute(
                select(UnitStatusChange, User.username, Incident.number)
                .outerjoin(User, User.id == UnitStatusChange.user_id)
                .outerjoin(Incident, Incident.id == UnitStatusChange.incident_id)
                .where(UnitStatusChange.unit_id == unit_id)
                .order_by(UnitStatusChange.changed_at.desc(), UnitStatusChange.id.desc())
                .limit(limit)
            )
            return [
                StatusChange(
                    c.unit_id,
                    c.status,
                    c.previous_status,
                    c.changed_at,
                    username,
                    c.incident_id,
                    c.note,
                    number,
                )
                for c, username, number in rows
            ]

    async def proposals(self, actor: Actor, incident_id: int) -> list[UnitProposal]:
        """Units for an incident: available ones first, nearest first."""
        async with reading(self._db, actor, Permission.UNIT_READ) as s:
            incident = await s.get(Incident, incident_id)
            if incident is None:
                raise NotFound(tr("units", "Incident %1 does not exist.", incident_id))
            units = await unit_infos(s)
        result: list[UnitProposal] = []
        for u in units:
            distance = None
            if None not in (incident.lat, incident.lon, u.lat, u.lon):
                distance = haversine_m(incident.lat, incident.lon, u.lat, u.lon)  # type: ignore[arg-type]
            available = u.status in AVAILABLE_STATUSES and u.incident_id is None
            result.append(UnitProposal(u, distance, available))
        result.sort(
            key=lambda p: (
                not p.available,
                p.distance_m is None,
                p.distance_m or 0.0,
                p.unit.call_sign,
            )
        )
        return result

    # -- emergency -----------------------------------------------------------------------------

    async def raise_emergency(self, actor: Actor, unit_id: int) -> Emergency:
        """The emergency key: alarm every workstation until a dispatcher acknowledges it."""
        async with unit_of_work(self._db, actor, Permission.EMERGENCY_RAISE) as w:
            unit = await w.session.get(Unit, unit_id)
            if unit is None:
                raise NotFound(tr("units", "Unit %1 does not exist.", unit_id))
            open_one = await w.session.scalar(
                select(EmergencyRow).where(
                    EmergencyRow.unit_id == unit.id, EmergencyRow.acknowledged_at.is_(None)
                )
            )
            if open_one is None:
                open_one = EmergencyRow(
                    unit_id=unit.id,
                    raised_at=w.now,
                    raised_by_id=w.actor.user_id,
                    lat=unit.lat,
                    lon=unit.lon,
                    previous_status=unit.status,
                )
                w.session.add(open_one)
                # In the incident's journal too, and its queue row is marked.
                await dispatch.move_unit(w, unit, UnitStatus.EMERGENCY.value)
                await w.session.flush()
                await w.audit("emergency.raise", "unit", unit.id, {"call_sign": unit.call_sign})
                w.changed("emergency", open_one.id, "insert")
            return await _emergency_dto(w.session, open_one, unit.call_sign)

    async def open_emergencies(self, actor: Actor) -> list[Emergency]:
        """Emergencies not yet acknowledged, oldest first."""
        async with reading(self._db, actor, Permission.UNIT_READ) as s:
            rows = (
                await s.execute(
                    select(EmergencyRow, Unit.call_sign)
                    .join(Unit, Unit.id == EmergencyRow.unit_id)
                    .where(EmergencyRow.acknowledged_at.is_(None))
                    .order_by(EmergencyRow.raised_at, EmergencyRow.id)
                )
            ).all()
            return [await _emergency_dto(s, e, cs) for e, cs in rows]

    async def emergency(self, actor: Actor, emergency_id: int) -> Emergency:
        """One emergency, open or acknowledged (who acknowledged it and when)."""
        async with reading(self._db, actor, Permission.UNIT_READ) as s:
            found = (
                await s.execute(
                    select(EmergencyRow, Unit.call_sign)
                    .join(Unit, Unit.id == EmergencyRow.unit_id)
                    .where(EmergencyRow.id == emergency_id)
                )
            ).first()
            if found is None:
                raise NotFound(tr("units", "Emergency %1 does not exist.", emergency_id))
            return await _emergency_dto(s, found[0], found[1])

    async def acknowledge_emergency(self, actor: Actor, unit_id: int) -> Emergency:
        """A dispatcher takes the emergency; who and when is stored and audited."""
        async with unit_of_work(self._db, actor, Permission.EMERGENCY_ACK) as w:
            row = await w.session.scalar(
                select(EmergencyRow).where(
                    EmergencyRow.unit_id == unit_id, EmergencyRow.acknowledged_at.is_(None)
                )
            )
            unit = await w.session.get(Unit, unit_id)
            if row is None or unit is None:
                raise NotFound(tr("units", "There is no open emergency for this unit."))
            row.acknowledged_at = w.now
            row.acknowledged_by_id = w.actor.user_id
            row.acknowledged_workstation = w.workstation
            # The unit stays in emergency status until the dispatcher sets a status after talking
            # to it; the status board shows it.
            await w.audit("emergency.ack", "unit", unit.id, {"call_sign": unit.call_sign})
            await w.session.flush()
            w.changed("emergency", row.id, "ack")
            done = await _emergency_dto(w.session, row, unit.call_sign)
            return replace(done, acknowledged_by=w.actor.username)
