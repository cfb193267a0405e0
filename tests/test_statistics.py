"""Statistics of a demo month: the figures equal direct SQL counts, times and unit hours are
computed alike on both engines, no personal data, and who may read them; on both engines."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from app.domain.codes import category_label
from app.domain.periods import month, previous_month, week_of, year
from app.platform.errors import PermissionDenied, ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import BERLIN
from app.platform.uow import Actor
from app.services import Services
from app.services.statistics import nearest_rank
from app.services.statistics_tables import all_tables, duration, number, write_csv_files
from db.models import RecordingDeletion, Unit, UnitStatusChange
from demodata.generate import generate_demo
from tests import test_shift_report
from tests.test_shift_report import Login

#: The demo history ends the day before this: November 2026 lies wholly inside it.
UNTIL = datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
NOVEMBER = month(2026, 11)
#: The fixture that logs a person in with a role (shared with the shift report's tests).
person = test_shift_report.person


def test_periods_are_local_calendar_periods_across_summer_time() -> None:
    october = month(2026, 10)
    # The clocks go back on 25 October: the month has one hour more.
    assert october.end - october.start == timedelta(days=31, hours=1)
    assert october.start == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert october.label() == "Oktober 2026" and october.file_stem() == "2026-10"
    assert year(2026).label() == "2026"
    assert previous_month(datetime(2026, 1, 15, tzinfo=UTC)).file_stem() == "2025-12"
    week = week_of(datetime(2026, 12, 6, 12, tzinfo=UTC))  # a Sunday
    assert week.first_day.isoformat() == "2026-11-30" and week.label() == "30.11.–06.12.2026"
    with pytest.raises(ValidationError, match="Monat"):
        month(2026, 13)


def test_german_numbers_and_times_and_nearest_rank() -> None:
    assert number(1234.56) == "1.234,6"
    assert duration(75) == "1:15" and duration(3725) == "1:02:05" and duration(None) == "–"
    assert [nearest_rank(0.5, n) for n in (1, 2, 3, 10)] == [0, 0, 1, 4]
    assert nearest_rank(0.9, 10) == 8


def _direct(services: Services, sql: str, **params: Any) -> list[Any]:
    engine = services.db.sync_engine()
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def _utc(moment: datetime, sqlite: bool) -> Any:
    value = moment.astimezone(UTC)
    return value.replace(tzinfo=None) if sqlite else value


def _add_status_history(services: Services) -> None:
    """One unit: out of service before November, at the station from 1 November 00:00, one
    hour en route from 02:00, back at the station from 03:00 to the month's end; and one
    bodycam recording of November, deleted when its time ran out."""
    engine = services.db.sync_engine()
    steps = [
        ("6", datetime(2026, 10, 31, 20, tzinfo=BERLIN)),
        ("2", datetime(2026, 11, 1, 0, tzinfo=BERLIN)),
        ("3", datetime(2026, 11, 1, 2, tzinfo=BERLIN)),
        ("2", datetime(2026, 11, 1, 3, tzinfo=BERLIN)),
    ]
    try:
        with engine.begin() as conn:
            unit_id = conn.execute(
                insert(Unit).values(
                    call_sign="KOD 99", kind="Streife", status="2", status_changed_at=steps[-1][1]
                )
            ).inserted_primary_key[0]
            for status, at in steps:
                conn.execute(
                    insert(UnitStatusChange).values(unit_id=unit_id, status=status, changed_at=at)
                )
            started = datetime(2026, 11, 2, 14, tzinfo=BERLIN)
            conn.execute(
                insert(RecordingDeletion).values(
                    recording_id=4711,
                    sha256="0" * 64,
                    size_bytes=1,
                    started_at=started,
                    ended_at=started + timedelta(minutes=3),
                    due_at=started + timedelta(days=14),
                    deleted_at=started + timedelta(days=14, hours=1),
                    reason="expired",
                    storage_key="x",
                )
            )
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_the_statistics_of_a_demo_month_equal_direct_sql_counts(
    services: Services, person: Login, tmp_path: Path
) -> None:
    await generate_demo(services, Actor.cli(), incidents=1500, seed=3, until=UNTIL)
    _add_status_history(services)
    lead = await person(Role.SHIFT_LEAD)
    stats = await lead.services.statistics.build(lead.actor, NOVEMBER)

    sqlite = services.db.target.is_sqlite
    where = "created_at >= :a AND created_at < :b"
    bounds = {"a": _utc(NOVEMBER.start, sqlite), "b": _utc(NOVEMBER.end, sqlite)}
    categories = _direct(
        services, f"SELECT category, count(*) FROM incident WHERE {where} GROUP BY 1", **bounds
    )
    stadtteile = _direct(
        services, f"SELECT stadtteil, count(*) FROM incident WHERE {where} GROUP BY 1", **bounds
    )
    assert stats.incidents == sum(n for _, n in categories) > 500
    assert dict(stats.by_category) == {category_label(c): n for c, n in categories}
    assert dict(stats.by_stadtteil) == {s: n for s, n in stadtteile}
    assert sum(stats.by_weekday) == sum(stats.by_hour) == stats.incidents
    assert stats.assaults == dict(categories).get("assault_staff", 0)

    # Times: the median and 90th percentile of the same values, computed here.
    rows = _direct(
        services,
        f"SELECT created_at, dispatched_at, priority FROM incident "
        f"WHERE {where} AND dispatched_at IS NOT NULL",
        **bounds,
    )

    def aware(v: Any) -> datetime:
        v = datetime.fromisoformat(v) if isinstance(v, str) else v
        return v if v.tzinfo else v.replace(tzinfo=UTC)

    waits = sorted((aware(d) - aware(c)).total_seconds() for c, d, _ in rows)
    assert stats.call_to_dispatch.count == len(waits) == stats.dispatched
    assert stats.call_to_dispatch.median_s == pytest.approx(waits[nearest_rank(0.5, len(waits))])
    assert stats.call_to_dispatch.p90_s == pytest.approx(waits[nearest_rank(0.9, len(waits))])
    limits = {1: 180, 2: 900, 3: 3600}
    late = sum(1 for c, d, p in rows if (aware(d) - aware(c)).total_seconds() > limits[p])
    assert stats.overdue == late

    hours = dict(stats.unit_hours)
    assert hours["3"] == pytest.approx(1.0)
    assert hours["2"] == pytest.approx((NOVEMBER.end - NOVEMBER.start).total_seconds() / 3600 - 1)
    assert "6" not in hours  # out of service only before the month
    joint = _direct(
        services,
        "SELECT count(*) FROM task WHERE created_at >= :a AND created_at < :b "
        "AND lower(title) LIKE '%polizei%'",
        **bounds,
    )[0][0]
    assert stats.joint_patrols == joint
    # One recording of November deleted after its 14 days: its row is gone, the deletion
    # protocol counts it as an activation and a deletion.
    assert (stats.bodycam_activations, stats.bodycam_holds, stats.bodycam_deletions) == (1, 0, 1)

    whole_year = await lead.services.statistics.build(lead.actor, year(2026))
    assert (
        whole_year.incidents > stats.incidents and sum(whole_year.by_hour) == whole_year.incidents
    )

    # Every table exported as CSV holds what the statistics hold.
    paths = write_csv_files(stats, tmp_path)
    assert len(paths) == len(all_tables(stats))
    by_name = {p.name: p for p in paths}
    with by_name["Statistik-2026-11-stadtteile.csv"].open(encoding="utf-8-sig") as f:
        lines = list(csv.reader(f, delimiter=";"))
    assert lines[0] == ["Stadtteil", "Einsätze"]
    assert {k: int(n) for k, n in lines[1:]} == dict(stats.by_stadtteil)


@pytest.mark.asyncio
async def test_statistics_are_for_more_roles_than_the_reports_with_names(
    services: Services, person: Login
) -> None:
    counts = Counter[str]()
    sessions = {}
    for role in (Role.DISPATCHER, Role.CLERK, Role.DATA_PROTECTION):
        session = sessions[role] = await person(role)
        stats = await session.services.statistics.build(session.actor, NOVEMBER)
        counts[role.value] = stats.incidents
        with pytest.raises(PermissionDenied):  # the reports with names are the shift lead's
            await session.services.shift_reports.current_shift(session.actor)
    assert set(counts.values()) == {0}
    for role in (Role.FIELD_OFFICER, Role.ADMIN):
        session = await person(role)
        with pytest.raises(PermissionDenied):
            await session.services.statistics.build(session.actor, NOVEMBER)
    if not services.db.target.is_sqlite:
        # The server itself: data protection reads the aggregate views, not the incidents.
        privacy = sessions[Role.DATA_PROTECTION]
        async with privacy.services.db.read() as s:
            views = select(text("count(*)")).select_from(text("kod_task_statistics"))
            assert await s.scalar(views) == 0
            with pytest.raises(Exception, match="permission denied"):
                await s.execute(text("SELECT caller_name FROM incident"))
