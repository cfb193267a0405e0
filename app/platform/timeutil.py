"""Time helpers: everything is stored in UTC and shown in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

#: The earliest and the latest moment a date field accepts. Anything outside is a typo (Qt's
#: date fields start at 14.09.1752): the forms keep to this range, and every write is checked
#: against it (:data:`app.platform.validation.DATETIME_YEARS` is derived from it).
EARLIEST_DATE = datetime(2000, 1, 1, 0, 0, tzinfo=UTC)
LATEST_DATE = datetime(2100, 12, 31, 23, 59, tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, time-zone aware, in UTC."""
    return datetime.now(UTC)


def local(value: datetime) -> datetime:
    """``value`` converted to Berlin time for display (unchanged at the ends of the calendar,
    where the conversion would overflow)."""
    try:
        return value.astimezone(BERLIN)
    except OverflowError:
        return value


def today(now: datetime | None = None) -> date:
    """Today's date in Berlin (the workstation's own time zone may differ: a server or a
    machine on UTC is an hour or two behind around midnight)."""
    return local(now or utcnow()).date()


def format_deadline(value: datetime | None) -> str:
    """A deadline in German display form; one at midnight is shown as the end of the day
    before (``20.12.2026 24:00``, "mit Ablauf des 20.12."), as a deletion at the end of day 14
    is meant: never as the next day's ``00:00``."""
    if value is None:
        return ""
    at = local(value)
    if (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0):
        return (at - timedelta(days=1)).strftime("%d.%m.%Y") + " 24:00"
    return at.strftime("%d.%m.%Y %H:%M")


def format_local(value: datetime | None, with_seconds: bool = False) -> str:
    """German display form, e.g. ``28.11.2026 14:05``; empty for None.

    Never fails: a value stored before dates were checked (year 1 or 9999) is shown as it is.
    """
    if value is None:
        return ""
    fmt = "%d.%m.%Y %H:%M:%S" if with_seconds else "%d.%m.%Y %H:%M"
    return local(value).strftime(fmt)
