"""Unit management for the shift lead (and administration): units, call signs, crews.

A unit is never deleted: its status history, incidents and journal keep naming it. It is taken
out of service (deactivated) and can be put back. Call signs are unique regardless of case and
spacing ("KOD 1" and "kod  1" are the same), so a typed call sign always means one unit. A crew
is who serves on a unit now (a Doppelstreife has two); a person is on one unit at a time, so
putting them on another ends the old membership. The membership rows keep their dates, so a
shift report can still name who was on a unit when.

Every write goes through :func:`unit_of_work` with ``unit.manage``: checked here, audited,
announced on the change feed (the status boards update), and on PostgreSQL refused by the
server for every login without that right. Reads use only the columns that right may read
(administration manages units without seeing positions or incidents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import UnitStatus
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission, Role
from app.platform.uow import Actor, Work, reading, unit_of_work
from db.models import IncidentUnit, Unit, UnitMember, User

#: Longest call sign (the column's length).
CALL_SIGN_MAX = 32
#: Longest kind ("Streife", "Fußstreife", "Fahrradstreife", …).
KIND_MAX = 32
#: Most people on one unit.
CREW_MAX = 6
#: Roles whose people serve on units.
CREW_ROLES = (Role.FIELD_OFFICER,)


@dataclass(frozen=True)
class CrewMember:
    """A person serving on a unit now."""

    user_id: int
    username: str
    display_name: str
    since: datetime


@dataclass(frozen=True)
class ManagedUnit:
    """A unit as its management sees it (active or not, with its crew)."""

    id: int
    call_sign: str
    kind: str
    active: bool
    status: str
    crew: tuple[CrewMember, ...]
    version: int

    @property
    def crew_label(self) -> str:
        """The crew's names, comma-separated."""
        return ", ".join(m.display_name or m.username for m in self.crew)


@dataclass(frozen=True)
class StaffMember:
    """A person who can be put on a unit, and the unit they are on now (if any)."""

    user_id: int
    username: str
    display_name: str
    unit_id: int | None
    unit_call_sign: str | None


def normalise_call_sign(text: str) -> str:
    """The call sign as stored: outer spaces removed, inner runs of spaces made one."""
    return re.sub(r"\s+", " ", text).strip()


def _check_call_sign(text: str) -> str:
    call_sign = normalise_call_sign(text)
    if not call_sign:
        raise ValidationError(tr("unit_admin", "Enter a call sign (e.g. KOD 35)."), "call_sign")
    if len(call_sign) > CALL_SIGN_MAX:
        raise ValidationError(
            tr("unit_admin", "A call sign has at most %1 characters.", CALL_SIGN_MAX), "call_sign"
        )
    return call_sign


def _check_kind(text: str) -> str:
    kind = normalise_call_sign(text)
    if not kind:
        raise ValidationError(tr("unit_admin", "Enter the kind of unit (e.g. Streife)."), "kind")
    if len(kind) > KIND_MAX:
        raise ValidationError(
            tr("unit_admin", "The kind has at most %1 characters.", KIND_MAX), "kind"
        )
    return kind


_UNIT_COLUMNS = (
    Unit.id,
    Unit.call_sign,
    Unit.kind,
    Unit.active,
    Unit.status,
    Unit.version,
)


async def _managed(s: AsyncSession, only_id: int | None = None) -> list[ManagedUnit]:
    stmt = select(*_UNIT_COLUMNS).order_by(Unit.active.desc(), Unit.call_sign)
    if only_id is not None:
        stmt = stmt.where(Unit.id == only_id)
    units = (await s.execute(stmt)).all()
    crews: dict[int, list[CrewMember]] = {}
    members = select(
        UnitMember.unit_id, User.id, User.username, User.display_name, UnitMember.since
    ).join(User, User.id == UnitMember.user_id)
    members = members.where(UnitMember.until.is_(None)).order_by(User.display_name)
    if only_id is not None:
        members = members.where(UnitMember.unit_id == only_id)
    for unit_id, user_id, username, name, since in await s.execute(members):
        crews.setdefault(unit_id, []).append(CrewMember(user_id, username, name or "", since))
    return [
        ManagedUnit(
            id=u.id,
            call_sign=u.call_sign,
            kind=u.kind,
            active=bool(u.active),
            status=u.status,
            crew=tuple(crews.get(u.id, [])),
            version=u.version or 1,
        )
        for u in units
    ]


class UnitAdminService:
    """Create, rename, take out of service and crew units (``unit.manage``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reading ------------------------------------------------------------------------------

    async def units(self, actor: Actor) -> list[ManagedUnit]:
        """Every unit, those in service first, then by call sign; with their crews."""
        async with reading(self._db, actor, Permission.UNIT_MANAGE) as s:
            return await _managed(s)

    async def unit(self, actor: Actor, unit_id: int) -> ManagedUnit:
        """One unit."""
        async with reading(self._db, actor, Permission.UNIT_MANAGE) as s:
            found = await _managed(s, unit_id)
        if not found:
            raise NotFound(tr("unit_admin", "Unit %1 does not exist.", unit_id))
        return found[0]

    async def staff(self, actor: Actor) -> list[StaffMember]:
        """The active field staff by name, each with the unit they serve on now."""
        async with reading(self._db, actor, Permission.UNIT_MANAGE) as s:
            people = (
                await s.execute(
                    select(User.id, User.username, User.display_name)
                    .where(
                        User.active.is_(True),
                        User.role_code.in_([r.value for r in CREW_ROLES]),
                    )
                    .order_by(User.display_name, User.username)
                )
            ).all()
            current = {
                user_id: (unit_id, call_sign)
                for user_id, unit_id, call_sign in await s.execute(
                    select(UnitMember.user_id, Unit.id, Unit.call_sign)
                    .join(Unit, Unit.id == UnitMember.unit_id)
                    .where(UnitMember.until.is_(None))
                )
            }
        return [
            StaffMember(
                uid,
                username,
                name or "",
                current.get(uid, (None, None))[0],
                current.get(uid, (None, None))[1],
            )
            for uid, username, name in people
        ]

    # -- writing ------------------------------------------------------------------------------

    async def create(self, actor: Actor, call_sign: str, kind: str = "Streife") -> ManagedUnit:
        """Add a unit in service (status 2, at the station) with a new, unique call sign."""
        call_sign, kind = _check_call_sign(call_sign), _check_kind(kind)
        async with unit_of_work(self._db, actor, Permission.UNIT_MANAGE) as w:
            await _unique(w.session, call_sign, None)
            unit = Unit(
                call_sign=call_sign,
                kind=kind,
                status=UnitStatus.AVAILABLE_STATION.value,
                status_changed_at=w.now,
                active=True,
            )
            w.session.add(unit)
            await _flush_unique(w.session, call_sign)
            await w.audit("unit.create", "unit", unit.id, {"call_sign": call_sign, "kind": kind})
            w.changed("unit", unit.id, "insert", 1)
            unit_id = unit.id
            return (await _managed(w.session, unit_id))[0]

    async def rename(
        self, actor: Actor, unit_id: int, call_sign: str, kind: str, expected_version: int
    ) -> ManagedUnit:
        """Change a unit's call sign and kind (the history keeps the unit, under its new name)."""
        call_sign, kind = _check_call_sign(call_sign), _check_kind(kind)
        async with unit_of_work(self._db, actor, Permission.UNIT_MANAGE) as w:
            before = await _current(w.session, unit_id)
            if before.call_sign == call_sign and before.kind == kind:
                return before
            await _unique(w.session, call_sign, unit_id)
            await _bump(w, before, expected_version, call_sign=call_sign, kind=kind)
            await _flush_unique(w.session, call_sign)
            await w.audit(
                "unit.rename",
                "unit",
                unit_id,
                {"from": before.call_sign, "to": call_sign, "kind": kind},
            )
            return (await _managed(w.session, unit_id))[0]

    async def set_active(
        self, actor: Actor, unit_id: int, active: bool, expected_version: int
    ) -> ManagedUnit:
        """Take a unit out of service (its crew is released) or put it back into service.

        Refused while the unit is on an open incident or has an open emergency: it is needed.
        """
        async with unit_of_work(self._db, actor, Permission.UNIT_MANAGE) as w:
            before = await _current(w.session, unit_id)
            if before.active == active:
                return before
            released: list[str] = []
            if not active:
                if before.status == UnitStatus.EMERGENCY.value:
                    raise ValidationError(
                        tr(
                            "unit_admin",
                            "%1 has an open emergency (Notruf) and cannot be taken out of service.",
                            before.call_sign,
                        ),
                        "active",
                    )
                if await w.session.scalar(
                    select(IncidentUnit.unit_id).where(
                        IncidentUnit.unit_id == unit_id, IncidentUnit.released_at.is_(None)
                    )
                ):
                    raise ValidationError(
                        tr(
                            "unit_admin",
                            "%1 is assigned to an open incident. Release it from the incident "
                            "first, then take it out of service.",
                            before.call_sign,
                        ),
                        "active",
                    )
                released = [m.username for m in before.crew]
                await _end_memberships(w, UnitMember.unit_id == unit_id)
            await _bump(w, before, expected_version, active=active)
            details: dict[str, Any] = {"call_sign": before.call_sign}
            if released:
                details["crew_released"] = released
            await w.audit(
                "unit.activate" if active else "unit.deactivate", "unit", unit_id, details
            )
            return (await _managed(w.session, unit_id))[0]

    async def set_crew(
        self, actor: Actor, unit_id: int, user_ids: list[int], expected_version: int
    ) -> ManagedUnit:
        """Make ``user_ids`` the unit's crew now; anyone among them on another unit moves here."""
        wanted = list(dict.fromkeys(user_ids))
        if len(wanted) > CREW_MAX:
            raise ValidationError(
                tr("unit_admin", "A unit has at most %1 people.", CREW_MAX), "crew"
            )
        async with unit_of_work(self._db, actor, Permission.UNIT_MANAGE) as w:
            before = await _current(w.session, unit_id)
            if wanted and not before.active:
                raise ValidationError(
                    tr(
                        "unit_admin",
                        "%1 is out of service: put it back into service before giving it a crew.",
                        before.call_sign,
                    ),
                    "crew",
                )
            people = {
                uid: (username, role)
                for uid, username, role in await w.session.execute(
                    select(User.id, User.username, User.role_code).where(
                        User.id.in_(wanted), User.active.is_(True)
                    )
                )
            }
            for uid in wanted:
                if uid not in people or people[uid][1] not in {r.value for r in CREW_ROLES}:
                    raise ValidationError(
                        tr(
                            "unit_admin",
                            "Person %1 is not an active member of the field staff.",
                            uid,
                        ),
                        "crew",
                    )
            current = {m.user_id for m in before.crew}
            if current == set(wanted):
                return before
            leaving = current - set(wanted)
            joining = [uid for uid in wanted if uid not in current]
            if leaving:
                await _end_memberships(
                    w, UnitMember.unit_id == unit_id, UnitMember.user_id.in_(leaving)
                )
            moved = await _moved_from(w.session, joining, unit_id)
            if joining:
                await _end_memberships(
                    w, UnitMember.user_id.in_(joining), UnitMember.unit_id != unit_id
                )
            for uid in joining:
                w.session.add(UnitMember(unit_id=unit_id, user_id=uid, since=w.now))
            await w.session.flush()
            await _bump(w, before, expected_version)
            for other_id, other_version in moved:
                # Their crew changed too: a form open on them must not overwrite it unseen.
                await w.session.execute(
                    update(Unit)
                    .where(Unit.id == other_id)
                    .values(version=other_version + 1)
                    .execution_options(synchronize_session=False)
                )
                w.changed("unit", other_id, "update", other_version + 1)
            await w.audit(
                "unit.crew",
                "unit",
                unit_id,
                {
                    "call_sign": before.call_sign,
                    "crew": [people[uid][0] for uid in wanted],
                    "joined": [people[uid][0] for uid in joining],
                    "left": sorted(m.username for m in before.crew if m.user_id in leaving),
                },
            )
            return (await _managed(w.session, unit_id))[0]


async def _current(s: AsyncSession, unit_id: int) -> ManagedUnit:
    found = await _managed(s, unit_id)
    if not found:
        raise NotFound(tr("unit_admin", "Unit %1 does not exist.", unit_id))
    return found[0]


async def _unique(s: AsyncSession, call_sign: str, own_id: int | None) -> None:
    """Refuse a call sign another unit has (case and spacing do not count)."""
    stmt = select(Unit.call_sign).where(
        func.lower(func.replace(Unit.call_sign, " ", "")) == call_sign.lower().replace(" ", "")
    )
    if own_id is not None:
        stmt = stmt.where(Unit.id != own_id)
    taken = await s.scalar(stmt.limit(1))
    if taken is not None:
        raise ValidationError(
            tr(
                "unit_admin",
                "The call sign %1 is taken already by the unit %2 (units out of service keep "
                "theirs). Choose another one.",
                call_sign,
                taken,
            ),
            "call_sign",
        )


async def _flush_unique(s: AsyncSession, call_sign: str) -> None:
    try:
        await s.flush()
    except IntegrityError as exc:  # another workstation took it a moment ago
        raise ValidationError(
            tr("unit_admin", "The call sign %1 is taken already. Choose another one.", call_sign),
            "call_sign",
        ) from exc


async def _bump(w: Work, before: ManagedUnit, expected_version: int, **values: Any) -> int:
    """Write ``values`` and the next version if nobody changed the unit since it was read."""
    version = before.version + 1
    done = await w.session.execute(
        update(Unit)
        .where(Unit.id == before.id, Unit.version == expected_version)
        .values(version=version, **values)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 1) != 1:
        raise ConflictError("unit", before.id, expected_version, before)
    w.changed("unit", before.id, "update", version)
    return version


async def _end_memberships(w: Work, *where: Any) -> None:
    await w.session.execute(
        update(UnitMember)
        .where(UnitMember.until.is_(None), *where)
        .values(until=w.now)
        .execution_options(synchronize_session=False)
    )


async def _moved_from(s: AsyncSession, user_ids: list[int], unit_id: int) -> list[tuple[int, int]]:
    """(unit id, version) of the other units that lose one of ``user_ids``."""
    if not user_ids:
        return []
    rows = await s.execute(
        select(Unit.id, Unit.version)
        .join(UnitMember, UnitMember.unit_id == Unit.id)
        .where(
            UnitMember.user_id.in_(user_ids),
            UnitMember.until.is_(None),
            UnitMember.unit_id != unit_id,
        )
        .distinct()
    )
    return [(uid, version or 1) for uid, version in rows]
