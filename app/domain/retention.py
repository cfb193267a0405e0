"""When bodycam recordings are deleted, and the kinds of hold that keep them (DOMAIN.md).

A recording is deleted at the end of the ``bodycam.retention_days``-th day after the day it was
recorded, local time (Europe/Berlin): recorded on 6 December, with 14 days it is deleted when
20 December ends. A hold keeps it: for OWi or criminal proceedings (with their file number),
for averting danger, or because the person recorded asked for a review of its lawfulness.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.timeutil import BERLIN

#: What the deletion protocol gives as the reason of an expiry deletion.
EXPIRED = "expired"
EXPIRED_LABEL = "Fristablauf"


def deletion_due(started_at: datetime, retention_days: int) -> datetime:
    """The moment (UTC) a recording started at ``started_at`` is deleted without a hold."""
    day = started_at.astimezone(BERLIN).date() + timedelta(days=retention_days + 1)
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


def earliest_start_due(now: datetime, retention_days: int) -> datetime:
    """A bound: every recording due at ``now`` started before this moment (for queries)."""
    return now - timedelta(days=retention_days)


class HoldKind(StrEnum):
    """Why a recording is kept past its deletion date (stored in ``recording_hold.reason``)."""

    OFFENCE = "offence"
    CRIME = "crime"
    DANGER = "danger"
    REVIEW = "review_request"

    @property
    def needs_file_number(self) -> bool:
        """Proceedings have a file number (Aktenzeichen); it is required."""
        return self in (HoldKind.OFFENCE, HoldKind.CRIME)


HOLD_KIND_LABELS: dict[HoldKind, str] = {
    HoldKind.OFFENCE: N_("evidence", "OWi proceedings"),
    HoldKind.CRIME: N_("evidence", "Criminal proceedings"),
    HoldKind.DANGER: N_("evidence", "Averting danger"),
    HoldKind.REVIEW: N_("evidence", "Review requested by the person recorded"),
}
