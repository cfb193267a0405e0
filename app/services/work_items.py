"""Shared by Aufträge and Meldungen: counts, pages, rows and filter matches by id; date checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.uow import Actor, check, reading
from app.platform.validation import check_when

Q = TypeVar("Q")
I = TypeVar("I")  # noqa: E741 - the item dataclass


class WorkItemReader(Generic[Q, I]):
    """List reads for one work-item table (the subclass names table, filter, order, row)."""

    def __init__(
        self,
        db: Database,
        model: Any,
        permission: Permission,
        filtered: Callable[[Select[Any], Q], Select[Any]],
        ordered: Callable[[Select[Any]], Select[Any]],
        info_select: Callable[[], Select[Any]],
        info: Callable[[Any], I],
    ) -> None:
        self._db = db
        self._model = model
        self._permission = permission
        self._filtered = filtered
        self._ordered = ordered
        self._info_select = info_select
        self._info = info

    async def count(self, actor: Actor, q: Q) -> int:
        """Number of items matching ``q``."""
        async with reading(self._db, actor, self._permission) as s:
            stmt = self._filtered(select(func.count(self._model.id)), q)
            return int(await s.scalar(stmt) or 0)

    async def page(self, actor: Actor, q: Q, offset: int = 0, limit: int = 200) -> list[I]:
        """One page in the list order (open items first)."""
        async with reading(self._db, actor, self._permission) as s:
            stmt = self._ordered(self._filtered(self._info_select(), q)).offset(offset)
            return [self._info(r) for r in await s.execute(stmt.limit(limit))]

    async def rows(self, actor: Actor, ids: Sequence[int]) -> list[I]:
        """Items by id (for live updates); unknown ids are left out."""
        await check(self._db, actor, self._permission)
        if not ids:
            return []
        async with reading(self._db, actor, self._permission) as s:
            stmt = self._info_select().where(self._model.id.in_(list(ids)))
            return [self._info(r) for r in await s.execute(stmt)]

    async def matches(self, actor: Actor, q: Q, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` match the filter ``q``."""
        await check(self._db, actor, self._permission)
        if not ids:
            return set()
        async with reading(self._db, actor, self._permission) as s:
            stmt = self._filtered(select(self._model.id), q).where(self._model.id.in_(list(ids)))
            return set((await s.scalars(stmt)).all())


def check_moment(value: Any, field: str) -> None:
    """A date field's value: None, or an aware datetime within the accepted range.

    Raises :class:`ValidationError` (German message, naming ``field``) otherwise.
    """
    if value is None:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(tr("work_items", "The date and time are not valid."), field)
    check_when(value, field)
