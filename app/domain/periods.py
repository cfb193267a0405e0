"""Calendar periods of the statistics: a month, a year, a day, a week (Berlin local time).

A period runs from its local start (inclusive) to its local end (exclusive), both returned as
aware UTC datetimes, so a month across the change to or from summer time has its true length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from app.platform.errors import ValidationError
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr
from app.platform.timeutil import BERLIN, local

MONTH_NAMES = (
    N_("periods", "January"),
    N_("periods", "February"),
    N_("periods", "March"),
    N_("periods", "April"),
    N_("periods", "May"),
    N_("periods", "June"),
    N_("periods", "July"),
    N_("periods", "August"),
    N_("periods", "September"),
    N_("periods", "October"),
    N_("periods", "November"),
    N_("periods", "December"),
)
WEEKDAY_NAMES = (
    N_("periods", "Mon"),
    N_("periods", "Tue"),
    N_("periods", "Wed"),
    N_("periods", "Thu"),
    N_("periods", "Fri"),
    N_("periods", "Sat"),
    N_("periods", "Sun"),
)


class PeriodKind(StrEnum):
    """What a period covers."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    """``start`` (inclusive) to ``end`` (exclusive), aware UTC datetimes."""

    kind: PeriodKind
    first_day: date
    start: datetime
    end: datetime

    def label(self) -> str:
        """``November 2026``, ``2026``, ``06.12.2026`` or ``30.11.–06.12.2026``."""
        d = self.first_day
        if self.kind is PeriodKind.YEAR:
            return str(d.year)
        if self.kind is PeriodKind.MONTH:
            return f"{tr('periods', MONTH_NAMES[d.month - 1])} {d.year}"
        if self.kind is PeriodKind.DAY:
            return f"{d:%d.%m.%Y}"
        last = d + timedelta(days=6)
        return f"{d:%d.%m.}–{last:%d.%m.%Y}"

    def file_stem(self) -> str:
        """``2026-11``, ``2026``, ``2026-12-06`` or ``2026-W49`` (for file names)."""
        d = self.first_day
        if self.kind is PeriodKind.YEAR:
            return str(d.year)
        if self.kind is PeriodKind.MONTH:
            return f"{d:%Y-%m}"
        if self.kind is PeriodKind.DAY:
            return d.isoformat()
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)


def _period(kind: PeriodKind, first: date, after: date) -> Period:
    return Period(kind, first, _midnight(first), _midnight(after))


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError(tr("periods", "Choose a year between 2000 and 2100."), "year")


def month(year: int, month_no: int) -> Period:
    """The calendar month ``month_no`` (1–12) of ``year``."""
    _check_year(year)
    if not 1 <= month_no <= 12:
        raise ValidationError(tr("periods", "Choose a month between 1 and 12."), "month")
    after = date(year + 1, 1, 1) if month_no == 12 else date(year, month_no + 1, 1)
    return _period(PeriodKind.MONTH, date(year, month_no, 1), after)


def year(year_no: int) -> Period:
    """The calendar year ``year_no``."""
    _check_year(year_no)
    return _period(PeriodKind.YEAR, date(year_no, 1, 1), date(year_no + 1, 1, 1))


def day_of(moment: datetime) -> Period:
    """The local calendar day ``moment`` falls in."""
    d = local(moment).date()
    return _period(PeriodKind.DAY, d, d + timedelta(days=1))


def week_of(moment: datetime) -> Period:
    """The local week (Monday to Sunday) ``moment`` falls in."""
    d = local(moment).date()
    monday = d - timedelta(days=d.weekday())
    return _period(PeriodKind.WEEK, monday, monday + timedelta(days=7))


def previous_month(moment: datetime) -> Period:
    """The calendar month before the one ``moment`` falls in (the statistics' default)."""
    d = local(moment).date().replace(day=1) - timedelta(days=1)
    return month(d.year, d.month)


def weekday_label(index: int) -> str:
    """``Mo`` … ``So`` for 0 (Monday) … 6."""
    return tr("periods", WEEKDAY_NAMES[index])
