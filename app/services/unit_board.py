"""The status board's rows: each unit with its assignment, crew, field device and alarm.

One statement whatever the number of units, built once per kind (building a statement and its
cache key took as long as running it, on every status change). The unit service reads the board
through it, and reads a changed unit back through it after every status change.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.dto import UnitInfo
from app.services import unit_dispatch as dispatch
from db.models import FieldDevice, Incident, IncidentUnit, Setting, Unit, UnitMember, User

_UNIT_COLUMNS = (
    Unit.id,
    Unit.call_sign,
    Unit.kind,
    Unit.status,
    Unit.status_changed_at,
    Unit.lat,
    Unit.lon,
    Unit.position_at,
    Unit.version,
)


@functools.cache
def _statement(postgresql: bool, by_ids: bool, active_only: bool) -> Select[Any]:
    """The statement :func:`unit_infos` runs, built once per kind."""
    crew = (
        select(User.display_name)
        .join(UnitMember, UnitMember.user_id == User.id)
        .where(UnitMember.unit_id == Unit.id, UnitMember.until.is_(None))
    )
    if postgresql:
        names = func.json_agg(aggregate_order_by(User.display_name, User.display_name))
        crew_names = crew.with_only_columns(names).scalar_subquery()
    else:  # sorted below: SQLite orders names by code point, as Python does
        names = func.json_group_array(User.display_name)
        crew_names = crew.with_only_columns(names).scalar_subquery()
    live = and_(FieldDevice.unit_id == Unit.id, FieldDevice.revoked_at.is_(None))
    device_seen = select(func.max(FieldDevice.last_seen_at)).where(live).scalar_subquery()
    device_connected = select(FieldDevice.id).where(live, FieldDevice.connected.is_(True)).exists()
    timeout_value = (
        select(Setting.value).where(Setting.key == dispatch.CONFIRM_TIMEOUT_SETTING)
    ).scalar_subquery()
    stmt = (
        select(
            *_UNIT_COLUMNS,
            Incident.id.label("incident_id"),
            Incident.number.label("incident_number"),
            IncidentUnit.assigned_at,
            IncidentUnit.confirmed_at,
            crew_names.label("crew"),
            device_seen.label("device_seen_at"),
            device_connected.label("device_connected"),
            timeout_value.label("timeout_value"),
        )
        .outerjoin(
            IncidentUnit,
            and_(IncidentUnit.unit_id == Unit.id, IncidentUnit.released_at.is_(None)),
        )
        .outerjoin(Incident, Incident.id == IncidentUnit.incident_id)
        .order_by(Unit.call_sign)
    )
    if by_ids:
        stmt = stmt.where(Unit.id.in_(bindparam("unit_ids", expanding=True)))
    if not by_ids or active_only:
        stmt = stmt.where(Unit.active.is_(True))
    return stmt


async def unit_infos(
    s: AsyncSession, only_ids: Sequence[int] | None = None, active_only: bool = False
) -> list[UnitInfo]:
    """The board rows of every unit (active ones only), or of the units ``only_ids`` (also
    inactive ones unless ``active_only``), ordered by call sign."""
    # Plain rows, not ORM objects: the map reads thousands of units a second.
    postgresql = s.get_bind().dialect.name == "postgresql"
    stmt = _statement(postgresql, only_ids is not None, active_only)
    params = {} if only_ids is None else {"unit_ids": list(only_ids)}
    units = (await s.execute(stmt, params)).all()
    if not units:
        return []
    stored = units[0].timeout_value
    timeout = dispatch.confirm_timeout_of(None if stored is None else json.loads(stored))
    return [
        UnitInfo(
            id=u.id,
            call_sign=u.call_sign,
            kind=u.kind,
            status=u.status,
            status_changed_at=u.status_changed_at,
            lat=u.lat,
            lon=u.lon,
            position_at=u.position_at,
            members=_crew(u.crew, postgresql),
            incident_id=u.incident_id,
            incident_number=u.incident_number if u.incident_id is not None else None,
            version=u.version,
            alarmed_at=u.assigned_at if _alarmed(u) else None,
            confirm_due_at=u.assigned_at + timeout if _alarmed(u) else None,
            device_seen_at=u.device_seen_at,
            device_connected=bool(u.device_connected),
        )
        for u in units
    ]


def _crew(value: Any, postgresql: bool) -> tuple[str, ...]:
    """The crew's names from the JSON array the statement built (sorted by the server on
    PostgreSQL, as its collation orders them)."""
    if value is None:
        return ()
    names = json.loads(value) if isinstance(value, str) else value
    return tuple(names) if postgresql else tuple(sorted(names))


def _alarmed(row: Row[Any]) -> bool:
    """The unit's incident is shown and the unit has not confirmed its alarm yet."""
    return row.incident_id is not None and row.confirmed_at is None
