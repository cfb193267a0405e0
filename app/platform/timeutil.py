"""Time helpers: everything is stored in UTC and shown in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

#: The earliest and the latest moment a date field accepts (Berlin time). Anything outside is
#: a typo (Qt's date fields start at 14.09.1752) and is refused by the services and the forms.
EARLIEST_DATE = datetime(2000, 1, 1, 0, 0, tzinfo=BERLIN)
LATEST_DATE = datetime(2100, 12, 31, 23, 59, tzinfo=BERLIN)


def in_date_range(value: datetime) -> bool:
    """True if ``value`` (time-zone aware) lies between :data:`EARLIEST_DATE` and
    :data:`LATEST_DATE`."""
    return EARLIEST_DATE <= value <= LATEST_DATE


def utcnow() -> datetime:
    """The current time, time-zone aware, in UTC."""
    return datetime.now(UTC)


def local(value: datetime) -> datetime:
    """``value`` converted to Berlin time for display."""
    return value.astimezone(BERLIN)


def format_local(value: datetime | None, with_seconds: bool = False) -> str:
    """German display form, e.g. ``28.11.2026 14:05``; empty for None."""
    if value is None:
        return ""
    fmt = "%d.%m.%Y %H:%M:%S" if with_seconds else "%d.%m.%Y %H:%M"
    return local(value).strftime(fmt)
