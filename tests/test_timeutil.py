"""Dates the workstation shows: Berlin's, not the machine's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.platform.timeutil import today


def test_today_is_berlins_date_whatever_the_machines_zone() -> None:
    # 23:41 UTC on 6 December is 00:41 on 7 December in Berlin (a machine on UTC says the 6th).
    assert today(datetime(2026, 12, 6, 23, 41, tzinfo=UTC)) == date(2026, 12, 7)
    assert today(datetime(2026, 12, 6, 22, 59, tzinfo=UTC)) == date(2026, 12, 6)
    # Summer time: two hours ahead.
    assert today(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == date(2026, 7, 2)
