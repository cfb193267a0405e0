"""The live tables' Python sort keys agree with the SQL orders, on real data and both engines.

A live update places a changed row with the Python key; a reload reads the SQL order. If they
disagreed, a row would jump when the table reloads (or land among the wrong neighbours).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from app.domain.dto import IncidentQuery
from app.domain.dto_work import ReportQuery, TaskQuery
from app.platform.config import DatabaseTarget
from app.platform.database import Database
from app.platform.uow import Actor
from app.services import Services
from app.services.incident_queue import IncidentQueueReader
from app.services.ordering import (
    INCIDENT_SORT_FIELDS,
    incident_sort_key,
    report_sort_key,
    task_sort_key,
)
from demodata.generate import generate_demo

ALL = 100_000


@pytest.mark.asyncio
async def test_python_keys_and_sql_orders_agree(services: Services, dispatcher: Actor) -> None:
    await generate_demo(services, Actor.cli(), incidents=400, seed=5)
    incidents = services.incidents
    queries = [IncidentQuery(), IncidentQuery(text="straße")]
    queries += [
        IncidentQuery(sort=field, descending=descending)
        for field in INCIDENT_SORT_FIELDS
        for descending in (False, True)
    ]
    queries += [replace(q, categories=frozenset({"noise"})) for q in queries[:6]]
    for q in queries:
        rows = await incidents.page(dispatcher, q, 0, ALL)
        assert len(rows) > 10, q
        assert any(r.closed_at is None for r in rows) and any(r.closed_at for r in rows), q
        python = sorted(rows, key=lambda r, q=q: incident_sort_key(r, q))
        assert [r.id for r in rows] == [r.id for r in python], q
        # Whatever the sort, open incidents come first.
        open_flags = [r.closed_at is None for r in rows]
        assert open_flags == sorted(open_flags, reverse=True), q
        # Pages in a row give the same order as one big page.
        paged = []
        for offset in range(0, len(rows), 70):
            paged += await incidents.page(dispatcher, q, offset, 70)
        assert [r.id for r in paged] == [r.id for r in rows], q

    tasks = await services.tasks.page(dispatcher, TaskQuery(), 0, ALL)
    assert len({t.status for t in tasks}) > 1
    assert tasks == sorted(tasks, key=task_sort_key)
    reports = await services.reports.page(dispatcher, ReportQuery(), 0, ALL)
    assert len({r.is_open for r in reports}) == 2
    assert reports == sorted(reports, key=report_sort_key)


@pytest.mark.asyncio
async def test_durations_sort_by_the_time_shown(services: Services, dispatcher: Actor) -> None:
    """'Since call' and 'Since dispatch' sort by the duration the column shows: for open
    incidents the time until now, for closed ones the time until they closed."""
    await generate_demo(services, Actor.cli(), incidents=300, seed=9)
    for field, start in (("since_created", "created_at"), ("since_dispatch", "dispatched_at")):
        rows = await services.incidents.page(dispatcher, IncidentQuery(sort=field), 0, ALL)
        closed = [r for r in rows if r.closed_at is not None and getattr(r, start) is not None]
        durations = [r.closed_at - getattr(r, start) for r in closed]  # type: ignore[operator]
        assert len(set(durations)) > 10
        assert durations == sorted(durations), field
        running = [r for r in rows if r.closed_at is None and getattr(r, start) is not None]
        starts = [getattr(r, start) for r in running]
        assert len(starts) > 1 and starts == sorted(starts, reverse=True), field


@pytest.mark.asyncio
@pytest.mark.parametrize("field", ["since_created", "since_dispatch", "dispatched_at", "address"])
async def test_postgresql_reads_the_history_in_index_order(
    pg_target: DatabaseTarget, field: str
) -> None:
    """Sorting a million closed incidents must walk the sort column's index, never sort them
    all: with sorting switched off, the plan of the closed part has no Sort step."""
    db = Database(pg_target)
    queue = IncidentQueueReader(db)
    try:
        for descending in (False, True):
            q = IncidentQuery(sort=field, descending=descending)
            async with db.read() as s:
                stmt = (await queue._closed_part(s, q)).limit(200)
                sql = stmt.compile(dialect=s.bind.dialect, compile_kwargs={"literal_binds": True})
                await s.execute(text("SET LOCAL enable_sort = off"))
                plan = "\n".join(r[0] for r in (await s.execute(text(f"EXPLAIN {sql}"))).all())
            assert "Sort" not in plan, (q, plan)
    finally:
        await db.dispose()
