"""Statistics for a period (month, year; today and this week for the dashboard), without any
personal data: counts and times only.

Every figure is an SQL aggregate that SQLite and PostgreSQL compute alike (GROUP BY, COUNT,
SUM, window functions; percentiles by nearest rank with ORDER BY … OFFSET), so a month of
10,000 incidents never travels to the workstation row by row. On PostgreSQL the reads go
through the aggregate views of ``db/pg_security/statistics.sql``.

Figures (DOMAIN.md, "Reports a shift lead prints"): incidents by category, Stadtteil, weekday
and hour of day (Berlin time); call-to-dispatch and dispatch-to-arrival times (median and 90th
percentile); the share of dispatches later than the priority's target
(:data:`~app.domain.codes.DISPATCH_OVERDUE_MIN`); unit hours by BOS status; joint patrols with
the police (Aufträge naming the police); assaults on staff; bodycam activations (recordings
started, deleted ones from the deletion protocol), holds placed and deletions (the protocol).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.codes import DISPATCH_OVERDUE_MIN, category_label
from app.domain.periods import Period
from app.platform.database import Database
from app.platform.i18n import tr
from app.platform.permissions import Permission
from app.platform.timeutil import BERLIN, utcnow
from app.platform.uow import Actor, reading, unit_of_work
from app.services.statistics_sql import Dialect, Sources, sources
from db.types import UTCDateTime

#: Progress callback: steps done, steps in all.
Progress = Callable[[int, int], None]
ASSAULT = "assault_staff"


@dataclass(frozen=True)
class Durations:
    """How long something took: how many, median and 90th percentile in seconds."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Statistics:
    """The figures of one period."""

    period: Period
    made_at: datetime
    incidents: int
    by_category: tuple[tuple[str, int], ...]
    by_stadtteil: tuple[tuple[str, int], ...]
    by_weekday: tuple[int, ...]
    by_hour: tuple[int, ...]
    call_to_dispatch: Durations
    dispatch_to_arrival: Durations
    dispatched: int
    overdue: int
    unit_hours: tuple[tuple[str, float], ...]
    joint_patrols: int
    assaults: int
    bodycam_activations: int
    bodycam_holds: int
    bodycam_deletions: int

    @property
    def overdue_share(self) -> float | None:
        """Share (0–1) of dispatches later than their priority's target; None without any."""
        return self.overdue / self.dispatched if self.dispatched else None


def nearest_rank(p: float, count: int) -> int:
    """Offset (0-based) of the ``p`` percentile among ``count`` sorted values (nearest rank)."""
    return max(0, math.ceil(p * count) - 1)


def _by_count(rows: Any) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((k, int(n)) for k, n in rows), key=lambda kv: (-kv[1], kv[0])))


class _Query:
    """The aggregates of one period in one session."""

    def __init__(self, s: AsyncSession, src: Sources, dialect: Dialect, period: Period) -> None:
        self.s, self.src, self.sql, self.period = s, src, dialect, period
        i = src.incident.c
        self.in_period = (i.created_at >= period.start) & (i.created_at < period.end)

    async def grouped(self, key: Any) -> list[tuple[Any, int]]:
        i = self.src.incident
        rows = await self.s.execute(
            select(key, func.count()).select_from(i).where(self.in_period).group_by(key)
        )
        return [(k, int(n)) for k, n in rows]

    async def count(self, relation: Any, moment: Any, *where: Any) -> int:
        stmt = (
            select(func.count())
            .select_from(relation)
            .where(moment >= self.period.start, moment < self.period.end, *where)
        )
        return int(await self.s.scalar(stmt) or 0)

    async def durations(self, later: Any, earlier: Any) -> Durations:
        i = self.src.incident
        took = self.sql.seconds(later, earlier)
        base = select(took).select_from(i).where(self.in_period, later.is_not(None))
        count = int(await self.s.scalar(select(func.count()).select_from(base.subquery())) or 0)
        if not count:
            return Durations(0, None, None)
        values = []
        for p in (0.5, 0.9):
            stmt = base.order_by(took).limit(1).offset(nearest_rank(p, count))
            values.append(float(await self.s.scalar(stmt) or 0.0))
        return Durations(count, values[0], values[1])

    async def overdue(self) -> tuple[int, int]:
        i = self.src.incident.c
        limit = case(
            *((i.priority == p, m * 60.0) for p, m in DISPATCH_OVERDUE_MIN.items()),
            else_=60 * 60.0,
        )
        late = self.sql.seconds(i.dispatched_at, i.created_at) > limit
        row = (
            await self.s.execute(
                select(func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
                .select_from(self.src.incident)
                .where(self.in_period, i.dispatched_at.is_not(None))
            )
        ).one()
        return int(row[0]), int(row[1])

    async def hours_by_epoch(self) -> list[tuple[int, int]]:
        return await self.grouped(self.sql.epoch_hour(self.src.incident.c.created_at))

    async def unit_hours(self, now: datetime) -> tuple[tuple[str, float], ...]:
        """Hours each status was held by any unit within the period (clipped at both ends)."""
        u = self.src.unit_status.c
        period = self.period
        end = literal(period.end, UTCDateTime())
        start = literal(period.start, UTCDateTime())
        cap = literal(min(period.end, now), UTCDateTime())
        steps = (
            select(
                u.status,
                u.changed_at,
                func.lead(u.changed_at)
                .over(partition_by=u.unit_id, order_by=(u.changed_at, u.id))
                .label("next_at"),
            )
            .where(u.changed_at < period.end)
            .subquery("steps")
        )
        until = self.sql.lesser(func.coalesce(steps.c.next_at, cap), end)
        since = self.sql.greater(steps.c.changed_at, start)
        held = self.sql.seconds(until, since)
        rows = await self.s.execute(
            select(steps.c.status, func.sum(held))
            .where(func.coalesce(steps.c.next_at, cap) > start, steps.c.changed_at < cap)
            .group_by(steps.c.status)
            .order_by(steps.c.status)
        )
        return tuple((str(status), max(0.0, float(sec or 0)) / 3600) for status, sec in rows)


class StatisticsService:
    """Builds the statistics of a period (right ``statistics.read``); audited."""

    STEPS = 8

    def __init__(self, db: Database) -> None:
        self._db = db

    async def build(
        self,
        actor: Actor,
        period: Period,
        progress: Progress | None = None,
        audit: bool = True,
    ) -> Statistics:
        """The figures of ``period`` as the database holds them now.

        ``audit=False`` for the dashboard's live refreshes (its opening is the audited read).
        """
        postgresql = not self._db.target.is_sqlite
        src, dialect = sources(postgresql), Dialect(postgresql)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, self.STEPS)

        now = utcnow()
        async with reading(self._db, actor, Permission.STATISTICS) as s:
            q = _Query(s, src, dialect, period)
            i = src.incident.c
            categories = await q.grouped(i.category)
            step()
            stadtteile = await q.grouped(i.stadtteil)
            step()
            weekday, hour = [0] * 7, [0] * 24
            for epoch_hour, n in await q.hours_by_epoch():
                at = datetime.fromtimestamp(int(epoch_hour) * 3600, UTC).astimezone(BERLIN)
                weekday[at.weekday()] += n
                hour[at.hour] += n
            step()
            call_to_dispatch = await q.durations(i.dispatched_at, i.created_at)
            step()
            dispatch_to_arrival = await q.durations(i.on_scene_at, i.dispatched_at)
            dispatched, overdue = await q.overdue()
            step()
            unit_hours = await q.unit_hours(now)
            step()
            joint = await q.count(src.task, src.task.c.created_at, src.task.c.joint_patrol)
            # A deleted recording's row is gone: its start stays in the deletion protocol.
            gone = src.recording_deletion.c
            activations = await q.count(src.recording, src.recording.c.started_at)
            activations += await q.count(src.recording_deletion, gone.started_at)
            deletions = await q.count(src.recording_deletion, gone.deleted_at)
            holds = await q.count(src.recording_hold, src.recording_hold.c.created_at)
            step()
        unknown = tr("statistics", "unknown")
        stats = Statistics(
            period=period,
            made_at=now,
            incidents=sum(n for _, n in categories),
            by_category=_by_count((category_label(c), n) for c, n in categories),
            by_stadtteil=_by_count((st or unknown, n) for st, n in stadtteile),
            by_weekday=tuple(weekday),
            by_hour=tuple(hour),
            call_to_dispatch=call_to_dispatch,
            dispatch_to_arrival=dispatch_to_arrival,
            dispatched=dispatched,
            overdue=overdue,
            unit_hours=unit_hours,
            joint_patrols=joint,
            assaults=sum(n for c, n in categories if c == ASSAULT),
            bodycam_activations=activations,
            bodycam_holds=holds,
            bodycam_deletions=deletions,
        )
        if audit:
            async with unit_of_work(self._db, actor, None) as w:
                await w.audit(
                    "statistics.read",
                    details={"period": period.kind.value, "from": period.first_day.isoformat()},
                )
        step()
        return stats
