"""The Aufträge and Meldungen tables: live tables of one work-item entity in a fixed order.

Everything live (pages, batched updates, moves, the id index, reloading on a reset) is the
shared :class:`~ui.models.live_table.LiveTableModel`; a work table adds only that its due and
follow-up colours depend on the clock.
"""

from __future__ import annotations

from typing import TypeVar

from ui.models.live_table import HasId, LiveTableModel, RowIdRole, RowRole, alive

__all__ = ["HasId", "RowIdRole", "RowRole", "WorkTableModel", "alive"]

R = TypeVar("R", bound=HasId)
Q = TypeVar("Q")


class WorkTableModel(LiveTableModel[R, Q]):
    """Lazily loaded, live-updated table of work items (Aufträge or Meldungen)."""

    # Due times pass while the table is shown: repaint the colours once a minute.
    tick_ms = 60_000
