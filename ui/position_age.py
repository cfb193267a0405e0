"""How old a unit's position is, in words, and whether it is too old to trust.

A 17-minute-old position looked current when only its coordinates were shown: everything that
shows a position shows its age too, and marks old ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QCoreApplication

from app.platform.timeutil import format_local, utcnow

#: A position older than this is marked as old (units report every minute or so when moving).
STALE_AFTER_S = 5 * 60


@dataclass(frozen=True)
class PositionAge:
    """The age of a position: ``text`` ("vor 17 min") and whether it is ``stale``."""

    text: str
    stale: bool
    seconds: float | None


def position_age(position_at: datetime | None, now: datetime | None = None) -> PositionAge:
    """The age of a position reported at ``position_at`` (None: unknown, counts as old)."""
    if position_at is None:
        return PositionAge(QCoreApplication.translate("PositionAge", "age unknown"), True, None)
    seconds = max(0.0, ((now or utcnow()) - position_at).total_seconds())
    if seconds < 60:
        text = QCoreApplication.translate("PositionAge", "%1 s ago").replace(
            "%1", str(int(seconds))
        )
    elif seconds < 3600:
        text = QCoreApplication.translate("PositionAge", "%1 min ago").replace(
            "%1", str(int(seconds // 60))
        )
    elif seconds < 24 * 3600:
        hours, minutes = divmod(int(seconds // 60), 60)
        text = (
            QCoreApplication.translate("PositionAge", "%1 h %2 min ago")
            .replace("%1", str(hours))
            .replace("%2", f"{minutes:02d}")
        )
    else:
        text = QCoreApplication.translate("PositionAge", "from %1").replace(
            "%1", format_local(position_at)
        )
    return PositionAge(text, seconds > STALE_AFTER_S, seconds)
