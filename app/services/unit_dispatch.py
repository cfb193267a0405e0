"""Units on incidents: alarm, confirmation, status moves, release, undo.

A unit's BOS status (``unit.status``) is the one truth, on the status board as in the
incident: every status change goes through :func:`move_unit`, which keeps the unit's assignment
(``incident_unit``) and its incident in step and journals the change in the incident. So a 4 set
on the board is "on scene" in the incident, a 2 takes the unit off it, a Notruf is in the
incident's journal. Assigning only *alarms* the unit; status 3 ("Einsatz übernommen") comes when
it confirms (by radio, entered by the dispatcher, or later from the field device). An alarm not
confirmed in time is flagged by whoever shows it, computed from ``confirm_due_at``; nothing
writes to the database when the time runs out.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import (
    AVAILABLE_STATUSES,
    RELEASING_STATUSES,
    IncidentStatus,
    UnitStatus,
    unit_status_display,
)
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.uow import Work
from app.services.incident_common import journal
from app.services.settings import DEFAULTS, read_setting
from db.models import Incident, IncidentUnit, Unit, UnitStatusChange

#: Setting: seconds an alarmed unit has to confirm before the alarm is flagged.
CONFIRM_TIMEOUT_SETTING = "dispatch.confirm_timeout_s"

_Row = TypeVar("_Row", Incident, Unit)


class UnitUnavailable(ValidationError):
    """The unit is not available; ``needs_confirmation`` if policy allows it anyway."""

    def __init__(self, message: str, needs_confirmation: bool) -> None:
        super().__init__(message, "unit")
        self.needs_confirmation = needs_confirmation


async def confirm_timeout(session: AsyncSession) -> timedelta:
    """How long an alarmed unit has to confirm (setting ``dispatch.confirm_timeout_s``)."""
    return timedelta(seconds=int(await read_setting(session, CONFIRM_TIMEOUT_SETTING)))


def confirm_timeout_of(stored: Any) -> timedelta:
    """The timeout from the setting's stored (decoded) value; None: the default."""
    value = DEFAULTS[CONFIRM_TIMEOUT_SETTING] if stored is None else stored
    return timedelta(seconds=int(value))


def confirm_due(
    assigned_at: datetime, confirmed_at: datetime | None, timeout: timedelta
) -> datetime | None:
    """Until when an alarm should be confirmed; None once it is."""
    return assigned_at + timeout if confirmed_at is None else None


async def record_unit_status(
    work: Work, unit: Unit, status: str, incident_id: int | None = None, note: str | None = None
) -> None:
    """Set a unit's status and store the change with its timestamp (nothing else).

    Callers that change the status of a unit that may be on an incident use :func:`move_unit`.
    """
    previous = unit.status
    unit.status = status
    unit.status_changed_at = work.now
    work.session.add(
        UnitStatusChange(
            unit_id=unit.id,
            status=status,
            previous_status=previous,
            changed_at=work.now,
            user_id=work.actor.user_id,
            incident_id=incident_id,
            note=note,
        )
    )
    work.changed("unit", unit.id, "status")


async def locked(w: Work, model: type[_Row], row_id: int) -> _Row:
    """The row, read fresh and locked for the transaction (PostgreSQL)."""
    stmt = select(model).where(model.id == row_id)
    if w.on_server:
        stmt = stmt.with_for_update()
    row = await w.session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        if model is Unit:
            raise NotFound(tr("incidents", "Unit %1 does not exist.", row_id))
        raise NotFound(tr("incidents", "Incident %1 does not exist.", row_id))
    return row


async def active_assignment(session: AsyncSession, unit_id: int) -> IncidentUnit | None:
    """The unit's assignment that is not released (at most one)."""
    found: IncidentUnit | None = await session.scalar(
        select(IncidentUnit).where(
            IncidentUnit.unit_id == unit_id, IncidentUnit.released_at.is_(None)
        )
    )
    return found


@functools.cache
def _locked_unit_statement(for_update: bool) -> Select[tuple[Unit, IncidentUnit]]:
    # Built once: building it took a third of the time of running it (every status change).
    stmt = (
        select(Unit, IncidentUnit)
        .outerjoin(
            IncidentUnit,
            and_(IncidentUnit.unit_id == Unit.id, IncidentUnit.released_at.is_(None)),
        )
        .where(Unit.id == bindparam("unit_id"))
        .execution_options(populate_existing=True)
    )
    return stmt.with_for_update(of=Unit) if for_update else stmt


async def locked_unit(w: Work, unit_id: int) -> tuple[Unit, IncidentUnit | None]:
    """The unit, read fresh and locked (PostgreSQL), with its active assignment: one statement
    (a status change holds the writers' lock meanwhile)."""
    stmt = _locked_unit_statement(w.on_server)
    found = (await w.session.execute(stmt, {"unit_id": unit_id})).first()
    if found is None:
        raise NotFound(tr("incidents", "Unit %1 does not exist.", unit_id))
    return found[0], found[1]


async def move_unit(
    w: Work,
    unit: Unit,
    status: str,
    note: str | None = None,
    active: IncidentUnit | Literal["read"] | None = "read",
) -> Incident | None:
    """Set ``unit``'s status and move its assignment and incident with it (see module doc);
    the incident (None without an assignment).

    ``active``: the unit's active assignment if the caller has read it (:func:`locked_unit`).
    """
    previous = unit.status
    if active == "read":
        active = await active_assignment(w.session, unit.id)
    await record_unit_status(w, unit, status, active.incident_id if active else None, note)
    if active is None:
        return None
    incident = await locked(w, Incident, active.incident_id)
    sign = unit.call_sign
    touches = True
    if status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE) and active.confirmed_at is None:
        active.confirmed_at = w.now
        active.confirmed_by_id = w.actor.user_id
    if status == UnitStatus.EN_ROUTE:
        text = tr("incidents", "%1 confirmed the alarm (status 3).", sign)
    elif status == UnitStatus.ON_SCENE:
        if active.on_scene_at is None:
            active.on_scene_at = w.now
        if incident.on_scene_at is None:
            incident.on_scene_at = w.now
        if incident.status in (IncidentStatus.NEW, IncidentStatus.DISPATCHED):
            incident.status = IncidentStatus.ON_SCENE.value
        text = tr("incidents", "%1 on scene (status 4).", sign)
    elif status in RELEASING_STATUSES:
        active.released_at = w.now
        text = tr("incidents", "%1 released (status %2).", sign, status)
    elif status == UnitStatus.EMERGENCY:
        touches = False
        text = tr("incidents", "%1: EMERGENCY (Notruf) raised.", sign)
    else:
        touches = False
        text = tr(
            "incidents",
            "%1: status %2 → %3",
            sign,
            unit_status_display(previous),
            unit_status_display(status),
        )
    if touches:
        incident.updated_at = w.now
    await journal(w, incident.id, "unit", text)
    await w.session.flush()
    w.changed("incident", incident.id, "units", incident.version)
    return incident


async def assign(w: Work, incident_id: int, unit_id: int, confirm_unavailable: bool) -> None:
    """Alarm a unit for an incident (its status stays until it confirms with 3).

    An unavailable unit warns or is refused, as configured; a unit taken from another
    incident is released there.
    """
    incident = await locked(w, Incident, incident_id)
    if incident.status == IncidentStatus.CLOSED:
        raise ValidationError(
            tr("incidents", "Incident %1 is closed. Reopen it first.", incident.number)
        )
    unit = await locked(w, Unit, unit_id)
    active = await active_assignment(w.session, unit.id)
    if active is not None and active.incident_id == incident.id:
        raise ValidationError(
            tr("incidents", "%1 is already assigned to this incident.", unit.call_sign)
        )
    if unit.status not in AVAILABLE_STATUSES or active is not None:
        await _check_unavailable(w, unit, active, incident, confirm_unavailable)
    w.session.add(
        IncidentUnit(
            incident_id=incident.id,
            unit_id=unit.id,
            assigned_at=w.now,
            assigned_by_id=w.actor.user_id,
        )
    )
    try:
        await w.session.flush()
    except IntegrityError as exc:
        raise ConflictError("unit", unit.id, unit.version) from exc
    if incident.status == IncidentStatus.NEW:
        incident.status = IncidentStatus.DISPATCHED.value
    if incident.dispatched_at is None:
        incident.dispatched_at = w.now
    incident.updated_at = w.now
    await journal(
        w,
        incident.id,
        "unit",
        tr("incidents", "%1 alarmed (status %2, not yet confirmed).", unit.call_sign, unit.status),
    )
    await w.audit(
        "incident.assign",
        "incident",
        incident.id,
        {"unit": unit.call_sign, "forced": bool(confirm_unavailable)},
    )
    await w.session.flush()
    w.changed("incident", incident.id, "units", incident.version)
    # The board shows the incident (and the open alarm) beside the unit.
    w.changed("unit", unit.id, "assign", unit.version)


async def _check_unavailable(
    w: Work,
    unit: Unit,
    active: IncidentUnit | None,
    incident: Incident,
    confirm_unavailable: bool,
) -> None:
    policy = await read_setting(w.session, "dispatch.assign_unavailable")
    busy_with = await w.session.get(Incident, active.incident_id) if active is not None else None
    reason = (
        tr("incidents", "%1 is committed to incident %2.", unit.call_sign, busy_with.number)
        if busy_with is not None
        else tr("incidents", "%1 has status %2.", unit.call_sign, unit_status_display(unit.status))
    )
    if policy == "refuse" or unit.status == UnitStatus.EMERGENCY:
        raise UnitUnavailable(tr("incidents", "%1 It cannot be assigned.", reason), False)
    if not confirm_unavailable:
        raise UnitUnavailable(tr("incidents", "%1 Assign it anyway?", reason), True)
    if active is not None and busy_with is not None:
        active.released_at = w.now
        await journal(
            w,
            busy_with.id,
            "unit",
            tr(
                "incidents",
                "%1 withdrawn and sent to incident %2.",
                unit.call_sign,
                incident.number,
            ),
        )
        busy_with.updated_at = w.now
        await w.session.flush()
        w.changed("incident", busy_with.id, "units", busy_with.version)


async def on_incident(w: Work, incident_id: int, unit_id: int) -> tuple[Unit, IncidentUnit]:
    """The unit, locked, and its assignment, after checking that it is on the incident now."""
    incident = await locked(w, Incident, incident_id)
    unit = await locked(w, Unit, unit_id)
    active = await active_assignment(w.session, unit.id)
    if active is None or active.incident_id != incident.id:
        raise ValidationError(
            tr(
                "incidents",
                "%1 is not assigned to incident %2.",
                unit.call_sign,
                incident.number,
            )
        )
    return unit, active


async def step(w: Work, incident_id: int, unit_id: int, status: str, action: str) -> None:
    """A status step of a unit on the incident (from the incident detail), audited."""
    unit, active = await on_incident(w, incident_id, unit_id)
    unconfirmed = active.confirmed_at is None and status in ("3", "4")
    if unit.status != status or unconfirmed:
        await move_unit(w, unit, status)
        await w.audit(action, "incident", incident_id, {"unit": unit.call_sign, "status": status})


async def release_all(w: Work, incident: Incident) -> None:
    """Release every unit still on ``incident`` to status 1 (closing it)."""
    active = (
        await w.session.scalars(
            select(IncidentUnit).where(
                IncidentUnit.incident_id == incident.id, IncidentUnit.released_at.is_(None)
            )
        )
    ).all()
    for assignment in active:
        assignment.released_at = w.now
        unit = await locked(w, Unit, assignment.unit_id)
        await record_unit_status(w, unit, UnitStatus.AVAILABLE_RADIO.value, incident.id)
        await journal(
            w,
            incident.id,
            "unit",
            tr("incidents", "%1 released (status %2).", unit.call_sign, "1"),
        )


async def undo_last(w: Work, unit_id: int, expected: str) -> tuple[str, str]:
    """Undo the unit's last status change, if it still is the one the user saw (``expected``).

    The previous status comes back; a unit that the change took off its incident is put back
    on it; a confirmation undone leaves the unit alarmed again. Returns (undone, restored).
    """
    unit = await locked(w, Unit, unit_id)
    last = await w.session.scalar(
        select(UnitStatusChange)
        .where(UnitStatusChange.unit_id == unit.id)
        .order_by(UnitStatusChange.changed_at.desc(), UnitStatusChange.id.desc())
        .limit(1)
    )
    if (
        last is None
        or last.status != expected
        or unit.status != expected
        or not last.previous_status
        or UnitStatus.EMERGENCY in (last.status, last.previous_status)
    ):
        raise ValidationError(
            tr(
                "incidents",
                "The status of %1 has changed since (now %2): nothing was undone.",
                unit.call_sign,
                unit_status_display(unit.status),
            )
        )
    previous = last.previous_status
    active = await active_assignment(w.session, unit.id)
    back_on = False
    if active is None and last.status in RELEASING_STATUSES and last.incident_id is not None:
        newest = await w.session.scalar(
            select(IncidentUnit)
            .where(IncidentUnit.unit_id == unit.id)
            .order_by(IncidentUnit.id.desc())
            .limit(1)
        )
        if newest is not None and newest.incident_id == last.incident_id:
            incident = await locked(w, Incident, newest.incident_id)
            if incident.status != IncidentStatus.CLOSED:
                newest.released_at = None
                active, back_on = newest, True
    note = tr("incidents", "Undone: %1 → %2", last.previous_status, last.status)
    await record_unit_status(w, unit, previous, active.incident_id if active else None, note)
    if active is not None:
        incident = await locked(w, Incident, active.incident_id)
        if previous in RELEASING_STATUSES and active.confirmed_at is not None:
            # Before the change the unit was alarmed but had not confirmed.
            active.confirmed_at = None
            active.confirmed_by_id = None
        incident.updated_at = w.now
        text = tr(
            "incidents",
            "%1: status change %2 → %3 undone, status %2 again.",
            unit.call_sign,
            previous,
            last.status,
        )
        if back_on:
            text += " " + tr("incidents", "Back on this incident.")
        await journal(w, incident.id, "unit", text)
        await w.session.flush()
        w.changed("incident", incident.id, "units", incident.version)
    return last.status, previous
