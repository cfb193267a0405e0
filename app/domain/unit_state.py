"""How a unit's state reads on every pane: its BOS status, or "alarmed" while it has not
confirmed an alarm, flagged once the confirmation is overdue.

The status board and the incident detail both word a unit's state through :func:`state_text`,
so the two panes cannot disagree. Overdue is computed from the due time the services return
(setting ``dispatch.confirm_timeout_s``) and the clock; nothing stores it.
"""

from __future__ import annotations

from datetime import datetime

from app.domain.codes import RELEASING_STATUSES, unit_status_display
from app.platform.i18n import tr


def alarm_overdue(confirm_due_at: datetime | None, now: datetime) -> bool:
    """True if an alarm is still unconfirmed after its due time."""
    return confirm_due_at is not None and now >= confirm_due_at


def state_text(
    status: str,
    alarmed_at: datetime | None,
    confirm_due_at: datetime | None,
    now: datetime,
    clock: str,
) -> str:
    """The unit's state in words: ``Alarmed, not confirmed (status 2)``, ``4 – am Einsatzort``.

    ``clock`` (e.g. ``06:15``) names when the alarm went out.
    """
    if alarmed_at is None:
        return unit_status_display(status)
    if alarm_overdue(confirm_due_at, now):
        text = tr("unit_state", "NOT CONFIRMED – alarmed %1 (status %2)")
    else:
        text = tr("unit_state", "Alarmed %1, not yet confirmed (status %2)")
    return text.replace("%1", clock).replace("%2", status)


def takes_off_incident(new_status: str, current_status: str, on_incident: bool) -> bool:
    """True if setting ``new_status`` takes a unit off its incident (the board asks first)."""
    return on_incident and new_status != current_status and new_status in RELEASING_STATUSES
