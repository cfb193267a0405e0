"""Shifts of the Leitstelle: the day is cut at fixed local times (setting ``shifts.starts``,
default 06:00, 14:00 and 22:00). A shift runs from one start to the next, across midnight and
across the change to and from summer time (the times are Berlin wall-clock times)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.timeutil import BERLIN, local

DEFAULT_STARTS = ("06:00", "14:00", "22:00")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Shift:
    """One shift: from ``start`` (inclusive) to ``end`` (exclusive), aware UTC datetimes."""

    start: datetime
    end: datetime

    def label(self) -> str:
        """``06.12.2026 06:00–14:00`` (Berlin time)."""
        start, end = local(self.start), local(self.end)
        return f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"


def parse_starts(values: Sequence[str]) -> tuple[time, ...]:
    """The configured start times, sorted; refused unless one to six distinct ``HH:MM``."""
    if not 1 <= len(values) <= 6 or not all(isinstance(v, str) and _HHMM.match(v) for v in values):
        raise ValidationError(
            tr("shifts", "Shift starts must be one to six times like 06:00, 14:00, 22:00."),
            "shifts.starts",
        )
    starts = sorted({time(int(v[:2]), int(v[3:])) for v in values})
    if len(starts) != len(values):
        raise ValidationError(tr("shifts", "A shift start is given twice."), "shifts.starts")
    return tuple(starts)


def _at(day: datetime, t: time) -> datetime:
    return datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=BERLIN)


def shift_at(moment: datetime, starts: Sequence[time]) -> Shift:
    """The shift that ``moment`` falls in."""
    here = local(moment)
    candidates = [_at(here + timedelta(days=offset), t) for offset in (-1, 0, 1) for t in starts]
    candidates.sort()
    begin = max(c for c in candidates if c <= here)
    end = min(c for c in candidates if c > here)
    # In UTC: arithmetic on two Berlin times would ignore a change of summer time in between.
    return Shift(begin.astimezone(UTC), end.astimezone(UTC))


def previous_shift(shift: Shift, starts: Sequence[time]) -> Shift:
    """The shift before ``shift``."""
    return shift_at(shift.start - timedelta(minutes=1), starts)


def shifts_of_day(day: date, starts: Sequence[time]) -> tuple[Shift, ...]:
    """The shifts that start on the local date ``day``, in order."""
    return tuple(
        shift_at(datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=BERLIN), starts)
        for t in starts
    )


def shift_ending_now(moment: datetime, starts: Sequence[time]) -> Shift:
    """The shift a report printed at ``moment`` is about: the one ``moment`` falls in, or,
    early in a shift, the one that has just ended (whichever change of shift is nearer)."""
    current = shift_at(moment, starts)
    if moment - current.start < current.end - moment:
        return previous_shift(current, starts)
    return current
