"""Aufträge (tasks): planned work for the field with due date and Wiedervorlage (follow-up)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.domain.codes import CATEGORY_BY_CODE
from app.domain.dto_work import EDITABLE_TASK_FIELDS, Assignee, TaskDraft, TaskInfo, TaskQuery
from app.platform.database import Database
from app.platform.errors import ConflictError, NotFound, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import MATRIX, Permission, Role
from app.platform.timeutil import local, utcnow
from app.platform.uow import Actor, Work, reading, unit_of_work
from app.platform.validation import like_pattern, search_text
from app.services.incidents import next_number
from app.services.ordering import task_order
from app.services.stadtteile import stadtteil_of
from app.services.work_items import WorkItemReader, check_moment
from db.models import Report, Task, Unit, User

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_NOTE = 500
#: Longest snooze of a Wiedervorlage from the reminder window.
MAX_SNOOZE_MIN = 7 * 24 * 60

_AssignedUser = aliased(User)
_Creator = aliased(User)


def _is_closed() -> Any:
    return Task.status != "open"


def _ordered(stmt: Select[Any]) -> Select[Any]:
    # app.services.ordering holds this order and its Python twin side by side.
    return stmt.order_by(*task_order())


def _filtered(stmt: Select[Any], q: TaskQuery) -> Select[Any]:
    if q.open_only:
        stmt = stmt.where(Task.status == "open")
    if q.statuses:
        stmt = stmt.where(Task.status.in_(sorted(q.statuses)))
    if q.due_before is not None:
        stmt = stmt.where(Task.due_at.is_not(None), Task.due_at < q.due_before)
    if q.assigned_unit_id is not None:
        stmt = stmt.where(Task.assigned_unit_id == q.assigned_unit_id)
    text = search_text(q.text)
    if text:
        like = like_pattern(text)
        stmt = stmt.where(
            or_(
                Task.number.ilike(like, escape="\\"),
                Task.title.ilike(like, escape="\\"),
                Task.address.ilike(like, escape="\\"),
                Task.description.ilike(like, escape="\\"),
                Task.stadtteil.ilike(like, escape="\\"),
            )
        )
    return stmt


def _info_select() -> Select[Any]:
    return (
        select(
            Task,
            Unit.call_sign,
            _AssignedUser.display_name,
            _Creator.display_name,
            _Creator.username,
            Report.number,
        )
        .outerjoin(Unit, Unit.id == Task.assigned_unit_id)
        .outerjoin(_AssignedUser, _AssignedUser.id == Task.assigned_user_id)
        .outerjoin(_Creator, _Creator.id == Task.created_by_id)
        .outerjoin(Report, Report.id == Task.source_report_id)
    )


def _info(row: Any) -> TaskInfo:
    t, call_sign, assignee, creator_name, creator_login, report_number = row
    return TaskInfo(
        id=t.id,
        number=t.number,
        title=t.title,
        description=t.description,
        category=t.category,
        address=t.address,
        lat=t.lat,
        lon=t.lon,
        stadtteil=t.stadtteil,
        status=t.status,
        due_at=t.due_at,
        follow_up_at=t.follow_up_at,
        follow_up_note=t.follow_up_note,
        assigned_unit_id=t.assigned_unit_id,
        assigned_unit=call_sign,
        assigned_user_id=t.assigned_user_id,
        assigned_user=assignee,
        created_by=creator_name or creator_login,
        created_at=t.created_at,
        updated_at=t.updated_at,
        done_at=t.done_at,
        source_report_id=t.source_report_id,
        source_report_number=report_number,
        version=t.version,
    )


async def task_info(s: AsyncSession, task_id: int) -> TaskInfo:
    """One task as a :class:`TaskInfo` (raises :class:`NotFound`)."""
    row = (
        await s.execute(
            _info_select().where(Task.id == task_id).execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        raise NotFound(tr("tasks", "Task %1 does not exist.", task_id))
    return _info(row)


def validate_coordinates(lat: float | None, lon: float | None) -> None:
    """Latitude and longitude come together and lie on the globe."""
    if (lat is None) != (lon is None):
        raise ValidationError(tr("tasks", "Latitude and longitude belong together."), "lat")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(tr("tasks", "The coordinates are not valid."), "lat")


def _validate(values: dict[str, Any]) -> None:
    if "title" in values:
        title = (values["title"] or "").strip()
        if not title:
            raise ValidationError(tr("tasks", "Enter a title for the task."), "title")
        if len(title) > MAX_TITLE:
            raise ValidationError(
                tr("tasks", "The title is too long (at most %1 characters).", MAX_TITLE), "title"
            )
    if len(values.get("description") or "") > MAX_DESCRIPTION:
        raise ValidationError(
            tr("tasks", "The description is too long (at most %1 characters).", MAX_DESCRIPTION),
            "description",
        )
    if len(values.get("address") or "") > 255:
        raise ValidationError(tr("tasks", "The address is too long."), "address")
    if len(values.get("follow_up_note") or "") > MAX_NOTE:
        raise ValidationError(
            tr("tasks", "The follow-up note is too long (at most %1 characters).", MAX_NOTE),
            "follow_up_note",
        )
    category = values.get("category")
    if category and category not in CATEGORY_BY_CODE:
        raise ValidationError(tr("tasks", "Unknown category '%1'.", category), "category")
    for key in ("due_at", "follow_up_at"):
        check_moment(values.get(key), key)


def _clean(key: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value and key in ("category", "follow_up_note"):
            return None
    return value


class TaskService(WorkItemReader[TaskQuery, TaskInfo]):
    """Everything done with Aufträge."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, Task, Permission.TASK_READ, _filtered, _ordered, _info_select, _info)

    # -- reading ----------------------------------------------------------------------------

    async def get(self, actor: Actor, task_id: int) -> TaskInfo:
        """One task."""
        async with reading(self._db, actor, Permission.TASK_READ) as s:
            return await task_info(s, task_id)

    async def due_follow_ups(self, actor: Actor, now: datetime | None = None) -> list[TaskInfo]:
        """Open tasks whose Wiedervorlage is due at ``now`` (default: now), earliest first."""
        when = now or utcnow()
        async with reading(self._db, actor, Permission.TASK_READ) as s:
            stmt = (
                _info_select()
                .where(
                    Task.status == "open",
                    Task.follow_up_at.is_not(None),
                    Task.follow_up_at <= when,
                )
                .order_by(Task.follow_up_at, Task.id)
            )
            return [_info(r) for r in await s.execute(stmt)]

    async def assignees(self, actor: Actor) -> list[Assignee]:
        """Active units (by call sign), then active field officers (by name)."""
        async with reading(self._db, actor, Permission.TASK_READ) as s:
            units = await s.execute(
                select(Unit.id, Unit.call_sign, Unit.kind)
                .where(Unit.active.is_(True))
                .order_by(Unit.call_sign)
            )
            users = await s.execute(
                select(User.id, User.display_name, User.username)
                .where(User.active.is_(True), User.role_code == Role.FIELD_OFFICER.value)
                .order_by(User.display_name)
            )
            return [Assignee("unit", i, cs, kind) for i, cs, kind in units] + [
                Assignee("user", i, name or login, login) for i, name, login in users
            ]

    # -- writing ----------------------------------------------------------------------------

    async def _locked(self, w: Work, task_id: int, expected_version: int | None) -> Task:
        stmt = select(Task).where(Task.id == task_id)
        if self._db.target.kind == "postgresql":
            stmt = stmt.with_for_update()
        task = await w.session.scalar(stmt.execution_options(populate_existing=True))
        if task is None:
            raise NotFound(tr("tasks", "Task %1 does not exist.", task_id))
        if expected_version is not None and task.version != expected_version:
            current = await task_info(w.session, task_id)
            raise ConflictError("task", task_id, expected_version, current)
        return task

    async def _check_assignees(self, w: Work, unit_id: int | None, user_id: int | None) -> None:
        if unit_id is not None:
            unit = await w.session.get(Unit, unit_id)
            if unit is None or not unit.active:
                raise ValidationError(
                    tr("tasks", "Unit %1 does not exist or is not active.", unit_id),
                    "assigned_unit_id",
                )
        if user_id is not None:
            user = await w.session.get(User, user_id)
            if (
                user is None
                or not user.active
                or Role(user.role_code) not in MATRIX[Permission.TASK_READ]
            ):
                raise ValidationError(
                    tr("tasks", "This person cannot be given tasks."), "assigned_user_id"
                )

    async def create(self, actor: Actor, draft: TaskDraft) -> TaskInfo:
        """Create an Auftrag (number ``A-YYYY-NNNNNN``)."""
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task_id = await self.create_in(w, draft)
            return await task_info(w.session, task_id)

    async def create_in(
        self, w: Work, draft: TaskDraft, source_report_id: int | None = None
    ) -> int:
        """Create a task inside an existing unit of work (e.g. from a Meldung); returns its id."""
        w.require(Permission.TASK_WRITE)
        values = {
            "title": draft.title.strip(),
            "description": draft.description.strip(),
            "category": (draft.category or "").strip() or None,
            "address": draft.address.strip(),
            "due_at": draft.due_at,
            "follow_up_at": draft.follow_up_at,
            "follow_up_note": (draft.follow_up_note or "").strip() or None,
        }
        _validate(values)
        validate_coordinates(draft.lat, draft.lon)
        await self._check_assignees(w, draft.assigned_unit_id, draft.assigned_user_id)
        number = await next_number(w.session, Task.number, "A", local(w.now).year)
        task = Task(
            number=number,
            status="open",
            lat=draft.lat,
            lon=draft.lon,
            stadtteil=await stadtteil_of(w.session, draft.lat, draft.lon),
            assigned_unit_id=draft.assigned_unit_id,
            assigned_user_id=draft.assigned_user_id,
            created_by_id=w.actor.user_id,
            created_at=w.now,
            updated_at=w.now,
            source_report_id=source_report_id,
            **values,
        )
        w.session.add(task)
        await w.session.flush()
        await w.audit(
            "task.create",
            "task",
            task.id,
            {"number": number, "source_report_id": source_report_id},
        )
        w.changed("task", task.id, "insert", task.version)
        return task.id

    async def update(
        self, actor: Actor, task_id: int, expected_version: int, changes: dict[str, Any]
    ) -> TaskInfo:
        """Change fields; refused with :class:`ConflictError` if the version is stale."""
        unknown = set(changes) - set(EDITABLE_TASK_FIELDS)
        if unknown:
            raise ValidationError(
                tr("tasks", "These fields cannot be changed: %1", ", ".join(sorted(unknown)))
            )
        changes = {k: _clean(k, v) for k, v in changes.items()}
        _validate(changes)
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, expected_version)
            lat = changes.get("lat", task.lat)
            lon = changes.get("lon", task.lon)
            validate_coordinates(lat, lon)
            await self._check_assignees(
                w, changes.get("assigned_unit_id"), changes.get("assigned_user_id")
            )
            diffs = [k for k, v in changes.items() if getattr(task, k) != v]
            if not diffs:
                return await task_info(w.session, task_id)
            for key in diffs:
                setattr(task, key, changes[key])
            if "lat" in diffs or "lon" in diffs:
                task.stadtteil = await stadtteil_of(w.session, lat, lon)
            task.updated_at = w.now
            await w.session.flush()
            await w.audit("task.update", "task", task.id, {"fields": sorted(diffs)})
            w.changed("task", task.id, "update", task.version)
            return await task_info(w.session, task_id)

    async def assign(
        self,
        actor: Actor,
        task_id: int,
        expected_version: int | None,
        unit_id: int | None,
        user_id: int | None = None,
    ) -> TaskInfo:
        """Give the task to a unit and/or an officer (None, None: unassign)."""
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, expected_version)
            await self._check_assignees(w, unit_id, user_id)
            if (task.assigned_unit_id, task.assigned_user_id) == (unit_id, user_id):
                return await task_info(w.session, task_id)
            task.assigned_unit_id = unit_id
            task.assigned_user_id = user_id
            task.updated_at = w.now
            await w.session.flush()
            await w.audit("task.assign", "task", task.id, {"unit": unit_id, "user": user_id})
            w.changed("task", task.id, "assign", task.version)
            return await task_info(w.session, task_id)

    async def _close(
        self,
        actor: Actor,
        task_id: int,
        expected_version: int | None,
        status: str,
        note: str,
    ) -> TaskInfo:
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, expected_version)
            if task.status != "open":
                raise ValidationError(tr("tasks", "Task %1 is not open any more.", task.number))
            task.status = status
            task.done_at = w.now
            task.updated_at = w.now
            await w.session.flush()
            await w.audit(f"task.{status}", "task", task.id, reason=note.strip() or None)
            w.changed("task", task.id, status, task.version)
            return await task_info(w.session, task_id)

    async def mark_done(
        self, actor: Actor, task_id: int, expected_version: int | None = None, note: str = ""
    ) -> TaskInfo:
        """The task is done (its Wiedervorlage no longer reminds)."""
        return await self._close(actor, task_id, expected_version, "done", note)

    async def cancel(
        self, actor: Actor, task_id: int, expected_version: int | None = None, reason: str = ""
    ) -> TaskInfo:
        """The task is no longer needed; the reason (required) is stored in the audit record."""
        if not reason.strip():
            raise ValidationError(tr("tasks", "Give a reason for cancelling the task."), "reason")
        if len(reason.strip()) > MAX_NOTE:
            raise ValidationError(
                tr("tasks", "The reason is too long (at most %1 characters).", MAX_NOTE), "reason"
            )
        return await self._close(actor, task_id, expected_version, "cancelled", reason)

    async def reopen(
        self, actor: Actor, task_id: int, expected_version: int | None = None
    ) -> TaskInfo:
        """Open a done or cancelled task again."""
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, expected_version)
            if task.status == "open":
                raise ValidationError(tr("tasks", "Task %1 is already open.", task.number))
            previous = task.status
            task.status = "open"
            task.done_at = None
            task.updated_at = w.now
            await w.session.flush()
            await w.audit("task.reopen", "task", task.id, {"was": previous})
            w.changed("task", task.id, "reopen", task.version)
            return await task_info(w.session, task_id)

    async def set_follow_up(
        self,
        actor: Actor,
        task_id: int,
        at: datetime | None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> TaskInfo:
        """Set the Wiedervorlage to ``at`` (None clears it); only on open tasks."""
        _validate({"follow_up_at": at, "follow_up_note": note})
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, expected_version)
            if at is not None and task.status != "open":
                raise ValidationError(
                    tr("tasks", "Task %1 is not open any more.", task.number), "follow_up_at"
                )
            note = (note or "").strip() or None
            if at is None:
                note = None
            if (task.follow_up_at, task.follow_up_note) == (at, note):
                return await task_info(w.session, task_id)
            previous = task.follow_up_at
            task.follow_up_at = at
            task.follow_up_note = note
            task.updated_at = w.now
            await w.session.flush()
            await w.audit(
                "task.follow_up",
                "task",
                task.id,
                {
                    "from": previous.isoformat() if previous else None,
                    "to": at.isoformat() if at else None,
                },
            )
            w.changed("task", task.id, "follow_up", task.version)
            return await task_info(w.session, task_id)

    async def clear_follow_up(
        self, actor: Actor, task_id: int, expected_version: int | None = None
    ) -> TaskInfo:
        """Remove the Wiedervorlage."""
        return await self.set_follow_up(actor, task_id, None, None, expected_version)

    async def snooze_follow_up(self, actor: Actor, task_id: int, minutes: int) -> TaskInfo:
        """Move a due Wiedervorlage ``minutes`` from now (the reminder's "later")."""
        if not 1 <= minutes <= MAX_SNOOZE_MIN:
            raise ValidationError(
                tr("tasks", "A reminder can be postponed by 1 minute to 7 days."), "minutes"
            )
        async with unit_of_work(self._db, actor, Permission.TASK_WRITE) as w:
            task = await self._locked(w, task_id, None)
            if task.status != "open":
                raise ValidationError(tr("tasks", "Task %1 is not open any more.", task.number))
            previous = task.follow_up_at
            task.follow_up_at = w.now + timedelta(minutes=minutes)
            task.updated_at = w.now
            await w.session.flush()
            await w.audit(
                "task.snooze",
                "task",
                task.id,
                {
                    "from": previous.isoformat() if previous else None,
                    "minutes": minutes,
                },
            )
            w.changed("task", task.id, "follow_up", task.version)
            return await task_info(w.session, task_id)
