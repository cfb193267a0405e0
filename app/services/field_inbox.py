"""A unit's inbox on its field device: its incident assignment and its open Aufträge.

The field API pushes the inbox over the device's live link whenever the change feed touches
it, and again in full after a reconnect; the device acknowledges each item once
(``field.ack``, audited). Read as the officer: on PostgreSQL row security shows the officer
only their own unit's incidents and tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.domain.changes import Entity
from app.platform.database import Database
from app.platform.errors import NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, reading, unit_of_work
from db.models import FieldAck, Incident, IncidentUnit, Task

KINDS = ("incident", "task")


@dataclass(frozen=True)
class InboxItem:
    """An incident the unit is sent to, or an Auftrag for the unit or the officer."""

    kind: Literal["incident", "task"]
    id: int
    number: str
    title: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    priority: int | None
    since: datetime
    due_at: datetime | None
    confirmed: bool
    acknowledged_at: datetime | None


async def inbox(db: Database, actor: Actor, unit_id: int, device_id: int) -> list[InboxItem]:
    """The unit's current assignment and open Aufträge, oldest first."""
    async with reading(db, actor, Permission.TASK_READ) as s:
        acks = {
            (kind, item): at
            for kind, item, at in await s.execute(
                select(FieldAck.kind, FieldAck.item_id, FieldAck.acknowledged_at).where(
                    FieldAck.device_id == device_id
                )
            )
        }
        items: list[InboxItem] = []
        for inc, iu in await s.execute(
            select(Incident, IncidentUnit)
            .join(IncidentUnit, IncidentUnit.incident_id == Incident.id)
            .where(IncidentUnit.unit_id == unit_id, IncidentUnit.released_at.is_(None))
        ):
            items.append(
                InboxItem(
                    "incident",
                    inc.id,
                    inc.number,
                    inc.category,
                    inc.description or "",
                    inc.address or "",
                    inc.lat,
                    inc.lon,
                    inc.priority,
                    iu.assigned_at,
                    None,
                    iu.confirmed_at is not None,
                    acks.get(("incident", inc.id)),
                )
            )
        for task in await s.scalars(
            select(Task).where(
                Task.status == "open",
                or_(Task.assigned_unit_id == unit_id, Task.assigned_user_id == actor.user_id),
            )
        ):
            items.append(
                InboxItem(
                    "task",
                    task.id,
                    task.number,
                    task.title,
                    task.description or "",
                    task.address or "",
                    task.lat,
                    task.lon,
                    None,
                    task.created_at,
                    task.due_at,
                    False,
                    acks.get(("task", task.id)),
                )
            )
    items.sort(key=lambda i: (i.since, i.kind, i.id))
    return items


def touches(entity: str, op: str) -> bool:
    """Whether a change-feed entry may change some unit's inbox."""
    return entity in (Entity.INCIDENT, Entity.TASK) or (entity == Entity.UNIT and op == "assign")


async def acknowledge(
    db: Database, actor: Actor, unit_id: int, device_id: int, kind: str, item_id: int
) -> datetime:
    """The device has received ``kind`` ``item_id`` (idempotent: the first time counts)."""
    if kind not in KINDS:
        raise ValidationError(tr("field", "Unknown kind of assignment '%1'.", kind), "kind")
    current: dict[tuple[str, int], InboxItem] = {
        (i.kind, i.id): i for i in await inbox(db, actor, unit_id, device_id)
    }
    item = current.get((kind, item_id))
    if item is None:
        raise NotFound(tr("field", "This assignment is not (or no longer) for your unit."))
    if item.acknowledged_at is not None:
        return item.acknowledged_at
    try:
        async with unit_of_work(db, actor, Permission.UNIT_STATUS) as w:
            w.session.add(
                FieldAck(
                    device_id=device_id,
                    user_id=actor.user_id,
                    kind=kind,
                    item_id=item_id,
                    acknowledged_at=w.now,
                )
            )
            await w.session.flush()
            await w.audit("field.ack", kind, item_id, {"device": device_id, "number": item.number})
            return w.now
    except IntegrityError:  # a retry acknowledged it at the same moment: that one counts
        again: dict[tuple[str, int], InboxItem] = {
            (i.kind, i.id): i for i in await inbox(db, actor, unit_id, device_id)
        }
        at = again[(kind, item_id)].acknowledged_at
        assert at is not None
        return at
